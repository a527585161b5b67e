// SDES-SRTP (RFC 4568) offer/answer for the one anchored audio stream, each side on its own: the
// SBC terminates SRTP, so the caller's and the callee's keys never meet. A side's policy
// (media_policy.h) says which profile it must use; our own keys are fresh per side
// (SdesKey::random). Pure functions over parsed SDP: the B2BUA keeps the result in the call's
// MediaSession and puts the keys in the dataplane's SessionAdd, nowhere else.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_policy.h"
#include "controlplane/media/sdp_anchor.h"
#include "controlplane/sip/sdp.h"
#include "controlplane/sip/sdp_crypto.h"

namespace sbc::cp {

// Why an offer or an answer cannot be served (a bounded metric label each).
enum class MediaRefusal : uint8_t {
  kProfileNotAllowed,      // RTP/AVP toward an srtp side, RTP/SAVP toward an rtp side, or a
                           // profile the SBC cannot convert (DTLS-SRTP) between unequal sides
  kCryptoMissing,          // RTP/SAVP without any a=crypto
  kCryptoMalformed,        // no usable a=crypto, and a malformed one among them
  kCryptoUnsupported,      // only suites, MKIs or session parameters we do not run or allow
  kAnswerProfileMismatch,  // the answer's profile is not the one we offered
  kAnswerCryptoMismatch,   // the answer's a=crypto names no tag and suite we offered
  kKeyGeneration,          // the CSPRNG failed
  kCodecNotAllowed,        // no audio codec of the offer is allowed, none can be transcoded
  kAnswerCodecMismatch,    // the answer's codec is none we offered
  kTranscodingCapacity,    // the dataplane's transcoding lcores are full (503)
  kCount,
};
inline constexpr size_t kMediaRefusalCount = static_cast<size_t>(MediaRefusal::kCount);

// "profile_not_allowed", "crypto_missing", ... (metric label, CDR reason).
[[nodiscard]] std::string_view to_string(MediaRefusal refusal);
// The response it makes: 488 (500 for kKeyGeneration, 503 for kTranscodingCapacity), with a Warning
// (RFC 3261 §20.43) code: 302 "Incompatible transport protocol" for profiles, 305 "Incompatible
// media format" for keys.
[[nodiscard]] int response_code(MediaRefusal refusal);
[[nodiscard]] int warning_code(MediaRefusal refusal);
[[nodiscard]] std::string warning_text(MediaRefusal refusal);

// What kind of transport an m= line names.
enum class RtpProfileKind : uint8_t {
  kRtp,    // RTP/AVP, RTP/AVPF
  kSdes,   // RTP/SAVP, RTP/SAVPF (keys in a=crypto)
  kOther,  // anything else (UDP/TLS/RTP/SAVP: DTLS-SRTP, udptl...): relayed untouched
};
[[nodiscard]] RtpProfileKind profile_kind(std::string_view proto);

// One leg's negotiated SRTP: the suite and tag in use, the peer's key (what arrives from it is
// unprotected with that key) and ours (what we send it is protected with ours). The keys wipe
// themselves; an empty peer key means "not known" (a call adopted after an sbcd restart).
struct SrtpLeg {
  sip::SdesSuite suite = sip::SdesSuite::kAesCm128HmacSha1_80;
  uint32_t tag = 1;
  sip::SdesKey peer_key;
  sip::SdesKey our_key;
  uint32_t replay_window = 0;  // the peer's WSH; 0: the default
};

// The caller's side after its offer: the profile it offered (and is answered with), and its SRTP.
struct CallerMedia {
  RtpProfileKind kind = RtpProfileKind::kRtp;
  std::string proto;  // as offered ("RTP/SAVP")
  std::optional<SrtpLeg> srtp;
};

// What we offer the callee: the profile, and for SRTP one a=crypto per allowed suite (our keys).
struct CalleeOffer {
  RtpProfileKind kind = RtpProfileKind::kRtp;
  std::string proto;  // "" when the stream is relayed untouched (kOther on both sides)
  std::vector<sip::CryptoAttribute> crypto;
};

// The caller's offer against its side's policy: for SDES, the first a=crypto (in the offerer's
// order of preference) that is well-formed, allowed and runnable, answered with our own key.
[[nodiscard]] std::expected<CallerMedia, MediaRefusal> accept_offer(const sip::SdpMedia& offer,
                                                                    const MediaPolicy& caller);
// Our offer toward the callee, from what the caller offered and the callee side's policy.
[[nodiscard]] std::expected<CalleeOffer, MediaRefusal> offer_toward(const CallerMedia& caller,
                                                                    const MediaPolicy& callee);
// The callee's answer to `offered`: the same profile, and for SDES one a=crypto with one of our
// tags and its suite, carrying the callee's key.
[[nodiscard]] std::expected<std::optional<SrtpLeg>, MediaRefusal> accept_answer(
    const sip::SdpMedia& answer, const CalleeOffer& offered);

// The anchored stream's m= protocol and a=crypto lines toward each side.
[[nodiscard]] StreamProfile caller_answer_profile(const CallerMedia& caller);
[[nodiscard]] StreamProfile callee_offer_profile(const CalleeOffer& offer);

}  // namespace sbc::cp
