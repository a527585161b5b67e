// sbc.conf: [security], [registrar], [user.NAME] and the security keys of zones, trunks and
// [media] (issue 4). Secrets are never part of an error message.
#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "controlplane/config/config.h"
#include "controlplane/config/config_parse.h"

namespace sbc::cp {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

}  // namespace

namespace config_detail {
namespace {

// Repeatable keys (key = a, key = b and key = a, b both work).
const std::vector<std::string> kSecurityLists = {"allowlist", "scanner_user_agents",
                                                 "blocked_prefixes", "allowed_prefixes"};
const std::vector<std::string> kSecurityNumbers = {"request_rate",
                                                   "request_burst",
                                                   "window",
                                                   "max_auth_failures",
                                                   "max_malformed",
                                                   "max_rate_violations",
                                                   "max_connection_rate",
                                                   "max_tls_failures",
                                                   "ban_time",
                                                   "ban_time_max",
                                                   "recidive_window",
                                                   "max_tracked_sources",
                                                   "max_bans",
                                                   "max_calls",
                                                   "max_cps",
                                                   "max_calls_per_minute",
                                                   "max_calls_per_hour"};
const std::vector<std::string> kRegistrarKeys = {"min_expires", "max_expires",  "default_expires",
                                                 "nat_expires", "max_contacts", "max_bindings"};
const std::vector<std::string> kUserKeys = {"zone",
                                            "secret",
                                            "algorithms",
                                            "max_calls",
                                            "max_cps",
                                            "max_calls_per_minute",
                                            "max_calls_per_hour"};
const std::vector<std::string> kZoneLists = {"acl_allow", "acl_deny", "trusted", "protect"};
const std::vector<std::string> kZoneKeys = {"authenticate", "realm", "auth_algorithms",
                                            "allow_open_access"};
const std::vector<std::string> kTrunkKeys = {"max_calls", "max_cps"};
const std::string kTrunkAllow = "allow";

constexpr uint32_t kYear = 365 * 86400;
// The cps window keeps one time stamp per allowed call per second (admission_control.h).
constexpr uint32_t kMaxCps = 100000;
constexpr uint32_t kMaxUserCps = 1000;

bool printable(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// Every value of a repeatable CIDR-list key.
std::expected<std::vector<IpNetwork>, std::string> networks(const Values& v,
                                                            const std::string& option) {
  std::vector<IpNetwork> out;
  for (const std::string& value : v.get_all(option)) {
    auto list = parse_network_list(value);
    if (!list) return std::unexpected(option + ": " + list.error());
    for (const IpNetwork& n : *list) {
      if (std::ranges::find(out, n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

// Every item of a repeatable plain-list key.
std::expected<std::vector<std::string>, std::string> items(const Values& v,
                                                           const std::string& option) {
  std::vector<std::string> out;
  for (const std::string& value : v.get_all(option)) {
    auto list = split_list(value, option);
    if (!list) return std::unexpected(list.error());
    for (std::string& item : *list) {
      if (std::ranges::find(out, item) == out.end()) out.push_back(std::move(item));
    }
  }
  return out;
}

std::expected<std::vector<DigestAlgorithm>, std::string> algorithms(const std::string& text,
                                                                    const std::string& option) {
  auto list = split_list(text, option);
  if (!list) return std::unexpected(list.error());
  std::vector<DigestAlgorithm> out;
  for (const std::string& item : *list) {
    auto a = parse_digest_algorithm(item);
    if (!a) return std::unexpected(option + ": '" + item + "' is not one of sha-256, md5");
    if (std::ranges::find(out, *a) != out.end()) {
      return std::unexpected(fmt::format("{}: {} is listed twice", option, to_string(*a)));
    }
    out.push_back(*a);
  }
  return out;
}

std::expected<std::vector<std::string>, std::string> prefixes(const Values& v,
                                                              const std::string& option) {
  auto list = items(v, option);
  if (!list) return list;
  for (const std::string& p : *list) {
    if (p.empty() || p.size() > 32 ||
        !std::ranges::all_of(p, [](char c) { return c >= '0' && c <= '9'; })) {
      return std::unexpected(option + ": '" + p + "' is not a prefix of 1..32 digits");
    }
  }
  return list;
}

std::expected<void, std::string> read_limits(const Values& v, const std::string& prefix,
                                             CallLimits& limits, uint32_t max_cps) {
  if (auto r = number(v, prefix + "max_calls", limits.max_calls, 0, 10000000); !r) return r;
  return number(v, prefix + "max_cps", limits.max_cps, 0, max_cps);
}

// The numeric [security] keys, each within its range; ban_time_max not below ban_time.
std::expected<void, std::string> read_security_numbers(const Values& v, SecurityConfig& s) {
  const std::pair<const char*, uint32_t*> rates[] = {
      {"request_rate", &s.request_rate},
      {"max_auth_failures", &s.max_auth_failures},
      {"max_malformed", &s.max_malformed},
      {"max_rate_violations", &s.max_rate_violations},
      {"max_connection_rate", &s.max_connection_rate},
      {"max_tls_failures", &s.max_tls_failures},
      {"max_calls_per_minute", &s.max_calls_per_minute},
      {"max_calls_per_hour", &s.max_calls_per_hour}};
  for (const auto& [name, field] : rates) {
    if (auto r = number(v, std::string("security.") + name, *field, 0, 1000000); !r) return r;
  }
  if (auto r = number(v, "security.request_burst", s.request_burst, 1, 1000000); !r) return r;
  if (auto r = number(v, "security.window", s.window, 1, 86400); !r) return r;
  if (auto r = number(v, "security.ban_time", s.ban_time, 1, kYear); !r) return r;
  if (auto r = number(v, "security.ban_time_max", s.ban_time_max, 1, kYear); !r) return r;
  if (auto r = number(v, "security.recidive_window", s.recidive_window, 0, kYear); !r) return r;
  if (auto r = number(v, "security.max_tracked_sources", s.max_tracked_sources, 1, 10000000); !r) {
    return r;
  }
  if (auto r = number(v, "security.max_bans", s.max_bans, 1, 10000000); !r) return r;
  if (auto r = read_limits(v, "security.", s.limits, kMaxCps); !r) return r;
  if (s.ban_time_max < s.ban_time) {
    return std::unexpected(fmt::format("security.ban_time_max: {} is below security.ban_time {}",
                                       s.ban_time_max, s.ban_time));
  }
  return {};
}

// security.scanner_user_agents, when given: 1..64 printable characters each.
std::expected<void, std::string> read_scanner_user_agents(const Values& v, SecurityConfig& s) {
  if (!v.has("security.scanner_user_agents")) return {};
  const std::vector<std::string> values = v.get_all("security.scanner_user_agents");
  s.scanner_user_agents.clear();
  // "scanner_user_agents =" (once, empty): no user agent bans.
  if (values.size() == 1 && trim(values[0]).empty()) return {};
  auto list = items(v, "security.scanner_user_agents");
  if (!list) return std::unexpected(list.error());
  for (const std::string& ua : *list) {
    if (ua.size() > 64 || !printable(ua)) {
      return std::unexpected("security.scanner_user_agents: '" + ua +
                             "' is not 1..64 printable characters");
    }
  }
  s.scanner_user_agents = std::move(*list);
  return {};
}

// security.blocked_prefixes and security.allowed_prefixes; no prefix in both.
std::expected<void, std::string> read_security_prefixes(const Values& v, SecurityConfig& s) {
  auto blocked = prefixes(v, "security.blocked_prefixes");
  if (!blocked) return std::unexpected(blocked.error());
  s.blocked_prefixes = std::move(*blocked);
  auto allowed = prefixes(v, "security.allowed_prefixes");
  if (!allowed) return std::unexpected(allowed.error());
  s.allowed_prefixes = std::move(*allowed);
  for (const std::string& p : s.allowed_prefixes) {
    if (std::ranges::find(s.blocked_prefixes, p) != s.blocked_prefixes.end()) {
      return std::unexpected("security.allowed_prefixes: " + p +
                             " is also in security.blocked_prefixes");
    }
  }
  return {};
}

std::expected<void, std::string> read_section_security(const Values& v, SecurityConfig& s) {
  auto allow = networks(v, "security.allowlist");
  if (!allow) return std::unexpected(allow.error());
  s.allowlist = std::move(*allow);
  if (auto r = read_security_numbers(v, s); !r) return r;
  if (auto r = read_scanner_user_agents(v, s); !r) return r;
  return read_security_prefixes(v, s);
}

std::expected<void, std::string> read_registrar(const Values& v, RegistrarConfig& r) {
  if (auto e = number(v, "registrar.min_expires", r.min_expires, 1, 86400); !e) return e;
  if (auto e = number(v, "registrar.max_expires", r.max_expires, 1, 7 * 86400); !e) return e;
  if (auto e = number(v, "registrar.default_expires", r.default_expires, 1, 7 * 86400); !e) {
    return e;
  }
  if (auto e = number(v, "registrar.nat_expires", r.nat_expires, 1, 7 * 86400); !e) return e;
  if (auto e = number(v, "registrar.max_contacts", r.max_contacts, 1, 100); !e) return e;
  if (auto e = number(v, "registrar.max_bindings", r.max_bindings, 1, 10000000); !e) return e;
  if (r.max_expires < r.min_expires) {
    return std::unexpected(fmt::format("registrar.max_expires: {} is below min_expires {}",
                                       r.max_expires, r.min_expires));
  }
  if (r.default_expires < r.min_expires || r.default_expires > r.max_expires) {
    return std::unexpected(fmt::format("registrar.default_expires: {} is outside {}..{}",
                                       r.default_expires, r.min_expires, r.max_expires));
  }
  if (r.nat_expires > r.max_expires) {
    return std::unexpected(fmt::format("registrar.nat_expires: {} is above max_expires {}",
                                       r.nat_expires, r.max_expires));
  }
  return {};
}

std::expected<void, std::string> read_user(const Values& v, const std::string& name,
                                           UserConfig& user) {
  const std::string prefix = "user." + name + ".";
  user.name = name;
  if (auto z = v.get(prefix + "zone")) {
    if (!valid_name(*z)) return std::unexpected(prefix + "zone: '" + *z + "' is not a zone name");
    user.zone = *z;
  }
  // Never echo the value: it is a secret even when it is malformed.
  auto secret = v.get(prefix + "secret");
  if (!secret) return std::unexpected(prefix + "secret: required");
  if (secret->empty() || secret->size() > 128 || !printable(*secret)) {
    return std::unexpected(prefix +
                           "secret: must be 1..128 printable ASCII characters (value not shown; "
                           "';' or '#' after a space starts a comment)");
  }
  user.secret = *secret;
  if (auto a = v.get(prefix + "algorithms")) {
    auto list = algorithms(*a, prefix + "algorithms");
    if (!list) return std::unexpected(list.error());
    user.algorithms = std::move(*list);
  }
  if (auto r = read_limits(v, prefix, user.limits, kMaxUserCps); !r) return r;
  if (auto r = number(v, prefix + "max_calls_per_minute", user.max_calls_per_minute, 0, 1000000);
      !r) {
    return r;
  }
  return number(v, prefix + "max_calls_per_hour", user.max_calls_per_hour, 0, 1000000);
}

// has_users: some [user.NAME] belongs to the zone; then `authenticate` defaults to register,
// invite (a configured user is never registered or called as without digest unless the zone
// says so: `authenticate = none`, or `trusted` for a PBX known by its address).
std::expected<void, std::string> read_zone_security(const Values& v, ZoneConfig& zone,
                                                    bool has_users) {
  const std::string prefix = "zone." + zone.name + ".";
  for (auto [key, field] : {std::pair{"acl_allow", &ZoneConfig::acl_allow},
                            {"acl_deny", &ZoneConfig::acl_deny},
                            {"trusted", &ZoneConfig::trusted},
                            {"protect", &ZoneConfig::protect}}) {
    auto list = networks(v, prefix + key);
    if (!list) return std::unexpected(list.error());
    zone.*field = std::move(*list);
  }
  if (auto open = v.get(prefix + "allow_open_access")) {
    auto yes = parse_bool(*open, prefix + "allow_open_access");
    if (!yes) return std::unexpected(yes.error());
    zone.allow_open_access = *yes;
  }
  const auto text = v.get(prefix + "authenticate");
  if (!text && has_users) zone.authenticate = {sip::Method::kRegister, sip::Method::kInvite};
  if (text && lowercase(trim(*text)) != "none") {
    const std::string option = prefix + "authenticate";
    auto list = split_list(*text, option);
    if (!list) return std::unexpected(list.error());
    for (const std::string& entry : *list) {
      const std::string item = lowercase(entry);
      const sip::Method m = item == "register" ? sip::Method::kRegister
                            : item == "invite" ? sip::Method::kInvite
                                               : sip::Method::kOther;
      if (m == sip::Method::kOther) {
        return std::unexpected(option + ": '" + item +
                               "' is not one of register, invite (or the single value none)");
      }
      if (std::ranges::find(zone.authenticate, m) == zone.authenticate.end()) {
        zone.authenticate.push_back(m);
      }
    }
  }
  zone.realm = zone.sip_address ? zone.sip_address->to_string() : "sbc";
  if (auto realm = v.get(prefix + "realm")) {
    // It goes into a quoted-string (RFC 3261 §25.1): no quote, no backslash.
    if (realm->empty() || realm->size() > 128 || !printable(*realm) ||
        realm->find_first_of("\"\\") != std::string::npos) {
      return std::unexpected(prefix + "realm: '" + *realm +
                             "' is not 1..128 printable characters without '\"' or '\\'");
    }
    zone.realm = *realm;
  }
  if (auto a = v.get(prefix + "auth_algorithms")) {
    auto list = algorithms(*a, prefix + "auth_algorithms");
    if (!list) return std::unexpected(list.error());
    zone.auth_algorithms = std::move(*list);
  }
  return {};
}

std::expected<void, std::string> read_trunk_security(const Values& v, TrunkConfig& trunk) {
  const std::string prefix = "trunk." + trunk.name + ".";
  auto allow = networks(v, prefix + kTrunkAllow);
  if (!allow) return std::unexpected(allow.error());
  trunk.allow = std::move(*allow);
  if (!v.has(prefix + kTrunkAllow) && trunk.address) {
    trunk.allow = {IpNetwork{*trunk.address, 32}};  // an IPv4 address
  }
  return read_limits(v, prefix, trunk.limits, kMaxCps);
}

}  // namespace

bool valid_user_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '+';
  });
}

std::expected<std::vector<std::string>, std::string> split_list(std::string_view text,
                                                                std::string_view option) {
  std::vector<std::string> out;
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (item.empty()) {
      return std::unexpected(fmt::format("{}: '{}' has an empty entry", option, text));
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

void add_security_options(po::options_description& desc, const std::set<std::string>& zones,
                          const std::set<std::string>& trunks, const std::set<std::string>& users) {
  auto single = [&](const std::string& name) {
    desc.add_options()(name.c_str(), po::value<std::string>());
  };
  auto repeatable = [&](const std::string& name) {
    desc.add_options()(name.c_str(), po::value<std::vector<std::string>>());
  };
  single("media.max_packet_rate");
  for (const auto& k : kSecurityLists) repeatable("security." + k);
  for (const auto& k : kSecurityNumbers) single("security." + k);
  for (const auto& k : kRegistrarKeys) single("registrar." + k);
  for (const auto& u : users) {
    for (const auto& k : kUserKeys) single("user." + u + "." + k);
  }
  for (const auto& z : zones) {
    for (const auto& k : kZoneLists) repeatable("zone." + z + "." + k);
    for (const auto& k : kZoneKeys) single("zone." + z + "." + k);
  }
  for (const auto& t : trunks) {
    repeatable("trunk." + t + "." + kTrunkAllow);
    for (const auto& k : kTrunkKeys) single("trunk." + t + "." + k);
  }
}

std::expected<void, std::string> read_security(const Values& v, const std::set<std::string>& users,
                                               Config& config) {
  if (auto r = number(v, "media.max_packet_rate", config.media.max_packet_rate, 0, 1000000); !r) {
    return r;
  }
  if (auto r = read_section_security(v, config.security); !r) return r;
  if (auto r = read_registrar(v, config.registrar); !r) return r;
  for (const std::string& name : users) {  // sorted: a std::set
    UserConfig user;
    if (auto r = read_user(v, name, user); !r) return r;
    config.users.push_back(std::move(user));
  }
  for (ZoneConfig& zone : config.zones) {
    // A user without `zone` belongs to the access zone (the one zone no trunk uses).
    const bool has_users = std::ranges::any_of(config.users, [&](const UserConfig& u) {
      return u.zone.empty() ? !config.is_trunk_zone(zone.name) : u.zone == zone.name;
    });
    if (auto r = read_zone_security(v, zone, has_users); !r) return r;
  }
  for (TrunkConfig& trunk : config.trunks) {
    if (auto r = read_trunk_security(v, trunk); !r) return r;
  }
  return {};
}

std::expected<void, std::string> check_security(Config& config) {
  // Users belong to an access zone: the one they name, or the only one.
  for (UserConfig& u : config.users) {
    auto zone =
        resolve_access_zone(config.zones, config.trunks, u.zone, "user." + u.name + ".zone");
    if (!zone) return std::unexpected(zone.error());
    u.zone = std::move(*zone);
  }
  // Secure by default: an access zone routes calls to the trunks, which cost money. Anyone may
  // place them only when the operator says so.
  for (const ZoneConfig& zone : config.zones) {
    if (config.is_trunk_zone(zone.name)) continue;
    const bool screened =
        !zone.acl_allow.empty() ||
        std::ranges::find(zone.authenticate, sip::Method::kInvite) != zone.authenticate.end();
    if (!screened && !zone.allow_open_access) {
      return std::unexpected(fmt::format(
          "zone.{0}: any address could place calls to trunk {1}: restrict the zone with "
          "zone.{0}.acl_allow (source networks) or zone.{0}.authenticate = invite (digest; "
          "zone.{0}.trusted for a PBX known by its address), or accept it with "
          "zone.{0}.allow_open_access = yes",
          zone.name, config.trunks.front().name));
    }
  }
  for (const TrunkConfig& t : config.trunks) {
    // A name's addresses are its sources while allow is not set; with allow set they need not
    // be in it (a carrier's published signalling networks).
    if (t.address && !t.allow.empty() &&
        std::ranges::none_of(t.allow, [&](const IpNetwork& n) { return n.contains(*t.address); })) {
      return std::unexpected("trunk." + t.name + ".allow: does not contain the trunk's host " +
                             t.host);
    }
  }
  return {};
}

}  // namespace config_detail

const UserConfig* Config::find_user(std::string_view name) const {
  return cp::find_user(users, name);
}

}  // namespace sbc::cp
