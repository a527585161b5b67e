// sbcd configuration: the INI file (sbc.conf) parsed into plain values, validated once at start-up.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip_transport.h"

namespace sbc::cp {

// An IPv4 address and UDP port in text form as configured ("192.0.2.10:5060").
struct HostPort {
  std::string host;
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

struct ZoneConfig {
  std::string name;
  std::string dataplane_port;  // media is anchored on this dataplane port
  std::string sip_address;     // empty: the dataplane port's address (known after Hello)
  uint16_t sip_port = 5060;
  std::optional<HostPort> default_target;  // access zones: where calls from trunks go
  Transport default_target_transport = Transport::kUdp;
};

struct TrunkConfig {
  std::string name;
  std::string zone;
  std::string host;  // IPv4 address of the carrier's SIP server
  uint16_t port = 5060;
  Transport transport = Transport::kUdp;  // how we reach the carrier
  std::string fromdomain;  // optional: host part of From toward the carrier
  std::string fromuser;    // optional: user part of From toward the carrier
};

struct MediaConfig {
  uint16_t port_min = 20000;
  uint16_t port_max = 29999;
  uint32_t timeout_s = 60;  // 0: never
  uint32_t latch_window_ms = 2000;
};

struct Config {
  std::string dataplane_socket = "/run/sbc/dataplane.sock";
  std::string mgmt_socket = "/run/sbc/sbcd.sock";
  std::string cdr_file = "/var/log/sbc/cdr.jsonl";
  std::string log_level = "info";
  uint32_t max_call_duration_s = 14400;  // answered calls are hung up after this long; 0: never
  MediaConfig media;
  std::optional<HostPort> metrics_listen;  // empty option: no /metrics endpoint
  std::vector<ZoneConfig> zones;           // sorted by name
  std::vector<TrunkConfig> trunks;         // sorted by name

  [[nodiscard]] const ZoneConfig* find_zone(std::string_view name) const;
  // True when some trunk uses the zone: such a zone faces carriers, every other zone is access.
  [[nodiscard]] bool is_trunk_zone(std::string_view zone) const;
  // The single access zone (validation guarantees exactly one).
  [[nodiscard]] const ZoneConfig& access_zone() const;
};

// Parses INI text (the content of a config file). Errors name the option and say why.
std::expected<Config, std::string> parse_config(std::string_view text);
std::expected<Config, std::string> load_config(const std::string& path);

// "host:port" with an IPv4 host; `what` names the option for the error message.
std::expected<HostPort, std::string> parse_host_port(std::string_view text, std::string_view what);

}  // namespace sbc::cp
