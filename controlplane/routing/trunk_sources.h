// Which trunk a source belongs to: on a trunk zone, the trunk whose `allow` list (for a trunk
// known by name without one, the addresses the name resolves to) holds the source's address, the
// most specific entry winning when trunks of one zone overlap. The one lookup behind the router
// (who places a call from a carrier) and edge security (a trunk zone's ACL).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <optional>
#include <vector>

#include "controlplane/routing/trunk_settings.h"
#include "controlplane/routing/zone_settings.h"

namespace sbc::cp {

class TrunkSources {
 public:
  TrunkSources() = default;
  // Indexes `trunks` by zone (by index into `zones`); `trunks` must outlive this (it is read on
  // every lookup).
  TrunkSources(const std::vector<ZoneConfig>& zones, const std::vector<TrunkConfig>& trunks);
  // The sources of trunk `trunk` (index into `trunks`) while its `allow` is empty: the
  // addresses its host name resolves to (trunk_targets.h).
  void set_resolved(size_t trunk, std::vector<IpNetwork> networks);
  // The trunk (index into `trunks`) whose `allow` covers `source` on zone `zone`; nullopt
  // on an access zone, an unknown zone index or a source no trunk allows.
  [[nodiscard]] std::optional<size_t> trunk_of(size_t zone,
                                               const boost::asio::ip::address& source) const;

 private:
  const std::vector<TrunkConfig>* trunks_ = nullptr;
  std::vector<std::vector<size_t>> zone_trunks_;  // by zone index: trunks (indices) using it
  std::vector<std::vector<IpNetwork>> resolved_;  // by trunk index
};

}  // namespace sbc::cp
