#include "dataplane/config/dp_config.h"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dataplane/config/dp_config_sections.h"

namespace sbc::dp {
namespace po = boost::program_options;
using config_detail::check_port_fits;
using config_detail::read_capacity;
using config_detail::read_lcores;
using config_detail::read_port;
using config_detail::read_process;
using config_detail::read_punt_policer;
using config_detail::read_source_table;
using config_detail::Values;

namespace {

constexpr std::string_view kPortPrefix = "port.";
constexpr size_t kMaxPortNameLength = 32;

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

bool valid_port_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxPortNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
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

// Every option of every section, given the ports: anything else in the file is an error.
po::options_description known_options(const std::vector<std::string>& port_names) {
  po::options_description desc;
  for (const char* key :
       {"control_socket", "eal_args", "lcores", "idle_policy", "mbuf_count", "max_sessions",
        "transcode_lcores", "transcode_capacity", "punt_rate", "punt_burst", "untrusted_punt_rate",
        "untrusted_punt_burst", "max_sources"}) {
    desc.add_options()(fmt::format("dataplane.{}", key).c_str(), po::value<std::string>());
  }
  for (const auto& name : port_names) {
    for (const char* key : {"device", "tap", "address", "gateway", "media_addresses"}) {
      desc.add_options()(fmt::format("port.{}.{}", name, key).c_str(), po::value<std::string>());
    }
  }
  return desc;
}

// Second pass, strict: the options given, by full name, their values trimmed.
std::expected<Values, std::string> read_values(const std::string& text,
                                               const po::options_description& desc) {
  po::variables_map vm;
  try {
    std::istringstream strict(text);
    po::store(po::parse_config_file(strict, desc, /*allow_unregistered=*/false), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return std::unexpected(std::string(e.what()));
  }
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : vm) values.emplace(key, trim(value.as<std::string>()));
  return Values(std::move(values));
}

// [dataplane], then the ports in name order, each checked against those before it.
std::expected<Config, std::string> read_config(const Values& v,
                                               const std::vector<std::string>& port_names) {
  Config config;
  for (auto* read :
       {read_process, read_lcores, read_capacity, read_punt_policer, read_source_table}) {
    if (auto ok = read(v, config); !ok) return std::unexpected(ok.error());
  }
  for (const auto& name : port_names) {
    auto port = read_port(v, name);
    if (!port) return std::unexpected(port.error());
    if (auto ok = check_port_fits(*port, config); !ok) return std::unexpected(ok.error());
    config.ports.push_back(std::move(*port));
  }
  return config;
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

std::expected<Ipv4Range, std::string> parse_ipv4_range(std::string_view text) {
  const auto dash = text.find('-');
  auto first = parse_ipv4(trim(text.substr(0, dash)));
  auto last = dash == std::string_view::npos ? first : parse_ipv4(trim(text.substr(dash + 1)));
  if (!first || !last || *last < *first) {
    return std::unexpected(fmt::format("'{}' is not a.b.c.d-e.f.g.h (first <= last)", text));
  }
  return Ipv4Range{*first, *last};
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

std::optional<std::string_view> vdev_arg(std::string_view device, std::string_view key) {
  size_t at = device.find(',');
  while (at != std::string_view::npos) {
    const size_t next = device.find(',', at + 1);
    const std::string_view arg = device.substr(at + 1, next - (at + 1));
    if (arg.size() > key.size() && arg.starts_with(key) && arg[key.size()] == '=') {
      return arg.substr(key.size() + 1);
    }
    at = next;
  }
  return std::nullopt;
}

std::string eal_device_spec(std::string_view device, size_t workers) {
  std::string spec(device);
  if (device.starts_with("net_af_packet") && workers > 1 && !vdev_arg(device, "qpairs")) {
    spec += fmt::format(",qpairs={}", workers);
  }
  return spec;
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
  auto values = read_values(text, known_options(*port_names));
  if (!values) return std::unexpected(values.error());
  return read_config(*values, *port_names);
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
  std::vector<std::string> args{std::string(program)};
  const bool pinned = !config.lcore_cpus.empty() && config.lcore_cpus != config.lcore_ids;
  if (config.transcode_cpus.empty() && !pinned) {
    args.insert(args.end(), {"-l", config.lcores});
  } else {
    // EAL lcore ids are ours to number: the relay lcores keep their number (on their CPU, or the
    // one "lcore@cpu" gave), transcoding lcore k is max + 1 + k, pinned to its CPU ("0,1,2@1":
    // lcore 2 runs on CPU 1).
    std::string map;
    for (size_t i = 0; i < config.lcore_ids.size(); ++i) {
      const unsigned id = config.lcore_ids[i];
      const unsigned cpu = i < config.lcore_cpus.size() ? config.lcore_cpus[i] : id;
      map += fmt::format("{}{}", map.empty() ? "" : ",", id);
      if (cpu != id) map += fmt::format("@{}", cpu);
    }
    unsigned next = config.lcore_ids.back() + 1;
    for (unsigned cpu : config.transcode_cpus) map += fmt::format(",{}@{}", next++, cpu);
    args.insert(args.end(), {"--lcores", map});
  }
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
      args.push_back("--vdev=" + eal_device_spec(port.device, config.worker_count()));
    } else {
      args.push_back("-a");
      args.push_back(port.device);
    }
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace sbc::dp
