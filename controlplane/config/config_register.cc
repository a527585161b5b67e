// The registration keys: of trunks, register and register_expires (trunk_settings.h
// RegistrationConfig, b2bua/trunk_registration.h); of zones, register_relay,
// register_relay_mode, nat_keepalive and nat_keepalive_interval (registrar_settings.h
// ZoneRegistration, b2bua/register_relay.h, b2bua/nat_keepalive.h).
#include <algorithm>
#include <cctype>
#include <chrono>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kRegisterKeys = {"register", "register_expires"};
const std::vector<std::string> kZoneRegistrationKeys = {"register_relay", "register_relay_mode",
                                                        "nat_keepalive", "nat_keepalive_interval"};

// register_relay_mode's values, in any case.
std::optional<RegisterRelayMode> parse_relay_mode(std::string_view text) {
  for (RegisterRelayMode mode : {RegisterRelayMode::kContact, RegisterRelayMode::kPath}) {
    if (std::ranges::equal(text, to_string(mode), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return mode;
    }
  }
  return std::nullopt;
}

std::expected<void, std::string> read_trunk_registration(const Values& v, TrunkConfig& trunk) {
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
  return {};
}

std::expected<void, std::string> read_zone_registration(const Values& v, const Config& config,
                                                        ZoneConfig& zone) {
  const std::string prefix = "zone." + zone.name + ".";
  ZoneRegistration& r = zone.registration;
  if (auto s = v.get(prefix + "nat_keepalive")) {
    std::string value(trim(*s));
    std::ranges::transform(value, value.begin(), [](unsigned char c) { return std::tolower(c); });
    if (value == "options") {
      r.keepalive = NatKeepaliveMode::kOptions;
    } else if (value == "crlf") {
      r.keepalive = NatKeepaliveMode::kCrlf;
    } else if (value != "none") {
      return std::unexpected(prefix + "nat_keepalive: '" + *s +
                             "' is not one of options, crlf, none");
    }
  }
  auto interval_s = static_cast<uint32_t>(r.keepalive_interval.count());
  if (auto e = number(v, prefix + "nat_keepalive_interval", interval_s, 5, 3600); !e) return e;
  r.keepalive_interval = std::chrono::seconds(interval_s);
  const auto relay = v.get(prefix + "register_relay");
  std::optional<RegisterRelayMode> mode;
  if (auto e = choice(v, prefix + "register_relay_mode", parse_relay_mode, "contact, path", mode);
      !e) {
    return e;
  }
  if (mode) {
    r.relay_mode = *mode;
    if (!relay) {
      return std::unexpected(prefix +
                             "register_relay_mode: needs register_relay (the trunk "
                             "whose registrar the REGISTERs go to)");
    }
  }
  if (!relay) return {};
  const std::string option = prefix + "register_relay";
  r.relay_trunk = std::string(trim(*relay));
  const auto trunk = std::ranges::find(config.trunks, r.relay_trunk, &TrunkConfig::name);
  if (trunk == config.trunks.end()) {
    return std::unexpected(option + ": no [trunk." + r.relay_trunk + "]");
  }
  if (config.is_trunk_zone(zone.name)) {
    return std::unexpected(option + ": zone " + zone.name +
                           " faces carriers; only an access zone relays its REGISTERs");
  }
  // The upstream registrar challenges and verifies; the SBC holds no password of a relayed user.
  if (std::ranges::find(zone.authenticate, sip::Method::kRegister) != zone.authenticate.end()) {
    if (v.has(prefix + "authenticate")) {
      return std::unexpected(option +
                             ": the upstream registrar authenticates REGISTER; drop register "
                             "from " +
                             prefix + "authenticate");
    }
    std::erase(zone.authenticate, sip::Method::kRegister);
  }
  return {};
}

}  // namespace

void add_register_options(po::options_description& desc, const std::set<std::string>& zones,
                          const std::set<std::string>& trunks) {
  add_section_options(desc, "trunk", trunks, kRegisterKeys);
  add_section_options(desc, "zone", zones, kZoneRegistrationKeys);
}

std::expected<void, std::string> read_register(const Values& v, Config& config) {
  for (TrunkConfig& trunk : config.trunks) {
    if (auto r = read_trunk_registration(v, trunk); !r) return r;
  }
  for (ZoneConfig& zone : config.zones) {
    if (auto r = read_zone_registration(v, config, zone); !r) return r;
  }
  return {};
}

}  // namespace sbc::cp::config_detail
