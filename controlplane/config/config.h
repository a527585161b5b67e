// sbcd configuration: the INI file (sbc.conf) parsed into plain values, validated once at start-up.
// Each subject owns its settings struct (media_settings.h, security_settings.h, ...); this file
// holds what spans subjects (zones, trunks, table sizes) and the whole file's Config.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_settings.h"
#include "controlplane/net/host_port.h"
#include "controlplane/net/ip_network.h"
#include "controlplane/registrar/registrar_settings.h"
#include "controlplane/security/security_settings.h"
#include "controlplane/sip/method.h"
#include "controlplane/transport/sip_transport.h"
#include "controlplane/transport/transport_settings.h"

namespace sbc::cp {

struct ZoneConfig {
  std::string name;
  std::string dataplane_port;  // media is anchored on this dataplane port
  // Unset: the dataplane port's address (known after Hello).
  std::optional<boost::asio::ip::address> sip_address;
  uint16_t sip_port = 5060;  // UDP and TCP listeners
  uint16_t tls_port = 5061;  // TLS listener
  std::vector<Transport> transports = {Transport::kUdp, Transport::kTcp};
  // Every listener: one per entry of `transports` on sip_address (sip_port, tls_port for TLS),
  // then each `listen = transport:address:port`, in file order. The first listener of a
  // transport is the one new requests leave from.
  std::vector<ListenerConfig> listeners;
  std::optional<HostPort> default_target;  // access zones: where calls from trunks go
  Transport default_target_transport = Transport::kUdp;
  std::vector<IpNetwork> acl_allow;  // acl_allow = CIDR list; empty: everyone (minus acl_deny)
  std::vector<IpNetwork> acl_deny;   // acl_deny = CIDR list
  // authenticate = register, invite | none. Default: register, invite when the zone has users
  // ([user.NAME] of this zone), else none.
  std::vector<sip::Method> authenticate;
  std::vector<IpNetwork> trusted;  // trusted = CIDR list: sources that need no digest auth
                                   // (a PBX known by its address)
  std::string realm;               // default: the zone's sip_address, else "sbc"
  std::vector<DigestAlgorithm> auth_algorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
  // allow_open_access = yes: the operator accepts that an access zone without acl_allow and
  // without `authenticate = invite` lets any address place calls toward the trunks. Without it,
  // such a zone is refused by the configuration check.
  bool allow_open_access = false;
  // protect = CIDR list: on-link neighbours the SBC depends on (gateways, next hops). Like the
  // default target and trunk hosts, a single spoofable packet (a scanner User-Agent) never bans
  // them; offences that need a handshake or authentication still count.
  std::vector<IpNetwork> protect;
  // Set by a reload (config_reload.h) on a zone the new file no longer has: it keeps its index in
  // Config::zones (SipPeer::zone) while its live calls finish, takes no new request and is skipped
  // by find_zone() and access_zone(). Never set by the parser.
  bool retired = false;

  [[nodiscard]] bool has_listener(Transport transport) const;
  bool operator==(const ZoneConfig&) const = default;
};

struct TrunkConfig {
  std::string name;
  std::string zone;
  boost::asio::ip::address host;  // IPv4 address of the carrier's SIP server
  uint16_t port = 5060;
  Transport transport = Transport::kUdp;  // how we reach the carrier
  std::string fromdomain;                 // optional: host part of From toward the carrier
  std::string fromuser;                   // optional: user part of From toward the carrier
  std::vector<IpNetwork> allow;           // allow = CIDR list; default {host/32}: requests on the
                                          // trunk's zone from these sources belong to this trunk
  CallLimits limits;                      // max_calls, max_cps
  bool operator==(const TrunkConfig&) const = default;
};

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
  CapacityConfig capacity;
  MediaConfig media;
  SipConfig sip;
  std::optional<TlsConfig> tls;            // set when the file has a [tls] section
  std::optional<HostPort> metrics_listen;  // empty option: no /metrics endpoint
  std::vector<ZoneConfig> zones;           // sorted by name (a reload: config_reload.h)
  std::vector<TrunkConfig> trunks;         // sorted by name
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
};

// Parses INI text (the content of a config file). Errors name the option and say why.
std::expected<Config, std::string> parse_config(std::string_view text);
std::expected<Config, std::string> load_config(const std::string& path);

// "host:port" with an IPv4 host; `what` names the option for the error message.
std::expected<HostPort, std::string> parse_host_port(std::string_view text, std::string_view what);

}  // namespace sbc::cp
