#include "controlplane/routing/trunk_settings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

std::expected<std::string, std::string> resolve_access_zone(const std::vector<ZoneConfig>& zones,
                                                            const std::vector<TrunkConfig>& trunks,
                                                            std::string_view name,
                                                            std::string_view option) {
  std::vector<std::string_view> access;
  for (const ZoneConfig& z : zones) {
    if (!is_trunk_zone(trunks, z.name) && !z.retired) access.push_back(z.name);
  }
  if (!name.empty()) {
    if (std::ranges::find(access, name) != access.end()) return std::string(name);
    if (std::ranges::none_of(zones, [&](const ZoneConfig& z) { return z.name == name; })) {
      return std::unexpected(fmt::format("{}: no section [zone.{}]", option, name));
    }
    return std::unexpected(
        fmt::format("{}: zone {} faces carriers (trunks use it), not an "
                    "access zone",
                    option, name));
  }
  if (access.size() == 1) return std::string(access.front());
  return std::unexpected(fmt::format("{}: there are several access zones ({}): name one", option,
                                     fmt::join(access, ", ")));
}

}  // namespace sbc::cp
