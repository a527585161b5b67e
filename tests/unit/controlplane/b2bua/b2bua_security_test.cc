// The B2BUA with the edge security switched on: digest challenges for REGISTER (401) and INVITE
// (407), the registrar and calls to registered users, bans from failed authentications and
// scanner user agents, admission control and the toll-fraud guard.
#include <gtest/gtest.h>

#include "controlplane/security/digest_authenticator.h"
#include "controlplane/sip/auth.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp::testing {
namespace {

constexpr const char* kSecurity = R"(
[zone.access]
authenticate = register, invite
trusted = 192.0.2.10/32
realm = sbc.test
[user.alice]
secret = s3cret-Pass
[user.bob]
secret = other-Pass
algorithms = md5
[security]
max_auth_failures = 3
[trunk.carrier1]
max_calls = 1
)";

const Endpoint kPhone(boost::asio::ip::make_address("192.0.2.20"), 5062);
// The fixture's INVITEs carry Via 192.0.2.10:5060 without rport: their responses go to the
// source address at the Via's port (RFC 3261 §18.2.2).
const Endpoint kPhoneVia(boost::asio::ip::make_address("192.0.2.20"), 5060);

std::string register_request(const std::string& user, uint32_t cseq,
                             const std::string& authorization = {},
                             const std::string& user_agent = "TestPhone/1.0") {
  return fmt::format(
      "REGISTER sip:192.0.2.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bK-reg-{1}\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:{0}@192.0.2.1>;tag=rtag\r\n"
      "To: <sip:{0}@192.0.2.1>\r\n"
      "Call-ID: reg-1@192.0.2.20\r\n"
      "CSeq: {1} REGISTER\r\n"
      "Contact: <sip:{0}@192.0.2.20:5062>\r\n"
      "Expires: 600\r\n"
      "User-Agent: {3}\r\n"
      "{2}"
      "Content-Length: 0\r\n\r\n",
      user, cseq, authorization, user_agent);
}

// The credentials a UA computes for `challenge` (one WWW-/Proxy-Authenticate value).
std::string credentials(std::string_view header_name, std::string_view challenge_value,
                        const std::string& user, const std::string& secret, std::string_view method,
                        std::string_view uri) {
  auto header = sip::parse_auth_header(challenge_value, sip::ParseError::kBadChallenge);
  EXPECT_TRUE(header.has_value());
  auto challenge = sip::digest_challenge(*header);
  EXPECT_TRUE(challenge.has_value());
  DigestInput in;
  in.algorithm = challenge->algorithm == "MD5" ? DigestAlgorithm::kMd5 : DigestAlgorithm::kSha256;
  in.username = user;
  in.realm = challenge->realm;
  in.secret = secret;
  in.method = method;
  in.uri = uri;
  in.nonce = challenge->nonce;
  in.nc = "00000001";
  in.cnonce = "0a4f113b";
  in.qop = "auth";
  return fmt::format(
      "{}: Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", "
      "algorithm={}, qop=auth, nc=00000001, cnonce=\"0a4f113b\", opaque=\"{}\"\r\n",
      header_name, user, challenge->realm, challenge->nonce, uri, digest_response(in),
      challenge->algorithm, challenge->opaque);
}

class B2buaSecurityTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    auto parsed = parse_config(std::string(kConfig) + kSecurity);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }

  std::vector<std::string> challenge_values(const sip::Message& m, sip::HeaderId id) {
    std::vector<std::string> out;
    for (const auto& h : m.headers()) {
      if (h.id == id) out.emplace_back(h.value);
    }
    return out;
  }

  // REGISTERs alice from kPhone; returns the 200.
  sip::Message register_alice() {
    deliver(kAccess, kPhone, register_request("alice", 1));
    auto challenge = next_to(kAccess, kPhone);
    EXPECT_EQ(challenge.status_code(), 401);
    const auto values = challenge_values(challenge, sip::HeaderId::kWwwAuthenticate);
    EXPECT_EQ(values.size(), 2u);  // SHA-256 first, then MD5 (RFC 8760 §2.4)
    EXPECT_NE(values.front().find("algorithm=SHA-256"), std::string::npos);
    EXPECT_NE(values.back().find("algorithm=MD5"), std::string::npos);
    deliver(kAccess, kPhone,
            register_request("alice", 2,
                             credentials("Authorization", values.front(), "alice", "s3cret-Pass",
                                         "REGISTER", "sip:192.0.2.1")));
    return next_to(kAccess, kPhone);
  }
};

TEST_F(B2buaSecurityTest, RegisterIsChallengedThenBound) {
  auto ok = register_alice();
  ASSERT_EQ(ok.status_code(), 200);
  EXPECT_NE(ok.header(sip::HeaderId::kContact).find("sip:alice@192.0.2.20:5062"),
            std::string::npos);
  const auto bindings = registrar_->lookup("alice", clock_.now());
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings.front()->peer.remote, kPhone);
  // The phone's source is trusted by the dataplane (its punts use the trusted budget).
  dataplane_.flush();
  bool trusted = false;
  for (const auto& add : dataplane_.sent_of<api::SourceAdd>()) {
    trusted |=
        add.cls == api::SourceClass::kTrusted && add.address == api::Address::parse("192.0.2.20");
  }
  EXPECT_TRUE(trusted);
}

TEST_F(B2buaSecurityTest, CallFromTrunkReachesRegisteredUser) {
  ASSERT_EQ(register_alice().status_code(), 200);
  InviteParts p;
  p.request_uri = "sip:alice@198.51.100.1";
  p.from = "<sip:15551234@198.51.100.10>;tag=ctag";
  deliver(kCarrier, kTrunkAddr, caller_invite(p));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 100);
  auto invite = next_to(kAccess, kPhone);
  EXPECT_EQ(invite.method(), sip::Method::kInvite);
  EXPECT_EQ(invite.request_uri_text(), "sip:alice@192.0.2.20:5062");
}

TEST_F(B2buaSecurityTest, InviteFromUntrustedSourceIsChallengedWith407) {
  InviteParts p;
  p.from = "<sip:bob@192.0.2.1>;tag=btag";
  const std::string invite = caller_invite(p);
  deliver(kAccess, kPhone, invite);
  auto challenge = next_to(kAccess, kPhoneVia);
  ASSERT_EQ(challenge.status_code(), 407);
  const auto values = challenge_values(challenge, sip::HeaderId::kProxyAuthenticate);
  ASSERT_EQ(values.size(), 1u);  // bob may use MD5 only
  EXPECT_NE(values.front().find("algorithm=MD5"), std::string::npos);
  // ACK for the 407 absorbed; then the INVITE again with credentials.
  p.cseq = 2;
  p.branch = "z9hG4bK-a-2";
  p.extra_headers = credentials("Proxy-Authorization", values.front(), "bob", "other-Pass",
                                "INVITE", p.request_uri);
  deliver(kAccess, kPhone, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kPhoneVia).status_code(), 100);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kInvite);
}

TEST_F(B2buaSecurityTest, AuthenticatedUserMayNotCallAsAnother) {
  InviteParts p;
  p.from = "<sip:alice@192.0.2.1>;tag=btag";
  deliver(kAccess, kPhone, caller_invite(p));
  const auto values =
      challenge_values(next_to(kAccess, kPhoneVia), sip::HeaderId::kProxyAuthenticate);
  ASSERT_FALSE(values.empty());
  p.cseq = 2;
  p.branch = "z9hG4bK-a-2";
  p.extra_headers = credentials("Proxy-Authorization", values.back(), "bob", "other-Pass", "INVITE",
                                p.request_uri);
  deliver(kAccess, kPhone, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kPhoneVia).status_code(), 403);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaSecurityTest, TrustedPbxIsNotChallenged) {
  start_call();  // from 192.0.2.10, the zone's trusted source
}

TEST_F(B2buaSecurityTest, WrongPasswordsBanTheSource) {
  for (uint32_t i = 0; i < 3; ++i) {
    deliver(kAccess, kPhone, register_request("alice", 10 + 2 * i));
    auto challenge = next_to(kAccess, kPhone);
    ASSERT_EQ(challenge.status_code(), 401);
    const auto values = challenge_values(challenge, sip::HeaderId::kWwwAuthenticate);
    deliver(kAccess, kPhone,
            register_request("alice", 11 + 2 * i,
                             credentials("Authorization", values.front(), "alice", "guess",
                                         "REGISTER", "sip:192.0.2.1")));
    EXPECT_EQ(next_to(kAccess, kPhone).status_code(), 401);  // a fresh challenge, no hint
  }
  const auto bans = security_->bans();
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans.front().source.to_string(), "192.0.2.20");
  EXPECT_EQ(bans.front().reason, BanReason::kAuthFailure);
  dataplane_.flush();
  bool banned = false;
  for (const auto& add : dataplane_.sent_of<api::SourceAdd>()) {
    banned |= add.cls == api::SourceClass::kBanned && add.duration_ms > 0;
  }
  EXPECT_TRUE(banned);
  EXPECT_TRUE(registrar_->lookup("alice", clock_.now()).empty());
}

TEST_F(B2buaSecurityTest, ScannerGetsNoAnswerAndIsBanned) {
  deliver(kAccess, kPhone, register_request("100", 1, {}, "friendly-scanner"));
  EXPECT_TRUE(transport_.sent.empty());
  ASSERT_EQ(security_->bans().size(), 1u);
  EXPECT_EQ(security_->bans().front().reason, BanReason::kScanner);
}

TEST_F(B2buaSecurityTest, TrunkAtMaxCallsGets503WithRetryAfter) {
  start_call();
  InviteParts p;
  p.call_id = "second@x";
  p.branch = "z9hG4bK-a-2";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 503);
  EXPECT_FALSE(refused.header(sip::HeaderId::kRetryAfter).empty());
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaSecurityTest, BlockedPrefixIsRefused) {
  // With prefix rules, "sip:callee@..." would not be a dialable number (484): only here.
  auto parsed =
      parse_config(std::string(kConfig) + kSecurity + "[security]\nblocked_prefixes = 1900, 881\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  config_ = *parsed;
  make_b2bua();
  InviteParts p;
  p.request_uri = "sip:+19005550100@192.0.2.1";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 403);
  EXPECT_TRUE(transport_.sent.empty());
}

}  // namespace
}  // namespace sbc::cp::testing

namespace sbc::cp::testing {
namespace {

// Anyone can put a carrier's address on a UDP packet: what it sends is dropped, but it never gets
// the carrier (or the trusted PBX) banned, and their traffic is not held to a phone's rate.
TEST_F(B2buaSecurityTest, SpoofedOffencesNeverBanConfiguredPeers) {
  std::string options = register_request("100", 1, {}, "friendly-scanner");
  options.replace(0, 8, "OPTIONS");
  const auto cseq = options.find("CSeq: 1 REGISTER");
  options.replace(cseq, 16, "CSeq: 1 OPTIONS");
  deliver(kCarrier, kTrunkAddr, options);
  deliver(kAccess, kCallerAddr, options);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_TRUE(security_->bans().empty());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(security_->screen(udp_peer(kCarrier, kTrunkAddr))) << i;
    ASSERT_TRUE(security_->screen(udp_peer(kAccess, kCallerAddr))) << i;
  }
  // A phone's address is held to request_rate / request_burst (50/s, 100).
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += security_->screen(udp_peer(kAccess, kPhone)) ? 1 : 0;
  EXPECT_LT(admitted, 200);
  // Manual bans still apply to configured peers.
  ASSERT_TRUE(security_->ban("198.51.100.10", std::chrono::seconds(60)).has_value());
  EXPECT_FALSE(security_->screen(udp_peer(kCarrier, kTrunkAddr)));
}

}  // namespace
}  // namespace sbc::cp::testing
