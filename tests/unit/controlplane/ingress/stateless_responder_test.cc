// StatelessResponder: answers that keep no state, with the layer's stateless To tag.
#include "controlplane/ingress/stateless_responder.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/ingress/ingress_fixture.h"

namespace sbc::cp::testing {
namespace {

class StatelessResponderTest : public IngressTest {
 protected:
  // The request as the layer has it: received, its server transaction made.
  sip::Message received(const std::string& text) {
    layer_->on_message(peer(), parse_message(text));
    return tu_.requests.back();
  }
};

TEST_F(StatelessResponderTest, RejectEndsTheServerTransactionWithAStableTag) {
  StatelessResponder responder(*layer_);
  const sip::Message invite = received(request("INVITE", udp_via()));
  ASSERT_EQ(layer_->server_transactions(), 1u);
  responder.reject(peer(), invite, 403, "Forbidden (test)");
  EXPECT_EQ(layer_->server_transactions(), 0u);
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status_code(), 403);
  EXPECT_EQ(out[0].reason_phrase(), "Forbidden (test)");
  EXPECT_EQ(out[0].to()->tag(), layer_->stateless_tag(invite));
  // Nothing retransmits it: no Timer G.
  clock_.advance(std::chrono::seconds(64));
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(StatelessResponderTest, AnExistingToTagIsKeptAnd100GetsNone) {
  StatelessResponder responder(*layer_);
  const sip::Message bye = received(request("BYE", udp_via(), 2, {}, "theirs"));
  responder.reject(peer(), bye, 481);
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to()->tag(), "theirs");
  EXPECT_TRUE(responder.response(bye, 100).start_line().starts_with("SIP/2.0 100"));
  const sip::Message invite = received(request("INVITE", udp_via("z9hG4bK-2")));
  auto trying = parse_message(responder.response(invite, 100).build());
  EXPECT_EQ(trying.to()->tag(), "");
}

TEST_F(StatelessResponderTest, ChallengeCarriesEveryChallengeHeader) {
  StatelessResponder responder(*layer_);
  const sip::Message reg = received(request("REGISTER", udp_via()));
  AuthDecision auth;
  auth.kind = AuthDecision::Kind::kChallenge;
  auth.code = 407;
  auth.challenge_header = sip::HeaderId::kProxyAuthenticate;
  auth.challenges = {"Digest realm=\"a\", nonce=\"1\"", "Digest realm=\"a\", nonce=\"2\""};
  responder.challenge(peer(), reg, auth);
  ASSERT_EQ(transport_.sent.size(), 1u);
  const std::string& text = transport_.sent[0].data;
  EXPECT_NE(text.find("SIP/2.0 407"), std::string::npos);
  EXPECT_NE(text.find("Proxy-Authenticate: Digest realm=\"a\", nonce=\"1\""), std::string::npos);
  EXPECT_NE(text.find("Proxy-Authenticate: Digest realm=\"a\", nonce=\"2\""), std::string::npos);
  EXPECT_EQ(layer_->server_transactions(), 0u);
}

}  // namespace
}  // namespace sbc::cp::testing
