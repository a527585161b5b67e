// [route.NAME] sections: route tables (routing/route_table.h). Read once zones and trunks are,
// so each route's zone and trunks are checked against them.
#include <algorithm>
#include <map>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kRouteKeys = {"zone", "prefix", "trunks"};

// trunks = a:70 b:30, c  ->  {{a 70, b 30}, {c 1}}
std::expected<std::vector<std::vector<RouteTrunk>>, std::string> parse_levels(
    std::string_view text, const std::string& option, const Config& config) {
  auto levels = split_list(text, option);
  if (!levels) return std::unexpected(levels.error());
  std::vector<std::vector<RouteTrunk>> out;
  std::set<std::string> seen;
  for (const std::string& level : *levels) {
    std::vector<RouteTrunk> members;
    std::istringstream words(level);
    for (std::string word; words >> word;) {
      RouteTrunk member;
      const size_t colon = word.find(':');
      member.trunk = word.substr(0, colon);
      if (colon != std::string::npos) {
        auto weight = parse_number<uint32_t>(std::string_view(word).substr(colon + 1),
                                             option + " weight of " + member.trunk, 1, 1000);
        if (!weight) return std::unexpected(weight.error());
        member.weight = *weight;
      }
      if (std::ranges::find(config.trunks, member.trunk, &TrunkConfig::name) ==
          config.trunks.end()) {
        return std::unexpected(fmt::format("{}: no [trunk.{}] to route to", option, member.trunk));
      }
      if (!seen.insert(member.trunk).second) {
        return std::unexpected(fmt::format("{}: trunk {} listed twice", option, member.trunk));
      }
      members.push_back(std::move(member));
    }
    out.push_back(std::move(members));
  }
  return out;
}

}  // namespace

void add_route_options(po::options_description& desc, const std::set<std::string>& routes) {
  add_section_options(desc, "route", routes, kRouteKeys);
}

std::expected<void, std::string> read_routes(const Values& v, const std::set<std::string>& names,
                                             Config& config) {
  // (zone, prefix) -> the route serving it; "" is a zone's default route.
  std::map<std::pair<std::string, std::string>, std::string> served;
  for (const std::string& name : names) {
    const std::string prefix = "route." + name + ".";
    RouteConfig route;
    route.name = name;
    route.zone =
        v.get(prefix + "zone").value_or(std::string(access_zone(config.zones, config.trunks).name));
    if (config.find_zone(route.zone) == nullptr) {
      return std::unexpected(fmt::format("{}zone: no [zone.{}]", prefix, route.zone));
    }
    if (config.is_trunk_zone(route.zone)) {
      return std::unexpected(
          fmt::format("{}zone: {} faces carriers; routes are for calls from an access zone", prefix,
                      route.zone));
    }
    if (auto text = v.get(prefix + "prefix")) {
      auto prefixes = split_list(*text, prefix + "prefix");
      if (!prefixes) return std::unexpected(prefixes.error());
      for (const std::string& p : *prefixes) {
        if (!valid_number_prefix(p)) {
          return std::unexpected(fmt::format(
              "{}prefix: '{}' is not a number prefix (digits, * or #, an optional leading +)",
              prefix, p));
        }
      }
      route.prefixes = std::move(*prefixes);
    }
    auto trunks = v.get(prefix + "trunks");
    if (!trunks) return std::unexpected(prefix + "trunks: required (the trunks it routes to)");
    auto levels = parse_levels(*trunks, prefix + "trunks", config);
    if (!levels) return std::unexpected(levels.error());
    route.levels = std::move(*levels);
    for (const std::string& p :
         route.prefixes.empty() ? std::vector<std::string>{""} : route.prefixes) {
      auto [it, fresh] = served.emplace(std::pair{route.zone, p}, name);
      if (!fresh) {
        return std::unexpected(
            fmt::format("[route.{}] and [route.{}] both route {} from zone {}", it->second, name,
                        p.empty() ? "every other number (no prefix)" : "prefix " + p, route.zone));
      }
    }
    config.routes.push_back(std::move(route));
  }
  return {};
}

}  // namespace sbc::cp::config_detail
