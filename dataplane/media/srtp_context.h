// The SRTP crypto context of one direction of one leg, over libsrtp2: SrtpInbound unprotects what
// a peer sends (SRTP and SRTCP), SrtpOutbound protects what the SBC sends toward a peer. Each
// holds one libsrtp session keyed by one SrtpMasterKey; keys are never shared between the two legs
// of a call, nor between the two directions of one leg.
//
// Threads. A context is created (with the SSRCs known in advance) and destroyed on the control
// thread; between publication and retirement (RCU) exactly one worker uses it. libsrtp keeps
// mutable state (rollover counter, replay window, the shared cipher contexts' IVs) in the session,
// so a context is never used by two threads at once.
//
// Per packet: protect/unprotect work in place on the packet buffer and return an SrtpResult; they
// never throw or log (SrtpLibrary silences libsrtp's log), and allocate nothing. Debian's libsrtp2
// (2.5) is built on NSS, whose types allocate per packet (measured with an interposed malloc: one
// protect + one unprotect of a known SSRC cost 28 heap allocations with AES-CM + HMAC-SHA1 and 10
// with AES-GCM); SrtpLibrary::init replaces them with allocation-free types over OpenSSL
// (srtp_ciphers.h), and tests/unit/dataplane/media/srtp_allocation_test.cc counts 0 allocations
// per packet for every suite, RTP and RTCP, accepted and forged.
//
// Per new SSRC (why the worker may allocate, and how much): SDES keys a session, not an SSRC, and
// the SSRC a peer will use is rarely signalled, so each libsrtp session is created with a wildcard
// template (ssrc_any_inbound / ssrc_any_outbound). On the first packet of an SSRC it has no stream
// for, libsrtp clones the template (srtp_stream_clone: a calloc for the stream, one for its session
// key array and one for the replay bitmap; the cipher and auth contexts and the key-usage limit are
// shared with the template). On the inbound side the clone happens only after the packet
// authenticated, so a sender without the key cannot make the worker allocate. To keep this bounded,
// the context remembers the SSRCs it has admitted (at most SrtpOptions::max_ssrcs, a fixed array,
// scanned before libsrtp is called); a packet of one more SSRC is refused as kSsrcLimit without
// reaching libsrtp. So libsrtp clones at most max_ssrcs streams per context in its life, each on
// the first packet of an SSRC (inbound: the first authenticated one). An SSRC known in advance
// (a=ssrc in the SDP) is given to create on the control thread, which adds its stream there; no
// clone happens in the worker for it. Streams are never evicted: a forgotten SSRC's replay window
// would let its old packets be replayed; a re-key (new a=crypto) builds a new context instead.
#pragma once

#include <srtp2/srtp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "dataplane/media/srtp_key.h"
#include "dataplane/media/srtp_library.h"
#include "dataplane/media/srtp_suite.h"

namespace sbc::dp {

// The outcome of one protect/unprotect. Every value but kOk is a drop the worker counts per stream.
enum class SrtpResult : uint8_t {
  kOk,
  kAuthFail,    // the tag did not verify: tampered, wrong key, or not SRTP at all
  kReplayFail,  // the packet index was already received (or, protecting, already sent)
  kReplayOld,   // the packet index is older than the replay window
  kBadLength,   // shorter than its header and trailer, or longer than kMaxSrtpPacket
  kBadHeader,   // not version 2, or CSRC list / header extension beyond the packet
  kNoRoom,      // protect: the buffer has no room for the trailer
  kSsrcLimit,   // the first packet of one SSRC more than SrtpOptions::max_ssrcs
  kKeyExpired,  // the master key reached its packet limit (2^48 SRTP, 2^31 SRTCP)
  kNoMemory,    // libsrtp could not allocate the stream of a new SSRC
  kFailed,      // any other libsrtp failure
};
inline constexpr size_t kSrtpResultCount = 11;
std::string_view to_string(SrtpResult result);

// The largest packet a context accepts (a UDP payload).
inline constexpr size_t kMaxSrtpPacket = 65535;
// The most SSRCs one context may admit.
inline constexpr size_t kMaxSrtpSsrcs = 16;

struct SrtpOptions {
  // Replay window in packets (libsrtp: 64..32767; RFC 3711 asks for at least 64).
  uint16_t replay_window = 128;
  // SSRCs one context admits over its life (1..kMaxSrtpSsrcs); see the header comment.
  uint8_t max_ssrcs = 4;
};

enum class SrtpSetupError : uint8_t {
  kBadOptions,    // replay window or max_ssrcs out of range
  kCreateFailed,  // srtp_create refused the policy (e.g. a suite this libsrtp lacks)
  kSsrcLimit,     // more known SSRCs than max_ssrcs
};
std::string_view to_string(SrtpSetupError error);

namespace detail {

// What SrtpInbound and SrtpOutbound share: the libsrtp session, its suite and the admitted SSRCs.
class SrtpSession {
 public:
  SrtpSession(SrtpSession&& other) noexcept;
  SrtpSession& operator=(SrtpSession&& other) noexcept;
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;
  ~SrtpSession();

  SrtpSuite suite() const { return suite_; }
  size_t ssrc_count() const { return ssrc_count_; }
  // A hint for a worker about to protect or unprotect: starts fetching libsrtp's session object
  // (its first line; what it points to is libsrtp's business), the head of libsrtp's own chain.
  void prefetch_library_state() const { __builtin_prefetch(session_); }
  bool knows(uint32_t ssrc) const;

 protected:
  static std::expected<SrtpSession, SrtpSetupError> create(const SrtpMasterKey& key,
                                                           srtp_ssrc_type_t direction,
                                                           const SrtpOptions& options,
                                                           std::span<const uint32_t> ssrcs);
  SrtpSession(srtp_t session, SrtpSuite suite, const SrtpOptions& options);
  // Before libsrtp sees a packet of `ssrc`: may it? (known, or room for one more)
  bool admissible(uint32_t ssrc) const { return knows(ssrc) || ssrc_count_ < max_ssrcs_; }
  void remember(uint32_t ssrc);

  srtp_t session_ = nullptr;
  SrtpSuite suite_;
  uint8_t max_ssrcs_;
  uint8_t ssrc_count_ = 0;
  std::array<uint32_t, kMaxSrtpSsrcs> ssrcs_{};
};

}  // namespace detail

// Unprotects SRTP and SRTCP from one peer. `buffer` holds the packet at its start; `length` is the
// packet's length (<= buffer.size()) and, on kOk, becomes the plain packet's length. On any other
// result the buffer's bytes are unspecified (drop the packet).
class SrtpInbound : public detail::SrtpSession {
 public:
  // `ssrcs`: SSRCs the SDP announced (a=ssrc); their streams are made here, not by the worker.
  static std::expected<SrtpInbound, SrtpSetupError> create(const SrtpLibrary& library,
                                                           const SrtpMasterKey& key,
                                                           const SrtpOptions& options = {},
                                                           std::span<const uint32_t> ssrcs = {});

  SrtpResult unprotect_rtp(std::span<uint8_t> buffer, size_t& length);
  SrtpResult unprotect_rtcp(std::span<uint8_t> buffer, size_t& length);

 private:
  explicit SrtpInbound(detail::SrtpSession&& session) : SrtpSession(std::move(session)) {}
};

// Protects RTP and RTCP toward one peer. `buffer` holds the packet at its start with room after
// it: protect needs rtp_trailer(suite) (RTP) or rtcp_trailer(suite) (RTCP) bytes beyond `length`
// (kNoRoom otherwise); on kOk `length` becomes the protected packet's length.
class SrtpOutbound : public detail::SrtpSession {
 public:
  static std::expected<SrtpOutbound, SrtpSetupError> create(const SrtpLibrary& library,
                                                            const SrtpMasterKey& key,
                                                            const SrtpOptions& options = {},
                                                            std::span<const uint32_t> ssrcs = {});

  SrtpResult protect_rtp(std::span<uint8_t> buffer, size_t& length);
  SrtpResult protect_rtcp(std::span<uint8_t> buffer, size_t& length);

 private:
  explicit SrtpOutbound(detail::SrtpSession&& session) : SrtpSession(std::move(session)) {}
};

}  // namespace sbc::dp
