#include "controlplane/security/fraud_guard.h"

#include <gtest/gtest.h>

#include "controlplane/config/config.h"

namespace sbc::cp {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = FraudGuard::TimePoint;

Config fraud_config() {
  Config c;
  ZoneConfig access;
  access.name = "access";
  ZoneConfig carrier;
  carrier.name = "carrier";
  c.zones = {access, carrier};
  c.security.blocked_prefixes = {"1900", "44", "882"};
  c.security.allowed_prefixes = {"4420", "19005"};
  c.security.max_calls_per_minute = 3;
  c.security.max_calls_per_hour = 5;
  UserConfig alice;  // own, higher limits
  alice.name = "alice";
  alice.max_calls_per_minute = 10;
  alice.max_calls_per_hour = 12;
  UserConfig bob;  // the [security] defaults
  bob.name = "bob";
  c.users = {alice, bob};
  return c;
}

class FraudGuardTest : public ::testing::Test {
 protected:
  FraudGuard guard_{fraud_config().security_view()};
  TimePoint t0_ = TimePoint{} + minutes(1000);
};

std::string digits(std::string_view destination) {
  auto n = FraudGuard::normalize_number(destination);
  return n ? n->digits : std::string("-");
}

std::string dialled(std::string_view destination) {
  auto n = FraudGuard::normalize_number(destination);
  return n ? n->dialled : std::string("-");
}

TEST_F(FraudGuardTest, NormalisesDestinations) {
  EXPECT_EQ(digits("+4420123"), "4420123");
  EXPECT_EQ(digits("004420123"), "4420123");
  EXPECT_EQ(digits("0114420123"), "4420123");
  EXPECT_EQ(digits("15551234"), "15551234");
  EXPECT_EQ(digits("0301234"), "0301234");  // national: kept
  // RFC 3966 visual separators (and spaces) are dropped; the dialled form keeps the access code.
  EXPECT_EQ(digits("+44-20"), "4420");
  EXPECT_EQ(digits("+1 (900) 555.1234"), "19005551234");
  EXPECT_EQ(dialled("+1-900-555-1234"), "+19005551234");
  EXPECT_EQ(dialled("00-1-900-555"), "001900555");
  EXPECT_EQ(dialled("011.1.900"), "0111900");
  // Percent-encoding is decoded before judging: %2B is '+', %20 a space, %2D a '-'.
  EXPECT_EQ(digits("%2B1900555"), "1900555");
  EXPECT_EQ(dialled("%2b1%20900%2D555"), "+1900555");
  EXPECT_EQ(digits("%31%39%30%30"), "1900");
  // Not a number.
  EXPECT_EQ(digits("alice"), "-");
  EXPECT_EQ(digits("1900abc"), "-");
  EXPECT_EQ(digits("*97"), "-");
  EXPECT_EQ(digits("#31#1900"), "-");
  EXPECT_EQ(digits("+"), "-");
  EXPECT_EQ(digits("00"), "-");
  EXPECT_EQ(digits("--"), "-");
  EXPECT_EQ(digits(""), "-");
  EXPECT_EQ(digits("1+900"), "-");
  EXPECT_EQ(digits("++1900"), "-");
  EXPECT_EQ(digits("%2"), "-");
  EXPECT_EQ(digits("%zz1900"), "-");
  EXPECT_EQ(digits("%00"
                   "1900"),
            "-");
  EXPECT_EQ(digits(std::string(65, '1')), "-");
  EXPECT_EQ(digits(std::string(64, '1')), std::string(64, '1'));
}

TEST_F(FraudGuardTest, BlockedPrefixes) {
  for (const char* d :
       {"19001234567", "+19001234567", "0019001234", "01119001234", "4479001", "+882123", "1900"}) {
    auto r = guard_.check("alice", d, t0_);
    ASSERT_FALSE(r.has_value()) << d;
    EXPECT_EQ(r.error().code, 403);
    EXPECT_EQ(to_string(r.error().rule), "blocked_prefix");
  }
  EXPECT_EQ(guard_.check("alice", "+19001", t0_).error().reason,
            "Forbidden (destination prefix 1900 blocked)");
  EXPECT_EQ(guard_.check("alice", "+447", t0_).error().reason,
            "Forbidden (destination prefix 44 blocked)");
}

// Issue 8: separators, tel: numbers and percent-encoding no longer slip past the rules.
TEST_F(FraudGuardTest, BlockedPrefixesJudgeTheNormalisedNumber) {
  for (const char* d : {"+1-900-655-1234", "1 (900) 655 1234", "1.900.655", "%2B19006551234",
                        "%31900655", "00-1-900-655", "(011) 1 900 655", "+44%2079%207"}) {
    auto r = guard_.check("alice", d, t0_);
    ASSERT_FALSE(r.has_value()) << d;
    EXPECT_EQ(r.error().code, 403) << d;
    EXPECT_EQ(to_string(r.error().rule), "blocked_prefix") << d;
  }
  // 4420 and 19005 are allowed, 44 and 1900 blocked: separators do not hide the exception.
  EXPECT_TRUE(guard_.check("alice", "+44 20 7946 0000", t0_).has_value());
  EXPECT_TRUE(guard_.check("alice", "+1-900-555", t0_).has_value());
}

TEST_F(FraudGuardTest, NotANumberIsRefusedWhenPrefixRulesExist) {
  for (const char* d : {"1900abc", "carol", "*97", "19%2A00", "%zz", "1+900"}) {
    auto r = guard_.check("alice", d, t0_);
    ASSERT_FALSE(r.has_value()) << d;
    EXPECT_EQ(r.error().code, 484) << d;
    EXPECT_EQ(to_string(r.error().rule), "not_a_number") << d;
  }
  EXPECT_EQ(guard_.accounts(t0_).front().refused, 6u);  // counted against the account
}

TEST_F(FraudGuardTest, ReturnsTheNumberTheTrunkReceives) {
  EXPECT_EQ(guard_.check("alice", "+1-555-123-4567", t0_).value(), "+15551234567");
  EXPECT_EQ(guard_.check("alice", "%2B1%20555", t0_).value(), "+1555");
  EXPECT_EQ(guard_.check("alice", "00 33 1 23", t0_).value(), "0033123");
  EXPECT_EQ(guard_.check("alice", "15551234", t0_).value(), "15551234");
  // Without prefix rules a name goes to the trunk unchanged; a number still normalised.
  FraudGuard open{Config{}.security_view()};
  EXPECT_EQ(open.check("x", "carol", t0_).value(), "carol");
  EXPECT_EQ(open.check("x", "1-555", t0_).value(), "1555");
}

TEST_F(FraudGuardTest, LongestPrefixDecides) {
  EXPECT_TRUE(guard_.check("alice", "+442071234567", t0_).has_value());  // 4420 allowed
  EXPECT_TRUE(guard_.check("alice", "1900555", t0_).has_value());        // 19005 allowed
  EXPECT_FALSE(guard_.check("alice", "1900655", t0_).has_value());       // 1900 blocked
  EXPECT_TRUE(guard_.check("alice", "15551234", t0_).has_value());       // no match
}

TEST_F(FraudGuardTest, SecurityDefaultRatePerMinute) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(guard_.check("bob", "15551234", t0_ + seconds(i)).has_value()) << i;
  }
  auto r = guard_.check("bob", "15551234", t0_ + seconds(10));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, 403);
  EXPECT_EQ(to_string(r.error().rule), "calls_per_minute");
  EXPECT_EQ(r.error().reason, "Forbidden (account bob over 3 calls per minute)");
  // Another account is independent.
  EXPECT_TRUE(guard_.check("alice", "15551234", t0_ + seconds(10)).has_value());
  // The oldest call leaves the minute 60 s after it was placed.
  EXPECT_FALSE(guard_.check("bob", "15551234", t0_ + seconds(59)).has_value());
  EXPECT_TRUE(guard_.check("bob", "15551234", t0_ + seconds(60)).has_value());
}

TEST_F(FraudGuardTest, RatePerHour) {
  // bob: 3/min, 5/h. Two calls every two minutes reach the hour limit without the minute one.
  TimePoint t = t0_;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(guard_.check("bob", "1555", t).has_value()) << i;
    t += minutes(2);
  }
  auto r = guard_.check("bob", "1555", t);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(to_string(r.error().rule), "calls_per_hour");
  EXPECT_EQ(r.error().reason, "Forbidden (account bob over 5 calls per hour)");
  EXPECT_FALSE(guard_.check("bob", "1555", t0_ + minutes(59)).has_value());
  EXPECT_TRUE(guard_.check("bob", "1555", t0_ + minutes(60)).has_value());
}

TEST_F(FraudGuardTest, UserOwnLimitsOverrideDefaults) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(guard_.check("alice", "1555", t0_).has_value()) << i;
  }
  EXPECT_EQ(to_string(guard_.check("alice", "1555", t0_).error().rule), "calls_per_minute");
}

TEST_F(FraudGuardTest, RefusedCallsAreNotCounted) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(guard_.check("bob", "1555", t0_).has_value());
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(guard_.check("bob", "1555", t0_).has_value());
  ASSERT_FALSE(guard_.check("bob", "1900", t0_ + minutes(1)).has_value());  // prefix refusal
  EXPECT_TRUE(guard_.check("bob", "1555", t0_ + minutes(1)).has_value());
}

TEST_F(FraudGuardTest, ZoneAccountsAndUnknownAccounts) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(guard_.check("zone:access", "1555", t0_).has_value());
  EXPECT_FALSE(guard_.check("zone:access", "1555", t0_).has_value());
  // A name the config does not know is prefix-checked only.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(guard_.check("zone:nowhere", "1555", t0_).has_value());
  EXPECT_FALSE(guard_.check("zone:nowhere", "+1900", t0_).has_value());
  for (const AccountStats& s : guard_.accounts(t0_)) EXPECT_NE(s.account, "zone:nowhere");
}

TEST_F(FraudGuardTest, NoLimitsWithoutConfig) {
  FraudGuard open{Config{}.security_view()};
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(open.check("x", "+19001234", t0_).has_value());
  EXPECT_TRUE(open.accounts(t0_).empty());
}

TEST_F(FraudGuardTest, AccountStats) {
  ASSERT_TRUE(guard_.check("bob", "1555", t0_).has_value());
  ASSERT_TRUE(guard_.check("bob", "1555", t0_ + seconds(30)).has_value());
  ASSERT_FALSE(guard_.check("bob", "1900", t0_ + seconds(30)).has_value());
  ASSERT_TRUE(guard_.check("alice", "1555", t0_ + seconds(40)).has_value());
  auto stats = guard_.accounts(t0_ + seconds(70));
  ASSERT_EQ(stats.size(), 2u);  // sorted; accounts with no activity are left out
  EXPECT_EQ(stats[0].account, "alice");
  EXPECT_EQ(stats[0].calls, 1u);
  EXPECT_EQ(stats[0].last_minute, 1u);
  EXPECT_EQ(stats[1].account, "bob");
  EXPECT_EQ(stats[1].calls, 2u);
  EXPECT_EQ(stats[1].refused, 1u);
  EXPECT_EQ(stats[1].last_minute, 1u);  // the first call left the minute
  EXPECT_EQ(stats[1].last_hour, 2u);
  stats = guard_.accounts(t0_ + minutes(61));
  EXPECT_EQ(stats[1].last_minute, 0u);
  EXPECT_EQ(stats[1].last_hour, 0u);
  EXPECT_EQ(stats[1].calls, 2u);
}

}  // namespace
}  // namespace sbc::cp
