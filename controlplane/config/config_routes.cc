// [route.NAME] sections: route tables (routing/route_table.h). Read once zones and trunks are,
// so each route's zone and trunks are checked against them.
#include <algorithm>
#include <charconv>
#include <map>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kRouteKeys = {"zone", "prefix", "trunks", "order"};
const std::vector<std::string> kRateKeys = {"cost", "rates"};

// A cost: a finite decimal number, 0 or more.
std::expected<double, std::string> parse_cost(std::string_view text, const std::string& option) {
  text = trim(text);
  double value = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !(value >= 0) || value > 1e9) {
    return std::unexpected(
        fmt::format("{}: '{}' is not a cost (a decimal number, 0 or more)", option, text));
  }
  return value;
}

// cost = 0.012; rates = 447:0.080, 4420:0.009
std::expected<void, std::string> read_rates(const Values& v, TrunkConfig& trunk) {
  const std::string prefix = "trunk." + trunk.name + ".";
  if (auto text = v.get(prefix + "cost")) {
    auto cost = parse_cost(*text, prefix + "cost");
    if (!cost) return std::unexpected(cost.error());
    trunk.rates.push_back(TrunkRate{.prefix = "", .cost = *cost});
  }
  auto text = v.get(prefix + "rates");
  if (!text) return {};
  const std::string option = prefix + "rates";
  auto entries = split_list(*text, option);
  if (!entries) return std::unexpected(entries.error());
  for (const std::string& entry : *entries) {
    const size_t colon = entry.rfind(':');
    const std::string number = colon == std::string::npos ? entry : entry.substr(0, colon);
    if (colon == std::string::npos || !valid_number_prefix(number)) {
      return std::unexpected(fmt::format("{}: '{}' is not prefix:cost", option, entry));
    }
    auto cost = parse_cost(std::string_view(entry).substr(colon + 1), option);
    if (!cost) return std::unexpected(cost.error());
    if (std::ranges::find(trunk.rates, number, &TrunkRate::prefix) != trunk.rates.end()) {
      return std::unexpected(fmt::format("{}: prefix {} rated twice", option, number));
    }
    trunk.rates.push_back(TrunkRate{.prefix = number, .cost = *cost});
  }
  return {};
}

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

void add_route_options(po::options_description& desc, const std::set<std::string>& routes,
                       const std::set<std::string>& trunks) {
  add_section_options(desc, "route", routes, kRouteKeys);
  add_section_options(desc, "trunk", trunks, kRateKeys);
}

std::expected<void, std::string> read_routes(const Values& v, const std::set<std::string>& names,
                                             Config& config) {
  for (TrunkConfig& trunk : config.trunks) {
    if (auto r = read_rates(v, trunk); !r) return r;
  }
  // (zone, prefix) -> the route serving it; "" is a zone's default route.
  std::map<std::pair<std::string, std::string>, std::string> served;
  for (const std::string& name : names) {
    const std::string prefix = "route." + name + ".";
    RouteConfig route;
    route.name = name;
    // Routes are for calls from an access zone.
    auto zone = resolve_access_zone(config.zones, config.trunks,
                                    v.get(prefix + "zone").value_or(""), prefix + "zone");
    if (!zone) return std::unexpected(zone.error());
    route.zone = std::move(*zone);
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
    if (auto order = v.get(prefix + "order")) {
      const std::string_view value = trim(*order);
      if (value != "cost" && value != "weight") {
        return std::unexpected(
            fmt::format("{}order: '{}' is not one of weight, cost", prefix, value));
      }
      route.least_cost = value == "cost";
    }
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
