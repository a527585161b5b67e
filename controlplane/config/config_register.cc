// The registration keys of trunks: register, register_expires (trunk_settings.h
// RegistrationConfig, b2bua/trunk_registration.h).
#include <chrono>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kRegisterKeys = {"register", "register_expires"};

}  // namespace

void add_register_options(po::options_description& desc, const std::set<std::string>& trunks) {
  add_section_options(desc, "trunk", trunks, kRegisterKeys);
}

std::expected<void, std::string> read_register(const Values& v, Config& config) {
  for (TrunkConfig& trunk : config.trunks) {
    const std::string prefix = "trunk." + trunk.name + ".";
    RegistrationConfig& r = trunk.registration;
    if (auto s = v.get(prefix + "register")) {
      auto enabled = parse_bool(*s, prefix + "register");
      if (!enabled) return std::unexpected(enabled.error());
      r.enabled = *enabled;
    }
    auto expires_s = static_cast<uint32_t>(r.expires.count());
    if (auto e = number(v, prefix + "register_expires", expires_s, 60, 86400); !e) return e;
    r.expires = std::chrono::seconds(expires_s);
    if (r.enabled && trunk.username.empty()) {
      return std::unexpected(prefix +
                             "register: needs username (and secret) to register as at the "
                             "carrier");
    }
  }
  return {};
}

}  // namespace sbc::cp::config_detail
