// [did.NAME] sections (config_dids.cc): targets, the trunks an entry serves, and each refusal
// named with its option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "controlplane/config/config.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

using ::testing::HasSubstr;

std::expected<Config, std::string> parse(const std::string& extra) {
  return parse_config("[sbcd]\n" + std::string(testing::kTwoZoneConfig) +
                      "[zone.access]\ndefault_target = 192.0.2.10:5060\n" + extra);
}

TEST(ConfigDidsTest, TargetsAndTrunks) {
  auto config = parse(
      "[did.sales]\nnumbers = +15550001000, +1555000110\ntarget = 192.0.2.20:5070\n"
      "transport = tcp\ncalled = 101\n"
      "[did.alice]\nnumbers = +15550002000\ntrunks = carrier1\ntarget = user alice\n"
      "[did.rest]\ntarget = default\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  ASSERT_EQ(config->dids.size(), 3U);
  const DidConfig& alice = config->dids[0];  // sorted by name
  EXPECT_EQ(alice.kind, DidTargetKind::kUser);
  EXPECT_EQ(alice.user, "alice");
  EXPECT_EQ(alice.trunks, std::vector<std::string>{"carrier1"});
  const DidConfig& rest = config->dids[1];
  EXPECT_EQ(rest.kind, DidTargetKind::kDefault);
  EXPECT_TRUE(rest.numbers.empty());
  const DidConfig& sales = config->dids[2];
  EXPECT_EQ(sales.kind, DidTargetKind::kAddress);
  EXPECT_EQ(sales.address->port, 5070);
  EXPECT_EQ(sales.transport, Transport::kTcp);
  EXPECT_EQ(sales.called, "101");
  EXPECT_EQ(sales.numbers, (std::vector<std::string>{"+15550001000", "+1555000110"}));
}

TEST(ConfigDidsTest, BadValuesNameTheirOption) {
  const std::pair<const char*, const char*> cases[] = {
      {"[did.a]\nnumbers = 555x\n", "did.a.numbers: '555x' is not a number"},
      {"[did.a]\ntrunks = nobody\n", "did.a.trunks: no [trunk.nobody]"},
      {"[did.a]\ntarget = pbx.example:5060\n", "did.a.target"},
      {"[did.a]\ntarget = user a b\n", "did.a.target: 'a b' is not a user name"},
      {"[did.a]\ntransport = tcp\n", "did.a.transport: only for a target address"},
      {"[did.a]\ntarget = 192.0.2.20:5060\ntransport = sctp\n", "did.a.transport: 'sctp'"},
      {"[did.a]\ncalled = a b\n", "did.a.called"},
      {"[did.a]\nnumbers = +1555\n[did.b]\nnumbers = +1555\n",
       "[did.a] and [did.b] both serve +1555"},
  };
  for (const auto& [text, expected] : cases) {
    auto config = parse(text);
    ASSERT_FALSE(config.has_value()) << text;
    EXPECT_THAT(config.error(), HasSubstr(expected)) << text;
  }
  // The same number from two trunks is two entries, not a clash.
  EXPECT_TRUE(parse("[did.a]\nnumbers = +1555\ntrunks = carrier1\n[did.b]\nnumbers = +1555\n"));
}

}  // namespace
}  // namespace sbc::cp
