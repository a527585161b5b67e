#include "controlplane/normalize/normalization_policy.h"

namespace sbc::cp {

NormalizationPolicy NormalizationPolicyOverride::over(const NormalizationPolicy& zone) const {
  return {
      number_in.value_or(zone.number_in),     number_out.value_or(zone.number_out),
      tech_prefix.value_or(zone.tech_prefix), trust_identity.value_or(zone.trust_identity),
      headers.value_or(zone.headers),         user_agent.value_or(zone.user_agent),
  };
}

}  // namespace sbc::cp
