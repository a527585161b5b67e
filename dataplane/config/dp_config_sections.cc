#include "dataplane/config/dp_config_sections.h"

#include <fmt/core.h>
#include <fmt/format.h>
#include <net/if.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>
#include <vector>

namespace sbc::dp::config_detail {
namespace {

constexpr uint32_t kMinMbufCount = 1024;
constexpr uint32_t kMaxMbufCount = 1u << 24;
constexpr uint32_t kMaxPuntRate = 10'000'000;
constexpr uint32_t kMaxPuntBurst = 1'000'000;
constexpr size_t kMaxSocketPath = 108;  // sockaddr_un::sun_path, with its terminating NUL

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

// A number option in min..max, left unchanged when absent; `hint` is appended to an error.
std::expected<void, std::string> read_u32(const Values& v, const std::string& option, uint32_t min,
                                          uint32_t max, uint32_t& out, std::string_view hint = {}) {
  if (auto text = v.get(option)) {
    auto n = parse_u32(option, *text, min, max);
    if (!n) return std::unexpected(n.error() + std::string(hint));
    out = *n;
  }
  return {};
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
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
  const uint32_t mask = port.address.length == 32 ? ~0u : ~(~0u >> port.address.length);
  if (port.gateway) {
    if ((*port.gateway & mask) != (port.address.address & mask) ||
        *port.gateway == port.address.address) {
      return std::unexpected(fmt::format("{}.gateway: {} is not another host on {}/{}", section,
                                         format_ipv4(*port.gateway),
                                         format_ipv4(port.address.address), port.address.length));
    }
  }
  if (const auto& media = port.media_addresses) {
    const auto in_range = [&](uint32_t a) { return a >= media->first && a <= media->last; };
    const std::string range =
        fmt::format("{}-{}", format_ipv4(media->first), format_ipv4(media->last));
    if ((media->first & mask) != (port.address.address & mask) ||
        (media->last & mask) != (port.address.address & mask)) {
      return std::unexpected(fmt::format("{}.media_addresses: {} is not on {}/{}", section, range,
                                         format_ipv4(port.address.address), port.address.length));
    }
    if (media->size() > kMaxMediaAddresses) {
      return std::unexpected(fmt::format("{}.media_addresses: {} addresses, at most {}", section,
                                         media->size(), kMaxMediaAddresses));
    }
    if (in_range(port.address.address) || (port.gateway && in_range(*port.gateway))) {
      return std::unexpected(fmt::format(
          "{}.media_addresses: {} holds the port's address or its gateway", section, range));
    }
    // The TAP's aliases are named tap:N (Linux interface label, IFNAMSIZ).
    if (port.tap.size() + 1 + fmt::formatted_size("{}", media->size()) >= IFNAMSIZ) {
      return std::unexpected(
          fmt::format("{}.tap: '{}' leaves no room for the media addresses' labels ('{}:{}')",
                      section, port.tap, port.tap, media->size()));
    }
  }
  return {};
}

}  // namespace

std::expected<void, std::string> read_process(const Values& v, Config& config) {
  if (auto path = v.get("dataplane.control_socket")) {
    if (path->empty() || path->size() >= kMaxSocketPath) {
      return std::unexpected(std::string("dataplane.control_socket: needs a path of 1..107 bytes"));
    }
    config.control_socket = *path;
  }
  if (auto args = v.get("dataplane.eal_args")) config.eal_args = split_words(*args);
  return {};
}

std::expected<void, std::string> read_lcores(const Values& v, Config& config) {
  if (auto text = v.get("dataplane.lcores")) config.lcores = *text;
  // EAL list syntax ("0-3,5"), plus "lcore@cpu" items pinned to another CPU.
  std::string plain;
  std::map<unsigned, unsigned> pinned;
  for (size_t pos = 0; pos <= config.lcores.size();) {
    const size_t comma = std::min(config.lcores.find(',', pos), config.lcores.size());
    const std::string_view item = std::string_view(config.lcores).substr(pos, comma - pos);
    pos = comma + 1;
    const size_t at = item.find('@');
    if (at == std::string_view::npos) {
      plain += fmt::format("{}{}", plain.empty() ? "" : ",", item);
      continue;
    }
    auto lcore = parse_lcore_list(item.substr(0, at));
    auto cpu = parse_lcore_list(item.substr(at + 1));
    if (!lcore || !cpu || lcore->size() != 1 || cpu->size() != 1 ||
        !pinned.emplace(lcore->front(), cpu->front()).second) {
      return std::unexpected(
          fmt::format("dataplane.lcores: '{}' is not 'lcore@cpu' (one of each)", item));
    }
  }
  auto lcores = plain.empty() ? std::vector<unsigned>{} : parse_lcore_list(plain);
  if (!lcores) return std::unexpected("dataplane.lcores: " + lcores.error());
  std::vector<unsigned> cpus(lcores->begin(), lcores->end());
  for (const auto& [lcore, cpu] : pinned) {
    if (std::ranges::find(*lcores, lcore) != lcores->end()) {
      return std::unexpected(fmt::format("dataplane.lcores: lcore {} is given twice", lcore));
    }
    const auto at = std::ranges::upper_bound(*lcores, lcore) - lcores->begin();
    lcores->insert(lcores->begin() + at, lcore);
    cpus.insert(cpus.begin() + at, cpu);
  }
  if (lcores->size() < 2) {
    return std::unexpected(fmt::format(
        "dataplane.lcores: '{}' needs a main lcore and at least one worker", config.lcores));
  }
  if (lcores->size() - 1 > kMaxWorkers) {
    return std::unexpected(fmt::format("dataplane.lcores: at most {} workers", kMaxWorkers));
  }
  config.lcore_ids = std::move(*lcores);
  config.lcore_cpus = std::move(cpus);
  if (auto text = v.get("dataplane.transcode_lcores"); text && !text->empty()) {
    auto cpus = parse_lcore_list(*text);
    if (!cpus) return std::unexpected("dataplane.transcode_lcores: " + cpus.error());
    if (cpus->size() > kMaxTranscoders) {
      return std::unexpected(fmt::format(
          "dataplane.transcode_lcores: at most {} transcoding lcores", kMaxTranscoders));
    }
    config.transcode_cpus = std::move(*cpus);
  }
  if (auto policy = v.get("dataplane.idle_policy")) {
    if (*policy == "poll") {
      config.idle_policy = IdlePolicy::kPoll;
    } else if (*policy == "backoff") {
      config.idle_policy = IdlePolicy::kBackoff;
    } else {
      return std::unexpected(
          fmt::format("dataplane.idle_policy: '{}' is neither 'poll' nor 'backoff'", *policy));
    }
  }
  return {};
}

std::expected<void, std::string> read_capacity(const Values& v, Config& config) {
  if (auto r = read_u32(v, "dataplane.mbuf_count", kMinMbufCount, kMaxMbufCount, config.mbuf_count);
      !r) {
    return r;
  }
  if (auto r = read_u32(v, "dataplane.max_sessions", 1, kMaxSessionsLimit, config.max_sessions);
      !r) {
    return r;
  }
  return read_u32(v, "dataplane.transcode_capacity", 1, 1'000'000, config.transcode_capacity);
}

std::expected<void, std::string> read_punt_policer(const Values& v, Config& config) {
  if (auto r = read_u32(v, "dataplane.punt_rate", 1, kMaxPuntRate, config.punt_rate); !r) return r;
  if (auto r = read_u32(v, "dataplane.punt_burst", 1, kMaxPuntBurst, config.punt_burst); !r) {
    return r;
  }
  // The untrusted bucket is the smaller one: explicit values above the trusted ones are refused;
  // the defaults follow a punt_rate / punt_burst configured below them.
  config.untrusted_punt_rate = std::min(kDefaultUntrustedPuntRate, config.punt_rate);
  config.untrusted_punt_burst = std::min(kDefaultUntrustedPuntBurst, config.punt_burst);
  if (auto r = read_u32(v, "dataplane.untrusted_punt_rate", 1, config.punt_rate,
                        config.untrusted_punt_rate, " (at most dataplane.punt_rate)");
      !r) {
    return r;
  }
  return read_u32(v, "dataplane.untrusted_punt_burst", 1, config.punt_burst,
                  config.untrusted_punt_burst, " (at most dataplane.punt_burst)");
}

std::expected<void, std::string> read_source_table(const Values& v, Config& config) {
  return read_u32(v, "dataplane.max_sources", 1, kMaxSourcesLimit, config.max_sources);
}

std::expected<PortConfig, std::string> read_port(const Values& v, const std::string& name) {
  const std::string section = "port." + name;
  PortConfig port;
  port.name = name;
  port.device = v.get(section + ".device").value_or("");
  port.tap = v.get(section + ".tap").value_or("");
  if (auto text = v.get(section + ".address")) {
    auto prefix = parse_ipv4_prefix(*text);
    if (!prefix) return std::unexpected(section + ".address: " + prefix.error());
    port.address = *prefix;
  } else {
    return std::unexpected(section + ".address: missing");
  }
  if (auto text = v.get(section + ".gateway"); text && !text->empty()) {
    auto gateway = parse_ipv4(*text);
    if (!gateway) return std::unexpected(section + ".gateway: " + gateway.error());
    port.gateway = *gateway;
  }
  if (auto text = v.get(section + ".media_addresses"); text && !text->empty()) {
    auto range = parse_ipv4_range(*text);
    if (!range) return std::unexpected(section + ".media_addresses: " + range.error());
    port.media_addresses = *range;
  }
  if (auto ok = validate_port(port); !ok) return std::unexpected(ok.error());
  return port;
}

std::expected<void, std::string> check_port_fits(const PortConfig& port, const Config& config) {
  const std::string section = "port." + port.name;
  const std::string_view device = device_name(port.device);
  if (std::ranges::any_of(config.ports, [&](const PortConfig& p) { return p.tap == port.tap; })) {
    return std::unexpected(fmt::format("{}.tap: '{}' is used by another port", section, port.tap));
  }
  if (std::ranges::any_of(config.ports,
                          [&](const PortConfig& p) { return device_name(p.device) == device; })) {
    return std::unexpected(fmt::format("{}.device: '{}' is used by another port", section, device));
  }
  // Every local address (a port's own, its media addresses) belongs to one port.
  const auto addresses_of = [](const PortConfig& p) {
    return p.media_addresses.value_or(Ipv4Range{p.address.address, p.address.address});
  };
  for (const PortConfig& other : config.ports) {
    for (const Ipv4Range mine :
         {Ipv4Range{port.address.address, port.address.address}, addresses_of(port)}) {
      for (const Ipv4Range theirs :
           {Ipv4Range{other.address.address, other.address.address}, addresses_of(other)}) {
        if (mine.first <= theirs.last && theirs.first <= mine.last) {
          return std::unexpected(
              fmt::format("{}: its addresses overlap port.{}'s", section, other.name));
        }
      }
    }
  }
  // An af_packet device has qpairs RX and TX queues together: one per worker, its kernel fanout
  // spreading the flows over them (build_eal_args adds qpairs when the spec has none).
  if (device.starts_with("net_af_packet")) {
    const auto qpairs = vdev_arg(port.device, "qpairs");
    if (qpairs && *qpairs != std::to_string(config.worker_count())) {
      return std::unexpected(fmt::format(
          "{}.device: qpairs={} but dataplane.lcores '{}' gives {} workers (one queue pair each; "
          "leave qpairs out to have it set)",
          section, *qpairs, config.lcores, config.worker_count()));
    }
  }
  return {};
}

}  // namespace sbc::dp::config_detail
