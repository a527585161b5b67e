// Security settings: [security], per-user accounts ([user.NAME]) and digest algorithms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/net/ip_network.h"

namespace sbc::cp {

enum class DigestAlgorithm : uint8_t { kMd5, kSha256 };
// "MD5", "SHA-256" (as on the wire).
[[nodiscard]] constexpr std::string_view to_string(DigestAlgorithm a) {
  return a == DigestAlgorithm::kSha256 ? "SHA-256" : "MD5";
}
// Case-insensitive "md5" / "sha-256" / "sha256"; nullopt for anything else.
[[nodiscard]] inline std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "md5") return DigestAlgorithm::kMd5;
  if (lower == "sha-256" || lower == "sha256") return DigestAlgorithm::kSha256;
  return std::nullopt;
}

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

}  // namespace sbc::cp
