#include "controlplane/routing/zone_settings.h"

#include <algorithm>

namespace sbc::cp {

bool ZoneConfig::has_listener(Transport transport) const {
  return std::ranges::any_of(listeners,
                             [&](const ListenerConfig& l) { return l.transport == transport; });
}

const ZoneConfig* find_zone(const std::vector<ZoneConfig>& zones, std::string_view name) {
  for (const ZoneConfig& z : zones) {
    if (z.name == name && !z.retired) return &z;
  }
  return nullptr;
}

}  // namespace sbc::cp
