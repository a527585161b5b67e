// SipIngress: what reaches the transaction layer, what is dropped (and counted) and what is
// refused statelessly before any transaction exists.
#include "controlplane/ingress/sip_ingress.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/ingress/ingress_fixture.h"

namespace sbc::cp::testing {
namespace {

TEST_F(IngressTest, AWellFormedRequestReachesTheTransactionUserOnce) {
  ingress_->on_message(peer(), request("OPTIONS", udp_via()));
  ASSERT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(tu_.requests[0].method(), sip::Method::kOptions);
  EXPECT_EQ(layer_->server_transactions(), 1u);
  EXPECT_EQ(sample(metrics_.registry(), "sbc_sip_requests_total", {{"method", "OPTIONS"}}), 1);
  // Its retransmission is the layer's to absorb.
  ingress_->on_message(peer(), request("OPTIONS", udp_via()));
  EXPECT_EQ(tu_.requests.size(), 1u);
}

TEST_F(IngressTest, KeepAlivesAreNeitherParsedNorCounted) {
  ingress_->on_message(peer(), "\r\n\r\n");
  ingress_->on_message(peer(), "\r\n");
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(dropped("empty"), 0);
  EXPECT_EQ(offences("malformed"), 0);
}

TEST_F(IngressTest, AnUnparsableMessageIsACountedDropAndAnOffence) {
  ingress_->on_message(peer(), "HELLO\r\n\r\n");
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(offences("malformed"), 1);
  double total = 0;
  for (const auto& family : metrics_.registry().Collect()) {
    if (family.name != "sbc_sip_dropped_total") continue;
    for (const auto& m : family.metric) total += m.counter.value;
  }
  EXPECT_EQ(total, 1);
}

TEST_F(IngressTest, ResponsesAreCountedAndHandedToTheLayer) {
  const std::string bye = request("BYE", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-x");
  ingress_->on_message(peer(), response(bye, 200));
  EXPECT_EQ(sample(metrics_.registry(), "sbc_sip_responses_total", {{"class", "2xx"}}), 1);
  EXPECT_EQ(layer_->stats().stray_responses, 1u);  // the layer matched it to nothing
  EXPECT_EQ(dropped("stray_response"), 1);
}

TEST_F(IngressTest, AScannerGetsNoAnswerAndIsBanned) {
  std::string text = request("OPTIONS", udp_via());
  text.insert(text.find("Content-Length"), "User-Agent: friendly-scanner\r\n");
  ingress_->on_message(peer(), text);
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(security_->bans().size(), 1u);
}

TEST_F(IngressTest, AnUnanswerableRequestIsDroppedBeforeAnyState) {
  std::string text = request("OPTIONS", udp_via());
  text.erase(text.find("CSeq:"), text.find("Content-Length") - text.find("CSeq:"));
  ingress_->on_message(peer(), text);
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(layer_->server_transactions(), 0u);
  EXPECT_EQ(dropped("unanswerable") + dropped("missing_header"), 1);
}

TEST_F(IngressTest, AMethodOutsideThePolicyIsRefusedStatelessly) {
  const std::string text = request("SUBSCRIBE", udp_via());
  ingress_->on_message(peer(), text);
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_EQ(layer_->server_transactions(), 0u);  // no state kept for it
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status_code(), 405);
  EXPECT_FALSE(out[0].header(sip::HeaderId::kAllow).empty());
  // Its To tag is the stateless one: a retransmission gets the very same answer.
  EXPECT_EQ(out[0].to()->tag(), layer_->stateless_tag(parse_message(text)));
  ingress_->on_message(peer(), text);
  auto again = sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].to()->tag(), out[0].to()->tag());
  EXPECT_EQ(offences("malformed"), 0);  // not a 400
}

TEST_F(IngressTest, AnUnsupportedExtensionIsRefusedWith420) {
  std::string text = request("OPTIONS", udp_via());
  text.insert(text.find("Content-Length"), "Require: 100rel\r\n");
  ingress_->on_message(peer(), text);
  EXPECT_TRUE(tu_.requests.empty());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status_code(), 420);
  EXPECT_EQ(out[0].header(sip::HeaderId::kUnsupported), "100rel");
}

TEST_F(IngressTest, AMalformedAckIsDroppedUnansweredAndCounted) {
  // An ACK whose CSeq method is not ACK fails the request checks; nothing may answer an ACK.
  ingress_->on_message(peer(), request("ACK", udp_via(), 1, "INVITE", "tt"));
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(dropped("malformed_ack"), 1);
  EXPECT_EQ(offences("malformed"), 1);
}

}  // namespace
}  // namespace sbc::cp::testing
