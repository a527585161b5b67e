// TrunkHealth: the up/down hysteresis over qualify verdicts, and what a reload keeps.
#include "controlplane/routing/trunk_health.h"

#include <gtest/gtest.h>

#include "controlplane/config/config.h"

namespace sbc::cp {
namespace {

using std::chrono::milliseconds;

constexpr const char* kTrunks = R"(
[zone.access]
dataplane_port = access
sip_address = 192.0.2.1
allow_open_access = yes
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
[trunk.primary]
zone = carrier
host = 198.51.100.10
qualify = 30
qualify_failures = 2
qualify_successes = 3
[trunk.quiet]
zone = carrier
host = 198.51.100.11
)";

class TrunkHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = parse_config(kTrunks);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    health_ = std::make_unique<TrunkHealth>(config_.trunks);
  }
  Config config_;
  std::unique_ptr<TrunkHealth> health_;
  const std::chrono::system_clock::time_point now_{std::chrono::seconds(1000)};
};

TEST_F(TrunkHealthTest, ATrunkWithoutQualifyIsNeverJudged) {
  EXPECT_EQ(health_->status(1).state, TrunkState::kUnmonitored);
  EXPECT_TRUE(health_->available(1));
  EXPECT_EQ(health_->status(0).state, TrunkState::kUnknown);
  EXPECT_TRUE(health_->available(0)) << "not judged yet: calls may go";
}

TEST_F(TrunkHealthTest, DownAfterFailuresInARowUpAfterAnswersInARow) {
  EXPECT_TRUE(health_->answered(0, milliseconds(12), now_)) << "the first answer marks it up";
  EXPECT_EQ(health_->status(0).state, TrunkState::kUp);
  EXPECT_EQ(health_->status(0).latency, milliseconds(12));

  EXPECT_FALSE(health_->failed(0, "timeout (2000 ms)", now_));
  EXPECT_TRUE(health_->available(0)) << "one failure is not enough";
  EXPECT_FALSE(health_->answered(0, milliseconds(15), now_));
  EXPECT_FALSE(health_->failed(0, "timeout (2000 ms)", now_)) << "the answer reset the count";
  EXPECT_TRUE(health_->failed(0, "503 Service Unavailable", now_));
  EXPECT_EQ(health_->status(0).state, TrunkState::kDown);
  EXPECT_FALSE(health_->available(0));
  EXPECT_EQ(health_->status(0).last_failure, "503 Service Unavailable");
  EXPECT_EQ(health_->status(0).changed_at, now_);

  EXPECT_FALSE(health_->answered(0, milliseconds(9), now_));
  EXPECT_FALSE(health_->answered(0, milliseconds(9), now_));
  EXPECT_FALSE(health_->failed(0, "timeout (2000 ms)", now_)) << "still down";
  EXPECT_FALSE(health_->answered(0, milliseconds(9), now_));
  EXPECT_FALSE(health_->answered(0, milliseconds(9), now_));
  EXPECT_TRUE(health_->answered(0, milliseconds(9), now_)) << "three answers in a row";
  EXPECT_TRUE(health_->available(0));
  EXPECT_EQ(health_->status(0).pings_answered, 7u);
  EXPECT_EQ(health_->status(0).pings_failed, 4u);
}

TEST_F(TrunkHealthTest, AReloadKeepsTheStateOfAnUnchangedTrunkOnly) {
  health_->failed(0, "timeout", now_);
  ASSERT_TRUE(health_->failed(0, "timeout", now_));
  ASSERT_FALSE(health_->available(0));
  health_->reconfigure();
  EXPECT_FALSE(health_->available(0)) << "same trunk, same settings: still down";

  config_.trunks[0].host = "198.51.100.12";
  config_.trunks[0].address = boost::asio::ip::make_address("198.51.100.12");
  health_->reconfigure();
  EXPECT_EQ(health_->status(0).state, TrunkState::kUnknown) << "a new address starts again";
  EXPECT_TRUE(health_->available(0));
}

TEST(QualifyConfigTest, KeysAreCheckedAndYesMeansAMinute) {
  const std::string base = R"(
[zone.access]
dataplane_port = access
allow_open_access = yes
[zone.carrier]
dataplane_port = trunk
[trunk.primary]
zone = carrier
host = 198.51.100.10
)";
  auto yes = parse_config(base + "qualify = yes\n");
  ASSERT_TRUE(yes.has_value()) << yes.error();
  EXPECT_EQ(yes->trunks[0].qualify.interval, std::chrono::seconds(60));
  auto off = parse_config(base);
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(off->trunks[0].qualify.enabled());
  auto slow = parse_config(base + "qualify = 2\nqualify_timeout_ms = 2000\n");
  ASSERT_FALSE(slow.has_value());
  EXPECT_NE(slow.error().find("qualify_timeout_ms"), std::string::npos) << slow.error();
  auto bad = parse_config(base + "qualify = often\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("trunk.primary.qualify"), std::string::npos) << bad.error();
  EXPECT_FALSE(parse_config(base + "qualify = 10\nqualify_failures = 0\n").has_value());
}

}  // namespace
}  // namespace sbc::cp
