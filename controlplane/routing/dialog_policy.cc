#include "controlplane/routing/dialog_policy.h"

namespace sbc::cp {

std::string_view to_string(Rel100 mode) {
  switch (mode) {
    case Rel100::kOff: return "off";
    case Rel100::kSupported: return "supported";
    case Rel100::kRequired: return "required";
  }
  return "off";
}

std::optional<Rel100> parse_rel100(std::string_view text) {
  for (Rel100 mode : {Rel100::kOff, Rel100::kSupported, Rel100::kRequired}) {
    if (text == to_string(mode)) return mode;
  }
  return std::nullopt;
}

std::string_view to_string(ReferPolicy policy) {
  switch (policy) {
    case ReferPolicy::kRelay: return "relay";
    case ReferPolicy::kRefuse: return "refuse";
    case ReferPolicy::kHandle: return "handle";
  }
  return "relay";
}

std::optional<ReferPolicy> parse_refer_policy(std::string_view text) {
  for (ReferPolicy policy : {ReferPolicy::kRelay, ReferPolicy::kRefuse, ReferPolicy::kHandle}) {
    if (text == to_string(policy)) return policy;
  }
  return std::nullopt;
}

DialogPolicy DialogPolicyOverride::over(const DialogPolicy& zone) const {
  return {session_expires_s.value_or(zone.session_expires_s), min_se_s.value_or(zone.min_se_s),
          rel100.value_or(zone.rel100), refer.value_or(zone.refer)};
}

}  // namespace sbc::cp
