// `show bans`, `ban add`, `ban remove`, `show acl`, `show registrations` through the command table,
// as sbc-cli runs them.
#include "controlplane/mgmt/security_commands.h"

#include <gtest/gtest.h>

#include "controlplane/config/config.h"
#include "controlplane/observability/metrics.h"
#include "tests/unit/controlplane/fakes.h"

namespace sbc::cp {
namespace {

constexpr const char* kConfig = R"(
[zone.a]
dataplane_port = access
sip_address = 192.0.2.1
acl_allow = 192.0.2.0/24, 2001:db8::/32
acl_deny = 192.0.2.66
[zone.t]
dataplane_port = trunk
sip_address = 198.51.100.1
[trunk.x]
zone = t
host = 198.51.100.10
[security]
allowlist = 192.0.2.10
[user.alice]
secret = never-shown-4711
)";

class SecurityCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = parse_config(kConfig);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    security_ = std::make_unique<EdgeSecurity>(config_.security_view(), clock_, dataplane_,
                                               security_metrics_);
    registrar_ = std::make_unique<Registrar>(config_.registrar);
    register_security_commands(table_, *security_, *registrar_);
  }
  CommandResult run(std::vector<std::string> words) { return table_.dispatch(words); }

  Config config_;
  testing::FakeScheduler clock_;
  testing::FakeDataplane dataplane_;
  Metrics metrics_;
  SecurityMetrics security_metrics_{metrics_.registry()};
  std::unique_ptr<EdgeSecurity> security_;
  std::unique_ptr<Registrar> registrar_;
  CommandTable table_;
};

TEST_F(SecurityCommandsTest, BanAddListRemove) {
  auto added = run({"ban", "add", "203.0.113.5", "60"});
  ASSERT_TRUE(added.has_value()) << added.error();
  auto listed = run({"show", "bans"});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->data["bans"].size(), 1u);
  EXPECT_EQ(listed->data["bans"][0]["address"], "203.0.113.5");
  EXPECT_EQ(listed->data["bans"][0]["reason"], "manual");
  EXPECT_EQ(listed->data["bans"][0]["expires_in_s"], 60);
  dataplane_.flush();
  const auto adds = dataplane_.sent_of<api::SourceAdd>();
  ASSERT_FALSE(adds.empty());
  EXPECT_EQ(adds.back().cls, api::SourceClass::kBanned);
  EXPECT_EQ(adds.back().duration_ms, 60000u);

  ASSERT_TRUE(run({"ban", "remove", "203.0.113.5"}).has_value());
  EXPECT_TRUE(run({"show", "bans"})->data["bans"].empty());
  dataplane_.flush();
  EXPECT_FALSE(dataplane_.sent_of<api::SourceDelete>().empty());
  EXPECT_FALSE(run({"ban", "remove", "203.0.113.5"}).has_value());  // not banned any more
}

TEST_F(SecurityCommandsTest, BanWithoutDurationLastsUntilRemoved) {
  ASSERT_TRUE(run({"ban", "add", "2001:db8::7"}).has_value());
  auto listed = run({"show", "bans"});
  EXPECT_TRUE(listed->data["bans"][0]["expires_in_s"].is_null());
}

TEST_F(SecurityCommandsTest, BadArgumentsAreErrors) {
  EXPECT_FALSE(run({"ban", "add", "not-an-address"}).has_value());
  EXPECT_FALSE(run({"ban", "add", "203.0.113.5", "-3"}).has_value());
  EXPECT_FALSE(run({"ban", "add"}).has_value());
  EXPECT_FALSE(run({"ban", "add", "192.0.2.10"}).has_value());  // allow-listed: never banned
}

TEST_F(SecurityCommandsTest, ShowAclListsZonesAndTrunks) {
  auto acl = run({"show", "acl"});
  ASSERT_TRUE(acl.has_value());
  EXPECT_EQ(acl->data["zones"][0]["allow"][1], "2001:db8::/32");
  EXPECT_EQ(acl->data["zones"][0]["deny"][0], "192.0.2.66/32");
  EXPECT_EQ(acl->data["trunks"][0]["allow"][0], "198.51.100.10/32");
  EXPECT_NE(acl->text.find("192.0.2.10/32"), std::string::npos);
}

TEST_F(SecurityCommandsTest, NoSecretInAnyOutput) {
  for (const auto& words : std::vector<std::vector<std::string>>{
           {"show", "acl"}, {"show", "bans"}, {"show", "registrations"}, {"show", "accounts"}}) {
    auto out = run(words);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->text.find("never-shown-4711"), std::string::npos);
    EXPECT_EQ(out->data.dump().find("never-shown-4711"), std::string::npos);
  }
}

}  // namespace
}  // namespace sbc::cp

namespace sbc::cp {
namespace {

SipPeer peer_from(size_t zone, const char* address) {
  SipPeer peer;
  peer.zone = zone;
  peer.remote = Endpoint(boost::asio::ip::make_address(address), 5060);
  return peer;
}

// The ACLs decide on the source address alone, before any parsing work; what they refuse is
// counted, never answered.
TEST_F(SecurityCommandsTest, ScreenAppliesZoneAndTrunkAcls) {
  constexpr size_t kZoneA = 0;  // access zone "a": allow 192.0.2.0/24 and 2001:db8::/32, deny .66
  constexpr size_t kZoneT = 1;  // trunk zone "t": only trunk x's host
  EXPECT_TRUE(security_->screen(peer_from(kZoneA, "192.0.2.20")));
  EXPECT_TRUE(security_->screen(peer_from(kZoneA, "2001:db8::20")));
  EXPECT_TRUE(security_->screen(peer_from(kZoneA, "::ffff:192.0.2.21")));  // v4-mapped
  EXPECT_FALSE(security_->screen(peer_from(kZoneA, "192.0.2.66")));
  EXPECT_FALSE(security_->screen(peer_from(kZoneA, "203.0.113.1")));
  EXPECT_FALSE(security_->screen(peer_from(kZoneA, "2001:db9::1")));
  EXPECT_TRUE(security_->screen(peer_from(kZoneT, "198.51.100.10")));
  EXPECT_FALSE(security_->screen(peer_from(kZoneT, "198.51.100.11")));
  EXPECT_EQ(security_->trunk_of(kZoneT, boost::asio::ip::make_address("198.51.100.10")), 0u);
  EXPECT_FALSE(security_->screen_connection(
      kZoneA, Endpoint(boost::asio::ip::make_address("192.0.2.66"), 40000)));
  bool counted = false;
  for (const auto& family : metrics_.registry().Collect()) {
    if (family.name != "sbc_security_dropped_total") continue;
    for (const auto& metric : family.metric) {
      if (metric.label.front().value == "acl") counted = metric.counter.value == 5;
    }
  }
  EXPECT_TRUE(counted);
}

}  // namespace
}  // namespace sbc::cp
