#include "controlplane/config.h"

#include <fmt/core.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sbc/api/control_protocol.h"

namespace sbc::cp {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};

// Boost's INI reader only knows '#' comments; INI files also use ';'. Both start a comment at the
// beginning of a line or after whitespace, so values such as "a;b" survive.
std::string strip_comments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    for (size_t i = 0; i < line.size(); ++i) {
      if ((line[i] == ';' || line[i] == '#') &&
          (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line = line.substr(0, i);
        break;
      }
    }
    out.append(line);
    out.push_back('\n');
    pos = end + 1;
  }
  return out;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool is_ipv4(std::string_view text) {
  return api::Address::parse(text).family == api::AddressFamily::kIpv4;
}

// Characters allowed unescaped in a SIP user part (RFC 3261 user-unreserved + unreserved subset).
bool valid_sip_user(std::string_view user) {
  return !user.empty() && user.size() <= 64 && std::ranges::all_of(user, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-_.!~*'()&=+$,;?/").find(c) != std::string_view::npos;
  });
}

bool valid_hostname(std::string_view host) {
  return !host.empty() && host.size() <= 253 && std::ranges::all_of(host, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

template <typename T>
std::expected<T, std::string> parse_number(std::string_view text, std::string_view option,
                                           uint64_t min, uint64_t max) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return std::unexpected(
        fmt::format("{}: '{}' is not a whole number in {}..{}", option, text, min, max));
  }
  return static_cast<T>(value);
}

const std::vector<std::string> kSbcdOptions = {"sbcd.dataplane_socket", "sbcd.mgmt_socket",
                                               "sbcd.cdr_file", "sbcd.log_level",
                                               "sbcd.max_call_duration"};
const std::vector<std::string> kMediaOptions = {"media.port_min", "media.port_max", "media.timeout",
                                                "media.latch_window"};
const std::vector<std::string> kZoneKeys = {"dataplane_port", "sip_address", "sip_port",
                                            "default_target"};
const std::vector<std::string> kTrunkKeys = {"zone", "host", "port", "fromdomain", "fromuser"};

class Values {
 public:
  explicit Values(const po::variables_map& vm) : vm_(vm) {}
  std::optional<std::string> get(const std::string& name) const {
    auto it = vm_.find(name);
    if (it == vm_.end()) return std::nullopt;
    return it->second.as<std::string>();
  }

 private:
  const po::variables_map& vm_;
};

std::expected<void, std::string> read_zone(const Values& v, const std::string& name,
                                           ZoneConfig& zone) {
  const std::string prefix = "zone." + name + ".";
  zone.name = name;
  auto dp = v.get(prefix + "dataplane_port");
  if (!dp) return std::unexpected(prefix + "dataplane_port: required");
  if (!valid_name(*dp)) {
    return std::unexpected(prefix + "dataplane_port: '" + *dp + "' is not a port name");
  }
  zone.dataplane_port = *dp;
  if (auto a = v.get(prefix + "sip_address")) {
    if (!is_ipv4(*a)) {
      return std::unexpected(prefix + "sip_address: '" + *a + "' is not an IPv4 address");
    }
    zone.sip_address = *a;
  }
  if (auto p = v.get(prefix + "sip_port")) {
    auto port = parse_number<uint16_t>(*p, prefix + "sip_port", 1, 65535);
    if (!port) return std::unexpected(port.error());
    zone.sip_port = *port;
  }
  if (auto t = v.get(prefix + "default_target")) {
    auto target = parse_host_port(*t, prefix + "default_target");
    if (!target) return std::unexpected(target.error());
    zone.default_target = *target;
  }
  return {};
}

std::expected<void, std::string> read_trunk(const Values& v, const std::string& name,
                                            TrunkConfig& trunk) {
  const std::string prefix = "trunk." + name + ".";
  trunk.name = name;
  auto zone = v.get(prefix + "zone");
  if (!zone) return std::unexpected(prefix + "zone: required");
  trunk.zone = *zone;
  auto host = v.get(prefix + "host");
  if (!host) return std::unexpected(prefix + "host: required");
  if (!is_ipv4(*host)) {
    return std::unexpected(prefix + "host: '" + *host +
                           "' is not an IPv4 address (host names are not resolved)");
  }
  trunk.host = *host;
  if (auto p = v.get(prefix + "port")) {
    auto port = parse_number<uint16_t>(*p, prefix + "port", 1, 65535);
    if (!port) return std::unexpected(port.error());
    trunk.port = *port;
  }
  if (auto d = v.get(prefix + "fromdomain")) {
    if (!valid_hostname(*d)) {
      return std::unexpected(prefix + "fromdomain: '" + *d + "' is not a host name");
    }
    trunk.fromdomain = *d;
  }
  if (auto u = v.get(prefix + "fromuser")) {
    if (!valid_sip_user(*u)) {
      return std::unexpected(prefix + "fromuser: '" + *u + "' is not a valid SIP user part");
    }
    trunk.fromuser = *u;
  }
  return {};
}

std::expected<void, std::string> read_globals(const Values& v, Config& config) {
  auto path_option = [&](const std::string& name,
                         std::string& out) -> std::expected<void, std::string> {
    if (auto s = v.get(name)) {
      if (s->empty()) return std::unexpected(name + ": must not be empty");
      out = *s;
    }
    return {};
  };
  if (auto r = path_option("sbcd.dataplane_socket", config.dataplane_socket); !r) return r;
  if (auto r = path_option("sbcd.mgmt_socket", config.mgmt_socket); !r) return r;
  if (auto r = path_option("sbcd.cdr_file", config.cdr_file); !r) return r;
  if (auto level = v.get("sbcd.log_level")) {
    if (std::ranges::find(kLogLevels, *level) == std::end(kLogLevels)) {
      return std::unexpected("sbcd.log_level: '" + *level +
                             "' is not one of trace, debug, info, warn, error, critical, off");
    }
    config.log_level = *level;
  }
  if (auto s = v.get("sbcd.max_call_duration")) {
    auto n = parse_number<uint32_t>(*s, "sbcd.max_call_duration", 0, 7 * 86400);
    if (!n) return std::unexpected(n.error());
    config.max_call_duration_s = *n;
  }
  MediaConfig& m = config.media;
  if (auto s = v.get("media.port_min")) {
    auto n = parse_number<uint16_t>(*s, "media.port_min", 1024, 65534);
    if (!n) return std::unexpected(n.error());
    m.port_min = *n;
  }
  if (auto s = v.get("media.port_max")) {
    auto n = parse_number<uint16_t>(*s, "media.port_max", 1025, 65535);
    if (!n) return std::unexpected(n.error());
    m.port_max = *n;
  }
  if (m.port_min % 2 != 0) {
    return std::unexpected(
        fmt::format("media.port_min: {} is odd (RTP uses even ports)", m.port_min));
  }
  if (m.port_max < m.port_min + 1) {
    return std::unexpected(
        fmt::format("media.port_max: {} leaves no RTP/RTCP pair above media.port_min {}",
                    m.port_max, m.port_min));
  }
  if (auto s = v.get("media.timeout")) {
    auto n = parse_number<uint32_t>(*s, "media.timeout", 0, 86400);
    if (!n) return std::unexpected(n.error());
    m.timeout_s = *n;
  }
  if (auto s = v.get("media.latch_window")) {
    auto n = parse_number<uint32_t>(*s, "media.latch_window", 0, 600000);
    if (!n) return std::unexpected(n.error());
    m.latch_window_ms = *n;
  }
  if (auto s = v.get("metrics.listen")) {
    auto hp = parse_host_port(*s, "metrics.listen");
    if (!hp) return std::unexpected(hp.error());
    config.metrics_listen = *hp;
  }
  return {};
}

// References between sections, checked once every section has been read.
std::expected<void, std::string> cross_check(const Config& config) {
  if (config.zones.empty())
    return std::unexpected("no [zone.NAME] section: at least one is needed");
  if (config.trunks.empty()) {
    return std::unexpected("no [trunk.NAME] section: at least one is needed");
  }
  for (const TrunkConfig& t : config.trunks) {
    if (config.find_zone(t.zone) == nullptr) {
      return std::unexpected("trunk." + t.name + ".zone: no section [zone." + t.zone + "]");
    }
  }
  size_t access_zones = 0;
  for (const ZoneConfig& z : config.zones) {
    if (config.is_trunk_zone(z.name)) {
      if (z.default_target) {
        return std::unexpected(
            "zone." + z.name +
            ".default_target: only an access zone has one, and trunks use zone " + z.name);
      }
    } else {
      ++access_zones;
    }
  }
  if (access_zones != 1) {
    return std::unexpected(
        fmt::format("zones: exactly one access zone (a zone no trunk uses) is supported, found {}",
                    access_zones));
  }
  std::set<std::pair<std::string, uint16_t>> binds;
  for (const ZoneConfig& z : config.zones) {
    if (z.sip_address.empty()) continue;
    if (!binds.emplace(z.sip_address, z.sip_port).second) {
      return std::unexpected(
          fmt::format("zone.{}.sip_address: {}:{} is already used by another zone", z.name,
                      z.sip_address, z.sip_port));
    }
  }
  return {};
}

}  // namespace

std::expected<HostPort, std::string> parse_host_port(std::string_view text, std::string_view what) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::unexpected(fmt::format("{}: '{}' is not host:port", what, text));
  }
  HostPort hp;
  hp.host = std::string(text.substr(0, colon));
  if (!is_ipv4(hp.host)) {
    return std::unexpected(fmt::format("{}: '{}' is not an IPv4 address", what, hp.host));
  }
  auto port =
      parse_number<uint16_t>(text.substr(colon + 1), fmt::format("{} port", what), 1, 65535);
  if (!port) return std::unexpected(port.error());
  hp.port = *port;
  return hp;
}

const ZoneConfig* Config::find_zone(std::string_view name) const {
  for (const ZoneConfig& z : zones) {
    if (z.name == name) return &z;
  }
  return nullptr;
}

bool Config::is_trunk_zone(std::string_view zone) const {
  return std::ranges::any_of(trunks, [&](const TrunkConfig& t) { return t.zone == zone; });
}

const ZoneConfig& Config::access_zone() const {
  for (const ZoneConfig& z : zones) {
    if (!is_trunk_zone(z.name)) return z;
  }
  return zones.front();  // unreachable after validation
}

std::expected<Config, std::string> parse_config(std::string_view text) {
  const std::string cleaned = strip_comments(text);
  try {
    // First pass: find the dynamic [zone.NAME] and [trunk.NAME] sections.
    po::options_description none;
    std::istringstream first(cleaned);
    const po::parsed_options found = po::parse_config_file(first, none, true);
    std::set<std::string> zone_names;
    std::set<std::string> trunk_names;
    for (const po::option& opt : found.options) {
      const std::string& key = opt.string_key;
      const size_t first_dot = key.find('.');
      const size_t last_dot = key.rfind('.');
      if (first_dot == std::string::npos || first_dot == last_dot) continue;
      const std::string kind = key.substr(0, first_dot);
      if (kind != "zone" && kind != "trunk") continue;
      const std::string name = key.substr(first_dot + 1, last_dot - first_dot - 1);
      if (!valid_name(name)) {
        return std::unexpected("[" + kind + "." + name +
                               "]: section name must be 1-64 letters, digits, '_' or '-'");
      }
      (kind == "zone" ? zone_names : trunk_names).insert(name);
    }

    // Second pass, strict: every option must be known.
    // Every option is read as a string: numbers are converted by hand so "-1" or "1e3" are refused
    // with the option's name instead of wrapping around.
    po::options_description desc;
    auto add = [&](const std::string& name) {
      desc.add_options()(name.c_str(), po::value<std::string>());
    };
    for (const auto& o : kSbcdOptions) add(o);
    for (const auto& o : kMediaOptions) add(o);
    add("metrics.listen");
    for (const auto& z : zone_names) {
      for (const auto& k : kZoneKeys) add("zone." + z + "." + k);
    }
    for (const auto& t : trunk_names) {
      for (const auto& k : kTrunkKeys) add("trunk." + t + "." + k);
    }
    std::istringstream second(cleaned);
    po::variables_map vm;
    po::store(po::parse_config_file(second, desc, false), vm);
    po::notify(vm);

    Config config;
    const Values values(vm);
    if (auto r = read_globals(values, config); !r) return std::unexpected(r.error());
    for (const auto& name : zone_names) {
      ZoneConfig zone;
      if (auto r = read_zone(values, name, zone); !r) return std::unexpected(r.error());
      config.zones.push_back(std::move(zone));
    }
    for (const auto& name : trunk_names) {
      TrunkConfig trunk;
      if (auto r = read_trunk(values, name, trunk); !r) return std::unexpected(r.error());
      config.trunks.push_back(std::move(trunk));
    }
    if (auto r = cross_check(config); !r) return std::unexpected(r.error());
    return config;
  } catch (const po::error& e) {
    return std::unexpected(std::string(e.what()));
  }
}

std::expected<Config, std::string> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(path + ": read error");
  auto config = parse_config(text.str());
  if (!config) return std::unexpected(path + ": " + config.error());
  return config;
}

}  // namespace sbc::cp
