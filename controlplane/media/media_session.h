// One call's media on the dataplane: both sides' anchored streams, the port pairs leased for
// them, our o= version toward each side, and the session spec programmed through the
// DataplaneClient. The session id is the call's id.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "api/control_protocol.h"
#include "controlplane/media/codec_negotiation.h"
#include "controlplane/media/media_ports.h"
#include "controlplane/media/media_settings.h"
#include "controlplane/media/port_lease.h"
#include "controlplane/media/sdp_anchor.h"
#include "controlplane/media/sdp_body.h"
#include "controlplane/media/srtp_negotiation.h"

namespace sbc::cp {

// Which side a leg is: the caller (sbcd is UAS) or the callee (sbcd is UAC).
enum Side : uint8_t { kCaller = 0, kCallee = 1 };
inline Side other(Side side) {
  return side == kCaller ? kCallee : kCaller;
}
inline std::string_view side_name(Side side) {
  return side == kCaller ? "caller" : "callee";
}

struct MediaLeg {
  uint8_t dataplane_port = 0;
  api::Address local;       // SBC media address (the dataplane port's address)
  uint16_t local_port = 0;  // our RTP port; 0 when none is held
  api::Address remote;      // from this side's SDP
  uint16_t remote_port = 0;
  uint16_t remote_rtcp_port = 0;  // a=rtcp, 0 when absent
  uint64_t sdp_version = 0;       // our o= version toward this side, bumped per description sent
  StreamProfile profile;          // the anchored stream's protocol and our a=crypto toward it
  std::optional<SrtpLeg> srtp;    // negotiated SDES-SRTP on this side; unset: plain RTP
  // The side's negotiated codec when the dataplane rewrites payload types or transcodes; unset
  // on both legs when media is relayed as is.
  std::optional<api::LegCodec> codec;
};

// Why a session could not be opened: which side, and the allocator's error.
struct MediaOpenError {
  Side side;
  MediaPortError error;
};

class MediaSession {
 public:
  MediaSession() = default;
  explicit MediaSession(uint64_t id) : id_(id) {}

  // A session with a port pair leased on each side's dataplane port (`caller`, `callee`: the
  // ports' table entries, addresses set).
  [[nodiscard]] static std::expected<MediaSession, MediaOpenError> open(
      uint64_t id, MediaPortAllocator& ports, const api::PortInfo& caller,
      const api::PortInfo& callee);
  // Leases again the pairs the legs name: a session kept by the dataplane across an sbcd restart.
  // On error nothing stays leased.
  std::expected<void, MediaOpenError> claim_ports(MediaPortAllocator& ports);

  [[nodiscard]] uint64_t id() const { return id_; }
  [[nodiscard]] MediaLeg& leg(Side side) { return legs_[side]; }
  [[nodiscard]] const MediaLeg& leg(Side side) const { return legs_[side]; }

  // What `side` described: where it sends and receives its anchored stream.
  void set_remote(Side side, const AudioEndpoint& audio);
  // The caller's offer, accepted (srtp_negotiation.h): its SRTP and the profile it is answered in.
  void set_caller_media(CallerMedia caller);
  // What we offer the callee (its profile and our keys), until its answer picks one.
  void set_callee_offer(CalleeOffer offer);
  // The codecs negotiated for the caller's offer (`offer`: its anchored stream): our formats
  // toward the callee, until its answer picks one.
  void set_codec_offer(CodecOffer codecs, const sip::SdpMedia& offer);
  // The callee's answer to that offer: its SRTP (or plain RTP) and, with a codec offer, the codec
  // it chose (relayed or transcoded), or why it cannot be used.
  std::expected<void, MediaRefusal> accept_callee_answer(const sip::SdpMedia& answer);
  // `sdp` (from the other side) as `toward` sees it: our address and port there, our o= line
  // with its next version.
  [[nodiscard]] std::expected<std::string, sip::SdpError> anchor(Side toward, const SdpBody& sdp,
                                                                 const AudioEndpoint& audio);

  // --- mid-call offers and answers (b2bua/mid_call.h) ---
  // A description `side` sent once the call is established (a re-offer, or its answer to ours),
  // checked against what that side negotiated: the same transport (SDES-SRTP or not); for SDES an
  // a=crypto of the suite in use, whose key and tag may be new (re-keying); a negotiated codec
  // still among the formats. The SRTP the side would then run (unset: plain RTP); nothing changes
  // until apply_update().
  [[nodiscard]] std::expected<std::optional<SrtpLeg>, MediaRefusal> check_update(
      Side side, const sip::SdpMedia& media) const;
  // Takes `side`'s checked description: where it now sends and receives (`audio` nullptr: it asked
  // for no media, c=0.0.0.0, and keeps its address) and its SRTP.
  void apply_update(Side side, const AudioEndpoint* audio, std::optional<SrtpLeg> srtp);
  // `sdp` as `toward` sees it mid-call: as anchor(), with our SRTP there the suite, tag and key in
  // use only; `no_media` (the other side sent c=0.0.0.0): our address there is 0.0.0.0 too, the
  // old form of hold (RFC 3264 §8.4).
  [[nodiscard]] std::expected<std::string, sip::SdpError> anchor_update(Side toward,
                                                                        const SdpBody& sdp,
                                                                        const AudioEndpoint& audio,
                                                                        bool no_media);
  // --- a handled transfer (b2bua/call_transfer.h) ---
  // `sdp` offered to a new peer on `toward`'s side: as anchor_update(), at `local`:`local_port`
  // (the pair a transfer leased on the target's dataplane port, or the side's own).
  [[nodiscard]] std::expected<std::string, sip::SdpError> anchor_at(Side toward, const SdpBody& sdp,
                                                                    const AudioEndpoint& audio,
                                                                    api::Address local,
                                                                    uint16_t local_port);
  // `side` moves to the pair `lease` holds on `dataplane_port` at `local`; `lease` then holds
  // the side's previous pair (given back once the dataplane session moved).
  void move_leg(Side side, PortLease& lease, uint8_t dataplane_port, api::Address local);

  // Per side: its RTP is relayed to the other (api::LegSpec::forward_rtp), as the last exchange's
  // directions say (RFC 3264 §6.1; c=0.0.0.0 receives nothing, §8.4).
  void set_forward_rtp(const std::array<bool, 2>& forward) { forward_rtp_ = forward; }
  [[nodiscard]] const std::array<bool, 2>& forward_rtp() const { return forward_rtp_; }
  // On hold: RTP does not flow both ways (a direction other than sendrecv, or c=0.0.0.0). No media
  // timeout then, as a held call may be silent both ways.
  [[nodiscard]] bool on_hold() const { return !(forward_rtp_[0] && forward_rtp_[1]); }

  // The SessionAdd (an upsert) for the dataplane. `answered`: the media timeout is armed (no
  // inactivity timeout while the call rings: early media is optional). `sources`: where each
  // side's SIP comes from (may latch media).
  [[nodiscard]] api::SessionAdd spec(const MediaConfig& config, bool answered,
                                     const std::array<api::Address, 2>& sources) const;

  // The callee's answer chose a codec only the dataplane's transcoding reaches.
  [[nodiscard]] bool transcoded() const { return transcoded_; }

  // A SessionAdd was sent: the dataplane may hold the session, which must be deleted.
  void mark_programmed() { programmed_ = true; }
  [[nodiscard]] bool programmed() const { return programmed_; }
  // Port pairs still leased.
  [[nodiscard]] size_t leased() const;
  // Gives the leased pairs back now (the legs' local ports read 0 after).
  void release_ports();

  // The session ends here (RetiredSessions takes what it held): its leases move out, the legs'
  // local ports read 0, it is no longer programmed. The legs' addresses stay (`show calls`).
  using Leases = std::array<PortLease, 2>;
  struct Retired {
    uint64_t id = 0;
    bool programmed = false;
    Leases leases;
  };
  [[nodiscard]] Retired retire();

 private:
  // How a description is rewritten toward `toward` now: our address, port and profile there, the
  // next o= version.
  SdpAnchor next_anchor(Side toward);

  uint64_t id_ = 0;
  std::array<MediaLeg, 2> legs_{};
  CalleeOffer callee_offer_;
  std::optional<CodecOffer> codec_offer_;
  bool transcoded_ = false;
  std::array<bool, 2> forward_rtp_{true, true};
  Leases leases_{};
  bool programmed_ = false;
};

}  // namespace sbc::cp
