// How one side of a call carries its media, per zone with trunk overrides: the RTP profile the
// side must use (RTP/AVP, RTP/SAVP with SDES keys, or whatever it offered) and the SRTP suites it
// may use, in our order of preference, and its audio codecs and DTMF (telephone-event) handling.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "api/control_protocol.h"
#include "controlplane/sip/sdp_crypto.h"

namespace sbc::cp {

enum class MediaProfile : uint8_t {
  kAsOffered,  // the caller's side: whatever it offers; the callee's: what the caller offered
  kRtp,        // RTP/AVP only: an SRTP offer from this side is refused
  kSrtp,       // RTP/SAVP with SDES (RFC 4568) only: a plain offer from this side is refused
};

// "as-offered", "rtp", "srtp" (as in sbc.conf).
[[nodiscard]] std::string_view to_string(MediaProfile profile);
[[nodiscard]] std::optional<MediaProfile> parse_media_profile(std::string_view text);

// How RFC 4733 telephone-events are offered toward a side.
enum class DtmfMode : uint8_t {
  kAsOffered,  // telephone-event toward the callee only when the caller offered it
  kRfc4733,    // telephone-event offered toward the side even when the other side lacks it (the
               // dataplane plays its events as in-band tones toward the other side)
  kInband,     // never offered toward the side: digits reach it as in-band tones
};

// "as-offered", "rfc4733", "inband" (as in sbc.conf).
[[nodiscard]] std::string_view to_string(DtmfMode mode);
[[nodiscard]] std::optional<DtmfMode> parse_dtmf_mode(std::string_view text);

struct MediaPolicy {
  MediaProfile profile = MediaProfile::kAsOffered;
  // SDES suites this side may use, our preference first: in what we offer toward the side, and
  // the ones we accept from it.
  std::vector<sip::SdesSuite> srtp_suites = {
      sip::SdesSuite::kAesCm128HmacSha1_80, sip::SdesSuite::kAesCm128HmacSha1_32,
      sip::SdesSuite::kAeadAes128Gcm, sip::SdesSuite::kAeadAes256Gcm};

  // Audio codecs this side may use, our preference first; empty: as offered (no filtering, no
  // transcoding).
  std::vector<api::MediaCodec> codecs;
  DtmfMode dtmf = DtmfMode::kAsOffered;

  [[nodiscard]] bool allows(sip::SdesSuite suite) const;
  // True when the codec list is empty (as offered) or names the codec.
  [[nodiscard]] bool allows(api::MediaCodec codec) const;
  bool operator==(const MediaPolicy&) const = default;
};

// A trunk's own settings: each one set replaces its zone's.
struct MediaPolicyOverride {
  std::optional<MediaProfile> profile;
  std::optional<std::vector<sip::SdesSuite>> srtp_suites;
  std::optional<std::vector<api::MediaCodec>> codecs;
  std::optional<DtmfMode> dtmf;

  [[nodiscard]] MediaPolicy over(const MediaPolicy& zone) const;
  bool operator==(const MediaPolicyOverride&) const = default;
};

}  // namespace sbc::cp
