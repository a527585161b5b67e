// sbcd configuration: the INI file (sbc.conf) parsed into plain values, validated once at start-up.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/security/ip_network.h"
#include "controlplane/sip/method.h"
#include "controlplane/sip_transport.h"

namespace sbc::cp {

// An IPv4 address and UDP port in text form as configured ("192.0.2.10:5060").
struct HostPort {
  std::string host;
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

// One SIP listener of a zone: a UDP socket, or a TCP/TLS acceptor.
struct ListenerConfig {
  Transport transport = Transport::kUdp;
  std::string address;  // empty: the zone's sip_address, or its dataplane port's (after Hello)
  uint16_t port = 0;
  bool operator==(const ListenerConfig&) const = default;
};

enum class DigestAlgorithm : uint8_t { kMd5, kSha256 };
// "MD5", "SHA-256" (as on the wire).
[[nodiscard]] std::string_view to_string(DigestAlgorithm a);
// Case-insensitive "md5" / "sha-256" / "sha256"; nullopt for anything else.
[[nodiscard]] std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view text);

struct CallLimits {
  uint32_t max_calls = 0;  // concurrent; 0 = unlimited
  uint32_t max_cps = 0;    // new calls per second; 0 = unlimited
  bool operator==(const CallLimits&) const = default;
};

struct UserConfig {  // [user.NAME]; NAME is the SIP/digest username
  std::string name;
  std::string zone;                         // default: the access zone
  std::string secret;                       // required, 1..128 printable chars; never logged
  std::vector<DigestAlgorithm> algorithms;  // empty: the zone's auth_algorithms
  CallLimits limits;                        // max_calls, max_cps
  uint32_t max_calls_per_minute = 0;        // toll-fraud account rate; 0: [security] default
  uint32_t max_calls_per_hour = 0;          // 0: [security] default
  bool operator==(const UserConfig&) const = default;
};

struct RegistrarConfig {        // [registrar]
  uint32_t min_expires = 60;    // shorter requests get 423 + Min-Expires
  uint32_t max_expires = 3600;  // longer requests are granted this
  uint32_t default_expires = 3600;
  uint32_t nat_expires = 60;       // granted to a client behind NAT (its Contact is not where the
                                   // REGISTER came from), so it re-registers and keeps its pinhole
  uint32_t max_contacts = 5;       // bindings per user; beyond it the oldest is replaced
  uint32_t max_bindings = 100000;  // all users
  bool operator==(const RegistrarConfig&) const = default;
};

// The default of [security] scanner_user_agents.
inline const std::vector<std::string> kDefaultScannerUserAgents = {
    "friendly-scanner", "sipvicious", "sipcli",          "sip-scan", "sipsak",
    "sundayddr",        "iWar",       "VaxSIPUserAgent", "pplsip",   "SIPScan"};

struct SecurityConfig {                // [security]
  std::vector<IpNetwork> allowlist;    // never banned, never rate limited
  uint32_t request_rate = 50;          // per-source token bucket over SIP messages: per second
  uint32_t request_burst = 100;        // bucket depth; request_rate 0: no per-source limit
  uint32_t window = 60;                // seconds: the sliding window offences are counted in
  uint32_t max_auth_failures = 5;      // in the window -> ban (0: never)
  uint32_t max_malformed = 10;         // in the window -> ban (0: never)
  uint32_t max_rate_violations = 200;  // messages over the bucket in the window -> ban (0: never)
  // New TCP/TLS connections per second per source (token bucket, as deep); a connection over it
  // is closed before its TLS handshake and is a rate violation. 0: no limit.
  uint32_t max_connection_rate = 10;
  uint32_t max_tls_failures = 10;  // failed inbound TLS handshakes in the window -> ban (0: never)
  // Case-insensitive substrings of User-Agent; one request bans. Configuring the key replaces
  // this default list.
  std::vector<std::string> scanner_user_agents = kDefaultScannerUserAgents;
  uint32_t ban_time = 600;               // seconds, first ban
  uint32_t ban_time_max = 86400;         // escalation cap: each repeat ban doubles the last
  uint32_t recidive_window = 86400;      // seconds a past ban still counts for escalation
  uint32_t max_tracked_sources = 65536;  // per-source state kept (LRU beyond)
  uint32_t max_bans = 65536;
  CallLimits limits;                  // global max_calls, max_cps
  uint32_t max_calls_per_minute = 0;  // default per-account toll-fraud rates (0: none)
  uint32_t max_calls_per_hour = 0;
  std::vector<std::string> blocked_prefixes;  // destination digit prefixes refused (403)
  std::vector<std::string> allowed_prefixes;  // exceptions; the longest matching prefix decides
  bool operator==(const SecurityConfig&) const = default;
};

struct ZoneConfig {
  std::string name;
  std::string dataplane_port;  // media is anchored on this dataplane port
  std::string sip_address;     // empty: the dataplane port's address (known after Hello)
  uint16_t sip_port = 5060;    // UDP and TCP listeners
  uint16_t tls_port = 5061;    // TLS listener
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
  std::string host;  // IPv4 address of the carrier's SIP server
  uint16_t port = 5060;
  Transport transport = Transport::kUdp;  // how we reach the carrier
  std::string fromdomain;                 // optional: host part of From toward the carrier
  std::string fromuser;                   // optional: user part of From toward the carrier
  std::vector<IpNetwork> allow;           // allow = CIDR list; default {host/32}: requests on the
                                          // trunk's zone from these sources belong to this trunk
  CallLimits limits;                      // max_calls, max_cps
  bool operator==(const TrunkConfig&) const = default;
};

struct MediaConfig {
  uint16_t port_min = 20000;
  uint16_t port_max = 29999;
  uint32_t timeout_s = 60;  // 0: never
  uint32_t latch_window_ms = 2000;
  uint32_t max_packet_rate = 0;  // packets/s per stream a session may receive; 0: no ceiling
  bool operator==(const MediaConfig&) const = default;
};

// [sip]: stream (TCP and TLS) connection limits.
struct SipConfig {
  uint32_t tcp_idle_timeout_s = 600;          // a connection with no traffic this long is closed
  uint32_t max_connections = 1024;            // TCP + TLS, inbound and outbound, all zones
  uint32_t max_connections_per_address = 32;  // per remote IP
  bool operator==(const SipConfig&) const = default;
};

// [sbcd] table sizes (capacity.h derives the defaults). 0: derived.
struct CapacityConfig {
  uint32_t calls = 0;         // call_capacity: live calls (ended ones are not counted)
  uint32_t transactions = 0;  // transaction_capacity: each of server and client transactions
  uint32_t ended_calls = 0;   // ended_call_capacity: ended calls remembered for retransmissions
};

enum class TlsVersion : uint8_t { k12, k13 };

// [tls]: one server context for every TLS listener and one client context for outbound TLS.
struct TlsConfig {
  std::string certificate;  // PEM, leaf first (chain allowed)
  std::string private_key;  // PEM
  std::string ca_file;      // verifies client certificates and the servers we connect to
  TlsVersion min_version = TlsVersion::k12;
  std::string ciphers;       // TLS <= 1.2 cipher list, OpenSSL syntax; empty: OpenSSL default
  std::string ciphersuites;  // TLS 1.3 ciphersuites; empty: OpenSSL default
  std::string groups;        // key-exchange groups in preference order; empty: OpenSSL default
  bool verify_client = false;
  bool verify_server = true;
  bool operator==(const TlsConfig&) const = default;
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

// "1.2" / "1.3", as in tls.min_version.
[[nodiscard]] std::string_view to_string(TlsVersion version);

// "host:port" with an IPv4 host; `what` names the option for the error message.
std::expected<HostPort, std::string> parse_host_port(std::string_view text, std::string_view what);

}  // namespace sbc::cp
