#include "dataplane/config/dp_config.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <net/if.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace sbc::dp {
namespace po = boost::program_options;

namespace {

constexpr std::string_view kPortPrefix = "port.";
constexpr size_t kMaxPortNameLength = 32;
constexpr uint32_t kMinMbufCount = 1024;
constexpr uint32_t kMaxMbufCount = 1u << 24;
constexpr uint32_t kMaxPuntRate = 10'000'000;
constexpr uint32_t kMaxPuntBurst = 1'000'000;

// Boost's INI parser knows only '#' comments; the sample files also use ';' (whole-line or after
// whitespace), so both are stripped before parsing.
std::string strip_comments(std::istream& in) {
  std::string out;
  std::string line;
  while (std::getline(in, line)) {
    for (size_t i = 0; i < line.size(); ++i) {
      if ((line[i] == ';' || line[i] == '#') &&
          (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line.resize(i);
        break;
      }
    }
    out += line;
    out += '\n';
  }
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::expected<uint32_t, std::string> parse_u32(std::string_view option, const std::string& text,
                                               uint32_t min, uint32_t max) {
  uint32_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) {
    return std::unexpected(fmt::format("{}: '{}' is not a number", option, text));
  }
  if (value < min || value > max) {
    return std::unexpected(fmt::format("{}: {} is outside {}..{}", option, value, min, max));
  }
  return value;
}

bool valid_port_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxPortNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

// First pass: which [port.NAME] sections exist (names are dynamic, so they cannot be declared
// before reading the file).
std::expected<std::vector<std::string>, std::string> find_port_sections(const std::string& text) {
  std::istringstream in(text);
  po::options_description none;
  std::set<std::string> names;
  try {
    const auto parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
    for (const auto& option : parsed.options) {
      const std::string& key = option.string_key;
      if (!key.starts_with(kPortPrefix)) continue;
      const auto dot = key.rfind('.');
      const std::string name = key.substr(kPortPrefix.size(), dot - kPortPrefix.size());
      if (dot <= kPortPrefix.size() || !valid_port_name(name)) {
        return std::unexpected(fmt::format(
            "{}: bad section name (port names use letters, digits, '_' and '-', at most {})", key,
            kMaxPortNameLength));
      }
      names.insert(name);
    }
  } catch (const po::error& e) {
    return std::unexpected(std::string(e.what()));
  }
  return std::vector<std::string>(names.begin(), names.end());  // std::set: ascending by name
}

std::expected<void, std::string> validate_port(const PortConfig& port) {
  const std::string section = fmt::format("port.{}", port.name);
  if (port.device.empty()) return std::unexpected(section + ".device: missing");
  if (port.tap.empty()) return std::unexpected(section + ".tap: missing");
  if (port.tap.size() >= IFNAMSIZ) {
    return std::unexpected(
        fmt::format("{}.tap: '{}' is longer than {} characters", section, port.tap, IFNAMSIZ - 1));
  }
  if (port.address.length == 0 || port.address.address == 0) {
    return std::unexpected(section + ".address: needs a host address and a prefix length 1..32");
  }
  if (port.gateway) {
    const uint32_t mask = port.address.length == 32 ? ~0u : ~(~0u >> port.address.length);
    if ((*port.gateway & mask) != (port.address.address & mask) ||
        *port.gateway == port.address.address) {
      return std::unexpected(fmt::format("{}.gateway: {} is not another host on {}/{}", section,
                                         format_ipv4(*port.gateway),
                                         format_ipv4(port.address.address), port.address.length));
    }
  }
  return {};
}

}  // namespace

std::expected<uint32_t, std::string> parse_ipv4(std::string_view text) {
  const std::string copy(text);
  in_addr addr{};
  if (inet_pton(AF_INET, copy.c_str(), &addr) != 1) {
    return std::unexpected(fmt::format("'{}' is not an IPv4 address", text));
  }
  return ntohl(addr.s_addr);
}

std::expected<Ipv4Prefix, std::string> parse_ipv4_prefix(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::unexpected(fmt::format("'{}' is not a.b.c.d/len", text));
  }
  auto address = parse_ipv4(text.substr(0, slash));
  if (!address) return std::unexpected(fmt::format("'{}' is not a.b.c.d/len", text));
  const std::string_view len_text = text.substr(slash + 1);
  unsigned length = 0;
  const auto [ptr, ec] =
      std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
  if (ec != std::errc{} || ptr != len_text.data() + len_text.size() || len_text.empty() ||
      length > 32) {
    return std::unexpected(fmt::format("'{}': prefix length must be 0..32", text));
  }
  return Ipv4Prefix{*address, static_cast<uint8_t>(length)};
}

std::expected<std::vector<unsigned>, std::string> parse_lcore_list(std::string_view text) {
  constexpr unsigned kMaxLcore = 1023;
  std::set<unsigned> ids;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = trim(text.substr(pos, comma - pos));
    const auto dash = item.find('-');
    unsigned first = 0;
    unsigned last = 0;
    auto number = [](std::string_view s, unsigned& out) {
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return !s.empty() && ec == std::errc{} && p == s.data() + s.size() && out <= kMaxLcore;
    };
    const bool ok = dash == std::string::npos
                        ? number(item, first) && (last = first, true)
                        : number(std::string_view(item).substr(0, dash), first) &&
                              number(std::string_view(item).substr(dash + 1), last) &&
                              first <= last;
    if (!ok) return std::unexpected(fmt::format("'{}' is not an lcore list (e.g. 0-3,5)", text));
    for (unsigned id = first; id <= last; ++id) ids.insert(id);
    pos = comma + 1;
  }
  return std::vector<unsigned>(ids.begin(), ids.end());
}

std::string format_ipv4(uint32_t host_order) {
  return fmt::format("{}.{}.{}.{}", host_order >> 24, (host_order >> 16) & 0xff,
                     (host_order >> 8) & 0xff, host_order & 0xff);
}

bool is_vdev_spec(std::string_view device) {
  return device.starts_with("net_");
}

std::string_view device_name(std::string_view device) {
  return device.substr(0, device.find(','));
}

std::expected<Config, std::string> parse_config(std::istream& in) {
  const std::string text = strip_comments(in);
  auto port_names = find_port_sections(text);
  if (!port_names) return std::unexpected(port_names.error());
  if (port_names->empty()) return std::unexpected(std::string("no [port.NAME] section"));
  if (port_names->size() > kMaxPorts) {
    return std::unexpected(
        fmt::format("{} ports configured, at most {}", port_names->size(), kMaxPorts));
  }

  // Second pass, strict: every option of every section declared, anything else is an error.
  po::options_description desc;
  for (const char* key :
       {"control_socket", "eal_args", "lcores", "idle_policy", "mbuf_count", "max_sessions",
        "punt_rate", "punt_burst", "untrusted_punt_rate", "untrusted_punt_burst", "max_sources"}) {
    desc.add_options()(fmt::format("dataplane.{}", key).c_str(), po::value<std::string>());
  }
  for (const auto& name : *port_names) {
    for (const char* key : {"device", "tap", "address", "gateway"}) {
      desc.add_options()(fmt::format("port.{}.{}", name, key).c_str(), po::value<std::string>());
    }
  }
  po::variables_map vm;
  try {
    std::istringstream strict(text);
    po::store(po::parse_config_file(strict, desc, /*allow_unregistered=*/false), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return std::unexpected(std::string(e.what()));
  }
  auto get = [&vm](const std::string& key) -> std::optional<std::string> {
    if (!vm.count(key)) return std::nullopt;
    return trim(vm[key].as<std::string>());
  };

  Config config;
  if (auto v = get("dataplane.control_socket")) {
    if (v->empty() || v->size() >= 108) {
      return std::unexpected(std::string("dataplane.control_socket: needs a path of 1..107 bytes"));
    }
    config.control_socket = *v;
  }
  if (auto v = get("dataplane.eal_args")) config.eal_args = split_words(*v);
  if (auto v = get("dataplane.lcores")) config.lcores = *v;
  auto lcores = parse_lcore_list(config.lcores);
  if (!lcores) return std::unexpected("dataplane.lcores: " + lcores.error());
  if (lcores->size() < 2) {
    return std::unexpected(fmt::format(
        "dataplane.lcores: '{}' needs a main lcore and at least one worker", config.lcores));
  }
  if (lcores->size() - 1 > kMaxWorkers) {
    return std::unexpected(fmt::format("dataplane.lcores: at most {} workers", kMaxWorkers));
  }
  config.lcore_ids = std::move(*lcores);
  if (auto v = get("dataplane.idle_policy")) {
    if (*v == "poll") {
      config.idle_policy = IdlePolicy::kPoll;
    } else if (*v == "backoff") {
      config.idle_policy = IdlePolicy::kBackoff;
    } else {
      return std::unexpected(
          fmt::format("dataplane.idle_policy: '{}' is neither 'poll' nor 'backoff'", *v));
    }
  }
  if (auto v = get("dataplane.mbuf_count")) {
    auto n = parse_u32("dataplane.mbuf_count", *v, kMinMbufCount, kMaxMbufCount);
    if (!n) return std::unexpected(n.error());
    config.mbuf_count = *n;
  }
  if (auto v = get("dataplane.max_sessions")) {
    auto n = parse_u32("dataplane.max_sessions", *v, 1, kMaxSessionsLimit);
    if (!n) return std::unexpected(n.error());
    config.max_sessions = *n;
  }
  if (auto v = get("dataplane.punt_rate")) {
    auto n = parse_u32("dataplane.punt_rate", *v, 1, kMaxPuntRate);
    if (!n) return std::unexpected(n.error());
    config.punt_rate = *n;
  }
  if (auto v = get("dataplane.punt_burst")) {
    auto n = parse_u32("dataplane.punt_burst", *v, 1, kMaxPuntBurst);
    if (!n) return std::unexpected(n.error());
    config.punt_burst = *n;
  }
  // The untrusted bucket is the smaller one: explicit values above the trusted ones are refused;
  // the defaults follow a punt_rate / punt_burst configured below them.
  config.untrusted_punt_rate = std::min(kDefaultUntrustedPuntRate, config.punt_rate);
  config.untrusted_punt_burst = std::min(kDefaultUntrustedPuntBurst, config.punt_burst);
  if (auto v = get("dataplane.untrusted_punt_rate")) {
    auto n = parse_u32("dataplane.untrusted_punt_rate", *v, 1, config.punt_rate);
    if (!n) return std::unexpected(n.error() + " (at most dataplane.punt_rate)");
    config.untrusted_punt_rate = *n;
  }
  if (auto v = get("dataplane.untrusted_punt_burst")) {
    auto n = parse_u32("dataplane.untrusted_punt_burst", *v, 1, config.punt_burst);
    if (!n) return std::unexpected(n.error() + " (at most dataplane.punt_burst)");
    config.untrusted_punt_burst = *n;
  }
  if (auto v = get("dataplane.max_sources")) {
    auto n = parse_u32("dataplane.max_sources", *v, 1, kMaxSourcesLimit);
    if (!n) return std::unexpected(n.error());
    config.max_sources = *n;
  }

  std::set<std::string> taps;
  std::set<std::string> devices;
  for (const auto& name : *port_names) {
    const std::string section = "port." + name;
    PortConfig port;
    port.name = name;
    port.device = get(section + ".device").value_or("");
    port.tap = get(section + ".tap").value_or("");
    if (auto v = get(section + ".address")) {
      auto prefix = parse_ipv4_prefix(*v);
      if (!prefix) return std::unexpected(section + ".address: " + prefix.error());
      port.address = *prefix;
    } else {
      return std::unexpected(section + ".address: missing");
    }
    if (auto v = get(section + ".gateway"); v && !v->empty()) {
      auto gw = parse_ipv4(*v);
      if (!gw) return std::unexpected(section + ".gateway: " + gw.error());
      port.gateway = *gw;
    }
    if (auto ok = validate_port(port); !ok) return std::unexpected(ok.error());
    if (!taps.insert(port.tap).second) {
      return std::unexpected(
          fmt::format("{}.tap: '{}' is used by another port", section, port.tap));
    }
    if (!devices.insert(std::string(device_name(port.device))).second) {
      return std::unexpected(fmt::format("{}.device: '{}' is used by another port", section,
                                         device_name(port.device)));
    }
    // Each port's RX is one queue polled by its owner; an af_packet device with several workers
    // would need qpairs = workers (it has no separate TX queue count), and its fanout would then
    // spread received frames over RX queues that nobody polls.
    if (device_name(port.device).starts_with("net_af_packet") && config.worker_count() > 1) {
      return std::unexpected(fmt::format(
          "{}.device: net_af_packet supports one worker only ({} configured by dataplane.lcores "
          "'{}'); use lcores with a main lcore and one worker",
          section, config.worker_count(), config.lcores));
    }
    config.ports.push_back(std::move(port));
  }
  return config;
}

std::expected<Config, std::string> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected(fmt::format("{}: cannot open", path));
  auto config = parse_config(in);
  if (!config) return std::unexpected(fmt::format("{}: {}", path, config.error()));
  return config;
}

std::vector<std::string> build_eal_args(const Config& config, std::string_view program,
                                        std::span<const std::string> extra) {
  std::vector<std::string> args{std::string(program), "-l", config.lcores};
  args.insert(args.end(), config.eal_args.begin(), config.eal_args.end());
  const bool any_pci = std::any_of(config.ports.begin(), config.ports.end(),
                                   [](const PortConfig& p) { return !is_vdev_spec(p.device); });
  auto given = [&](std::string_view arg) {
    return std::find(config.eal_args.begin(), config.eal_args.end(), arg) !=
               config.eal_args.end() ||
           std::find(extra.begin(), extra.end(), arg) != extra.end();
  };
  if (!any_pci && !given("--no-pci")) args.push_back("--no-pci");
  for (const auto& port : config.ports) {
    if (is_vdev_spec(port.device)) {
      args.push_back("--vdev=" + port.device);
    } else {
      args.push_back("-a");
      args.push_back(port.device);
    }
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace sbc::dp
