#include "controlplane/routing/trunk_sources.h"

#include "controlplane/net/ip_network.h"

namespace sbc::cp {

TrunkSources::TrunkSources(const std::vector<ZoneConfig>& zones,
                           const std::vector<TrunkConfig>& trunks)
    : trunks_(&trunks), resolved_(trunks.size()) {
  zone_trunks_.reserve(zones.size());
  for (const ZoneConfig& z : zones) {
    std::vector<size_t> on_zone;
    for (size_t t = 0; t < trunks.size(); ++t) {
      if (trunks[t].zone == z.name) on_zone.push_back(t);
    }
    zone_trunks_.push_back(std::move(on_zone));
  }
}

void TrunkSources::set_resolved(size_t trunk, std::vector<IpNetwork> networks) {
  if (trunk < resolved_.size()) resolved_[trunk] = std::move(networks);
}

std::optional<size_t> TrunkSources::trunk_of(size_t zone,
                                             const boost::asio::ip::address& source) const {
  if (zone >= zone_trunks_.size()) return std::nullopt;
  const boost::asio::ip::address a = normalize(source);
  std::optional<size_t> best;
  int best_length = -1;
  for (size_t t : zone_trunks_[zone]) {
    const auto& allow = (*trunks_)[t].allow;
    for (const IpNetwork& n : allow.empty() && t < resolved_.size() ? resolved_[t] : allow) {
      if (n.prefix_length > best_length && n.contains(a)) {
        best = t;
        best_length = n.prefix_length;
      }
    }
  }
  return best;
}

}  // namespace sbc::cp
