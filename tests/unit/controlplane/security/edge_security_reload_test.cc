// EdgeSecurity across a configuration reload (edge_security_reload.cc), on its own: the
// dataplane's trusted sources follow the new configuration (bans and registrations kept), peers of
// live calls that the new configuration refuses keep their zone until their calls end, and new
// [security] settings apply while bans stay.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include "controlplane/config/config.h"
#include "controlplane/security/edge_security.h"
#include "tests/unit/controlplane/fakes.h"
#include "tests/unit/controlplane/security/edge_security_config.h"

namespace sbc::cp::testing {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;

constexpr size_t kAccess = 0;  // zones sorted by name
constexpr size_t kCarrier = 1;

class EdgeSecurityReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = parsed("192.0.2.0/24", "192.0.2.5/32", kNarrowTrunk);
    security_ =
        std::make_unique<EdgeSecurity>(config_.security_view(), clock_, dataplane_, metrics_);
    dataplane_.flush();
    dataplane_.requests.clear();
  }
  void TearDown() override { security_.reset(); }

  static Config parsed(const std::string& acl, const std::string& trusted,
                       const std::string& extra) {
    auto config = parse_config(edge_security_config(acl, trusted, extra));
    EXPECT_TRUE(config.has_value()) << config.error();
    return config ? *config : Config{};
  }
  // What sbcd does on a reload: the running config is replaced, then the edge reconfigured.
  void reload(const std::string& acl, const std::string& trusted, const std::string& extra,
              const EdgeSecurity::CallPeers& call_peers = {}) {
    config_ = parsed(acl, trusted, extra);
    security_->reconfigure(call_peers);
    dataplane_.flush();
  }
  std::vector<api::SourceAdd> adds() { return dataplane_.sent_of<api::SourceAdd>(); }
  std::vector<api::SourceDelete> deletes() { return dataplane_.sent_of<api::SourceDelete>(); }
  void forget_requests() { dataplane_.requests.clear(); }

  Config config_;
  FakeScheduler clock_;
  FakeDataplane dataplane_;
  prometheus::Registry registry_;
  SecurityMetrics metrics_{registry_};
  std::unique_ptr<EdgeSecurity> security_;
};

TEST_F(EdgeSecurityReloadTest, TrustedSourcesFollowTheConfigButBansAndRegistrationsStay) {
  // 198.51.100.30 registered before the reload that makes it a trunk host.
  security_->trust(make_address("198.51.100.30"), 600s);
  // 192.0.2.5, trusted by the running config, is banned by hand.
  ASSERT_TRUE(security_->ban("192.0.2.5", std::nullopt).has_value());
  dataplane_.flush();
  forget_requests();

  // trunk.narrow goes, trunk.fresh comes, the access zone trusts 192.0.2.6 instead of .5.
  reload("192.0.2.0/24", "192.0.2.6/32", "[trunk.fresh]\nzone = carrier\nhost = 198.51.100.30\n");
  auto added = adds();
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].address, api::Address::parse("192.0.2.6"));
  EXPECT_EQ(added[1].address, api::Address::parse("198.51.100.30"));
  for (const api::SourceAdd& a : added) {
    EXPECT_EQ(a.cls, api::SourceClass::kTrusted);
    EXPECT_EQ(a.duration_ms, 0u);  // configured: for good
  }
  auto removed = deletes();
  ASSERT_EQ(removed.size(), 1u);  // not 192.0.2.5: its ban stays in the dataplane
  EXPECT_EQ(removed[0].address, api::Address::parse("198.51.100.20"));
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans()[0].source, make_address("192.0.2.5"));
  forget_requests();

  // trunk.fresh goes again: its host is still registered, trusted until the binding (plus grace)
  // ends, not deleted.
  clock_.advance(100s);
  reload("192.0.2.0/24", "192.0.2.6/32", "");
  EXPECT_TRUE(deletes().empty());
  added = adds();
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].address, api::Address::parse("198.51.100.30"));
  EXPECT_EQ(added[0].cls, api::SourceClass::kTrusted);
  EXPECT_EQ(added[0].duration_ms, (600 + 30 - 100) * 1000u);
  forget_requests();

  // The same config again changes nothing in the dataplane.
  reload("192.0.2.0/24", "192.0.2.6/32", "");
  EXPECT_TRUE(dataplane_.requests.empty());
}

TEST_F(EdgeSecurityReloadTest, PeersOfLiveCallsKeepTheirZoneUntilTheCallsEnd) {
  EXPECT_TRUE(security_->screen(peer_at(kAccess, "192.0.2.20")));
  EXPECT_FALSE(security_->has_kept_peers());

  // The access zone now admits 203.0.113.0/24 only; 192.0.2.20 (written v4-mapped, as a dual-stack
  // socket reports it) and 203.0.113.9 have calls.
  const EdgeSecurity::CallPeers calls = {{kAccess, make_address("::ffff:192.0.2.20")},
                                         {kAccess, make_address("203.0.113.9")}};
  reload("203.0.113.0/24", "203.0.113.5/32", "", calls);
  EXPECT_TRUE(security_->has_kept_peers());
  EXPECT_TRUE(security_->kept_peer(kAccess, make_address("192.0.2.20")));
  EXPECT_TRUE(security_->held_by_calls(kAccess, make_address("192.0.2.20")));
  EXPECT_TRUE(security_->screen(peer_at(kAccess, "192.0.2.20")));
  // Allowed by the new config anyway: not a kept peer.
  EXPECT_FALSE(security_->kept_peer(kAccess, make_address("203.0.113.9")));
  EXPECT_FALSE(security_->held_by_calls(kAccess, make_address("203.0.113.9")));
  // A source without a call, and the kept peer on another zone, are refused.
  EXPECT_FALSE(security_->screen(peer_at(kAccess, "192.0.2.21")));
  EXPECT_FALSE(security_->kept_peer(kCarrier, make_address("192.0.2.20")));
  EXPECT_FALSE(security_->screen(peer_at(kCarrier, "192.0.2.20")));

  // A call still up keeps its peer; once it ended, the peer is refused like anyone.
  security_->prune_kept_peers(calls);
  EXPECT_TRUE(security_->screen(peer_at(kAccess, "192.0.2.20")));
  security_->prune_kept_peers({{kAccess, make_address("203.0.113.9")}});
  EXPECT_FALSE(security_->has_kept_peers());
  EXPECT_FALSE(security_->screen(peer_at(kAccess, "192.0.2.20")));

  // A reload back to the old ACL admits it by configuration again.
  reload("192.0.2.0/24", "192.0.2.5/32", kNarrowTrunk);
  EXPECT_FALSE(security_->has_kept_peers());
  EXPECT_TRUE(security_->screen(peer_at(kAccess, "192.0.2.20")));
}

TEST_F(EdgeSecurityReloadTest, NewSecuritySettingsApplyToTheNextMessageAndBansStay) {
  ASSERT_TRUE(security_->ban("192.0.2.40", 3600s).has_value());
  const SipPeer before = peer_at(kAccess, "192.0.2.20");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(security_->screen(before));  // default bucket

  reload("192.0.2.0/24", "192.0.2.5/32",
         std::string(kNarrowTrunk) + "[security]\nrequest_rate = 1\nrequest_burst = 2\n");
  const SipPeer after = peer_at(kAccess, "192.0.2.21");
  EXPECT_TRUE(security_->screen(after));
  EXPECT_TRUE(security_->screen(after));
  EXPECT_FALSE(security_->screen(after));  // over the new burst
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans()[0].source, make_address("192.0.2.40"));
  EXPECT_FALSE(security_->screen(peer_at(kAccess, "192.0.2.40")));
}

}  // namespace
}  // namespace sbc::cp::testing
