// The [security], [user.NAME] and zone/trunk security keys of the config parser
// (config_security.cc) at their edges: every bounded number at both ends and one beyond, the
// scanner list's entry rules, `authenticate = none` against the users' default, and where
// per-user and per-trunk rates stop. The tour of every option and error is in config_test.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <string>

#include "controlplane/config/config.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

std::expected<Config, std::string> parse(const std::string& extra) {
  return parse_config(testing::kTwoZoneConfig + extra);
}

struct Bound {
  const char* section;
  const char* key;
  uint64_t min;
  uint64_t max;
  const char* companion = "";  // what the key needs beside it to be valid at its maximum
};

TEST(ConfigSecurityBoundsTest, EveryBoundIsInclusiveAndTheNextValueIsNamed) {
  const Bound bounds[] = {
      {"security", "request_rate", 0, 1000000},
      {"security", "request_burst", 1, 1000000},
      {"security", "window", 1, 86400},
      {"security", "max_auth_failures", 0, 1000000},
      {"security", "max_malformed", 0, 1000000},
      {"security", "max_rate_violations", 0, 1000000},
      {"security", "max_connection_rate", 0, 1000000},
      {"security", "max_tls_failures", 0, 1000000},
      {"security", "ban_time", 1, 365 * 86400, "ban_time_max = 31536000\n"},
      {"security", "ban_time_max", 600, 365 * 86400},  // not below the default ban_time
      {"security", "recidive_window", 0, 365 * 86400},
      {"security", "max_tracked_sources", 1, 10000000},
      {"security", "max_bans", 1, 10000000},
      {"security", "max_calls", 0, 10000000},
      {"security", "max_cps", 0, 100000},
      {"security", "max_calls_per_minute", 0, 1000000},
      {"security", "max_calls_per_hour", 0, 1000000},
      {"media", "max_packet_rate", 0, 1000000},
      {"trunk.carrier1", "max_calls", 0, 10000000},
      {"trunk.carrier1", "max_cps", 0, 100000},
  };
  for (const Bound& b : bounds) {
    const std::string option = std::string(b.section) + "." + b.key;
    const auto text = [&](uint64_t value) {
      return fmt::format("[{}]\n{} = {}\n{}", b.section, b.key, value, b.companion);
    };
    EXPECT_TRUE(parse(text(b.min)).has_value()) << option << " = " << b.min;
    EXPECT_TRUE(parse(text(b.max)).has_value()) << option << " = " << b.max;
    auto over = parse(text(b.max + 1));
    ASSERT_FALSE(over.has_value()) << option << " = " << b.max + 1;
    EXPECT_NE(over.error().find(option), std::string::npos) << over.error();
    if (b.min > 0 && std::string(b.key) != "ban_time_max") {
      auto under = parse(text(b.min - 1));
      ASSERT_FALSE(under.has_value()) << option << " = " << b.min - 1;
      EXPECT_NE(under.error().find(option), std::string::npos) << under.error();
    }
  }
}

TEST(ConfigSecurityBoundsTest, ValuesLandInTheirFields) {
  auto config = parse(
      "[security]\nrequest_burst = 7\nwindow = 86400\nban_time = 1\nmax_cps = 100000\n"
      "[trunk.carrier1]\nmax_calls = 10000000\n[media]\nmax_packet_rate = 1000000\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->security.request_burst, 7u);
  EXPECT_EQ(config->security.window, 86400u);
  EXPECT_EQ(config->security.ban_time, 1u);
  EXPECT_EQ(config->security.limits.max_cps, 100000u);
  EXPECT_EQ(config->trunks[0].limits.max_calls, 10000000u);
  EXPECT_EQ(config->media.max_packet_rate, 1000000u);
}

// A user's call rate is bounded tighter than a trunk's: one account is one phone or PBX.
TEST(ConfigSecurityBoundsTest, UserRatesStopBeforeTrunkRates) {
  const auto user = [](const std::string& key, uint64_t value) {
    return parse(fmt::format("[user.alice]\nsecret = s3cret\n{} = {}\n", key, value));
  };
  EXPECT_TRUE(user("max_cps", 1000).has_value());
  auto over = user("max_cps", 1001);
  ASSERT_FALSE(over.has_value());
  EXPECT_NE(over.error().find("user.alice.max_cps"), std::string::npos) << over.error();
  EXPECT_TRUE(user("max_calls", 10000000).has_value());
  EXPECT_FALSE(user("max_calls", 10000001).has_value());
  EXPECT_TRUE(user("max_calls_per_hour", 1000000).has_value());
  EXPECT_FALSE(user("max_calls_per_hour", 1000001).has_value());
}

TEST(ConfigSecurityScannerTest, EntriesAreOneTo64PrintableCharacters) {
  auto longest = parse("[security]\nscanner_user_agents = " + std::string(64, 'u') + ", sipsak\n");
  ASSERT_TRUE(longest.has_value()) << longest.error();
  EXPECT_EQ(longest->security.scanner_user_agents,
            (std::vector<std::string>{std::string(64, 'u'), "sipsak"}));
  auto too_long = parse("[security]\nscanner_user_agents = " + std::string(65, 'u') + "\n");
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().find("security.scanner_user_agents"), std::string::npos);
  EXPECT_NE(too_long.error().find("1..64 printable"), std::string::npos) << too_long.error();
  EXPECT_FALSE(parse("[security]\nscanner_user_agents = bad\x01tool\n").has_value());
  // Emptied once: no user agent bans at all.
  auto none = parse("[security]\nscanner_user_agents =\n");
  ASSERT_TRUE(none.has_value()) << none.error();
  EXPECT_TRUE(none->security.scanner_user_agents.empty());
}

TEST(ConfigSecurityZoneTest, AuthenticateNoneOverridesTheUsersDefault) {
  auto defaulted = parse("[user.alice]\nsecret = s3cret\n");
  ASSERT_TRUE(defaulted.has_value()) << defaulted.error();
  EXPECT_EQ(defaulted->zones[0].authenticate,
            (std::vector<sip::Method>{sip::Method::kRegister, sip::Method::kInvite}));
  EXPECT_EQ(defaulted->find_user("alice")->zone, "access");
  EXPECT_TRUE(defaulted->zones[1].authenticate.empty());  // the carrier zone has no users
  auto none = parse("[user.alice]\nsecret = s3cret\n[zone.access]\nauthenticate = None\n");
  ASSERT_TRUE(none.has_value()) << none.error();
  EXPECT_TRUE(none->zones[0].authenticate.empty());
  // A zone that needs no digest and is open on purpose stays accepted.
  EXPECT_TRUE(none->zones[0].allow_open_access);
}

TEST(ConfigSecurityZoneTest, TrunkAllowDefaultsToItsHostAndMustKeepIt) {
  auto config = parse("");
  ASSERT_TRUE(config.has_value()) << config.error();
  ASSERT_EQ(config->trunks[0].allow.size(), 1u);
  EXPECT_EQ(config->trunks[0].allow[0], IpNetwork::parse("198.51.100.10/32").value());
  auto wider = parse("[trunk.carrier1]\nallow = 198.51.100.0/28, 2001:db8::/64\n");
  ASSERT_TRUE(wider.has_value()) << wider.error();
  EXPECT_EQ(wider->trunks[0].allow.size(), 2u);
  auto elsewhere = parse("[trunk.carrier1]\nallow = 198.51.100.16/28\n");
  ASSERT_FALSE(elsewhere.has_value());
  EXPECT_EQ(elsewhere.error(),
            "trunk.carrier1.allow: does not contain the trunk's host 198.51.100.10");
}

}  // namespace
}  // namespace sbc::cp
