#include "controlplane/config/capacity.h"

#include <algorithm>
#include <set>
#include <string>

namespace sbc::cp {

size_t media_call_capacity(const Config& config) {
  const size_t pairs = (static_cast<size_t>(config.media.port_max) - config.media.port_min + 1) / 2;
  // Calls go between the access zone and a trunk zone: a dataplane port that serves both
  // carries both legs of a call.
  std::set<std::string> trunk_ports;
  for (const ZoneConfig& z : config.zones) {
    if (config.is_trunk_zone(z.name)) trunk_ports.insert(z.dataplane_port);
  }
  size_t legs_per_port = 1;
  for (const ZoneConfig& z : config.zones) {
    if (!config.is_trunk_zone(z.name) && trunk_ports.contains(z.dataplane_port)) legs_per_port = 2;
  }
  return std::max<size_t>(1, pairs / legs_per_port);
}

CapacityLimits resolve_capacity(const Config& config, uint32_t dataplane_max_sessions) {
  const CapacityConfig& c = config.capacity;
  CapacityLimits limits;
  if (c.calls != 0) {
    limits.calls = c.calls;
    limits.calls_source = "configured";
  } else {
    limits.calls = media_call_capacity(config);
    limits.calls_source = "media ports";
    if (dataplane_max_sessions != 0 && dataplane_max_sessions < limits.calls) {
      limits.calls = dataplane_max_sessions;
      limits.calls_source = "dataplane max_sessions";
    }
  }
  // A live call holds up to two transactions on each side (INVITE, then BYE or CANCEL).
  limits.transactions =
      c.transactions != 0 ? c.transactions : std::max(kMinDerivedTransactions, 4 * limits.calls);
  limits.transactions_source = c.transactions != 0 ? "configured" : "derived";
  limits.ended_calls =
      c.ended_calls != 0 ? c.ended_calls : std::max(kMinDerivedEndedCalls, 2 * limits.calls);
  limits.ended_calls_source = c.ended_calls != 0 ? "configured" : "derived";
  return limits;
}

}  // namespace sbc::cp
