#include "controlplane/routing/route_table.h"

#include <algorithm>
#include <limits>

namespace sbc::cp {

RouteTable::RouteTable(const std::vector<RouteConfig>& routes,
                       const std::vector<TrunkConfig>& trunks) {
  for (const RouteConfig& route : routes) {
    Entry entry{route.name, route.zone, route.prefixes, {}, route.least_cost};
    for (const auto& level : route.levels) {
      std::vector<std::pair<size_t, uint32_t>> members;
      for (const RouteTrunk& member : level) {
        auto it = std::ranges::find(trunks, member.trunk, &TrunkConfig::name);
        if (it != trunks.end()) {
          members.emplace_back(static_cast<size_t>(it - trunks.begin()), member.weight);
        }
      }
      if (!members.empty()) entry.levels.push_back(std::move(members));
    }
    entries_.push_back(std::move(entry));
  }
  for (const TrunkConfig& trunk : trunks) rates_.push_back(trunk.rates);
}

double RouteTable::cost(size_t trunk, std::string_view user) const {
  double best = std::numeric_limits<double>::infinity();
  size_t best_length = 0;
  bool found = false;
  for (const TrunkRate& rate : rates_.at(trunk)) {
    if (!user.starts_with(rate.prefix) || (found && rate.prefix.size() <= best_length)) continue;
    best = rate.cost;
    best_length = rate.prefix.size();
    found = true;
  }
  return best;
}

bool RouteTable::routes_zone(std::string_view zone) const {
  return std::ranges::any_of(entries_, [&](const Entry& e) { return e.zone == zone; });
}

std::optional<RouteChoice> RouteTable::choose(std::string_view zone, std::string_view user,
                                              Random& random) const {
  const Entry* best = nullptr;
  size_t best_length = 0;
  for (const Entry& entry : entries_) {
    if (entry.zone != zone) continue;
    if (entry.prefixes.empty()) {
      if (best == nullptr) best = &entry;  // the default: any prefix beats it
      continue;
    }
    for (const std::string& prefix : entry.prefixes) {
      if (user.starts_with(prefix) &&
          (best == nullptr || best->prefixes.empty() || prefix.size() > best_length)) {
        best = &entry;
        best_length = prefix.size();
      }
    }
  }
  if (best == nullptr) return std::nullopt;
  RouteChoice choice{best->name, {}};
  for (const auto& level : best->levels) {
    const size_t first = choice.trunks.size();
    // Weighted order without replacement: each draw picks one of the rest in proportion to its
    // weight, so the first trunk of the level takes its share of calls and the others follow as
    // alternates.
    auto rest = level;
    while (!rest.empty()) {
      uint64_t total = 0;
      for (const auto& [trunk, weight] : rest) total += weight;
      uint64_t draw = std::uniform_int_distribution<uint64_t>(0, total - 1)(random);
      auto it = rest.begin();
      for (; draw >= it->second; ++it) draw -= it->second;
      choice.trunks.push_back(it->first);
      rest.erase(it);
    }
    if (best->least_cost) {
      // Stable: trunks of equal cost keep the weighted order just drawn.
      std::stable_sort(choice.trunks.begin() + static_cast<std::ptrdiff_t>(first),
                       choice.trunks.end(),
                       [&](size_t a, size_t b) { return cost(a, user) < cost(b, user); });
    }
  }
  return choice;
}

}  // namespace sbc::cp
