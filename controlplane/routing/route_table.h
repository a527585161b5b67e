// Route tables: where calls from an access zone go, by the number they call. A [route.NAME]
// names its source zone, the Request-URI user prefixes it serves (the longest matching prefix
// among the zone's routes wins; a route without prefixes is the zone's default) and its trunks
// by priority: levels separated by commas, tried in turn when a trunk fails the call
// (b2bua/trunk_failover.h); the trunks of one level share its calls by weight (`name:weight`,
// weight 1 by default), the way Kamailio's dispatcher (priority, weight) and commercial SBCs'
// trunk groups do:
//
//   [route.uk]
//   zone = access
//   prefix = 44, +44
//   trunks = carrier_a:70 carrier_b:30, backup
//
// With `order = cost` a route is least-cost: within each level the trunk with the lowest rate for
// the number called goes first (a trunk's `rates` by longest prefix, else its `cost`; a trunk
// with neither last), trunks of equal cost sharing by weight:
//
//   [trunk.carrier_a]
//   cost = 0.012
//   rates = 447:0.080, 4420:0.009
//   [route.uk]
//   prefix = 44
//   trunks = carrier_a carrier_b, backup
//   order = cost
//
// A zone without routes sends a call to every trunk by name (the first takes it, the others are
// its alternates), so a one-carrier setup needs no route table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/routing/trunk_settings.h"

namespace sbc::cp {

struct RouteTrunk {
  std::string trunk;
  uint32_t weight = 1;
  bool operator==(const RouteTrunk&) const = default;
};

struct RouteConfig {
  std::string name;
  std::string zone;                             // the source zone (an access zone)
  std::vector<std::string> prefixes;            // empty: the zone's default route
  std::vector<std::vector<RouteTrunk>> levels;  // by priority; a level shares calls by weight
  bool least_cost = false;                      // order = cost: cheapest first in a level
  bool operator==(const RouteConfig&) const = default;
};

// The route a call takes: its name and its trunks (indexes) in the order this call tries them.
struct RouteChoice {
  std::string_view route;
  std::vector<size_t> trunks;
};

class RouteTable {
 public:
  using Random = std::minstd_rand;

  RouteTable() = default;
  // Validation made sure every route's trunks exist; one that does not is left out.
  RouteTable(const std::vector<RouteConfig>& routes, const std::vector<TrunkConfig>& trunks);

  // Zone `zone` routes its calls by table.
  [[nodiscard]] bool routes_zone(std::string_view zone) const;
  // The route of a call from `zone` to `user`: the longest prefix that starts `user`, else the
  // zone's default; nullopt when neither exists. Each level's trunks come in a weighted random
  // order drawn from `random`, then, on a least-cost route, sorted by their cost for `user`.
  [[nodiscard]] std::optional<RouteChoice> choose(std::string_view zone, std::string_view user,
                                                  Random& random) const;

 private:
  struct Entry {
    std::string name;
    std::string zone;
    std::vector<std::string> prefixes;
    std::vector<std::vector<std::pair<size_t, uint32_t>>> levels;  // (trunk index, weight)
    bool least_cost = false;
  };
  // Trunk `trunk`'s cost for `user`: its rate with the longest prefix of `user`; +infinity when
  // it has none.
  [[nodiscard]] double cost(size_t trunk, std::string_view user) const;

  std::vector<Entry> entries_;
  std::vector<std::vector<TrunkRate>> rates_;  // by trunk index
};

}  // namespace sbc::cp
