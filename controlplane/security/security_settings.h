// Security settings: [security] and per-user accounts ([user.NAME]); SecurityView, the parts of the
// running configuration the security components read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_settings.h"
#include "controlplane/net/ip_network.h"
#include "controlplane/routing/trunk_settings.h"
#include "controlplane/routing/zone_settings.h"

namespace sbc::cp {

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

// Binary search of `users` (sorted by name); nullptr when there is no [user.NAME].
[[nodiscard]] const UserConfig* find_user(const std::vector<UserConfig>& users,
                                          std::string_view name);

// The parts of the running configuration edge security, admission control and the toll-fraud
// guard read: zones (ACLs, trusted and protected sources, digest settings), trunks (allow lists,
// limits), users, [security] and the media port range (the dataplane is told it). Each refers into
// the running Config, which a reload assigns in place (config/config_reload.h), so a view taken at
// start-up stays valid and shows the reloaded values.
struct SecurityView {
  const std::vector<ZoneConfig>& zones;
  const std::vector<TrunkConfig>& trunks;
  const std::vector<UserConfig>& users;
  const SecurityConfig& security;
  const MediaConfig& media;
};

}  // namespace sbc::cp
