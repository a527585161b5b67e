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

bool MediaPolicy::allows(sip::SdesSuite suite) const {
  return std::ranges::find(srtp_suites, suite) != srtp_suites.end();
}

MediaPolicy MediaPolicyOverride::over(const MediaPolicy& zone) const {
  MediaPolicy policy = zone;
  if (profile) policy.profile = *profile;
  if (srtp_suites) policy.srtp_suites = *srtp_suites;
  return policy;
}

}  // namespace sbc::cp
