// Route tables from [route.NAME] sections read by the real parser: the longest prefix wins over
// shorter ones and the zone's default, levels come in priority order, a level's trunks share
// first choice by weight; the parser refuses routes it could not serve.
#include "controlplane/routing/route_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "controlplane/config/config.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

const std::string kTrunks = testing::kTwoZoneConfig + R"(
[trunk.a]
zone = carrier
host = 198.51.100.21
[trunk.b]
zone = carrier
host = 198.51.100.22
[trunk.c]
zone = carrier
host = 198.51.100.23
)";

Config parsed(const std::string& routes) {
  auto config = parse_config(kTrunks + routes);
  EXPECT_TRUE(config.has_value()) << config.error();
  return config ? std::move(*config) : Config{};
}

std::string refusal(const std::string& routes) {
  auto config = parse_config(kTrunks + routes);
  return config ? std::string("(accepted)") : config.error();
}

// Trunk names of a choice.
std::vector<std::string> names(const Config& config, const RouteChoice& choice) {
  std::vector<std::string> out;
  for (size_t t : choice.trunks) out.push_back(config.trunks[t].name);
  return out;
}

TEST(RouteTableTest, TheLongestPrefixWinsOverShorterOnesAndTheDefault) {
  const Config config = parsed(R"(
[route.default]
trunks = c
[route.uk]
prefix = 44, +44
trunks = a, c
[route.uk_mobile]
prefix = 447
trunks = b
)");
  RouteTable table(config.routes, config.trunks);
  RouteTable::Random random(1);
  EXPECT_TRUE(table.routes_zone("access"));
  EXPECT_FALSE(table.routes_zone("carrier"));
  auto uk = table.choose("access", "442071234567", random);
  ASSERT_TRUE(uk);
  EXPECT_EQ(uk->route, "uk");
  EXPECT_EQ(names(config, *uk), (std::vector<std::string>{"a", "c"})) << "in priority order";
  EXPECT_EQ(table.choose("access", "+442071234567", random)->route, "uk");
  EXPECT_EQ(table.choose("access", "447700900123", random)->route, "uk_mobile");
  EXPECT_EQ(table.choose("access", "15550100", random)->route, "default");
  EXPECT_FALSE(table.choose("carrier", "15550100", random)) << "no routes on that zone";
}

TEST(RouteTableTest, WithoutADefaultANumberNoPrefixServesHasNoRoute) {
  const Config config = parsed("[route.us]\nprefix = 1\ntrunks = a\n");
  RouteTable table(config.routes, config.trunks);
  RouteTable::Random random(1);
  EXPECT_TRUE(table.choose("access", "15550100", random));
  EXPECT_FALSE(table.choose("access", "4420", random));
}

TEST(RouteTableTest, ALevelsTrunksShareFirstChoiceByWeight) {
  const Config config = parsed("[route.all]\ntrunks = a:70 b:30, c\n");
  RouteTable table(config.routes, config.trunks);
  RouteTable::Random random(7);
  std::map<std::string, int> first;
  constexpr int kCalls = 2000;
  for (int i = 0; i < kCalls; ++i) {
    auto choice = table.choose("access", "15550100", random);
    ASSERT_TRUE(choice);
    auto order = names(config, *choice);
    ASSERT_EQ(order.size(), 3U);
    EXPECT_EQ(order[2], "c") << "the next level only after the first";
    EXPECT_NE(order[0], order[1]) << "the other trunk of the level is the first alternate";
    ++first[order[0]];
  }
  // 70 % of 2,000 is 1,400 with a standard deviation of about 20.
  EXPECT_NEAR(first["a"], 1400, 150);
  EXPECT_NEAR(first["b"], 600, 150);
}

TEST(RouteTableTest, ALeastCostRouteTriesTheCheapestTrunkForTheNumberFirst) {
  // a: 0.012 anywhere, 0.080 to UK mobiles; b: 0.010 to the UK, 0.009 to London; c: unrated.
  const Config config = parsed(R"(
[trunk.a]
cost = 0.012
rates = 447:0.080
[trunk.b]
rates = 44:0.010, 4420:0.009
[route.uk]
prefix = 44
trunks = a:90 c b:10
order = cost
[route.rest]
trunks = c a b
order = cost
)");
  RouteTable table(config.routes, config.trunks);
  RouteTable::Random random(3);
  for (int i = 0; i < 50; ++i) {  // whatever the weighted draw, cost decides
    EXPECT_EQ(names(config, *table.choose("access", "442071234567", random)),
              (std::vector<std::string>{"b", "a", "c"}));
    EXPECT_EQ(names(config, *table.choose("access", "447700900123", random)),
              (std::vector<std::string>{"b", "a", "c"}));
    // Neither b nor c has a rate for it: after a, in their weighted order.
    const auto rest = names(config, *table.choose("access", "15550100", random));
    ASSERT_EQ(rest.size(), 3U);
    EXPECT_EQ(rest[0], "a");
  }
  EXPECT_TRUE(config.routes[1].least_cost);
  EXPECT_EQ(config.trunks[0].rates.size(), 2U);
}

TEST(RouteTableTest, TheParserRefusesRoutesItCouldNotServe) {
  EXPECT_NE(refusal("[route.r]\ntrunks = a\norder = cheapest\n").find("not one of weight, cost"),
            std::string::npos);
  EXPECT_NE(refusal("[trunk.a]\ncost = -1\n").find("is not a cost"), std::string::npos);
  EXPECT_NE(refusal("[trunk.a]\nrates = 44\n").find("is not prefix:cost"), std::string::npos);
  EXPECT_NE(refusal("[trunk.a]\nrates = 44:1, 44:2\n").find("rated twice"), std::string::npos);
  EXPECT_NE(refusal("[route.r]\ntrunks = nope\n").find("no [trunk.nope]"), std::string::npos);
  EXPECT_NE(refusal("[route.r]\nprefix = 44\n").find("trunks: required"), std::string::npos);
  EXPECT_NE(refusal("[route.r]\nzone = carrier\ntrunks = a\n").find("faces carriers"),
            std::string::npos);
  EXPECT_NE(refusal("[route.r]\nzone = lobby\ntrunks = a\n")
                .find("route.r.zone: no section [zone.lobby]"),
            std::string::npos);
  EXPECT_NE(refusal("[route.r]\nprefix = 44x\ntrunks = a\n").find("not a number prefix"),
            std::string::npos);
  EXPECT_NE(refusal("[route.r]\ntrunks = a:0\n").find("weight"), std::string::npos);
  EXPECT_NE(refusal("[route.r]\ntrunks = a, a\n").find("listed twice"), std::string::npos);
  EXPECT_NE(refusal("[route.r]\nprefix = 44\ntrunks = a\n[route.s]\nprefix = 44\ntrunks = b\n")
                .find("both route prefix 44"),
            std::string::npos);
  EXPECT_NE(refusal("[route.r]\ntrunks = a\n[route.s]\ntrunks = b\n").find("every other number"),
            std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
