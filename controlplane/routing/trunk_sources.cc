#include "controlplane/routing/trunk_sources.h"

#include "controlplane/net/ip_network.h"

namespace sbc::cp {

TrunkSources::TrunkSources(const Config& config) : config_(&config) {
  zone_trunks_.reserve(config.zones.size());
  for (const ZoneConfig& z : config.zones) {
    std::vector<size_t> trunks;
    for (size_t t = 0; t < config.trunks.size(); ++t) {
      if (config.trunks[t].zone == z.name) trunks.push_back(t);
    }
    zone_trunks_.push_back(std::move(trunks));
  }
}

std::optional<size_t> TrunkSources::trunk_of(size_t zone,
                                             const boost::asio::ip::address& source) const {
  if (zone >= zone_trunks_.size()) return std::nullopt;
  const boost::asio::ip::address a = normalize(source);
  std::optional<size_t> best;
  int best_length = -1;
  for (size_t t : zone_trunks_[zone]) {
    for (const IpNetwork& n : config_->trunks[t].allow) {
      if (n.prefix_length > best_length && n.contains(a)) {
        best = t;
        best_length = n.prefix_length;
      }
    }
  }
  return best;
}

}  // namespace sbc::cp
