// sbcd configuration: the INI file (sbc.conf) parsed into plain values, validated once at start-up.
// Each subject owns its settings struct (media_settings.h, security_settings.h, zone_settings.h,
// trunk_settings.h, ...); this file holds what spans subjects (table sizes, sockets) and the whole
// file's Config, which composes them.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_settings.h"
#include "controlplane/net/dns_client.h"
#include "controlplane/net/host_port.h"
#include "controlplane/registrar/registrar_settings.h"
#include "controlplane/routing/did_table.h"
#include "controlplane/routing/route_table.h"
#include "controlplane/routing/trunk_settings.h"
#include "controlplane/routing/zone_settings.h"
#include "controlplane/security/security_settings.h"
#include "controlplane/transport/transport_settings.h"

namespace sbc::cp {

// [sbcd] table sizes (capacity.h derives the defaults). 0: derived.
struct CapacityConfig {
  uint32_t calls = 0;         // call_capacity: live calls (ended ones are not counted)
  uint32_t transactions = 0;  // transaction_capacity: each of server and client transactions
  uint32_t ended_calls = 0;   // ended_call_capacity: ended calls remembered for retransmissions
};

struct Config {
  std::string dataplane_socket = "/run/sbc/dataplane.sock";
  std::string mgmt_socket = "/run/sbc/sbcd.sock";
  std::string cdr_file = "/var/log/sbc/cdr.jsonl";
  // SQLite database of established calls and bans, so a restarted sbcd keeps them.
  std::string state_db = "/var/lib/sbc/state.db";
  std::string log_level = "info";
  uint32_t max_call_duration_s = 14400;  // answered calls are hung up after this long; 0: never
  // Session timers (RFC 4028) on both legs of every call: the interval we ask for and the
  // shortest we accept; 0: none offered (a peer's are still honoured).
  uint32_t session_expires_s = 1800;
  uint32_t min_se_s = 90;
  DnsSettings dns;  // dns_servers, dns_timeout_ms: how trunk host names are resolved
  CapacityConfig capacity;
  MediaConfig media;
  SipConfig sip;
  std::optional<TlsConfig> tls;            // set when the file has a [tls] section
  std::optional<HostPort> metrics_listen;  // empty option: no /metrics endpoint
  std::vector<ZoneConfig> zones;           // sorted by name (a reload: config_reload.h)
  std::vector<TrunkConfig> trunks;         // sorted by name
  std::vector<RouteConfig> routes;         // [route.NAME], sorted by name
  std::vector<DidConfig> dids;             // [did.NAME], sorted by name
  SecurityConfig security;
  RegistrarConfig registrar;
  std::vector<UserConfig> users;  // sorted by name

  [[nodiscard]] const ZoneConfig* find_zone(std::string_view name) const;
  // True when some trunk uses the zone: such a zone faces carriers, every other zone is access.
  [[nodiscard]] bool is_trunk_zone(std::string_view zone) const;
  // The single access zone (validation guarantees exactly one).
  [[nodiscard]] const ZoneConfig& access_zone() const;
  // Binary search of `users`; nullptr when there is no [user.NAME].
  [[nodiscard]] const UserConfig* find_user(std::string_view name) const;
  // What edge security reads, referring into this Config (SecurityView).
  [[nodiscard]] SecurityView security_view() const {
    return {zones, trunks, users, security, media};
  }
};

// Parses INI text (the content of a config file). Errors name the option and say why.
std::expected<Config, std::string> parse_config(std::string_view text);
std::expected<Config, std::string> load_config(const std::string& path);

// "host:port" with an IPv4 host; `what` names the option for the error message.
std::expected<HostPort, std::string> parse_host_port(std::string_view text, std::string_view what);

}  // namespace sbc::cp
