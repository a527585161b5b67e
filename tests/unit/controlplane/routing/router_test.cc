#include "controlplane/routing/router.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <set>
#include <string>

#include "controlplane/sip/message.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using TimePoint = Router::TimePoint;

constexpr size_t kAccess = 0;  // zones sorted by name
constexpr size_t kCarrier = 1;
const TimePoint kNow = TimePoint{} + 1000h;

// The B2BUA fixture's configuration, with a second trunk (carrier2, TCP on 5080, a /24 allow
// list) after the first by name.
const std::string kConfig = testing::kTwoZoneConfig + R"(
[zone.access]
default_target = 192.0.2.10:5060
[trunk.carrier1]
port = 5060
fromdomain = carrier.example
fromuser = 15550001
[trunk.carrier2]
zone = carrier
host = 198.51.100.20
port = 5080
transport = tcp
allow = 198.51.100.0/24
)";

Config parsed(const std::string& text = kConfig) {
  auto config = parse_config(text);
  EXPECT_TRUE(config.has_value()) << config.error();
  return std::move(*config);
}

// `text` with the first occurrence of `line` (and its newline) removed.
std::string without(std::string text, const std::string& line) {
  text.erase(text.find(line), line.size() + 1);
  return text;
}

// Listeners on every transport of the zones in `bound` (none elsewhere).
class ListenerTransport final : public SipTransport {
 public:
  void send(const SipPeer&, std::string_view) override {}
  [[nodiscard]] std::optional<Endpoint> local_endpoint(size_t zone, Transport) const override {
    if (!bound.contains(zone)) return std::nullopt;
    return Endpoint(make_address(zone == kAccess ? "192.0.2.1" : "198.51.100.1"), 5060);
  }
  std::set<size_t> bound = {kAccess, kCarrier};
};

SipPeer source(size_t zone, const char* address, uint16_t port = 5060) {
  SipPeer peer;
  peer.zone = zone;
  peer.remote = Endpoint(make_address(address), port);
  return peer;
}

class RouterTest : public ::testing::Test {
 protected:
  explicit RouterTest(const std::string& text = kConfig) : config_(parsed(text)) {}

  std::expected<Route, RouteRefusal> route(const SipPeer& from, std::string_view user = "4420",
                                           TimePoint now = kNow) const {
    return router_.route(from, user, now);
  }

  // alice registers on `zone` from 192.0.2.50:40000 over TCP (connection 42).
  void register_alice(size_t zone, uint32_t expires = 600) {
    const std::string text =
        "REGISTER sip:192.0.2.1 SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 192.0.2.50:40000;branch=z9hG4bK-r1\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:alice@192.0.2.1>;tag=r\r\n"
        "To: <sip:alice@192.0.2.1>\r\n"
        "Call-ID: reg-1\r\n"
        "CSeq: 1 REGISTER\r\n"
        "Contact: <sip:alice@10.0.0.5:5062;transport=tcp>\r\n"
        "Expires: " +
        std::to_string(expires) + "\r\nContent-Length: 0\r\n\r\n";
    auto msg = sip::Message::parse(text);
    ASSERT_TRUE(msg.has_value());
    SipPeer from = source(zone, "192.0.2.50", 40000);
    from.transport = Transport::kTcp;
    from.connection = 42;
    from.local = Endpoint(make_address("192.0.2.1"), 5060);
    ASSERT_EQ(registrar_.on_register("alice", from, *msg, kNow, {}).code, 200);
  }

  Config config_;
  Registrar registrar_{config_.registrar};
  ListenerTransport transport_;
  Router router_{config_.zones, config_.trunks, config_.routes,
                 config_.dids,  registrar_,     transport_};
};

// --- routes ---

TEST_F(RouterTest, FromTheAccessZoneToTheFirstTrunkByName) {
  const auto r = route(source(kAccess, "192.0.2.10"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->kind, RouteKind::kTrunk);
  EXPECT_EQ(r->trunk, 0u);  // carrier1, not carrier2
  EXPECT_EQ(r->peer.zone, kCarrier);
  EXPECT_EQ(r->peer.transport, Transport::kUdp);
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("198.51.100.10"), 5060));
  EXPECT_TRUE(r->contact.empty());
  // The trunk's fromuser and fromdomain replace the caller's.
  EXPECT_EQ(r->from_uri("alice"), "sip:15550001@carrier.example");
  EXPECT_EQ(r->to_uri("4420"), "sip:4420@198.51.100.10");
  EXPECT_EQ(r->request_uri("4420"), "sip:4420@198.51.100.10");
}

TEST_F(RouterTest, WithoutRoutesEveryOtherTrunkIsAnAlternate) {
  auto r = route(source(kAccess, "192.0.2.10"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->alternates, (std::vector<size_t>{1}));  // carrier2
  EXPECT_EQ(r->route_name, "");
}

class RouterTableTest : public RouterTest {
 protected:
  RouterTableTest()
      : RouterTest(kConfig +
                   "[route.uk]\nprefix = 44\ntrunks = carrier2, carrier1\n"
                   "[route.us]\nprefix = 1\ntrunks = carrier1\n") {}
};

TEST_F(RouterTableTest, TheRouteOfTheNumberChoosesTheTrunksAndTheirOrder) {
  auto uk = route(source(kAccess, "192.0.2.10"), "442071234567");
  ASSERT_TRUE(uk);
  EXPECT_EQ(uk->route_name, "uk");
  EXPECT_EQ(uk->trunk, 1u);  // carrier2 first
  EXPECT_EQ(uk->peer.remote, Endpoint(make_address("198.51.100.20"), 5080));
  EXPECT_EQ(uk->alternates, (std::vector<size_t>{0}));
  auto us = route(source(kAccess, "192.0.2.10"), "15550100");
  ASSERT_TRUE(us);
  EXPECT_EQ(us->trunk, 0u);
  EXPECT_TRUE(us->alternates.empty());
  auto none = route(source(kAccess, "192.0.2.10"), "33123456");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().error, RouteError::kNoRoute);
  EXPECT_EQ(none.error().code, 404);
}

class RouterPlainTrunkTest : public RouterTest {
 protected:
  // carrier1 without fromuser and fromdomain, over TCP on 5070.
  RouterPlainTrunkTest()
      : RouterTest(without(without(without(kConfig, "fromuser = 15550001"),
                                   "fromdomain = carrier.example"),
                           "port = 5060") +
                   "[trunk.carrier1]\ntransport = tcp\nport = 5070\n") {}
};

TEST_F(RouterPlainTrunkTest, WithoutFromSettingsTheCallerAndOurAddressGoInFrom) {
  const auto r = route(source(kAccess, "192.0.2.10"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->trunk, 0u);
  EXPECT_EQ(r->peer.transport, Transport::kTcp);
  EXPECT_EQ(r->from_uri("alice"), "sip:alice@198.51.100.1");  // the carrier zone's address
  EXPECT_EQ(r->request_uri("4420"), "sip:4420@198.51.100.10:5070;transport=tcp");
}

TEST_F(RouterTest, FromATrunkToTheDefaultTarget) {
  const auto r = route(source(kCarrier, "198.51.100.10"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->kind, RouteKind::kDefaultTarget);
  EXPECT_EQ(r->trunk, 0u);  // the trunk the call comes from
  EXPECT_EQ(r->peer.zone, kAccess);
  EXPECT_EQ(r->peer.transport, Transport::kUdp);
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("192.0.2.10"), 5060));
  EXPECT_EQ(r->from_uri("alice"), "sip:alice@192.0.2.1");
  EXPECT_EQ(r->to_uri("4420"), "sip:4420@192.0.2.10");
  EXPECT_EQ(r->request_uri("4420"), "sip:4420@192.0.2.10");
}

TEST_F(RouterTest, TheSourceTrunkIsTheMostSpecificAllowEntry) {
  const auto r = route(source(kCarrier, "198.51.100.77"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->trunk, 1u);  // carrier2's /24
  EXPECT_EQ(router_.trunk_of(kCarrier, make_address("198.51.100.10")), 0u);
  EXPECT_FALSE(router_.trunk_of(kCarrier, make_address("203.0.113.1")).has_value());
  EXPECT_FALSE(router_.trunk_of(kAccess, make_address("198.51.100.10")).has_value());
}

TEST_F(RouterTest, FromATrunkToARegisteredUserWhereItRegistered) {
  register_alice(kAccess);
  const auto r = route(source(kCarrier, "198.51.100.10"), "alice");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->kind, RouteKind::kRegisteredUser);
  EXPECT_EQ(r->peer.zone, kAccess);
  EXPECT_EQ(r->peer.transport, Transport::kTcp);
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("192.0.2.50"), 40000));  // through its NAT
  EXPECT_EQ(r->peer.connection, 42u);
  EXPECT_EQ(r->request_uri("alice"), "sip:alice@10.0.0.5:5062;transport=tcp");
  EXPECT_EQ(r->to_uri("alice"), "sip:alice@192.0.2.1");
  EXPECT_EQ(r->from_uri("alice"), "sip:alice@192.0.2.1");
  // Another user still goes to the default target.
  EXPECT_EQ(route(source(kCarrier, "198.51.100.10"), "bob")->kind, RouteKind::kDefaultTarget);
}

TEST_F(RouterTest, AnExpiredOrOtherZoneBindingIsNotARoute) {
  register_alice(kAccess, 60);
  EXPECT_EQ(route(source(kCarrier, "198.51.100.10"), "alice", kNow + 61s)->kind,
            RouteKind::kDefaultTarget);
  registrar_.remove_user("alice");
  register_alice(kCarrier);
  EXPECT_EQ(route(source(kCarrier, "198.51.100.10"), "alice")->kind, RouteKind::kDefaultTarget);
}

// --- DID table ---

class RouterDidTest : public RouterTest {
 protected:
  RouterDidTest()
      : RouterTest(kConfig +
                   "[did.sales]\nnumbers = +15550001000, +1555000110\ntarget = 192.0.2.20:5070\n"
                   "transport = tcp\ncalled = 101\n"
                   "[did.alice]\nnumbers = +15550002000\ntrunks = carrier1\ntarget = user alice\n"
                   "[did.desk]\nnumbers = +15550002000\ntarget = default\ncalled = 200\n") {}
};

TEST_F(RouterDidTest, ADidGoesToItsTargetAsItsExtension) {
  const auto r = route(source(kCarrier, "198.51.100.10"), "+15550001105");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->route_name, "sales");
  EXPECT_EQ(r->called_user, "101");
  EXPECT_EQ(r->peer.zone, kAccess);
  EXPECT_EQ(r->peer.transport, Transport::kTcp);
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("192.0.2.20"), 5070));
  EXPECT_EQ(r->request_uri("101"), "sip:101@192.0.2.20:5070;transport=tcp");
  EXPECT_EQ(r->from_uri("+15551234567"), "sip:+15551234567@192.0.2.1");
}

TEST_F(RouterDidTest, ATrunksOwnEntryToARegisteredUserElseTheGeneralOne) {
  // carrier1's own entry: alice, who is not registered yet (480), then is.
  auto r = route(source(kCarrier, "198.51.100.10"), "+15550002000");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, 480);
  register_alice(kAccess);
  r = route(source(kCarrier, "198.51.100.10"), "+15550002000");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->kind, RouteKind::kRegisteredUser);
  EXPECT_EQ(r->called_user, "alice");
  EXPECT_EQ(r->request_uri("alice"), "sip:alice@10.0.0.5:5062;transport=tcp");
  // carrier2 (198.51.100.77) has no entry of its own for it: the general one, the PBX as 200.
  r = route(source(kCarrier, "198.51.100.77"), "+15550002000");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->route_name, "desk");
  EXPECT_EQ(r->kind, RouteKind::kDefaultTarget);
  EXPECT_EQ(r->called_user, "200");
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("192.0.2.10"), 5060));
}

TEST_F(RouterDidTest, ANumberNoEntryServesGets404EvenForARegisteredUser) {
  register_alice(kAccess);
  for (const char* number : {"+15559999999", "alice"}) {
    const auto r = route(source(kCarrier, "198.51.100.10"), number);
    ASSERT_FALSE(r.has_value()) << number;
    EXPECT_EQ(r.error().error, RouteError::kNoDid);
    EXPECT_EQ(r.error().code, 404);
  }
}

// --- several access zones ---

// A second site (zone office, its PBX at 192.0.2.30): carrier1's calls go to the first site,
// carrier2's to the second.
const std::string kTwoSites =
    kConfig +
    "[zone.office]\ndataplane_port = access\nsip_address = 192.0.2.1\nsip_port = 5070\n"
    "allow_open_access = yes\ndefault_target = 192.0.2.30:5060\n"
    "[trunk.carrier1]\ninbound_zone = access\n"
    "[trunk.carrier2]\ninbound_zone = office\n";
constexpr size_t kOffice = 2;  // zones sorted by name

class RouterTwoSitesTest : public RouterTest {
 protected:
  explicit RouterTwoSitesTest(const std::string& text = kTwoSites) : RouterTest(text) {
    transport_.bound.insert(kOffice);
  }
};

TEST_F(RouterTwoSitesTest, EachTrunksCallsGoToItsInboundZone) {
  auto r = route(source(kCarrier, "198.51.100.10"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->peer.zone, kAccess);
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("192.0.2.10"), 5060));
  r = route(source(kCarrier, "198.51.100.77"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->peer.zone, kOffice);
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("192.0.2.30"), 5060));
  // A user registered at the first site is reached from its trunk only: the second site's
  // calls for that name go to the second site's PBX.
  register_alice(kAccess);
  r = route(source(kCarrier, "198.51.100.10"), "alice");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->kind, RouteKind::kRegisteredUser);
  r = route(source(kCarrier, "198.51.100.77"), "alice");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->kind, RouteKind::kDefaultTarget);
  EXPECT_EQ(r->peer.zone, kOffice);
  // Calls from the second site go out through the trunks as the first site's do.
  r = route(source(kOffice, "192.0.2.30"), "4420");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->kind, RouteKind::kTrunk);
}

class RouterTwoSitesDidTest : public RouterTwoSitesTest {
 protected:
  RouterTwoSitesDidTest()
      : RouterTwoSitesTest(kTwoSites +
                           "[did.hq]\nnumbers = +1555\nzone = office\ntarget = default\n"
                           "[did.rest]\ntarget = default\n") {}
};

TEST_F(RouterTwoSitesDidTest, ADidNamesTheZoneOfItsTarget) {
  // carrier1's calls go to the first site, but +1555... is the second site's number.
  auto r = route(source(kCarrier, "198.51.100.10"), "+15550001000");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->route_name, "hq");
  EXPECT_EQ(r->peer.zone, kOffice);
  EXPECT_EQ(r->peer.remote, Endpoint(make_address("192.0.2.30"), 5060));
  // A DID without a zone follows the trunk's inbound zone.
  r = route(source(kCarrier, "198.51.100.10"), "+4420");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->route_name, "rest");
  EXPECT_EQ(r->peer.zone, kAccess);
  r = route(source(kCarrier, "198.51.100.77"), "+4420");
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->peer.zone, kOffice);
}

// --- refusals ---

class RouterNoTargetTest : public RouterTest {
 protected:
  RouterNoTargetTest() : RouterTest(without(kConfig, "default_target = 192.0.2.10:5060")) {}
};

TEST_F(RouterNoTargetTest, AnUnregisteredUserFromATrunkIsNotFound) {
  const auto r = route(source(kCarrier, "198.51.100.10"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error, RouteError::kNoTarget);
  EXPECT_EQ(r.error().code, 404);
  EXPECT_EQ(r.error().reason, "Not Found (not registered, no default_target)");
  EXPECT_EQ(to_string(r.error().error), "no_target");
  register_alice(kAccess);
  EXPECT_TRUE(route(source(kCarrier, "198.51.100.10"), "alice").has_value());
}

TEST_F(RouterTest, NoTrunkToRouteToIsServiceUnavailable) {
  config_.trunks.clear();  // the parser refuses such a file; the router must not rely on it
  router_.reconfigure();
  const auto r = route(source(kAccess, "192.0.2.10"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error, RouteError::kNoTrunk);
  EXPECT_EQ(r.error().code, 503);
}

TEST_F(RouterTest, AZoneWithoutListenerIsNotBoundYet) {
  transport_.bound = {kAccess};
  const auto r = route(source(kAccess, "192.0.2.10"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error, RouteError::kNotBound);
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(r.error().reason, "Service Unavailable (SIP not bound yet)");
  EXPECT_TRUE(route(source(kCarrier, "198.51.100.10")).has_value());
}

class RouterUnaddressedTest : public RouterTest {
 protected:
  // The access zone takes its SIP address from the dataplane port (after Hello).
  RouterUnaddressedTest() : RouterTest(without(kConfig, "sip_address = 192.0.2.1")) {}
};

TEST_F(RouterUnaddressedTest, AZoneWithoutAddressIsNotBoundUntilTheDataplaneNamesIt) {
  for (const SipPeer& from : {source(kAccess, "192.0.2.10"), source(kCarrier, "198.51.100.10")}) {
    const auto r = route(from);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().error, RouteError::kNotBound);
  }
  router_.set_zone_address(kAccess, make_address("192.0.2.1"));
  const auto r = route(source(kCarrier, "198.51.100.10"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->from_uri("alice"), "sip:alice@192.0.2.1");
  // A reload keeps the learned address.
  router_.reconfigure();
  EXPECT_EQ(router_.zone_address(kAccess), make_address("192.0.2.1"));
}

// --- reload ---

TEST_F(RouterTest, AReloadTakesTheNewFirstTrunkAndKeepsRetiredZonesWhatTheyWere) {
  // A new file: trunk "a_carrier" on a new zone "backup" now sorts first; zone carrier retires.
  Config next = parsed(without(std::string(kConfig), "allow = 198.51.100.0/24") +
                       "[zone.backup]\ndataplane_port = trunk\nsip_address = 203.0.113.1\n"
                       "[trunk.a_carrier]\nzone = backup\nhost = 203.0.113.10\n");
  // What plan_reload makes of it: old zones keep their index, new ones are appended.
  ASSERT_EQ(next.zones.size(), 3u);  // access, backup, carrier
  std::swap(next.zones[1], next.zones[2]);
  std::erase_if(next.trunks, [](const TrunkConfig& t) { return t.zone == "carrier"; });
  next.zones[kCarrier].retired = true;
  config_ = std::move(next);
  router_.reconfigure();
  transport_.bound = {kAccess, kCarrier, 2};
  const auto r = route(source(kAccess, "192.0.2.10"));
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(config_.trunks[*r->trunk].name, "a_carrier");
  EXPECT_EQ(r->peer.zone, 2u);
  EXPECT_EQ(router_.zone_address(2), make_address("203.0.113.1"));
  EXPECT_TRUE(router_.trunk_zone(kCarrier));  // retired: still a trunk zone for its calls
}

}  // namespace
}  // namespace sbc::cp
