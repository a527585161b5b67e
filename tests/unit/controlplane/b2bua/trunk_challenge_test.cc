// A carrier's 401/407 to our INVITE answered with the trunk's credentials (trunk_challenge.cc,
// digest_client.cc): the INVITE again with the next CSeq, a new branch and a digest response the
// carrier can check; the caller sees one call; a refused answer, a trunk without credentials and
// an unsupported challenge fail as 503 without the challenge reaching the caller.
#include "controlplane/security/digest_authenticator.h"
#include "controlplane/security/digest_client.h"
#include "controlplane/sip/auth.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

class TrunkChallengeTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    config_.trunks[0].username = "acct-42";
    config_.trunks[0].secret = "s3cret";
    make_b2bua();
  }
  // The credentials a request carries, checked the way the carrier would (RFC 2617 §3.2.2).
  static void expect_valid(const sip::Message& request, sip::HeaderId header,
                           std::string_view realm, std::string_view nonce,
                           DigestAlgorithm algorithm) {
    const std::string_view value = request.header(header);
    ASSERT_FALSE(value.empty()) << request.raw();
    auto parsed = sip::parse_auth_header(value, sip::ParseError::kBadCredentials);
    ASSERT_TRUE(parsed);
    auto creds = sip::digest_credentials(*parsed);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->username, "acct-42");
    EXPECT_EQ(creds->realm, realm);
    EXPECT_EQ(creds->nonce, nonce);
    EXPECT_EQ(creds->uri, request.request_uri_text());
    EXPECT_EQ(creds->qop, "auth");
    EXPECT_EQ(creds->nc, "00000001");
    EXPECT_FALSE(creds->cnonce.empty());
    EXPECT_EQ(creds->response, digest_response(DigestInput{.algorithm = algorithm,
                                                           .username = "acct-42",
                                                           .realm = realm,
                                                           .secret = "s3cret",
                                                           .method = "INVITE",
                                                           .uri = creds->uri,
                                                           .nonce = nonce,
                                                           .nc = creds->nc,
                                                           .cnonce = creds->cnonce,
                                                           .qop = "auth"}));
  }
};

TEST_F(TrunkChallengeTest, A407IsAnsweredWithTheTrunksCredentialsAndTheCallGoesOn) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 407, "t1", {},
                      "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n-1\", "
                      "qop=\"auth,auth-int\", algorithm=MD5, opaque=\"op\"\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto again = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(again.method(), sip::Method::kInvite);
  EXPECT_EQ(again.call_id(), invite.call_id());
  EXPECT_EQ(again.from()->tag(), invite.from()->tag());
  EXPECT_EQ(again.cseq()->number, invite.cseq()->number + 1);
  EXPECT_NE(again.top_via()->branch, invite.top_via()->branch);
  EXPECT_EQ(again.body(), invite.body());
  expect_valid(again, sip::HeaderId::kProxyAuthorization, "carrier", "n-1", DigestAlgorithm::kMd5);
  EXPECT_NE(std::string(again.header(sip::HeaderId::kProxyAuthorization)).find("opaque=\"op\""),
            std::string::npos);
  EXPECT_TRUE(transport_.sent.empty()) << "nothing of the challenge reaches the caller";

  // The carrier answers: one 200 to the caller, the BYE later continues the CSeq.
  deliver(kCarrier, kTrunkAddr, response_to(again, 200, "btag", sdp("198.51.100.10", 7000)));
  auto ok = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(ok.status_code(), 200);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  auto ack = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.cseq()->number, again.cseq()->number);
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  auto bye = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_GT(bye.cseq()->number, again.cseq()->number);
}

TEST_F(TrunkChallengeTest, Sha256IsTakenOverMd5AndAStaleNonceOnceMore) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 401, "t1", {},
                      "WWW-Authenticate: Digest realm=\"c\", nonce=\"m\", qop=\"auth\"\r\n"
                      "WWW-Authenticate: Digest realm=\"c\", nonce=\"s\", qop=\"auth\", "
                      "algorithm=SHA-256\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto first = next_to(kCarrier, kTrunkAddr);
  expect_valid(first, sip::HeaderId::kAuthorization, "c", "s", DigestAlgorithm::kSha256);
  // Stale: answered once more with the new nonce.
  deliver(kCarrier, kTrunkAddr,
          response_to(first, 401, "t2", {},
                      "WWW-Authenticate: Digest realm=\"c\", nonce=\"s2\", qop=\"auth\", "
                      "algorithm=SHA-256, stale=true\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto second = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(second.method(), sip::Method::kInvite);
  EXPECT_EQ(second.cseq()->number, first.cseq()->number + 1);
  expect_valid(second, sip::HeaderId::kAuthorization, "c", "s2", DigestAlgorithm::kSha256);
  EXPECT_EQ(std::ranges::count_if(
                second.headers(),
                [](const sip::HeaderField& h) { return h.id == sip::HeaderId::kAuthorization; }),
            1);
  // Refused again: the call fails, the caller gets 503 and no challenge.
  deliver(kCarrier, kTrunkAddr,
          response_to(second, 401, "t3", {},
                      "WWW-Authenticate: Digest realm=\"c\", nonce=\"s3\", qop=\"auth\"\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 503);
  EXPECT_EQ(std::string(refused.raw()).find("Authenticate"), std::string::npos);
}

TEST_F(TrunkChallengeTest, AChallengeWeCannotAnswerFailsAs503) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 407, "t1", {},
                      "Proxy-Authenticate: Digest realm=\"c\", nonce=\"n\", qop=\"auth-int\"\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
}

}  // namespace
}  // namespace sbc::cp
