// Issue 8, secure by default, through the B2BUA and its edge security: SDP connection addresses
// that are not routable unicast get 488, the trunk receives the normalised number the toll-fraud
// rules judged, configured users are challenged by default, spoofable packets never ban
// registered phones or protected neighbours, IPv6 bans cover a /64, connection floods and failed
// TLS handshakes are offences.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp::testing {
namespace {

using std::chrono::seconds;

const Endpoint kPhone(boost::asio::ip::make_address("192.0.2.20"), 5062);

// `invite` with its body replaced by `body` (Content-Length follows).
std::string with_body(const std::string& invite, const std::string& body) {
  const size_t end = invite.find("\r\n\r\n");
  std::string head = invite.substr(0, end + 2);
  const size_t length = head.find("Content-Length:");
  head.erase(length);
  return head + fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
}

std::string options_from(const std::string& user_agent) {
  return fmt::format(
      "OPTIONS sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bK-o1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:x@192.0.2.20>;tag=o1\r\nTo: <sip:192.0.2.1>\r\n"
      "Call-ID: o1@192.0.2.20\r\nCSeq: 1 OPTIONS\r\nUser-Agent: {}\r\nContent-Length: 0\r\n\r\n",
      user_agent);
}

class SecureDefaultTest : public B2buaTest {
 protected:
  void reconfigure(const std::string& extra) {
    auto parsed = parse_config(std::string(kConfig) + extra);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }
  std::string metrics_text() {
    return prometheus::TextSerializer().Serialize(metrics_.registry().Collect());
  }
  bool has_metric(const std::string& line) {
    return metrics_text().find(line) != std::string::npos;
  }
  // The addresses pushed to the dataplane as banned / deleted so far.
  std::vector<std::string> pushed_bans() {
    dataplane_.flush();
    std::vector<std::string> out;
    for (const auto& add : dataplane_.sent_of<api::SourceAdd>()) {
      if (add.cls == api::SourceClass::kBanned) out.push_back(add.address.to_string());
    }
    return out;
  }
  std::vector<std::string> deleted_sources() {
    dataplane_.flush();
    std::vector<std::string> out;
    for (const auto& del : dataplane_.sent_of<api::SourceDelete>()) {
      out.push_back(del.address.to_string());
    }
    return out;
  }
};

// --- SDP connection addresses ----------------------------------------------------------------

TEST_F(SecureDefaultTest, OfferWithUnroutableConnectionAddressGets488) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1", "loopback"},        {"0.0.0.0", "unspecified"},    {"224.0.0.5", "multicast"},
      {"255.255.255.255", "broadcast"}, {"169.254.1.1", "link_local"}, {"0.1.2.3", "this_network"},
      {"240.0.0.9", "reserved"},        {"192.0.2.1", "own_address"},  // zone SIP + port address
      {"198.51.100.1", "own_address"},
  };
  int n = 0;
  for (const auto& [address, reason] : cases) {
    InviteParts p;
    p.call_id = fmt::format("bad-sdp-{}@192.0.2.10", ++n);
    p.branch = fmt::format("z9hG4bK-bad-{}", n);
    deliver(kAccess, kCallerAddr, with_body(caller_invite(p), sdp(address, 6000)));
    auto refused = next_to(kAccess, kCallerAddr);
    EXPECT_EQ(refused.status_code(), 488) << address;
    EXPECT_NE(refused.reason_phrase().find(reason), std::string_view::npos) << address;
    EXPECT_TRUE(transport_.sent.empty()) << address;  // nothing toward the trunk
  }
  EXPECT_TRUE(dataplane_.sent_of<api::SessionAdd>().empty());
  EXPECT_TRUE(has_metric("sbc_sdp_address_refused_total{reason=\"loopback\"} 1"));
  EXPECT_TRUE(has_metric("sbc_sdp_address_refused_total{reason=\"own_address\"} 2"));
}

TEST_F(SecureDefaultTest, MediaLevelConnectionAddressIsTheOneJudged) {
  // A routable session-level c= does not cover a loopback media-level one.
  const std::string body =
      "v=0\r\no=user 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:0 PCMU/8000\r\n";
  deliver(kAccess, kCallerAddr, with_body(caller_invite(), body));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 488);
  EXPECT_TRUE(transport_.sent.empty());
  // ... and a routable media-level one under an unspecified session c= is fine.
  const std::string good =
      "v=0\r\no=user 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 0\r\nc=IN IP4 192.0.2.10\r\na=rtpmap:0 PCMU/8000\r\n";
  InviteParts p;
  p.call_id = "good@192.0.2.10";
  deliver(kAccess, kCallerAddr, with_body(caller_invite(p), good));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kInvite);
}

TEST_F(SecureDefaultTest, AnswerWithUnroutableConnectionAddressEndsTheCall) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("127.0.0.1", 7000)));
  dataplane_.flush();
  bool caller_502 = false;
  while (!transport_.sent.empty()) {
    SentDatagram d = next();
    auto m = parse(d.data);
    if (d.zone == kAccess && m.is_response() && m.status_code() == 502) caller_502 = true;
  }
  EXPECT_TRUE(caller_502);
  EXPECT_TRUE(has_metric("sbc_sdp_address_refused_total{reason=\"loopback\"} 1"));
}

// --- toll fraud: the normalised number ---------------------------------------------------------

TEST_F(SecureDefaultTest, TrunkReceivesTheNormalisedNumberTheRulesJudged) {
  reconfigure("[security]\nblocked_prefixes = 1900\n");
  const std::pair<const char*, int> refused[] = {
      {"sip:+1-900-655-1234@192.0.2.1", 403}, {"sip:%2B1%20900%206551234@192.0.2.1", 403},
      {"tel:+1-900-655-1234", 403},           {"sip:00(1)900.655@192.0.2.1", 403},
      {"sip:callee@192.0.2.1", 484},          {"sip:*69@192.0.2.1", 484}};
  int n = 0;
  for (const auto& [uri, code] : refused) {
    InviteParts p;
    p.request_uri = uri;
    p.call_id = fmt::format("fraud-{}@192.0.2.10", ++n);
    p.branch = fmt::format("z9hG4bK-fraud-{}", n);
    deliver(kAccess, kCallerAddr, caller_invite(p));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), code) << uri;
    EXPECT_TRUE(transport_.sent.empty()) << uri;
  }
  EXPECT_TRUE(has_metric("sbc_fraud_refused_total{rule=\"not_a_number\"} 2"));
  EXPECT_TRUE(has_metric("sbc_fraud_refused_total{rule=\"blocked_prefix\"} 4"));
  // An allowed number reaches the trunk as the digits that were judged.
  InviteParts p;
  p.request_uri = "sip:%2B1%20(555)%20123-4567@192.0.2.1";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(invite.request_uri()->user, "+15551234567");
  EXPECT_EQ(invite.to()->uri.user, "+15551234567");
}

// --- configured users are challenged by default ---------------------------------------------

TEST_F(SecureDefaultTest, ConfiguredUsersAreChallengedWithoutAuthenticate) {
  reconfigure("[user.alice]\nsecret = s3cret-Pass\n");
  // INVITE as alice (or anyone) from an untrusted source: 407.
  InviteParts p;
  p.from = "<sip:alice@192.0.2.20>;tag=x";
  deliver(kAccess, kPhone, caller_invite(p));
  auto challenged = next();
  EXPECT_EQ(parse(challenged.data).status_code(), 407);
  EXPECT_TRUE(transport_.sent.empty());
  // REGISTER as alice: 401, no binding.
  const std::string reg =
      "REGISTER sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bK-r1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.1>;tag=r\r\nTo: <sip:alice@192.0.2.1>\r\n"
      "Call-ID: r1@192.0.2.20\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@192.0.2.20:5062>\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(kAccess, kPhone, reg);
  EXPECT_EQ(parse(next().data).status_code(), 401);
  EXPECT_TRUE(registrar_->lookup("alice", clock_.now()).empty());
  // The zone may say otherwise, explicitly.
  reconfigure("[user.alice]\nsecret = s3cret-Pass\n[zone.access]\nauthenticate = none\n");
  deliver(kAccess, kPhone, reg);
  EXPECT_EQ(parse(next().data).status_code(), 200);
}

// --- spoofable packets -----------------------------------------------------------------------

TEST_F(SecureDefaultTest, ScannerUserAgentNeverBansRegisteredPhonesOrProtectedNeighbours) {
  reconfigure("[zone.access]\nprotect = 192.0.2.254, 192.0.2.128/30\n");
  // A phone with a live authenticated registration (what handle_register does after a 200).
  security_->trust(kPhone.address(), seconds(600));
  const Endpoint gateway(boost::asio::ip::make_address("192.0.2.254"), 5060);
  const Endpoint next_hop(boost::asio::ip::make_address("192.0.2.129"), 5060);
  for (const Endpoint& source : {kPhone, gateway, next_hop}) {
    deliver(kAccess, source, options_from("friendly-scanner"));
    EXPECT_TRUE(transport_.sent.empty());  // dropped without an answer
    // Malformed packets and bucket overflows are spoofable too: no offence.
    for (int i = 0; i < 50; ++i) security_->malformed(udp_peer(kAccess, source));
    for (int i = 0; i < 1000; ++i) (void)security_->screen(udp_peer(kAccess, source));
  }
  EXPECT_TRUE(security_->bans().empty());
  EXPECT_TRUE(has_metric("sbc_security_dropped_total{reason=\"scanner\"} 3"));
  EXPECT_TRUE(has_metric("sbc_security_offences_total{offence=\"scanner\"} 0"));
  // Once the registration (and its grace) is over, the phone is an ordinary source again.
  clock_.advance(std::chrono::milliseconds((600 + 31) * 1000));
  deliver(kAccess, kPhone, options_from("friendly-scanner"));
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans().front().source, kPhone.address());
  // Any other address is banned by one scanner request, as before.
  const Endpoint stranger(boost::asio::ip::make_address("192.0.2.77"), 5060);
  deliver(kAccess, stranger, options_from("friendly-scanner"));
  EXPECT_EQ(security_->bans().size(), 2u);
}

TEST_F(SecureDefaultTest, AuthFailuresOfARegisteredPhoneStillCount) {
  reconfigure("[user.alice]\nsecret = s3cret-Pass\n[security]\nmax_auth_failures = 2\n");
  security_->trust(kPhone.address(), seconds(600));
  // Digest answers with a nonce we issued: they need our challenge, so they are no spoof.
  for (int i = 1; i <= 3 && security_->bans().empty(); ++i) {
    const std::string reg = fmt::format(
        "REGISTER sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bK-r{0}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.1>;tag=r\r\nTo: <sip:alice@192.0.2.1>\r\n"
        "Call-ID: r1@192.0.2.20\r\nCSeq: {0} REGISTER\r\nContact: <sip:alice@192.0.2.20:5062>\r\n"
        "Content-Length: 0\r\n\r\n",
        i);
    deliver(kAccess, kPhone, reg);
    auto challenge = parse(next().data);
    ASSERT_EQ(challenge.status_code(), 401);
    const std::string_view www = challenge.header(sip::HeaderId::kWwwAuthenticate);
    const size_t at = www.find("nonce=\"") + 7;
    const std::string nonce(www.substr(at, www.find('"', at) - at));
    const size_t realm_at = www.find("realm=\"") + 7;
    const std::string realm(www.substr(realm_at, www.find('"', realm_at) - realm_at));
    std::string wrong = reg;
    wrong.insert(wrong.find("Content-Length"),
                 fmt::format("Authorization: Digest username=\"alice\", realm=\"{}\", "
                             "nonce=\"{}\", uri=\"sip:192.0.2.1\", response=\"{}\", qop=auth, "
                             "nc=00000001, cnonce=\"0a4f113b\", "
                             "algorithm=SHA-256\r\n",
                             realm, nonce, std::string(64, '0')));
    deliver(kAccess, kPhone, wrong);
    while (!transport_.sent.empty()) next();
  }
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans().front().reason, BanReason::kAuthFailure);
}

// --- IPv6 bans cover the /64 -------------------------------------------------------------------

TEST_F(SecureDefaultTest, Ipv6BanCoversTheSlash64AndThePushFollowsIt) {
  const auto v6 = [](const char* text) {
    return Endpoint(boost::asio::ip::make_address(text), 5060);
  };
  deliver(kAccess, v6("2001:db8:1:2::10"), options_from("friendly-scanner"));
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans().front().source, boost::asio::ip::make_address("2001:db8:1:2::"));
  EXPECT_EQ(security_->bans().front().prefix_length, 64);
  // The dataplane's table holds exact addresses: the offender first.
  EXPECT_EQ(pushed_bans(), std::vector<std::string>{"2001:db8:1:2::10"});
  // Another address of the /64 is dropped by sbcd, and pushed so the dataplane drops it next.
  EXPECT_FALSE(security_->screen(udp_peer(kAccess, v6("2001:db8:1:2::abcd"))));
  EXPECT_EQ(pushed_bans(), (std::vector<std::string>{"2001:db8:1:2::10", "2001:db8:1:2::abcd"}));
  EXPECT_TRUE(security_->screen(udp_peer(kAccess, v6("2001:db8:1:3::10"))));  // next /64
  // Bounded: a host rotating through its /64 does not fill the dataplane's table.
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(
        security_->screen(udp_peer(kAccess, v6(fmt::format("2001:db8:1:2::1:{:x}", i).c_str()))));
  }
  EXPECT_EQ(pushed_bans().size(), EdgeSecurity::kMaxHostsPerBan);
  // Lifting the ban deletes every pushed address.
  ASSERT_TRUE(security_->unban("2001:db8:1:2::10").has_value());
  EXPECT_EQ(deleted_sources().size(), EdgeSecurity::kMaxHostsPerBan);
  EXPECT_TRUE(security_->screen(udp_peer(kAccess, v6("2001:db8:1:2::abcd"))));
}

// --- connections --------------------------------------------------------------------------------

TEST_F(SecureDefaultTest, ConnectionFloodIsRefusedAndBans) {
  reconfigure("[security]\nmax_connection_rate = 5\nmax_rate_violations = 10\n");
  const Endpoint flood(boost::asio::ip::make_address("192.0.2.88"), 40000);
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += security_->screen_connection(kAccess, flood) ? 1 : 0;
  EXPECT_EQ(accepted, 5);
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans().front().reason, BanReason::kConnectionRate);
  EXPECT_TRUE(has_metric("sbc_security_dropped_total{reason=\"connection_rate\"} 10"));
  // Configured peers (the PBX, the carrier) are not held to it.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(security_->screen_connection(kAccess, kCallerAddr));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(security_->screen_connection(kCarrier, kTrunkAddr));
}

TEST_F(SecureDefaultTest, FailedTlsHandshakesBan) {
  reconfigure("[security]\nmax_tls_failures = 3\n");
  const Endpoint client(boost::asio::ip::make_address("192.0.2.99"), 40000);
  security_->tls_failed(client);
  security_->tls_failed(client);
  EXPECT_TRUE(security_->bans().empty());
  security_->tls_failed(client);
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans().front().reason, BanReason::kTlsFailure);
  EXPECT_FALSE(security_->screen_connection(kAccess, client));
  EXPECT_TRUE(has_metric("sbc_security_offences_total{offence=\"tls_failure\"} 3"));
  // A carrier's failing certificate is an outage to fix, not an attack.
  for (int i = 0; i < 10; ++i) security_->tls_failed(kTrunkAddr);
  EXPECT_EQ(security_->bans().size(), 1u);
}

}  // namespace
}  // namespace sbc::cp::testing
