// sbc-dataplane configuration: the INI file (dataplane.conf) and the pure helpers around it.
//
// Nothing here touches DPDK, so the whole file is unit-tested without an EAL.
#pragma once

#include <cstdint>
#include <expected>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::dp {

// Bounds that size fixed arrays in the data path.
inline constexpr size_t kMaxPorts = 16;
inline constexpr size_t kMaxWorkers = 64;
inline constexpr size_t kMaxTranscoders = 16;
// PCMU<->PCMA calls one transcoding lcore carries by default: about 70% of what sbc-codec-bench
// measures on the lab VM (about 24,000), heavier codecs counting for more (session_transcode.h).
inline constexpr uint32_t kDefaultTranscodeCapacity = 16000;
inline constexpr uint32_t kMaxSessionsLimit = 1u << 22;  // 4 hash keys each
inline constexpr uint32_t kDefaultPuntRate = 20000;      // packets/s per port to the kernel
inline constexpr uint32_t kDefaultPuntBurst = 2000;
// Sources not marked trusted share a smaller per-port punt budget (see api::SourceAdd).
inline constexpr uint32_t kDefaultUntrustedPuntRate = 2000;
inline constexpr uint32_t kDefaultUntrustedPuntBurst = 256;
inline constexpr uint32_t kDefaultMaxSources = 65536;
inline constexpr uint32_t kMaxSourcesLimit = 1u << 22;

enum class IdlePolicy : uint8_t {
  kPoll,     // busy poll: dedicated, isolated cores
  kBackoff,  // pause, then short sleeps when queues stay empty: lab, CI, shared VMs
};

struct Ipv4Prefix {
  uint32_t address = 0;  // host byte order
  uint8_t length = 0;
  bool operator==(const Ipv4Prefix&) const = default;
};

// An inclusive range of IPv4 addresses, host byte order.
struct Ipv4Range {
  uint32_t first = 0;
  uint32_t last = 0;
  [[nodiscard]] uint32_t size() const { return last - first + 1; }
  // Host-order `ip` in the range; an unset range (first 0) holds nothing.
  [[nodiscard]] bool contains(uint32_t ip) const { return first != 0 && ip >= first && ip <= last; }
  bool operator==(const Ipv4Range&) const = default;
};

// Extra media addresses per port: each address holds ~32k streams (one even UDP port per leg),
// so a port with 32 of them holds a million sessions' legs.
inline constexpr uint32_t kMaxMediaAddresses = 1024;

struct PortConfig {
  std::string name;
  std::string device;  // DPDK vdev spec ("net_...") or a PCI address
  std::string tap;     // kernel exception-path interface the dataplane creates
  Ipv4Prefix address;
  std::optional<uint32_t> gateway;  // host byte order; next hop for off-link peers
  // More local addresses media may use besides `address` (on the same subnet; the TAP carries
  // them too, so the kernel answers ARP for them).
  std::optional<Ipv4Range> media_addresses;
};

struct Config {
  std::string control_socket = "/run/sbc/dataplane.sock";
  std::vector<std::string> eal_args;
  std::string lcores = "0-1";
  std::vector<unsigned> lcore_ids;  // expanded `lcores`, ascending; the first is the main lcore
  // The CPU each of lcore_ids runs on: its own number, unless `lcores` pinned it elsewhere with
  // "lcore@cpu" (a lab with more workers than CPUs: "0-1,2@1").
  std::vector<unsigned> lcore_cpus;
  // CPUs of the transcoding lcores, one lcore each (may share a CPU with a relay lcore in a lab).
  std::vector<unsigned> transcode_cpus;
  uint32_t transcode_capacity = kDefaultTranscodeCapacity;  // PCMU<->PCMA calls per lcore
  IdlePolicy idle_policy = IdlePolicy::kBackoff;
  uint32_t mbuf_count = 16383;
  uint32_t max_sessions = 65536;
  uint32_t punt_rate = kDefaultPuntRate;
  uint32_t punt_burst = kDefaultPuntBurst;
  // Unset: the default, lowered to punt_rate / punt_burst when those are smaller. Set: must not
  // exceed them (the untrusted budget is the smaller one).
  uint32_t untrusted_punt_rate = kDefaultUntrustedPuntRate;
  uint32_t untrusted_punt_burst = kDefaultUntrustedPuntBurst;
  uint32_t max_sources = kDefaultMaxSources;  // banned + trusted source addresses
  std::vector<PortConfig> ports;              // ascending by name: the position is the port index

  [[nodiscard]] size_t worker_count() const { return lcore_ids.empty() ? 0 : lcore_ids.size() - 1; }
};

// Parses dataplane.conf text. Errors name the option (or section) and say why.
std::expected<Config, std::string> parse_config(std::istream& in);
std::expected<Config, std::string> load_config(const std::string& path);

// "a.b.c.d" -> host byte order.
std::expected<uint32_t, std::string> parse_ipv4(std::string_view text);
// "a.b.c.d/len" -> address + prefix length (0..32).
std::expected<Ipv4Prefix, std::string> parse_ipv4_prefix(std::string_view text);
// "a.b.c.d-e.f.g.h" (first <= last) or one "a.b.c.d" -> the inclusive range.
std::expected<Ipv4Range, std::string> parse_ipv4_range(std::string_view text);
// EAL core list syntax "0-3,5" -> ascending unique ids.
std::expected<std::vector<unsigned>, std::string> parse_lcore_list(std::string_view text);
std::string format_ipv4(uint32_t host_order);

// A device spec is a DPDK virtual device when it names a net_ driver (net_af_packet0,iface=a0).
bool is_vdev_spec(std::string_view device);
// The DPDK device name of a spec: the text before the first ',' ("net_af_packet0").
std::string_view device_name(std::string_view device);
// The value of devarg `key` in a spec ("qpairs" in "net_af_packet0,iface=a0,qpairs=2": "2").
std::optional<std::string_view> vdev_arg(std::string_view device, std::string_view key);
// The spec as the EAL gets it: net_af_packet with several workers gets qpairs (one queue pair per
// worker) unless the spec names it.
std::string eal_device_spec(std::string_view device, size_t workers);

// The argv handed to rte_eal_init: program name, -l lcores (with transcoding lcores: --lcores, the
// transcoders numbered after the last relay lcore and pinned to their CPUs), eal_args, --no-pci
// when no port is a PCI device (else the EAL would probe every bound NIC), one --vdev / -a per
// port, then the extra arguments given after `--` on the command line.
std::vector<std::string> build_eal_args(const Config& config, std::string_view program,
                                        std::span<const std::string> extra);

}  // namespace sbc::dp
