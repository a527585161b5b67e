#include "controlplane/security/source_guard.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Admit = SourceGuard::Admit;
using TimePoint = SourceGuard::TimePoint;

ip::address addr(const std::string& text) {
  return ip::make_address(text);
}

struct Event {
  bool added;
  std::string source;
  std::string detail;  // reason (added) or why (removed)
  uint32_t level;
  std::optional<TimePoint> until;
};

class RecordingSink : public BanSink {
 public:
  void ban_added(const Ban& ban) override {
    events.push_back(
        {true, ban.source.to_string(), std::string(to_string(ban.reason)), ban.level, ban.until});
  }
  void ban_removed(const ip::address& source, std::string_view why) override {
    events.push_back({false, source.to_string(), std::string(why), 0, std::nullopt});
  }
  std::vector<Event> events;
};

class SourceGuardTest : public ::testing::Test {
 protected:
  SourceGuardTest() {
    config_.request_rate = 10;
    config_.request_burst = 20;
    config_.window = 60;
    config_.max_auth_failures = 3;
    config_.max_malformed = 4;
    config_.max_rate_violations = 5;
    config_.ban_time = 100;
    config_.ban_time_max = 1000;
    config_.recidive_window = 3600;
    config_.allowlist = {IpNetwork::parse("10.0.0.0/8").value(),
                         IpNetwork::parse("2001:db8:a::/48").value()};
  }
  SourceGuard& guard() {
    if (!guard_) guard_.emplace(config_, sink_);
    return *guard_;
  }

  SecurityConfig config_;
  RecordingSink sink_;
  std::optional<SourceGuard> guard_;
  TimePoint t0_ = TimePoint{} + seconds(1000);
};

TEST_F(SourceGuardTest, OffenceNames) {
  EXPECT_EQ(to_string(Offence::kAuthFailure), "auth_failure");
  EXPECT_EQ(to_string(Offence::kMalformed), "malformed");
  EXPECT_EQ(to_string(Offence::kScanner), "scanner");
  EXPECT_EQ(to_string(Offence::kRateExceeded), "rate");
}

TEST_F(SourceGuardTest, TokenBucketLimitsBursts) {
  config_.max_rate_violations = 0;  // never ban: look at the bucket alone
  const ip::address a = addr("192.0.2.1");
  for (int i = 0; i < 20; ++i) EXPECT_EQ(guard().admit(a, t0_), Admit::kYes) << i;
  EXPECT_EQ(guard().admit(a, t0_), Admit::kRateLimited);
  // 10/s: one token every 100 ms.
  EXPECT_EQ(guard().admit(a, t0_ + milliseconds(50)), Admit::kRateLimited);
  EXPECT_EQ(guard().admit(a, t0_ + milliseconds(100)), Admit::kYes);
  EXPECT_EQ(guard().admit(a, t0_ + milliseconds(150)), Admit::kRateLimited);
  // The bucket refills up to its depth only.
  const TimePoint later = t0_ + seconds(3600);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(guard().admit(a, later), Admit::kYes) << i;
  EXPECT_EQ(guard().admit(a, later), Admit::kRateLimited);
  // Another source has its own bucket.
  EXPECT_EQ(guard().admit(addr("192.0.2.2"), t0_), Admit::kYes);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(SourceGuardTest, SustainedRateAtTheLimitPasses) {
  const ip::address a = addr("192.0.2.1");
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(guard().admit(a, t0_ + milliseconds(100 * i)), Admit::kYes) << i;
  }
}

TEST_F(SourceGuardTest, RateViolationsBan) {
  const ip::address a = addr("192.0.2.1");
  for (int i = 0; i < 20; ++i) guard().admit(a, t0_);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(guard().admit(a, t0_), Admit::kRateLimited) << i;
  EXPECT_TRUE(guard().is_banned(a, t0_));
  EXPECT_EQ(guard().admit(a, t0_), Admit::kBanned);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_TRUE(sink_.events[0].added);
  EXPECT_EQ(sink_.events[0].source, "192.0.2.1");
  EXPECT_EQ(sink_.events[0].detail, "rate");
  EXPECT_EQ(sink_.events[0].level, 1u);
  EXPECT_EQ(sink_.events[0].until, t0_ + seconds(100));
}

TEST_F(SourceGuardTest, NoRateLimitWhenRateIsZero) {
  config_.request_rate = 0;
  const ip::address a = addr("192.0.2.1");
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(guard().admit(a, t0_), Admit::kYes);
  EXPECT_EQ(guard().tracked_sources(), 0u);
  // Offences still count.
  for (int i = 0; i < 3; ++i) guard().offend(a, Offence::kAuthFailure, t0_);
  EXPECT_EQ(guard().admit(a, t0_), Admit::kBanned);
}

TEST_F(SourceGuardTest, AuthFailuresBanAtTheThreshold) {
  const ip::address a = addr("2001:db8::5");
  EXPECT_FALSE(guard().offend(a, Offence::kAuthFailure, t0_));
  EXPECT_FALSE(guard().offend(a, Offence::kAuthFailure, t0_ + seconds(10)));
  EXPECT_FALSE(guard().is_banned(a, t0_ + seconds(20)));
  EXPECT_TRUE(guard().offend(a, Offence::kAuthFailure, t0_ + seconds(20)));
  EXPECT_TRUE(guard().is_banned(a, t0_ + seconds(20)));
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].source, "2001:db8::");  // the /64 (issue 8)
  EXPECT_EQ(sink_.events[0].detail, "auth_failure");
  // Further offences while banned change nothing.
  EXPECT_FALSE(guard().offend(a, Offence::kAuthFailure, t0_ + seconds(21)));
  EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_F(SourceGuardTest, OffencesLeaveTheWindow) {
  const ip::address a = addr("192.0.2.9");
  guard().offend(a, Offence::kAuthFailure, t0_);
  guard().offend(a, Offence::kAuthFailure, t0_);
  // 60 s window in six 10 s slots: an offence is gone after at most 60 s.
  EXPECT_FALSE(guard().offend(a, Offence::kAuthFailure, t0_ + seconds(61)));
  EXPECT_FALSE(guard().offend(a, Offence::kAuthFailure, t0_ + seconds(62)));
  EXPECT_TRUE(guard().offend(a, Offence::kAuthFailure, t0_ + seconds(63)));
}

TEST_F(SourceGuardTest, OffenceKindsCountSeparately) {
  const ip::address a = addr("192.0.2.9");
  guard().offend(a, Offence::kAuthFailure, t0_);
  guard().offend(a, Offence::kAuthFailure, t0_);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(guard().offend(a, Offence::kMalformed, t0_));
  EXPECT_TRUE(guard().offend(a, Offence::kMalformed, t0_));
  EXPECT_EQ(sink_.events.at(0).detail, "malformed");
  EXPECT_FALSE(guard().offend(a, Offence::kCount, t0_));  // not an offence
}

TEST_F(SourceGuardTest, ZeroThresholdNeverBans) {
  config_.max_malformed = 0;
  const ip::address a = addr("192.0.2.9");
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(guard().offend(a, Offence::kMalformed, t0_));
  EXPECT_FALSE(guard().is_banned(a, t0_));
}

TEST_F(SourceGuardTest, ScannerUserAgents) {
  EXPECT_TRUE(guard().is_scanner("friendly-scanner"));
  EXPECT_TRUE(guard().is_scanner("Friendly-Scanner 1.0"));
  EXPECT_TRUE(guard().is_scanner("SIPVicious PBX"));
  EXPECT_TRUE(guard().is_scanner("x sipcli/v1.8"));
  EXPECT_TRUE(guard().is_scanner("iwar"));
  EXPECT_TRUE(guard().is_scanner("VaxSIPUserAgent/3.1"));
  EXPECT_FALSE(guard().is_scanner("Asterisk PBX 20.1"));
  EXPECT_FALSE(guard().is_scanner(""));
  EXPECT_FALSE(guard().is_scanner("friendly-scanne"));
}

TEST_F(SourceGuardTest, ConfiguredScannerListReplacesDefaults) {
  config_.scanner_user_agents = {"EvilBot"};
  EXPECT_TRUE(guard().is_scanner("my evilbot 2"));
  EXPECT_FALSE(guard().is_scanner("friendly-scanner"));
}

TEST_F(SourceGuardTest, ScannerBansAtOnce) {
  const ip::address a = addr("203.0.113.5");
  EXPECT_TRUE(guard().offend(a, Offence::kScanner, t0_));
  EXPECT_EQ(guard().admit(a, t0_), Admit::kBanned);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].detail, "scanner");
}

TEST_F(SourceGuardTest, AllowListIsNeverLimitedOrBanned) {
  const ip::address a = addr("10.1.2.3");
  const ip::address mapped = addr("::ffff:10.1.2.3");
  const ip::address v6 = addr("2001:db8:a::1");
  EXPECT_TRUE(guard().allowlisted(a));
  EXPECT_TRUE(guard().allowlisted(mapped));
  EXPECT_TRUE(guard().allowlisted(v6));
  EXPECT_FALSE(guard().allowlisted(addr("11.1.2.3")));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(guard().admit(a, t0_), Admit::kYes);
    ASSERT_EQ(guard().admit(v6, t0_), Admit::kYes);
  }
  EXPECT_FALSE(guard().offend(a, Offence::kScanner, t0_));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(guard().offend(mapped, Offence::kAuthFailure, t0_));
  EXPECT_FALSE(guard().is_banned(a, t0_));
  auto manual = guard().ban(a, seconds(60), t0_);
  ASSERT_FALSE(manual.has_value());
  EXPECT_NE(manual.error().find("allowlist"), std::string::npos);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(guard().tracked_sources(), 0u);
}

TEST_F(SourceGuardTest, V4MappedIsTheSameSource) {
  const ip::address a = addr("192.0.2.44");
  const ip::address mapped = addr("::ffff:192.0.2.44");
  guard().offend(a, Offence::kAuthFailure, t0_);
  guard().offend(mapped, Offence::kAuthFailure, t0_);
  EXPECT_TRUE(guard().offend(a, Offence::kAuthFailure, t0_));
  EXPECT_TRUE(guard().is_banned(mapped, t0_));
  EXPECT_EQ(sink_.events.at(0).source, "192.0.2.44");
  ASSERT_EQ(guard().bans().size(), 1u);
  EXPECT_EQ(guard().bans()[0].source, a);
  EXPECT_TRUE(guard().unban(mapped));
  EXPECT_FALSE(guard().is_banned(a, t0_));
}

TEST_F(SourceGuardTest, BansExpire) {
  const ip::address a = addr("192.0.2.1");
  guard().offend(a, Offence::kScanner, t0_);
  EXPECT_EQ(guard().expire(t0_ + seconds(50)), t0_ + seconds(100));
  EXPECT_TRUE(guard().is_banned(a, t0_ + seconds(99)));
  // Past `until` the source is no longer banned, even before expire() lifts it.
  EXPECT_FALSE(guard().is_banned(a, t0_ + seconds(100)));
  EXPECT_EQ(guard().admit(a, t0_ + seconds(100)), Admit::kYes);
  EXPECT_EQ(guard().expire(t0_ + seconds(100)), std::nullopt);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_FALSE(sink_.events[1].added);
  EXPECT_EQ(sink_.events[1].source, "192.0.2.1");
  EXPECT_EQ(sink_.events[1].detail, "expired");
  EXPECT_TRUE(guard().bans().empty());
  EXPECT_EQ(guard().expire(t0_ + seconds(200)), std::nullopt);
  EXPECT_EQ(sink_.events.size(), 2u);
}

TEST_F(SourceGuardTest, ExpireReportsTheEarliestDue) {
  guard().offend(addr("192.0.2.1"), Offence::kScanner, t0_ + seconds(30));
  guard().offend(addr("192.0.2.2"), Offence::kScanner, t0_);
  ASSERT_TRUE(guard().ban(addr("192.0.2.3"), std::nullopt, t0_).has_value());
  EXPECT_EQ(guard().expire(t0_), t0_ + seconds(100));
  EXPECT_EQ(guard().expire(t0_ + seconds(100)), t0_ + seconds(130));
  EXPECT_EQ(guard().expire(t0_ + seconds(130)), std::nullopt);  // the manual one stays
  EXPECT_TRUE(guard().is_banned(addr("192.0.2.3"), t0_ + seconds(1000000)));
  EXPECT_EQ(guard().bans().size(), 1u);
}

TEST_F(SourceGuardTest, RepeatOffendersEscalate) {
  const ip::address a = addr("192.0.2.1");
  TimePoint t = t0_;
  const int64_t expected[] = {100, 200, 400, 800, 1000, 1000};
  for (size_t i = 0; i < std::size(expected); ++i) {
    ASSERT_TRUE(guard().offend(a, Offence::kScanner, t)) << i;
    const Ban ban = guard().bans().at(0);
    EXPECT_EQ(ban.level, i + 1);
    EXPECT_EQ(ban.since, t);
    ASSERT_TRUE(ban.until.has_value());
    EXPECT_EQ(*ban.until - t, seconds(expected[i])) << i;
    t = *ban.until;
    guard().expire(t);
  }
  // Once recidive_window has passed since the last ban, the count starts again.
  t += seconds(3600);
  ASSERT_TRUE(guard().offend(a, Offence::kScanner, t));
  EXPECT_EQ(guard().bans().at(0).level, 1u);
  EXPECT_EQ(*guard().bans().at(0).until - t, seconds(100));
}

TEST_F(SourceGuardTest, EscalationSurvivesExpireAndHugeLevels) {
  config_.ban_time = 1;
  config_.ban_time_max = 86400;
  config_.recidive_window = 1000000;
  const ip::address a = addr("192.0.2.1");
  TimePoint t = t0_;
  Ban last;
  for (int i = 0; i < 70; ++i) {  // 2^69 would overflow without the cap
    ASSERT_TRUE(guard().offend(a, Offence::kScanner, t));
    last = guard().bans().at(0);
    ASSERT_LE(*last.until - t, seconds(86400));
    t = *last.until;
    guard().expire(t);
  }
  EXPECT_EQ(last.level, 70u);
  EXPECT_EQ(*last.until - last.since, seconds(86400));
}

TEST_F(SourceGuardTest, ManualBanAndUnban) {
  const ip::address a = addr("198.51.100.77");
  auto ban = guard().ban(a, seconds(30), t0_);
  ASSERT_TRUE(ban.has_value()) << ban.error();
  EXPECT_EQ(ban->reason, BanReason::kManual);
  EXPECT_EQ(ban->until, t0_ + seconds(30));
  EXPECT_EQ(ban->source, a);
  EXPECT_EQ(guard().admit(a, t0_), Admit::kBanned);
  // A second ban replaces the first (new duration; the sink is told again).
  auto forever = guard().ban(a, std::nullopt, t0_ + seconds(1));
  ASSERT_TRUE(forever.has_value());
  EXPECT_FALSE(forever->until.has_value());
  EXPECT_EQ(guard().bans().size(), 1u);
  EXPECT_EQ(guard().expire(t0_ + seconds(60)), std::nullopt);
  EXPECT_TRUE(guard().is_banned(a, t0_ + seconds(60)));
  EXPECT_TRUE(guard().unban(a));
  EXPECT_FALSE(guard().unban(a));
  EXPECT_FALSE(guard().is_banned(a, t0_ + seconds(60)));
  EXPECT_EQ(guard().admit(a, t0_ + seconds(60)), Admit::kYes);
  ASSERT_EQ(sink_.events.size(), 3u);
  EXPECT_EQ(sink_.events[2].detail, "manual");
  EXPECT_FALSE(sink_.events[2].added);
  EXPECT_FALSE(guard().ban(a, seconds(0), t0_).has_value());
}

TEST_F(SourceGuardTest, BansAreSortedByAddress) {
  for (const char* a : {"198.51.100.2", "2001:db8::1", "192.0.2.9", "198.51.100.1"}) {
    ASSERT_TRUE(guard().ban(addr(a), seconds(60), t0_).has_value());
  }
  std::vector<std::string> order;
  for (const Ban& b : guard().bans()) order.push_back(b.source.to_string());
  EXPECT_EQ(order,
            (std::vector<std::string>{"192.0.2.9", "198.51.100.1", "198.51.100.2", "2001:db8::"}));
}

TEST_F(SourceGuardTest, BanTableIsBounded) {
  config_.max_bans = 3;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(guard().offend(addr("192.0.2." + std::to_string(i)), Offence::kScanner, t0_));
  }
  EXPECT_FALSE(guard().offend(addr("192.0.2.4"), Offence::kScanner, t0_));
  EXPECT_EQ(guard().bans_refused(), 1u);
  auto manual = guard().ban(addr("192.0.2.5"), std::nullopt, t0_);
  ASSERT_FALSE(manual.has_value());
  EXPECT_NE(manual.error().find("full"), std::string::npos);
  // Replacing an existing ban needs no room.
  EXPECT_TRUE(guard().ban(addr("192.0.2.1"), std::nullopt, t0_).has_value());
  EXPECT_EQ(guard().bans().size(), 3u);
  // Once timed bans expire there is room again.
  guard().expire(t0_ + seconds(100));
  EXPECT_TRUE(guard().offend(addr("192.0.2.4"), Offence::kScanner, t0_ + seconds(100)));
}

TEST_F(SourceGuardTest, TrackedSourcesAreBoundedByLru) {
  config_.max_tracked_sources = 4;
  config_.max_rate_violations = 0;
  const ip::address hot = addr("192.0.2.200");
  for (int i = 0; i < 20; ++i) guard().admit(hot, t0_);
  EXPECT_EQ(guard().admit(hot, t0_), Admit::kRateLimited);  // its bucket is empty
  for (int i = 1; i <= 3; ++i) guard().admit(addr("198.51.100." + std::to_string(i)), t0_);
  EXPECT_EQ(guard().tracked_sources(), 4u);
  EXPECT_EQ(guard().admit(hot, t0_), Admit::kRateLimited);  // touched: now most recent
  for (int i = 1; i <= 3; ++i) guard().admit(addr("198.51.100." + std::to_string(i)), t0_);
  guard().admit(addr("203.0.113.1"), t0_);  // evicts the least recently seen: hot
  EXPECT_EQ(guard().tracked_sources(), 4u);
  for (int i = 0; i < 1000; ++i) {
    guard().admit(addr("2001:db8::" + std::to_string(i + 1)), t0_);
    ASSERT_LE(guard().tracked_sources(), 4u);
  }
  // Evicted: the source starts over with a full bucket.
  EXPECT_EQ(guard().admit(hot, t0_), Admit::kYes);
}

TEST_F(SourceGuardTest, IdleSourcesAreForgotten) {
  guard().admit(addr("192.0.2.1"), t0_);
  guard().offend(addr("192.0.2.2"), Offence::kMalformed, t0_ + seconds(30));
  EXPECT_EQ(guard().tracked_sources(), 2u);
  guard().expire(t0_ + seconds(59));
  EXPECT_EQ(guard().tracked_sources(), 2u);
  guard().expire(t0_ + seconds(60));  // idle for the whole window
  EXPECT_EQ(guard().tracked_sources(), 1u);
  guard().expire(t0_ + seconds(90));
  EXPECT_EQ(guard().tracked_sources(), 0u);
}

TEST_F(SourceGuardTest, RecidiveMemoryIsBounded) {
  config_.max_bans = 2;
  TimePoint t = t0_;
  // Three addresses take turns; with room for two records the oldest is forgotten each time.
  for (int round = 0; round < 3; ++round) {
    for (int i = 1; i <= 3; ++i) {
      const ip::address a = addr("192.0.2." + std::to_string(i));
      ASSERT_TRUE(guard().offend(a, Offence::kScanner, t));
      EXPECT_EQ(guard().bans().at(0).level, 1u) << round << " " << i;
      ASSERT_TRUE(guard().unban(a));
      t += seconds(1);
    }
  }
  // Two alternating addresses both fit: they escalate.
  for (int i = 4; i <= 5; ++i) {
    ASSERT_TRUE(guard().offend(addr("192.0.2." + std::to_string(i)), Offence::kScanner, t));
    ASSERT_TRUE(guard().unban(addr("192.0.2." + std::to_string(i))));
  }
  ASSERT_TRUE(guard().offend(addr("192.0.2.4"), Offence::kScanner, t));
  EXPECT_EQ(guard().bans().at(0).level, 2u);
}

TEST_F(SourceGuardTest, BannedSourceLosesItsTrackedState) {
  const ip::address a = addr("192.0.2.1");
  guard().admit(a, t0_);
  EXPECT_EQ(guard().tracked_sources(), 1u);
  guard().offend(a, Offence::kScanner, t0_);
  EXPECT_EQ(guard().tracked_sources(), 0u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(guard().admit(a, t0_), Admit::kBanned);
  EXPECT_EQ(guard().tracked_sources(), 0u);
}

// --- issue 8 ---------------------------------------------------------------------------------

// An IPv6 host rotating its interface identifier is one source: offences, the request bucket
// and the ban are per /64. IPv4 stays per address.
TEST_F(SourceGuardTest, Ipv6OffencesAndBansAggregatePerSlash64) {
  EXPECT_FALSE(guard().offend(addr("2001:db8:1:2::a"), Offence::kAuthFailure, t0_));
  EXPECT_FALSE(guard().offend(addr("2001:db8:1:2:ffff::b"), Offence::kAuthFailure, t0_));
  EXPECT_TRUE(guard().offend(addr("2001:db8:1:2::c"), Offence::kAuthFailure, t0_));
  EXPECT_TRUE(guard().is_banned(addr("2001:db8:1:2:1234:5678:9abc:def0"), t0_));
  EXPECT_EQ(guard().admit(addr("2001:db8:1:2::99"), t0_), Admit::kBanned);
  EXPECT_FALSE(guard().is_banned(addr("2001:db8:1:3::c"), t0_));  // the next /64
  ASSERT_EQ(guard().bans().size(), 1u);
  const Ban ban = guard().bans().front();
  EXPECT_EQ(ban.source, addr("2001:db8:1:2::"));
  EXPECT_EQ(ban.prefix_length, 64);
  EXPECT_EQ(ban.offender, addr("2001:db8:1:2::c"));
  const Ban* found = guard().find_ban(addr("2001:db8:1:2::1"), t0_);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->source, ban.source);
  // Unbanning any address of it lifts the /64.
  EXPECT_TRUE(guard().unban(addr("2001:db8:1:2::1")));
  EXPECT_FALSE(guard().is_banned(addr("2001:db8:1:2::c"), t0_));
  // IPv4: neighbours are distinct sources.
  for (int i = 1; i <= 3; ++i) {
    EXPECT_FALSE(guard().offend(addr(fmt::format("192.0.2.{}", i)), Offence::kAuthFailure, t0_));
  }
  EXPECT_FALSE(guard().is_banned(addr("192.0.2.1"), t0_));
  // The request bucket is per /64 too: a burst spread over many addresses is one burst.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(guard().admit(addr(fmt::format("2001:db8:9:9::{:x}", i + 1)), t0_), Admit::kYes);
  }
  EXPECT_EQ(guard().admit(addr("2001:db8:9:9::ffff"), t0_), Admit::kRateLimited);
}

TEST_F(SourceGuardTest, ManualBanOfAnIpv6AddressCoversItsSlash64) {
  auto ban = guard().ban(addr("2001:db8:5:6::7"), seconds(60), t0_);
  ASSERT_TRUE(ban.has_value());
  EXPECT_EQ(ban->source, addr("2001:db8:5:6::"));
  EXPECT_EQ(ban->offender, addr("2001:db8:5:6::7"));
  EXPECT_TRUE(guard().is_banned(addr("2001:db8:5:6::8"), t0_));
  // v4-mapped stays IPv4, per address.
  ASSERT_TRUE(guard().ban(addr("::ffff:192.0.2.7"), seconds(60), t0_).has_value());
  EXPECT_TRUE(guard().is_banned(addr("192.0.2.7"), t0_));
  EXPECT_FALSE(guard().is_banned(addr("192.0.2.8"), t0_));
}

TEST_F(SourceGuardTest, RateLimitWithoutBanForSpoofableSources) {
  const ip::address a = addr("192.0.2.50");
  for (int i = 0; i < 20; ++i) ASSERT_EQ(guard().admit(a, t0_, false), Admit::kYes);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(guard().admit(a, t0_, false), Admit::kRateLimited);
  EXPECT_FALSE(guard().is_banned(a, t0_));  // 100 > max_rate_violations, but no offence counted
}

TEST_F(SourceGuardTest, ConnectionRatePerSource) {
  config_.max_connection_rate = 4;
  const ip::address a = addr("192.0.2.60");
  for (int i = 0; i < 4; ++i) ASSERT_EQ(guard().admit_connection(a, t0_), Admit::kYes) << i;
  EXPECT_EQ(guard().admit_connection(a, t0_), Admit::kRateLimited);
  EXPECT_EQ(guard().admit_connection(addr("192.0.2.61"), t0_), Admit::kYes);  // another source
  // 4 per second: a quarter second later one more.
  EXPECT_EQ(guard().admit_connection(a, t0_ + milliseconds(250)), Admit::kYes);
  EXPECT_EQ(guard().admit_connection(a, t0_ + milliseconds(250)), Admit::kRateLimited);
  // The connection bucket is not the request bucket.
  EXPECT_EQ(guard().admit(a, t0_ + milliseconds(250)), Admit::kYes);
  // A flood: each refused connection is a rate violation; max_rate_violations (5) bans.
  for (int i = 0; i < 3; ++i) guard().admit_connection(a, t0_ + milliseconds(250));
  EXPECT_TRUE(guard().is_banned(a, t0_ + milliseconds(250)));
  EXPECT_EQ(to_string(guard().bans().front().reason), "connection_rate");
  EXPECT_EQ(guard().admit_connection(a, t0_ + seconds(1)), Admit::kBanned);
}

TEST_F(SourceGuardTest, NoConnectionRateWhenZero) {
  config_.max_connection_rate = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(guard().admit_connection(addr("192.0.2.60"), t0_), Admit::kYes);
  }
}

TEST_F(SourceGuardTest, TlsFailuresBanAtTheirThreshold) {
  config_.max_tls_failures = 3;
  const ip::address a = addr("192.0.2.70");
  EXPECT_FALSE(guard().offend(a, Offence::kTlsFailure, t0_));
  EXPECT_FALSE(guard().offend(a, Offence::kTlsFailure, t0_));
  // Other kinds count apart.
  EXPECT_FALSE(guard().offend(a, Offence::kAuthFailure, t0_));
  EXPECT_TRUE(guard().offend(a, Offence::kTlsFailure, t0_));
  EXPECT_EQ(to_string(guard().bans().front().reason), "tls_failure");
  config_.max_tls_failures = 0;
  guard_.reset();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(guard().offend(a, Offence::kTlsFailure, t0_));
}

}  // namespace
}  // namespace sbc::cp
