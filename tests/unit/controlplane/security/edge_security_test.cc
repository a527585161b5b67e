// EdgeSecurity on its own (no B2BUA): the screens before parsing and their drop counters, the
// offences after parsing, digest decisions, admission and toll-fraud glue, media address checks,
// trusted sources and bans as pushed to the dataplane, ban persistence and the dataplane resync.
#include "controlplane/security/edge_security.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "controlplane/config/config.h"
#include "controlplane/security/ban_store.h"
#include "tests/unit/controlplane/fakes.h"
#include "tests/unit/controlplane/registry_probe.h"
#include "tests/unit/controlplane/security/edge_security_config.h"

namespace sbc::cp::testing {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;

constexpr size_t kAccess = 0;  // zones sorted by name
constexpr size_t kCarrier = 1;

// The edge security configuration with a second trunk (narrow), a protected gateway on the access
// zone and a second user (bob, MD5 only).
const std::string kConfig = edge_security_config("192.0.2.0/24, 2001:db8::/32", "192.0.2.5/32",
                                                 std::string(kNarrowTrunk) +
                                                     "[zone.access]\nprotect = 192.0.2.254\n"
                                                     "[user.bob]\nsecret = other-Pass\n"
                                                     "algorithms = md5\n");

sip::Message request(const std::string& method, const std::string& user,
                     const std::string& user_agent = {}) {
  const std::string text = fmt::format(
      "{0} sip:{1}@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-e1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:{1}@192.0.2.1>;tag=f\r\nTo: <sip:{1}@192.0.2.1>\r\n"
      "Call-ID: edge-1@192.0.2.20\r\nCSeq: 1 {0}\r\n{2}Content-Length: 0\r\n\r\n",
      method, user, user_agent.empty() ? "" : "User-Agent: " + user_agent + "\r\n");
  auto parsed = sip::Message::parse(text);
  EXPECT_TRUE(parsed.has_value());
  if (!parsed) std::abort();
  return *parsed;
}

class EdgeSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override { make(""); }
  void TearDown() override { security_.reset(); }
  // (Re)builds the edge from kConfig plus `extra` sections.
  void make(const std::string& extra) {
    security_.reset();
    auto parsed = parse_config(kConfig + extra);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    security_ =
        std::make_unique<EdgeSecurity>(config_.security_view(), clock_, dataplane_, metrics_);
  }
  double value(std::string_view name, const std::map<std::string, std::string>& labels = {}) {
    return sample(registry_, name, labels).value_or(-1);
  }
  // Source table requests sent since the last call, answered.
  std::vector<api::SourceAdd> adds() {
    dataplane_.flush();
    auto out = dataplane_.sent_of<api::SourceAdd>();
    dataplane_.requests.clear();
    return out;
  }
  size_t trunk(std::string_view name) const {
    for (size_t t = 0; t < config_.trunks.size(); ++t) {
      if (config_.trunks[t].name == name) return t;
    }
    return SIZE_MAX;
  }

  Config config_;
  FakeScheduler clock_;
  FakeDataplane dataplane_;
  prometheus::Registry registry_;
  SecurityMetrics metrics_{registry_};
  std::unique_ptr<EdgeSecurity> security_;
};

TEST(ToApiAddressTest, V4MappedBecomesIpv4AndIpv6KeepsItsBytes) {
  const api::Address mapped = to_api_address(make_address("::ffff:192.0.2.7"));
  EXPECT_EQ(mapped.family, api::AddressFamily::kIpv4);
  EXPECT_EQ(mapped, api::Address::parse("192.0.2.7"));
  const api::Address v6 = to_api_address(make_address("2001:db8::7"));
  EXPECT_EQ(v6.family, api::AddressFamily::kIpv6);
  EXPECT_EQ(v6, api::Address::parse("2001:db8::7"));
}

// --- before parsing -----------------------------------------------------------------------------

TEST_F(EdgeSecurityTest, BucketOverflowIsDroppedAndCountedThenBans) {
  make("[security]\nrequest_rate = 1\nrequest_burst = 3\nmax_rate_violations = 2\n");
  const SipPeer phone = peer_at(kAccess, "192.0.2.20");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(security_->screen(phone));
  EXPECT_FALSE(security_->screen(phone));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "rate_limited"}}), 1);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "rate"}}), 1);
  EXPECT_TRUE(security_->bans().empty());
  EXPECT_FALSE(security_->screen(phone));  // the second violation bans
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(to_string(security_->bans().front().reason), "rate");
  EXPECT_FALSE(security_->screen(phone));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "banned"}}), 1);
  EXPECT_EQ(value("sbc_security_bans_total", {{"reason", "rate"}}), 1);
  EXPECT_EQ(value("sbc_security_bans_active"), 1);
  // Buckets are per source.
  EXPECT_TRUE(security_->screen(peer_at(kAccess, "192.0.2.21")));
}

TEST_F(EdgeSecurityTest, ProtectedSourcesOverTheBucketAreDroppedButNeverOffend) {
  make("[security]\nrequest_rate = 1\nrequest_burst = 1\nmax_rate_violations = 1\n");
  const SipPeer gateway = peer_at(kAccess, "192.0.2.254");
  EXPECT_TRUE(security_->screen(gateway));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(security_->screen(gateway));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "rate_limited"}}), 10);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "rate"}}), 0);
  EXPECT_TRUE(security_->bans().empty());
}

TEST_F(EdgeSecurityTest, ConfiguredPeersSkipTheBucketButAManualBanStopsThem) {
  make("[security]\nrequest_rate = 1\nrequest_burst = 1\n");
  const SipPeer carrier = peer_at(kCarrier, "198.51.100.10");
  const SipPeer pbx = peer_at(kAccess, "192.0.2.5");  // the access zone's trusted source
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(security_->screen(carrier));
    ASSERT_TRUE(security_->screen(pbx));
  }
  ASSERT_TRUE(security_->ban("198.51.100.10", 60s).has_value());
  EXPECT_FALSE(security_->screen(carrier));
  EXPECT_FALSE(security_->screen_connection(kCarrier, carrier.remote));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "banned"}}), 2);
  ASSERT_TRUE(security_->unban("198.51.100.10").has_value());
  EXPECT_TRUE(security_->screen(carrier));
}

TEST_F(EdgeSecurityTest, TrunkZoneAdmitsOnlyTrunkSourcesAndTheMostSpecificTrunkOwnsThem) {
  const auto a = [](const char* text) { return make_address(text); };
  EXPECT_EQ(security_->trunk_of(kCarrier, a("198.51.100.20")), trunk("narrow"));
  EXPECT_EQ(security_->trunk_of(kCarrier, a("198.51.100.30")), trunk("wide"));
  EXPECT_EQ(security_->trunk_of(kCarrier, a("::ffff:198.51.100.20")), trunk("narrow"));
  EXPECT_EQ(security_->trunk_of(kCarrier, a("203.0.113.1")), std::nullopt);
  EXPECT_EQ(security_->trunk_of(kAccess, a("198.51.100.20")), std::nullopt);  // no trunk there
  EXPECT_TRUE(security_->screen(peer_at(kCarrier, "198.51.100.99")));
  EXPECT_FALSE(security_->screen(peer_at(kCarrier, "203.0.113.1")));
  // The access zone's ACL does not cover the carrier's network.
  EXPECT_FALSE(security_->screen(peer_at(kAccess, "198.51.100.20")));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "acl"}}), 2);
}

TEST_F(EdgeSecurityTest, ConnectionScreenAppliesAclAndRate) {
  make("[security]\nmax_connection_rate = 2\nmax_rate_violations = 0\n");
  const Endpoint outsider(make_address("203.0.113.9"), 40000);
  EXPECT_FALSE(security_->screen_connection(kAccess, outsider));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "acl"}}), 1);
  const Endpoint phone(make_address("192.0.2.20"), 40000);
  EXPECT_TRUE(security_->screen_connection(kAccess, phone));
  EXPECT_TRUE(security_->screen_connection(kAccess, phone));
  EXPECT_FALSE(security_->screen_connection(kAccess, phone));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "connection_rate"}}), 1);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "connection_rate"}}), 1);
}

// --- after parsing -------------------------------------------------------------------------------

TEST_F(EdgeSecurityTest, MalformedMessagesBanUnlessTheSourceIsSpoofProtected) {
  make("[security]\nmax_malformed = 2\n");
  // A protected neighbour, the trusted PBX, a trunk host.
  for (const SipPeer& spoofable : {peer_at(kAccess, "192.0.2.254"), peer_at(kAccess, "192.0.2.5"),
                                   peer_at(kCarrier, "198.51.100.10")}) {
    for (int i = 0; i < 5; ++i) security_->malformed(spoofable);
  }
  EXPECT_TRUE(security_->bans().empty());
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "malformed"}}), 0);
  security_->malformed(peer_at(kAccess, "192.0.2.50"));
  EXPECT_TRUE(security_->bans().empty());
  security_->malformed(peer_at(kAccess, "192.0.2.50"));
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(to_string(security_->bans().front().reason), "malformed");
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "malformed"}}), 2);
}

TEST_F(EdgeSecurityTest, ScannerUserAgentBansButNotAllowListedSources) {
  make("[security]\nallowlist = 192.0.2.60\n");
  EXPECT_FALSE(security_->scanner(peer_at(kAccess, "192.0.2.61"), request("OPTIONS", "x")));
  EXPECT_FALSE(
      security_->scanner(peer_at(kAccess, "192.0.2.61"), request("OPTIONS", "x", "Linphone/5")));
  // The operator's own test tool.
  EXPECT_FALSE(security_->scanner(peer_at(kAccess, "192.0.2.60"),
                                  request("OPTIONS", "x", "friendly-scanner")));
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "scanner"}}), 0);
  EXPECT_TRUE(security_->scanner(peer_at(kAccess, "192.0.2.61"),
                                 request("OPTIONS", "x", "SIPVicious 0.3")));  // any case
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "scanner"}}), 1);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "scanner"}}), 1);
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans().front().source, make_address("192.0.2.61"));
  EXPECT_EQ(to_string(security_->bans().front().reason), "scanner");
}

TEST_F(EdgeSecurityTest, AuthenticateDecidesByMethodSourceAndUser) {
  const SipPeer phone = peer_at(kAccess, "192.0.2.20");
  EXPECT_EQ(security_->authenticate(phone, request("OPTIONS", "alice")).kind,
            AuthDecision::Kind::kNotRequired);
  EXPECT_EQ(security_->authenticate(peer_at(kAccess, "192.0.2.5"), request("INVITE", "alice")).kind,
            AuthDecision::Kind::kTrusted);

  const AuthDecision invite = security_->authenticate(phone, request("INVITE", "alice"));
  EXPECT_EQ(invite.kind, AuthDecision::Kind::kChallenge);
  EXPECT_EQ(invite.code, 407);
  EXPECT_EQ(invite.challenge_header, sip::HeaderId::kProxyAuthenticate);
  ASSERT_EQ(invite.challenges.size(), 2u);  // the zone's algorithms: SHA-256, then MD5
  EXPECT_NE(invite.challenges[0].find("realm=\"sbc.test\""), std::string::npos);
  EXPECT_NE(invite.challenges[0].find("SHA-256"), std::string::npos);

  const AuthDecision reg = security_->authenticate(phone, request("REGISTER", "alice"));
  EXPECT_EQ(reg.code, 401);
  EXPECT_EQ(reg.challenge_header, sip::HeaderId::kWwwAuthenticate);
  // bob's own algorithms replace the zone's.
  const AuthDecision bob = security_->authenticate(phone, request("REGISTER", "bob"));
  ASSERT_EQ(bob.challenges.size(), 1u);
  EXPECT_NE(bob.challenges[0].find("algorithm=MD5"), std::string::npos);

  EXPECT_EQ(value("sbc_auth_challenges_total", {{"method", "INVITE"}}), 1);
  EXPECT_EQ(value("sbc_auth_challenges_total", {{"method", "REGISTER"}}), 2);
  // No credentials at all is no offence.
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "auth_failure"}}), 0);
}

// --- calls ---------------------------------------------------------------------------------------

TEST_F(EdgeSecurityTest, AdmissionRefusalsAreCountedAndTheLeaseFreesTheSlot) {
  make("[security]\nmax_calls = 1\n");
  auto first = security_->admit_call({});
  ASSERT_TRUE(first.has_value());
  auto second = security_->admit_call({});
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, 503);
  EXPECT_EQ(value("sbc_cac_refused_total", {{"scope", "global"}, {"limit", "max_calls"}}), 1);
  first->reset();  // the lease gives the slot back
  EXPECT_TRUE(security_->admit_call({}).has_value());
}

TEST_F(EdgeSecurityTest, FraudCheckCountsCallsPerAccountAndRefusalsPerRule) {
  make("[security]\nblocked_prefixes = 1900\n");
  auto refused = security_->check_fraud("alice", "1900555");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(to_string(refused.error().rule), "blocked_prefix");
  EXPECT_EQ(value("sbc_fraud_refused_total", {{"rule", "blocked_prefix"}}), 1);
  auto allowed = security_->check_fraud("alice", "+44-20-123");
  ASSERT_TRUE(allowed.has_value());
  EXPECT_EQ(*allowed, "+4420123");
  EXPECT_EQ(value("sbc_account_calls_total", {{"account", "alice"}}), 1);
  ASSERT_EQ(security_->accounts().size(), 1u);
  EXPECT_EQ(security_->accounts().front().last_minute, 1u);
  security_->publish_account_rates();
  EXPECT_EQ(value("sbc_account_calls_last_minute", {{"account", "alice"}}), 1);
  EXPECT_EQ(value("sbc_account_calls_last_hour", {{"account", "alice"}}), 1);
}

TEST_F(EdgeSecurityTest, MediaAddressCheckKnowsOwnAddressesAndPortSubnets) {
  dataplane_.ports_[0].prefix_length = 24;  // access port 192.0.2.1/24
  const auto check = [&](const char* text) {
    return security_->check_media_address(api::Address::parse(text));
  };
  EXPECT_EQ(check("192.0.2.1"), MediaAddressRefusal::kOwnAddress);     // zone and port
  EXPECT_EQ(check("198.51.100.1"), MediaAddressRefusal::kOwnAddress);  // carrier zone
  EXPECT_EQ(check("192.0.2.255"), MediaAddressRefusal::kBroadcast);    // the port's subnet
  EXPECT_EQ(check("198.51.100.255"), std::nullopt);  // the trunk port has no prefix length
  EXPECT_EQ(check("203.0.113.5"), std::nullopt);
  EXPECT_EQ(security_->check_media_address(api::Address{}), MediaAddressRefusal::kUnspecified);
  EXPECT_EQ(value("sbc_sdp_address_refused_total", {{"reason", "own_address"}}), 2);
  EXPECT_EQ(value("sbc_sdp_address_refused_total", {{"reason", "broadcast"}}), 1);
}

// --- trusted sources and bans in the dataplane --------------------------------------------------

TEST_F(EdgeSecurityTest, TrustPushesRegisteredSourcesForTheirBindingPlusGrace) {
  security_->trust(make_address("192.0.2.20"), 600s);
  auto pushed = adds();
  ASSERT_EQ(pushed.size(), 1u);
  EXPECT_EQ(pushed[0].address, api::Address::parse("192.0.2.20"));
  EXPECT_EQ(pushed[0].cls, api::SourceClass::kTrusted);
  static_assert(EdgeSecurity::kTrustGrace == 30s);
  EXPECT_EQ(pushed[0].duration_ms, 630000u);
  // A configured trusted host is trusted for good already: nothing to push.
  security_->trust(make_address("192.0.2.5"), 600s);
  EXPECT_TRUE(adds().empty());
  // Nothing is pushed while the dataplane is away.
  dataplane_.connected_ = false;
  security_->trust(make_address("192.0.2.21"), 600s);
  ASSERT_TRUE(security_->ban("192.0.2.22", 60s).has_value());
  EXPECT_TRUE(dataplane_.requests.empty());
}

TEST_F(EdgeSecurityTest, LiftedBanGivesTheSourceBackItsTrust) {
  security_->trust(make_address("192.0.2.20"), 600s);
  adds();
  ASSERT_TRUE(security_->ban("192.0.2.20", 60s).has_value());
  auto banned = adds();
  ASSERT_EQ(banned.size(), 1u);
  EXPECT_EQ(banned[0].cls, api::SourceClass::kBanned);
  EXPECT_EQ(banned[0].duration_ms, 60000u);
  clock_.advance(10s);
  ASSERT_TRUE(security_->unban("192.0.2.20").has_value());
  auto restored = adds();
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].cls, api::SourceClass::kTrusted);
  EXPECT_EQ(restored[0].duration_ms, (600 + 30 - 10) * 1000u);
  // A static trusted host goes back to trusted for good; anyone else is deleted.
  ASSERT_TRUE(security_->ban("192.0.2.5", std::nullopt).has_value());
  ASSERT_TRUE(security_->unban("192.0.2.5").has_value());
  auto statics = adds();
  ASSERT_EQ(statics.size(), 2u);
  EXPECT_EQ(statics[1].cls, api::SourceClass::kTrusted);
  EXPECT_EQ(statics[1].duration_ms, 0u);
  ASSERT_TRUE(security_->ban("192.0.2.30", 60s).has_value());
  ASSERT_TRUE(security_->unban("192.0.2.30").has_value());
  dataplane_.flush();
  const auto deletes = dataplane_.sent_of<api::SourceDelete>();
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].address, api::Address::parse("192.0.2.30"));
}

TEST_F(EdgeSecurityTest, BanAndUnbanRefuseWhatIsNoAddressOrNotBanned) {
  auto bad = security_->ban("not-an-address", 60s);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("not an IPv4 or IPv6 address"), std::string::npos);
  auto bad_unban = security_->unban("300.1.1.1");
  ASSERT_FALSE(bad_unban.has_value());
  EXPECT_NE(bad_unban.error().find("not an IPv4 or IPv6 address"), std::string::npos);
  auto not_banned = security_->unban("192.0.2.99");
  ASSERT_FALSE(not_banned.has_value());
  EXPECT_EQ(not_banned.error(), "192.0.2.99 is not banned");
  // A v4-mapped address is the IPv4 source.
  ASSERT_TRUE(security_->ban("::ffff:192.0.2.98", 60s).has_value());
  EXPECT_EQ(security_->bans().front().source, make_address("192.0.2.98"));
  EXPECT_TRUE(security_->unban("192.0.2.98").has_value());
}

TEST_F(EdgeSecurityTest, BansExpireOnTheirTimerAndTheDestructorCancelsIt) {
  ASSERT_TRUE(security_->ban("192.0.2.30", 60s).has_value());
  ASSERT_TRUE(security_->ban("192.0.2.31", 120s).has_value());
  EXPECT_EQ(value("sbc_security_bans_active"), 2);
  EXPECT_EQ(value("sbc_security_bans_total", {{"reason", "manual"}}), 2);
  clock_.advance(60s);
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(value("sbc_security_bans_active"), 1);
  dataplane_.flush();
  ASSERT_EQ(dataplane_.sent_of<api::SourceDelete>().size(), 1u);
  EXPECT_EQ(clock_.pending(), 1u);  // the next expiry
  security_.reset();
  EXPECT_EQ(clock_.pending(), 0u);
}

TEST_F(EdgeSecurityTest, RestoreBansKeepsLiveOnesOnly) {
  const auto wall = clock_.wall_now();
  std::vector<StoredBan> stored(4);
  stored[0] = {"192.0.2.40", wall - 10s, wall + 100s, "scanner", 2};
  stored[1] = {"192.0.2.41", wall - 100s, wall - 1s, "malformed", 1};  // expired
  stored[2] = {"nope", wall - 5s, std::nullopt, "manual", 1};          // unreadable
  stored[3] = {"2001:db8:1:2::", wall - 1s, std::nullopt, "manual", 1};
  EXPECT_EQ(security_->restore_bans(stored), 2u);
  ASSERT_EQ(security_->bans().size(), 2u);
  EXPECT_EQ(value("sbc_security_bans_active"), 2);
  const std::vector<Ban> bans = security_->bans();
  const auto scanner = std::ranges::find(bans, BanReason::kScanner, &Ban::reason);
  ASSERT_NE(scanner, bans.end());
  EXPECT_EQ(scanner->level, 2u);
  EXPECT_FALSE(security_->screen(peer_at(kAccess, "192.0.2.40")));
  EXPECT_FALSE(security_->screen(peer_at(kAccess, "2001:db8:1:2::77")));  // the /64
  clock_.advance(100s);
  EXPECT_EQ(security_->bans().size(), 1u);
  EXPECT_TRUE(security_->screen(peer_at(kAccess, "192.0.2.40")));
}

TEST_F(EdgeSecurityTest, DataplaneUpSendsPortsAndFlushThenEveryBanAndTrustedSource) {
  dataplane_.connected_ = false;
  security_->trust(make_address("192.0.2.20"), 600s);
  ASSERT_TRUE(security_->ban("192.0.2.30", 60s).has_value());
  ASSERT_TRUE(dataplane_.requests.empty());
  dataplane_.connected_ = true;
  DataplaneResync resync(dataplane_, clock_);
  resync.begin();
  security_->on_dataplane_up(resync);
  resync.run();
  for (int i = 0; i < 10 && dataplane_.pending() > 0; ++i) dataplane_.flush();
  ASSERT_GE(dataplane_.requests.size(), 2u);
  const auto* ports = std::get_if<api::MediaPortsSet>(&dataplane_.requests[0]);
  ASSERT_NE(ports, nullptr);
  EXPECT_EQ(ports->port_min, 20000);
  EXPECT_EQ(ports->port_max, 20099);
  EXPECT_TRUE(std::holds_alternative<api::SourceFlush>(dataplane_.requests[1]));
  std::map<std::string, api::SourceAdd> pushed;
  for (const auto& add : dataplane_.sent_of<api::SourceAdd>()) {
    pushed[add.address.to_string()] = add;
  }
  ASSERT_TRUE(pushed.contains("192.0.2.30"));
  EXPECT_EQ(pushed["192.0.2.30"].cls, api::SourceClass::kBanned);
  EXPECT_EQ(pushed["192.0.2.30"].duration_ms, 60000u);
  ASSERT_TRUE(pushed.contains("192.0.2.20"));
  EXPECT_EQ(pushed["192.0.2.20"].cls, api::SourceClass::kTrusted);
  // Configured hosts: the zone's trusted PBX and the narrow trunk's /32 (the wide one is a /24).
  ASSERT_TRUE(pushed.contains("192.0.2.5"));
  EXPECT_EQ(pushed["192.0.2.5"].duration_ms, 0u);
  EXPECT_TRUE(pushed.contains("198.51.100.20"));
  EXPECT_FALSE(pushed.contains("198.51.100.0"));
  EXPECT_EQ(pushed.size(), 4u);
}

}  // namespace
}  // namespace sbc::cp::testing
