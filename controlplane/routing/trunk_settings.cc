#include "controlplane/routing/trunk_settings.h"

#include <algorithm>

namespace sbc::cp {

bool FailoverConfig::fails_over(int code) const {
  return code == 408 || (code >= 500 && code < 600) ||
         std::ranges::find(codes, code) != codes.end();
}

bool is_trunk_zone(const std::vector<TrunkConfig>& trunks, std::string_view zone) {
  return std::ranges::any_of(trunks, [&](const TrunkConfig& t) { return t.zone == zone; });
}

const ZoneConfig& access_zone(const std::vector<ZoneConfig>& zones,
                              const std::vector<TrunkConfig>& trunks) {
  for (const ZoneConfig& z : zones) {
    if (!is_trunk_zone(trunks, z.name) && !z.retired) return z;
  }
  return zones.front();  // unreachable after validation
}

}  // namespace sbc::cp
