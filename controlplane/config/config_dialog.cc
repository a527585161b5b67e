// The dialog policy keys of zones and trunks: session_expires, min_se, 100rel and refer
// (dialog_policy.h). A zone without them takes [sbcd] session_expires and min_se.
#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kDialogPolicyKeys = {"session_expires", "min_se", "100rel", "refer"};

// One section's keys into `out` (a zone's or a trunk's).
std::expected<void, std::string> read_keys(const Values& v, const std::string& prefix,
                                           DialogPolicyOverride& out) {
  // RFC 4028 §5: Min-SE is at least 90 s.
  for (auto [key, field, min] :
       {std::tuple{"session_expires", &DialogPolicyOverride::session_expires_s, 0},
        std::tuple{"min_se", &DialogPolicyOverride::min_se_s, 90}}) {
    uint32_t value = 0;
    const std::string option = prefix + key;
    if (!v.get(option)) continue;
    if (auto r = number(v, option, value, min, 86400); !r) return r;
    out.*field = value;
  }
  if (auto r = choice(v, prefix + "100rel", parse_rel100, "off, supported, required", out.rel100);
      !r) {
    return r;
  }
  return choice(v, prefix + "refer", parse_refer_policy, "relay, refuse, handle", out.refer);
}

std::expected<void, std::string> check(const DialogPolicy& policy, const std::string& section) {
  if (policy.session_expires_s != 0 && policy.session_expires_s < policy.min_se_s) {
    return std::unexpected(fmt::format("{}.session_expires: {} s is below its min_se ({} s)",
                                       section, policy.session_expires_s, policy.min_se_s));
  }
  return {};
}

}  // namespace

void add_dialog_policy_options(po::options_description& desc, const std::set<std::string>& zones,
                               const std::set<std::string>& trunks) {
  auto add = [&](const std::string& name) {
    desc.add_options()(name.c_str(), po::value<std::string>());
  };
  for (const auto& z : zones) {
    for (const auto& k : kDialogPolicyKeys) add("zone." + z + "." + k);
  }
  for (const auto& t : trunks) {
    for (const auto& k : kDialogPolicyKeys) add("trunk." + t + "." + k);
  }
}

std::expected<void, std::string> read_dialog_policies(const Values& v, Config& config) {
  const DialogPolicy defaults{config.session_expires_s, config.min_se_s, Rel100::kSupported,
                              ReferPolicy::kRelay};
  for (ZoneConfig& zone : config.zones) {
    DialogPolicyOverride keys;
    if (auto r = read_keys(v, "zone." + zone.name + ".", keys); !r) return r;
    zone.dialog = keys.over(defaults);
    if (auto r = check(zone.dialog, "zone." + zone.name); !r) return r;
  }
  for (TrunkConfig& trunk : config.trunks) {
    if (auto r = read_keys(v, "trunk." + trunk.name + ".", trunk.dialog); !r) return r;
    const ZoneConfig* zone = config.find_zone(trunk.zone);
    if (!zone) continue;  // cross_check names the missing zone
    if (auto r = check(trunk.dialog.over(zone->dialog), "trunk." + trunk.name); !r) return r;
  }
  return {};
}

}  // namespace sbc::cp::config_detail
