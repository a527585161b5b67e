#include "controlplane/config/config.h"

#include <fmt/core.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "controlplane/config/config_parse.h"
#include "controlplane/normalize/number_rules.h"

namespace sbc::cp {
namespace config_detail {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

void add_section_options(po::options_description& desc, std::string_view section,
                         const std::set<std::string>& names, const std::vector<std::string>& keys) {
  for (const std::string& name : names) {
    for (const std::string& key : keys) {
      desc.add_options()(fmt::format("{}.{}.{}", section, name, key).c_str(),
                         po::value<std::string>());
    }
  }
}

bool valid_number_prefix(std::string_view prefix) {
  return is_number(prefix) && prefix.size() <= (prefix.starts_with('+') ? 33U : 32U);
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::expected<bool, std::string> parse_bool(std::string_view text, std::string_view option) {
  if (text == "true" || text == "yes") return true;
  if (text == "false" || text == "no") return false;
  return std::unexpected(fmt::format("{}: '{}' is not true or false", option, text));
}

bool Values::has_section(const std::string& section) const {
  const std::string prefix = section + ".";
  return std::ranges::any_of(vm_, [&](const auto& kv) { return kv.first.starts_with(prefix); });
}

}  // namespace config_detail

namespace {

using config_detail::add_dialog_policy_options;
using config_detail::add_did_options;
using config_detail::add_failover_options;
using config_detail::add_media_policy_options;
using config_detail::add_normalize_options;
using config_detail::add_qualify_options;
using config_detail::add_register_options;
using config_detail::add_route_options;
using config_detail::add_security_options;
using config_detail::check_capacity;
using config_detail::check_security;
using config_detail::kCapacityOptions;
using config_detail::number;
using config_detail::parse_bool;
using config_detail::parse_number;
using config_detail::read_capacity;
using config_detail::read_dialog_policies;
using config_detail::read_dids;
using config_detail::read_failover;
using config_detail::read_media_policies;
using config_detail::read_normalize;
using config_detail::read_qualify;
using config_detail::read_register;
using config_detail::read_routes;
using config_detail::read_security;
using config_detail::trim;
using config_detail::valid_name;
using config_detail::valid_user_name;
using config_detail::Values;
namespace po = boost::program_options;

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};

// Boost's INI reader only knows '#' comments; INI files also use ';'. Both start a comment at the
// beginning of a line or after whitespace, so values such as "a;b" survive. Boost would also cut a
// value at any other '#', silently (a secret "ab#cd" would become "ab", a tech prefix "7788#"
// "7788"): such a '#' reaches Boost as kHashInValue, which Values turns back into '#'. The byte
// itself is refused in the file, naming the option but not the value.
std::expected<std::string, std::string> strip_comments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::string section;
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
    const std::string_view content = trim(line);
    if (content.starts_with('[') && content.ends_with(']')) {
      section = std::string(content.substr(1, content.size() - 2));
    } else if (content.find(config_detail::kHashInValue) != std::string_view::npos) {
      const std::string key(trim(content.substr(0, content.find('='))));
      return std::unexpected(fmt::format("{}.{}: a control character in the value", section, key));
    }
    const size_t kept = out.size();
    out.append(line);
    std::replace(out.begin() + static_cast<std::ptrdiff_t>(kept), out.end(), '#',
                 config_detail::kHashInValue);
    out.push_back('\n');
    pos = end + 1;
  }
  return out;
}

// An IPv4 address in dotted-quad form, parsed once here: the configuration holds typed addresses.
// The error names `option`; `note` is appended to it (why a host name is not accepted, say).
std::expected<boost::asio::ip::address, std::string> parse_ipv4(std::string_view text,
                                                                std::string_view option,
                                                                std::string_view note = {}) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(std::string(text), ec);
  if (ec)
    return std::unexpected(fmt::format("{}: '{}' is not an IPv4 address{}", option, text, note));
  return address;
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

const std::vector<std::string> kSbcdOptions = {
    "sbcd.dataplane_socket", "sbcd.mgmt_socket",       "sbcd.cdr_file",        "sbcd.state_db",
    "sbcd.log_level",        "sbcd.max_call_duration", "sbcd.session_expires", "sbcd.min_se",
    "sbcd.dns_servers",      "sbcd.dns_timeout_ms"};
const std::vector<std::string> kMediaOptions = {"media.port_min", "media.port_max", "media.timeout",
                                                "media.latch_window"};
const std::vector<std::string> kSipOptions = {"sip.tcp_idle_timeout", "sip.max_connections",
                                              "sip.max_connections_per_address"};
const std::vector<std::string> kTlsOptions = {
    "tls.certificate",  "tls.private_key", "tls.ca_file",       "tls.min_version",  "tls.ciphers",
    "tls.ciphersuites", "tls.groups",      "tls.verify_client", "tls.verify_server"};
const std::vector<std::string> kZoneKeys = {"dataplane_port",
                                            "sip_address",
                                            "sip_port",
                                            "tls_port",
                                            "transports",
                                            "default_target",
                                            "default_target_transport"};
const std::string kZoneListen = "listen";  // repeatable
const std::vector<std::string> kTrunkKeys = {"zone",     "inbound_zone", "host",
                                             "port",     "transport",    "fromdomain",
                                             "fromuser", "username",     "secret"};

std::expected<Transport, std::string> parse_transport_option(std::string_view text,
                                                             std::string_view option) {
  if (auto t = parse_transport(text)) return *t;
  return std::unexpected(fmt::format("{}: '{}' is not one of udp, tcp, tls", option, text));
}

// `transports = udp, tcp, tls`: each once.
std::expected<std::vector<Transport>, std::string> parse_transports(std::string_view list,
                                                                    const std::string& option) {
  std::vector<Transport> transports;
  std::string_view rest = list;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (item.empty()) {
      return std::unexpected(fmt::format("{}: '{}' has an empty entry", option, list));
    }
    auto t = parse_transport_option(item, option);
    if (!t) return std::unexpected(t.error());
    if (std::ranges::find(transports, *t) != transports.end()) {
      return std::unexpected(fmt::format("{}: {} is listed twice", option, to_string(*t)));
    }
    transports.push_back(*t);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return transports;
}

// The zone's listeners: one per transport on its sip_address, then each `listen` entry.
std::expected<void, std::string> read_listeners(const Values& v, const std::string& prefix,
                                                ZoneConfig& zone) {
  for (const Transport t : zone.transports) {
    zone.listeners.push_back(
        {t, zone.sip_address, t == Transport::kTls ? zone.tls_port : zone.sip_port});
  }
  const std::string option = prefix + kZoneListen;
  for (const std::string& entry : v.get_all(option)) {
    const size_t colon = entry.find(':');
    if (colon == std::string::npos) {
      return std::unexpected(option + ": '" + entry + "' is not transport:address:port");
    }
    auto t = parse_transport_option(trim(std::string_view(entry).substr(0, colon)), option);
    if (!t) return std::unexpected(t.error());
    auto hp = parse_host_port(trim(std::string_view(entry).substr(colon + 1)), option);
    if (!hp) return std::unexpected(hp.error());
    zone.listeners.push_back({*t, hp->host, hp->port});
  }
  return {};
}

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
    auto address = parse_ipv4(*a, prefix + "sip_address");
    if (!address) return std::unexpected(address.error());
    zone.sip_address = *address;
  }
  if (auto r = number(v, prefix + "sip_port", zone.sip_port, 1, 65535); !r) return r;
  if (auto r = number(v, prefix + "tls_port", zone.tls_port, 1, 65535); !r) return r;
  if (auto list = v.get(prefix + "transports")) {
    auto transports = parse_transports(*list, prefix + "transports");
    if (!transports) return std::unexpected(transports.error());
    zone.transports = std::move(*transports);
  }
  if (auto r = read_listeners(v, prefix, zone); !r) return r;
  if (zone.listeners.empty()) {
    return std::unexpected(prefix + "transports: the zone has no listener");
  }
  if (auto t = v.get(prefix + "default_target")) {
    auto target = parse_host_port(*t, prefix + "default_target");
    if (!target) return std::unexpected(target.error());
    zone.default_target = *target;
  }
  if (auto t = v.get(prefix + "default_target_transport")) {
    auto transport = parse_transport_option(*t, prefix + "default_target_transport");
    if (!transport) return std::unexpected(transport.error());
    zone.default_target_transport = *transport;
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
  trunk.inbound_zone = v.get(prefix + "inbound_zone").value_or("");
  auto host = v.get(prefix + "host");
  if (!host) return std::unexpected(prefix + "host: required");
  trunk.host = *host;
  if (auto address = parse_ipv4(*host, prefix + "host")) {
    trunk.address = *address;
  } else if (!valid_hostname(*host) || host->find('.') == std::string::npos ||
             std::ranges::all_of(*host,
                                 [](char c) { return c == '.' || (c >= '0' && c <= '9'); })) {
    return std::unexpected(prefix + "host: '" + *host +
                           "' is neither an IPv4 address nor a fully qualified host name");
  }
  if (auto r = number(v, prefix + "port", trunk.port, 1, 65535); !r) return r;
  trunk.port_set = v.has(prefix + "port");
  if (auto t = v.get(prefix + "transport")) {
    auto transport = parse_transport_option(*t, prefix + "transport");
    if (!transport) return std::unexpected(transport.error());
    trunk.transport = *transport;
    trunk.transport_set = true;
  }
  if (trunk.transport == Transport::kTls && !trunk.port_set) trunk.port = 5061;
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
  if (auto u = v.get(prefix + "username")) {
    // Quoted in our Authorization header: anything printable but the quote and backslash.
    if (u->empty() || std::ranges::any_of(*u, [](char c) {
          return c < 0x20 || c == 0x7f || c == '"' || c == '\\';
        })) {
      return std::unexpected(prefix + "username: must be printable, without '\"' or '\\'");
    }
    trunk.username = *u;
  }
  if (auto s = v.get(prefix + "secret")) {
    if (s->empty()) return std::unexpected(prefix + "secret: must not be empty");
    trunk.secret = *s;
  }
  if (trunk.username.empty() != trunk.secret.empty()) {
    return std::unexpected(prefix + "username and secret: set both or neither");
  }
  return {};
}

// Syntax only: files, cipher strings and groups are checked by OpenSSL when the TLS contexts are
// built (transport/tls_context.h), which --check-config also does.
std::expected<TlsConfig, std::string> read_tls(const Values& v) {
  TlsConfig tls;
  auto text = [&](const char* name, std::string& out) -> std::expected<void, std::string> {
    if (auto s = v.get(std::string("tls.") + name)) {
      if (s->empty()) return std::unexpected(fmt::format("tls.{}: must not be empty", name));
      out = *s;
    }
    return {};
  };
  for (auto [name, field] : {std::pair{"certificate", &TlsConfig::certificate},
                             {"private_key", &TlsConfig::private_key},
                             {"ca_file", &TlsConfig::ca_file},
                             {"ciphers", &TlsConfig::ciphers},
                             {"ciphersuites", &TlsConfig::ciphersuites},
                             {"groups", &TlsConfig::groups}}) {
    if (auto r = text(name, tls.*field); !r) return std::unexpected(r.error());
  }
  if (auto s = v.get("tls.min_version")) {
    if (*s == "1.2") {
      tls.min_version = TlsVersion::k12;
    } else if (*s == "1.3") {
      tls.min_version = TlsVersion::k13;
    } else {
      return std::unexpected("tls.min_version: '" + *s + "' is not 1.2 or 1.3");
    }
  }
  for (auto [name, field] : {std::pair{"verify_client", &TlsConfig::verify_client},
                             {"verify_server", &TlsConfig::verify_server}}) {
    if (auto s = v.get(std::string("tls.") + name)) {
      auto b = parse_bool(*s, std::string("tls.") + name);
      if (!b) return std::unexpected(b.error());
      tls.*field = *b;
    }
  }
  if (tls.certificate.empty() != tls.private_key.empty()) {
    return std::unexpected(tls.certificate.empty()
                               ? "tls.certificate: required with tls.private_key"
                               : "tls.private_key: required with tls.certificate");
  }
  if (tls.verify_client && tls.ca_file.empty()) {
    return std::unexpected("tls.verify_client: needs tls.ca_file to verify client certificates");
  }
  return tls;
}

// [sbcd] dns_servers = ip[:port], ... (default: /etc/resolv.conf's) and dns_timeout_ms.
std::expected<void, std::string> read_dns(const Values& v, DnsSettings& dns) {
  if (auto servers = v.get("sbcd.dns_servers")) {
    auto list = config_detail::split_list(*servers, "sbcd.dns_servers");
    if (!list) return std::unexpected(list.error());
    std::string csv;
    for (const std::string& entry : *list) {
      const size_t colon = entry.find(':');
      auto host = parse_ipv4(std::string_view(entry).substr(0, colon), "sbcd.dns_servers");
      if (!host) return std::unexpected(host.error());
      if (colon != std::string::npos) {
        auto port = parse_number<uint16_t>(std::string_view(entry).substr(colon + 1),
                                           "sbcd.dns_servers port", 1, 65535);
        if (!port) return std::unexpected(port.error());
      }
      csv += (csv.empty() ? "" : ",") + entry;
    }
    dns.servers = std::move(csv);
  }
  uint32_t timeout_ms = static_cast<uint32_t>(dns.timeout.count());
  if (auto r = number(v, "sbcd.dns_timeout_ms", timeout_ms, 100, 30000); !r) return r;
  dns.timeout = std::chrono::milliseconds(timeout_ms);
  return {};
}

// [sbcd]: files, sockets, log level and the call duration limit.
std::expected<void, std::string> read_sbcd(const Values& v, Config& config) {
  const std::pair<const char*, std::string Config::*> paths[] = {
      {"sbcd.dataplane_socket", &Config::dataplane_socket},
      {"sbcd.mgmt_socket", &Config::mgmt_socket},
      {"sbcd.cdr_file", &Config::cdr_file},
      {"sbcd.state_db", &Config::state_db}};
  for (const auto& [name, field] : paths) {
    if (auto s = v.get(name)) {
      if (s->empty()) return std::unexpected(std::string(name) + ": must not be empty");
      config.*field = *s;
    }
  }
  if (auto level = v.get("sbcd.log_level")) {
    if (std::ranges::find(kLogLevels, *level) == std::end(kLogLevels)) {
      return std::unexpected("sbcd.log_level: '" + *level +
                             "' is not one of trace, debug, info, warn, error, critical, off");
    }
    config.log_level = *level;
  }
  if (auto r = number(v, "sbcd.max_call_duration", config.max_call_duration_s, 0, 7 * 86400); !r) {
    return r;
  }
  // RFC 4028 §5: Min-SE is at least 90 s, and Session-Expires at least Min-SE.
  if (auto r = number(v, "sbcd.min_se", config.min_se_s, 90, 86400); !r) return r;
  if (auto r = number(v, "sbcd.session_expires", config.session_expires_s, 0, 86400); !r) return r;
  if (config.session_expires_s != 0 && config.session_expires_s < config.min_se_s) {
    return std::unexpected(fmt::format("sbcd.session_expires: {} s is below sbcd.min_se ({} s)",
                                       config.session_expires_s, config.min_se_s));
  }
  return read_dns(v, config.dns);
}

// [media]: the RTP port range (even start, room for an RTP/RTCP pair) and media timers.
std::expected<void, std::string> read_media(const Values& v, MediaConfig& m) {
  if (auto r = number(v, "media.port_min", m.port_min, 1024, 65534); !r) return r;
  if (auto r = number(v, "media.port_max", m.port_max, 1025, 65535); !r) return r;
  if (m.port_min % 2 != 0) {
    return std::unexpected(
        fmt::format("media.port_min: {} is odd (RTP uses even ports)", m.port_min));
  }
  if (m.port_max < m.port_min + 1) {
    return std::unexpected(
        fmt::format("media.port_max: {} leaves no RTP/RTCP pair above media.port_min {}",
                    m.port_max, m.port_min));
  }
  if (auto r = number(v, "media.timeout", m.timeout_s, 0, 86400); !r) return r;
  return number(v, "media.latch_window", m.latch_window_ms, 0, 600000);
}

// [sip]: stream connection limits.
std::expected<void, std::string> read_sip(const Values& v, SipConfig& sip) {
  if (auto r = number(v, "sip.tcp_idle_timeout", sip.tcp_idle_timeout_s, 1, 86400); !r) return r;
  if (auto r = number(v, "sip.max_connections", sip.max_connections, 1, 1000000); !r) return r;
  return number(v, "sip.max_connections_per_address", sip.max_connections_per_address, 1, 1000000);
}

// Every section but zones, trunks and the security ones.
std::expected<void, std::string> read_globals(const Values& v, Config& config) {
  if (auto r = read_sbcd(v, config); !r) return r;
  if (auto r = read_capacity(v, config); !r) return r;
  if (auto r = read_media(v, config.media); !r) return r;
  if (auto r = read_sip(v, config.sip); !r) return r;
  if (v.has_section("tls")) {
    auto tls = read_tls(v);
    if (!tls) return std::unexpected(tls.error());
    config.tls = std::move(*tls);
  }
  if (auto s = v.get("metrics.listen")) {
    auto hp = parse_host_port(*s, "metrics.listen");
    if (!hp) return std::unexpected(hp.error());
    config.metrics_listen = *hp;
  }
  return {};
}

// Listeners do not collide (UDP and TCP may share a port, TCP and TLS may not) and every transport
// a trunk or a default target uses has a listener (its address goes into Via and Contact), TLS
// ones a [tls] section.
std::expected<void, std::string> check_transports(const Config& config) {
  // (datagram?, address, port); an address left to the dataplane is keyed by its zone.
  std::set<std::tuple<bool, std::string, uint16_t>> binds;
  for (const ZoneConfig& z : config.zones) {
    for (size_t i = 0; i < z.listeners.size(); ++i) {
      const ListenerConfig& l = z.listeners[i];
      const std::string address = l.address ? l.address->to_string() : "zone " + z.name;
      if (!binds.emplace(l.transport == Transport::kUdp, address, l.port).second) {
        const bool own = i < z.transports.size();  // from transports, not from listen
        return std::unexpected(
            fmt::format("zone.{}.{}: {} {}:{} is already used by another listener", z.name,
                        own ? "sip_address" : "listen", to_string(l.transport),
                        l.address ? l.address->to_string() : "(dataplane address)", l.port));
      }
      if (l.transport == Transport::kTls && (!config.tls || config.tls->certificate.empty())) {
        return std::unexpected(
            fmt::format("zone.{}.{}: a TLS listener needs tls.certificate and tls.private_key",
                        z.name, i < z.transports.size() ? "transports" : "listen"));
      }
    }
  }
  for (const TrunkConfig& t : config.trunks) {
    const ZoneConfig* zone = config.find_zone(t.zone);
    if (!zone->has_listener(t.transport)) {
      return std::unexpected(
          fmt::format("trunk.{}.transport: zone {} has no {} listener "
                      "(zone.{}.transports or listen)",
                      t.name, t.zone, to_string(t.transport), t.zone));
    }
    if (t.transport == Transport::kTls && !config.tls) {
      return std::unexpected("trunk." + t.name + ".transport: tls needs a [tls] section");
    }
  }
  for (const ZoneConfig& z : config.zones) {
    if (!z.default_target) continue;
    if (!z.has_listener(z.default_target_transport)) {
      return std::unexpected(
          fmt::format("zone.{}.default_target_transport: the zone has no {} listener", z.name,
                      to_string(z.default_target_transport)));
    }
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
  if (access_zones == 0) {
    return std::unexpected(
        "zones: no access zone (a zone no trunk uses): calls need one to come from and go to");
  }
  return check_transports(config);
}

// Each trunk's inbound zone, named or the only access zone.
std::expected<void, std::string> resolve_inbound_zones(Config& config) {
  for (TrunkConfig& t : config.trunks) {
    auto zone = resolve_access_zone(config.zones, config.trunks, t.inbound_zone,
                                    "trunk." + t.name + ".inbound_zone");
    if (!zone) return std::unexpected(zone.error());
    t.inbound_zone = std::move(*zone);
  }
  return {};
}

}  // namespace

std::expected<HostPort, std::string> parse_host_port(std::string_view text, std::string_view what) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::unexpected(fmt::format("{}: '{}' is not host:port", what, text));
  }
  auto host = parse_ipv4(text.substr(0, colon), what);
  if (!host) return std::unexpected(host.error());
  HostPort hp;
  hp.host = *host;
  auto port =
      parse_number<uint16_t>(text.substr(colon + 1), fmt::format("{} port", what), 1, 65535);
  if (!port) return std::unexpected(port.error());
  hp.port = *port;
  return hp;
}

const ZoneConfig* Config::find_zone(std::string_view name) const {
  return cp::find_zone(zones, name);
}

bool Config::is_trunk_zone(std::string_view zone) const {
  return cp::is_trunk_zone(trunks, zone);
}

const ZoneConfig& Config::access_zone() const {
  return cp::access_zone(zones, trunks);
}

namespace {

// The names of the dynamic sections: [zone.NAME], [trunk.NAME], [user.NAME], [route.NAME],
// [did.NAME].
struct SectionNames {
  std::set<std::string> zones;
  std::set<std::string> trunks;
  std::set<std::string> users;
  std::set<std::string> routes;
  std::set<std::string> dids;
};

// First pass, lenient: collects the section names, each checked.
std::expected<SectionNames, std::string> find_sections(const std::string& text) {
  po::options_description none;
  std::istringstream in(text);
  const po::parsed_options found = po::parse_config_file(in, none, true);
  SectionNames names;
  for (const po::option& opt : found.options) {
    const std::string& key = opt.string_key;
    const size_t first_dot = key.find('.');
    const size_t last_dot = key.rfind('.');
    if (first_dot == std::string::npos || first_dot == last_dot) continue;
    const std::string kind = key.substr(0, first_dot);
    if (kind != "zone" && kind != "trunk" && kind != "user" && kind != "route" && kind != "did") {
      continue;
    }
    const std::string name = key.substr(first_dot + 1, last_dot - first_dot - 1);
    if (kind == "user") {
      if (!valid_user_name(name)) {
        return std::unexpected("[user." + name +
                               "]: user name must be 1-64 letters, digits, '_', '-', '.' or '+'");
      }
      names.users.insert(name);
      continue;
    }
    if (!valid_name(name)) {
      return std::unexpected("[" + kind + "." + name +
                             "]: section name must be 1-64 letters, digits, '_' or '-'");
    }
    (kind == "zone"    ? names.zones
     : kind == "trunk" ? names.trunks
     : kind == "route" ? names.routes
                       : names.dids)
        .insert(name);
  }
  return names;
}

// Every option the file may have, given its sections. Every option is read as a string: numbers
// are converted by hand so "-1" or "1e3" are refused with the option's name instead of wrapping
// around.
po::options_description known_options(const SectionNames& names) {
  po::options_description desc;
  auto add = [&](const std::string& name) {
    desc.add_options()(name.c_str(), po::value<std::string>());
  };
  for (const auto* list :
       {&kSbcdOptions, &kCapacityOptions, &kMediaOptions, &kSipOptions, &kTlsOptions}) {
    for (const auto& o : *list) add(o);
  }
  add("metrics.listen");
  for (const auto& z : names.zones) {
    for (const auto& k : kZoneKeys) add("zone." + z + "." + k);
    const std::string listen = "zone." + z + "." + kZoneListen;
    desc.add_options()(listen.c_str(), po::value<std::vector<std::string>>());
  }
  for (const auto& t : names.trunks) {
    for (const auto& k : kTrunkKeys) add("trunk." + t + "." + k);
  }
  add_security_options(desc, names.zones, names.trunks, names.users);
  add_media_policy_options(desc, names.zones, names.trunks);
  add_dialog_policy_options(desc, names.zones, names.trunks);
  add_qualify_options(desc, names.trunks);
  add_failover_options(desc, names.trunks);
  add_normalize_options(desc, names.zones, names.trunks);
  add_register_options(desc, names.zones, names.trunks);
  add_route_options(desc, names.routes, names.trunks);
  add_did_options(desc, names.dids);
  return desc;
}

// Reads every section of the parsed options, then checks the references between them.
std::expected<Config, std::string> read_config(const Values& values, const SectionNames& names) {
  Config config;
  if (auto r = read_globals(values, config); !r) return std::unexpected(r.error());
  for (const auto& name : names.zones) {
    ZoneConfig zone;
    if (auto r = read_zone(values, name, zone); !r) return std::unexpected(r.error());
    config.zones.push_back(std::move(zone));
  }
  for (const auto& name : names.trunks) {
    TrunkConfig trunk;
    if (auto r = read_trunk(values, name, trunk); !r) return std::unexpected(r.error());
    config.trunks.push_back(std::move(trunk));
  }
  if (auto r = read_security(values, names.users, config); !r) return std::unexpected(r.error());
  if (auto r = read_media_policies(values, config); !r) return std::unexpected(r.error());
  if (auto r = read_dialog_policies(values, config); !r) return std::unexpected(r.error());
  if (auto r = read_qualify(values, config); !r) return std::unexpected(r.error());
  if (auto r = read_failover(values, config); !r) return std::unexpected(r.error());
  if (auto r = read_normalize(values, config); !r) return std::unexpected(r.error());
  if (auto r = read_register(values, config); !r) return std::unexpected(r.error());
  if (auto r = cross_check(config); !r) return std::unexpected(r.error());
  if (auto r = resolve_inbound_zones(config); !r) return std::unexpected(r.error());
  if (auto r = read_routes(values, names.routes, config); !r) return std::unexpected(r.error());
  if (auto r = read_dids(values, names.dids, config); !r) return std::unexpected(r.error());
  if (auto r = check_security(config); !r) return std::unexpected(r.error());
  if (auto r = check_capacity(config); !r) return std::unexpected(r.error());
  return config;
}

}  // namespace

std::expected<Config, std::string> parse_config(std::string_view text) {
  const auto stripped = strip_comments(text);
  if (!stripped) return std::unexpected(stripped.error());
  try {
    const auto names = find_sections(*stripped);
    if (!names) return std::unexpected(names.error());
    // Second pass, strict: every option must be known.
    const po::options_description desc = known_options(*names);
    std::istringstream in(*stripped);
    po::variables_map vm;
    po::store(po::parse_config_file(in, desc, false), vm);
    po::notify(vm);
    return read_config(Values(vm), *names);
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
