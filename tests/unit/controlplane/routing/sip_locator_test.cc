// RFC 3263 locating on canned DNS answers: NAPTR picks the transport, SRV the servers and their
// order, A their addresses; a port or transport in the config skips the steps it answers; what
// fails names the lookup that did.
#include "controlplane/routing/sip_locator.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/unit/controlplane/fake_dns_client.h"

namespace sbc::cp {
namespace {

using boost::asio::ip::make_address;
using std::chrono::seconds;

SipTarget target(Transport transport, const std::string& address, uint16_t port) {
  return {transport, Endpoint(make_address(address), port)};
}

class SipLocatorTest : public ::testing::Test {
 protected:
  // Locates `where` and returns what came back once every answer was delivered.
  SipLocator::Result locate(SipLocation where) {
    SipLocator::Result result = std::unexpected(std::string("no answer"));
    int answers = 0;
    locator_.locate(std::move(where), [&](SipLocator::Result r) {
      result = std::move(r);
      ++answers;
    });
    EXPECT_EQ(answers, 0) << "never from inside locate()";
    dns_.deliver();
    EXPECT_EQ(answers, 1);
    return result;
  }
  // Two servers behind _sip._udp.carrier.example: sbc1 first (priority 10), sbc2 the backup.
  void udp_servers() {
    dns_.set_srv("_sip._udp.carrier.example",
                 {{20, 0, 5090, "sbc2.carrier.example"}, {10, 0, 5080, "sbc1.carrier.example"}},
                 600);
    dns_.set_a("sbc1.carrier.example", {"203.0.113.10"}, 120);
    dns_.set_a("sbc2.carrier.example", {"203.0.113.20", "203.0.113.21"}, 300);
  }

  testing::FakeDnsClient dns_;
  std::mt19937 random_{7};
  SipLocator locator_{dns_, random_};
};

TEST_F(SipLocatorTest, NaptrChoosesAUsableTransportThenSrvOrdersTheServers) {
  dns_.set_naptr("carrier.example",
                 {{10, 10, "s", "SIPS+D2T", "_sips._tcp.carrier.example"},
                  {20, 10, "s", "SIP+D2U", "_sip._udp.carrier.example"}},
                 900);
  udp_servers();
  auto r = locate({"carrier.example", std::nullopt, std::nullopt, {Transport::kUdp}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->targets, (std::vector<SipTarget>{target(Transport::kUdp, "203.0.113.10", 5080),
                                                target(Transport::kUdp, "203.0.113.20", 5090),
                                                target(Transport::kUdp, "203.0.113.21", 5090)}));
  EXPECT_EQ(r->ttl, seconds(120)) << "the smallest TTL of every answer used";
  EXPECT_EQ(dns_.asked.front(), std::make_pair(std::string("carrier.example"), DnsType::kNaptr));
}

TEST_F(SipLocatorTest, NaptrPrefersTheLowestOrderAmongUsableServices) {
  dns_.set_naptr("carrier.example", {{20, 10, "s", "SIP+D2U", "_sip._udp.carrier.example"},
                                     {10, 50, "S", "SIP+D2T", "_sip._tcp.carrier.example"},
                                     {10, 90, "s", "SIP+D2W", "_sip._ws.carrier.example"}});
  dns_.set_srv("_sip._tcp.carrier.example", {{10, 0, 5060, "tcp.carrier.example"}});
  dns_.set_a("tcp.carrier.example", {"203.0.113.30"});
  auto r =
      locate({"carrier.example", std::nullopt, std::nullopt, {Transport::kUdp, Transport::kTcp}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->targets, std::vector<SipTarget>{target(Transport::kTcp, "203.0.113.30", 5060)});
}

TEST_F(SipLocatorTest, NaptrOfOnlyUnusableServicesFails) {
  dns_.set_naptr("carrier.example", {{10, 10, "s", "SIPS+D2T", "_sips._tcp.carrier.example"}});
  auto r = locate({"carrier.example", std::nullopt, std::nullopt, {Transport::kUdp}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "NAPTR carrier.example: no service over udp");
}

TEST_F(SipLocatorTest, WithoutNaptrSrvOfUdpThenTheHostsAddress) {
  dns_.set_error("carrier.example", DnsType::kNaptr, DnsError::kNoData);
  udp_servers();
  auto r = locate({"carrier.example", std::nullopt, std::nullopt, {Transport::kUdp}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->targets.front(), target(Transport::kUdp, "203.0.113.10", 5080));

  dns_.answers.clear();
  dns_.set_error("carrier.example", DnsType::kNaptr, DnsError::kNoData);
  dns_.set_error("_sip._udp.carrier.example", DnsType::kSrv, DnsError::kNoData);
  dns_.set_a("carrier.example", {"203.0.113.40"}, 60);
  r = locate({"carrier.example", std::nullopt, std::nullopt, {Transport::kUdp}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->targets, std::vector<SipTarget>{target(Transport::kUdp, "203.0.113.40", 5060)});
  EXPECT_EQ(r->ttl, seconds(60));
}

TEST_F(SipLocatorTest, APortAsksForAddressesOnly) {
  dns_.set_a("carrier.example", {"203.0.113.40", "203.0.113.41"});
  auto r = locate({"carrier.example", 5070, std::nullopt, {Transport::kUdp}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->targets, (std::vector<SipTarget>{target(Transport::kUdp, "203.0.113.40", 5070),
                                                target(Transport::kUdp, "203.0.113.41", 5070)}));
  ASSERT_EQ(dns_.asked.size(), 1U);
  EXPECT_EQ(dns_.asked[0].second, DnsType::kA);
}

TEST_F(SipLocatorTest, ATransportSkipsNaptrAndTlsDefaultsTo5061) {
  dns_.set_a("carrier.example", {"203.0.113.50"});
  auto r = locate({"carrier.example", std::nullopt, Transport::kTls, {Transport::kTls}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->targets, std::vector<SipTarget>{target(Transport::kTls, "203.0.113.50", 5061)});
  ASSERT_EQ(dns_.asked.size(), 2U);
  EXPECT_EQ(dns_.asked[0],
            std::make_pair(std::string("_sips._tcp.carrier.example"), DnsType::kSrv));
}

TEST_F(SipLocatorTest, FailuresNameTheLookup) {
  auto r = locate({"nowhere.example", 5060, std::nullopt, {Transport::kUdp}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "A nowhere.example: no such domain");

  dns_.set_error("carrier.example", DnsType::kNaptr, DnsError::kTimeout);
  r = locate({"carrier.example", std::nullopt, std::nullopt, {Transport::kUdp}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "NAPTR carrier.example: timeout") << "a failing server is no 'no records'";

  dns_.set_srv("_sip._tcp.carrier.example", {{0, 0, 0, "."}});
  r = locate({"carrier.example", std::nullopt, Transport::kTcp, {Transport::kTcp}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "SRV _sip._tcp.carrier.example: the service is not offered");
}

TEST_F(SipLocatorTest, AServerWhoseNameDoesNotResolveIsLeftOut) {
  dns_.set_srv("_sip._udp.carrier.example",
               {{10, 0, 5080, "gone.carrier.example"}, {20, 0, 5090, "sbc2.carrier.example"}});
  dns_.set_a("sbc2.carrier.example", {"203.0.113.20"});
  auto r = locate({"carrier.example", std::nullopt, Transport::kUdp, {Transport::kUdp}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->targets, std::vector<SipTarget>{target(Transport::kUdp, "203.0.113.20", 5090)});
}

TEST(SrvOrderTest, PrioritiesFirstThenWeightedDraws) {
  std::mt19937 random(1);
  const std::vector<SrvRecord> records = {
      {20, 0, 1, "c"}, {10, 1, 1, "a-light"}, {10, 99, 1, "a-heavy"}, {30, 0, 1, "."}};
  int heavy_first = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto ordered = srv_order(records, random);
    ASSERT_EQ(ordered.size(), 3U) << "'.' is no server";
    EXPECT_EQ(ordered[2].target, "c");
    heavy_first += ordered[0].target == "a-heavy" ? 1 : 0;
  }
  EXPECT_GT(heavy_first, 900) << "weight 99 against 1";
  EXPECT_LT(heavy_first, 1000) << "the light one goes first sometimes";
}

}  // namespace
}  // namespace sbc::cp
