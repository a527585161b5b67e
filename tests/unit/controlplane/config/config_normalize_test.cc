// The normalisation keys of zones and trunks (config_normalize.cc): defaults, a trunk's over its
// zone's, '#' inside values, and each refusal named with its option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "controlplane/config/config.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::expected<Config, std::string> parse(const std::string& extra) {
  return parse_config("[sbcd]\n" + std::string(testing::kTwoZoneConfig) + extra);
}

TEST(ConfigNormalizeTest, NothingIsRewrittenOrPassedByDefault) {
  auto config = parse("");
  ASSERT_TRUE(config.has_value()) << config.error();
  for (const ZoneConfig& zone : config->zones) {
    EXPECT_EQ(zone.normalize, NormalizationPolicy{}) << zone.name;
  }
  EXPECT_EQ(config->trunks[0].normalize, NormalizationPolicyOverride{});
}

TEST(ConfigNormalizeTest, ATrunkOverridesItsZone) {
  auto config = parse(
      "[zone.carrier]\nnumber_out = +44>0\nuser_agent = Edge SBC\nheaders_pass = Diversion\n"
      "[trunk.carrier1]\nnumber_out = +>00\ntech_prefix = 7788#  ; a comment\n"
      "trust_identity = yes\nheaders_pass = *\nheaders_remove = X-Internal\n"
      "headers_rewrite = Diversion\nheader_add = X-Account: acct-42\nheader_add = X-Two: 2\n"
      "user_agent = none\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  const ZoneConfig& carrier = *config->find_zone("carrier");
  EXPECT_EQ(carrier.normalize.number_out.to_string(), "+44>0");
  EXPECT_EQ(carrier.normalize.headers.pass, std::vector<std::string>{"Diversion"});
  const NormalizationPolicy trunk = config->trunks[0].normalize.over(carrier.normalize);
  EXPECT_EQ(trunk.number_out.to_string(), "+>00");
  EXPECT_EQ(trunk.tech_prefix, "7788#");
  EXPECT_TRUE(trunk.trust_identity);
  EXPECT_TRUE(trunk.headers.pass_all);
  EXPECT_EQ(trunk.headers.remove, std::vector<std::string>{"X-Internal"});
  EXPECT_EQ(trunk.headers.rewrite, std::vector<std::string>{"Diversion"});
  EXPECT_THAT(trunk.headers.add, ElementsAre(Pair("X-Account", "acct-42"), Pair("X-Two", "2")));
  EXPECT_EQ(trunk.user_agent, "") << "none clears the zone's";
}

TEST(ConfigNormalizeTest, BadValuesNameTheirOption) {
  const std::pair<const char*, const char*> cases[] = {
      {"[zone.access]\nnumber_in = 0>+44,,1>2\n", "zone.access.number_in: an empty rule"},
      {"[trunk.carrier1]\nnumber_out = >+1\n", "trunk.carrier1.number_out: rule '>+1'"},
      {"[trunk.carrier1]\ntech_prefix = 12a\n", "trunk.carrier1.tech_prefix"},
      {"[zone.access]\ntrust_identity = maybe\n", "zone.access.trust_identity"},
      {"[zone.access]\nheaders_pass = Via\n", "zone.access.headers_pass: Via is written by"},
      {"[zone.access]\nheaders_remove = X-A\n", "zone.access.headers_remove: only narrows"},
      {"[zone.access]\nheaders_pass = X-A\nheaders_rewrite = Diversion\n",
       "zone.access.headers_rewrite: Diversion is not passed"},
      {"[trunk.carrier1]\nheader_add = Contact: <sip:x@y>\n", "trunk.carrier1.header_add"},
      {"[trunk.carrier1]\nheader_add = X-Foo\n", "trunk.carrier1.header_add: 'X-Foo'"},
  };
  for (const auto& [text, expected] : cases) {
    auto config = parse(text);
    ASSERT_FALSE(config.has_value()) << text;
    EXPECT_THAT(config.error(), HasSubstr(expected)) << text;
  }
}

}  // namespace
}  // namespace sbc::cp
