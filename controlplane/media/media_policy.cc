#include "controlplane/media/media_policy.h"

#include <algorithm>

namespace sbc::cp {

std::string_view to_string(MediaProfile profile) {
  switch (profile) {
    case MediaProfile::kAsOffered: return "as-offered";
    case MediaProfile::kRtp: return "rtp";
    case MediaProfile::kSrtp: return "srtp";
  }
  return "as-offered";
}

std::optional<MediaProfile> parse_media_profile(std::string_view text) {
  for (MediaProfile p : {MediaProfile::kAsOffered, MediaProfile::kRtp, MediaProfile::kSrtp}) {
    if (text == to_string(p)) return p;
  }
  return std::nullopt;
}

std::string_view to_string(DtmfMode mode) {
  switch (mode) {
    case DtmfMode::kAsOffered: return "as-offered";
    case DtmfMode::kRfc4733: return "rfc4733";
    case DtmfMode::kInband: return "inband";
  }
  return "as-offered";
}

std::optional<DtmfMode> parse_dtmf_mode(std::string_view text) {
  for (DtmfMode m : {DtmfMode::kAsOffered, DtmfMode::kRfc4733, DtmfMode::kInband}) {
    if (text == to_string(m)) return m;
  }
  return std::nullopt;
}

bool MediaPolicy::allows(api::MediaCodec codec) const {
  return codecs.empty() || std::ranges::find(codecs, codec) != codecs.end();
}

bool MediaPolicy::allows(sip::SdesSuite suite) const {
  return std::ranges::find(srtp_suites, suite) != srtp_suites.end();
}

MediaPolicy MediaPolicyOverride::over(const MediaPolicy& zone) const {
  MediaPolicy policy = zone;
  if (profile) policy.profile = *profile;
  if (srtp_suites) policy.srtp_suites = *srtp_suites;
  if (codecs) policy.codecs = *codecs;
  if (dtmf) policy.dtmf = *dtmf;
  return policy;
}

}  // namespace sbc::cp
