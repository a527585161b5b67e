// Trunk settings: [trunk.NAME], a carrier reached on a zone. A zone some trunk uses faces
// carriers; every other zone is an access zone.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_policy.h"
#include "controlplane/net/ip_network.h"
#include "controlplane/normalize/normalization_policy.h"
#include "controlplane/routing/zone_settings.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

// Call limits of one scope (the whole SBC, a trunk, a user), enforced by admission control.
struct CallLimits {
  uint32_t max_calls = 0;  // concurrent; 0 = unlimited
  uint32_t max_cps = 0;    // new calls per second; 0 = unlimited
  bool operator==(const CallLimits&) const = default;
};

// Qualify: OPTIONS pings to the trunk (b2bua/trunk_qualify.h) and the up/down hysteresis over
// their results (routing/trunk_health.h). A trunk marked down takes no new calls.
struct QualifyConfig {
  std::chrono::seconds interval{0};         // qualify = seconds between pings; 0: not pinged
  std::chrono::milliseconds timeout{2000};  // qualify_timeout_ms: no answer by then is a failure
  uint32_t failures = 2;                    // qualify_failures: failed pings in a row mark it down
  uint32_t successes = 2;                   // qualify_successes: answered in a row mark it up
  [[nodiscard]] bool enabled() const { return interval.count() > 0; }
  bool operator==(const QualifyConfig&) const = default;
};

// Failover of a call from this trunk to the next one the router offers (b2bua/trunk_failover.h):
// on no response at all to our INVITE within `timeout`, a transaction timeout or transport error,
// 408 and every 5xx, and the 4xx/6xx in `codes`. A 503's Retry-After also takes the trunk out of
// routing for that long (routing/trunk_health.h).
struct FailoverConfig {
  std::chrono::milliseconds timeout{3000};  // failover_timeout_ms: 0 waits for Timer B
  std::vector<uint16_t> codes;              // failover_codes: 4xx/6xx that also fail over
  [[nodiscard]] bool fails_over(int code) const;
  bool operator==(const FailoverConfig&) const = default;
};

// Outbound registration (b2bua/trunk_registration.h): the trunk's username bound at its
// registrar, refreshed before expiry.
struct RegistrationConfig {
  bool enabled = false;                // register = yes
  std::chrono::seconds expires{3600};  // register_expires: asked for in each REGISTER
  bool operator==(const RegistrationConfig&) const = default;
};

// What a trunk costs for the numbers starting with `prefix` ("": any number), in the operator's
// unit (per minute, say): least-cost routes (route_table.h, `order = cost`) try the cheapest
// trunk first.
struct TrunkRate {
  std::string prefix;
  double cost = 0;
  bool operator==(const TrunkRate&) const = default;
};

struct TrunkConfig {
  std::string name;
  std::string zone;
  // The access zone its calls go to (a DID may name another); resolved by validation, which
  // defaults it to the only access zone.
  std::string inbound_zone;
  // The carrier's SIP server as configured: an IPv4 address (`address`) or a DNS name, located
  // per RFC 3263 (routing/sip_locator.h: NAPTR and SRV unless port or transport say otherwise).
  std::string host;
  std::optional<boost::asio::ip::address> address;  // host when it is an address
  uint16_t port = 5060;
  bool port_set = false;                  // port configured (a name then skips NAPTR and SRV)
  Transport transport = Transport::kUdp;  // how we reach the carrier
  bool transport_set = false;             // transport configured (a name then skips NAPTR)
  std::string fromdomain;                 // optional: host part of From toward the carrier
  std::string fromuser;                   // optional: user part of From toward the carrier
  // Optional digest credentials: our INVITE challenged by the carrier (401/407) is sent again
  // with them (b2bua/trunk_challenge.h). The secret is never logged, exported or shown.
  std::string username;
  std::string secret;
  std::vector<IpNetwork> allow;           // allow = CIDR list; default {address/32}, or for a
                                          // name the addresses it resolves to (empty here):
                                          // requests on the trunk's zone from these sources
                                          // belong to this trunk
  CallLimits limits;                      // max_calls, max_cps
  MediaPolicyOverride media;              // media_profile, srtp_suites: over its zone's
  DialogPolicyOverride dialog;            // session_expires, min_se, 100rel: over its zone's
  NormalizationPolicyOverride normalize;  // number rules, identity, headers: over its zone's
  QualifyConfig qualify;
  FailoverConfig failover;
  RegistrationConfig registration;
  std::vector<TrunkRate> rates;  // cost (prefix ""), rates = prefix:cost, ...
  bool operator==(const TrunkConfig&) const = default;
};

// True when some trunk uses the zone: such a zone faces carriers, every other zone is access.
[[nodiscard]] bool is_trunk_zone(const std::vector<TrunkConfig>& trunks, std::string_view zone);
// The first access zone (validation guarantees at least one; a retired one is skipped).
[[nodiscard]] const ZoneConfig& access_zone(const std::vector<ZoneConfig>& zones,
                                            const std::vector<TrunkConfig>& trunks);
// The access zone option `option` names (`name`: it must be one), or, when it names none, the
// only access zone there is: with several the option must say which.
[[nodiscard]] std::expected<std::string, std::string> resolve_access_zone(
    const std::vector<ZoneConfig>& zones, const std::vector<TrunkConfig>& trunks,
    std::string_view name, std::string_view option);

}  // namespace sbc::cp
