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

// The source screen is the stage's first step: an unparsable message from a refused source is
// no parse failure (nothing was parsed) and no malformed offence, only the screen's drop.
TEST_F(IngressTest, ASourceOutsideTheZoneAclIsDroppedBeforeAnyParse) {
  const SipPeer outsider =
      peer(Transport::kUdp, Endpoint(boost::asio::ip::make_address("203.0.113.9"), 5060));
  ingress_->on_message(outsider, request("OPTIONS", udp_via()));
  ingress_->on_message(outsider, "HELLO\r\n\r\n");
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(layer_->server_transactions(), 0u);
  EXPECT_EQ(screened("acl"), 2);
  EXPECT_EQ(sip_drops(), 0);
  EXPECT_EQ(offences("malformed"), 0);
  EXPECT_FALSE(sample(metrics_.registry(), "sbc_sip_requests_total", {{"method", "OPTIONS"}}));
}

TEST_F(IngressTest, ABannedSourceIsDroppedBeforeAnyParse) {
  ASSERT_TRUE(security_->ban("192.0.2.10", std::chrono::seconds(60)).has_value());
  ingress_->on_message(peer(), request("OPTIONS", udp_via()));
  ingress_->on_message(peer(), "HELLO\r\n\r\n");
  EXPECT_TRUE(tu_.requests.empty());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(screened("banned"), 2);
  EXPECT_EQ(sip_drops(), 0);
  EXPECT_EQ(offences("malformed"), 0);
  // Lifted: the same source passes the screen again.
  ASSERT_TRUE(security_->unban("192.0.2.10").has_value());
  ingress_->on_message(peer(), request("OPTIONS", udp_via()));
  EXPECT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(screened("banned"), 2);
}

TEST_F(IngressTest, ASourceOverItsRateIsDroppedBeforeAnyParse) {
  // Each request that passes the screen is parsed and counted; the bucket's depth of them pass.
  const std::string options = request("OPTIONS", udp_via());
  auto parsed = [&] {
    return sample(metrics_.registry(), "sbc_sip_requests_total", {{"method", "OPTIONS"}})
        .value_or(-1);
  };
  for (int i = 0; i < 1000 && screened("rate_limited") == 0; ++i)
    ingress_->on_message(peer(), options);
  ASSERT_EQ(screened("rate_limited"), 1);
  EXPECT_EQ(parsed(), config_.security.request_burst);
  ingress_->on_message(peer(), options);
  EXPECT_EQ(parsed(), config_.security.request_burst);  // refused before the parse
  EXPECT_EQ(tu_.requests.size(), 1u);                   // the rest were retransmissions
}

TEST_F(IngressTest, AnAllowedSourcePassesTheScreen) {
  ingress_->on_message(peer(), request("OPTIONS", udp_via()));
  EXPECT_EQ(tu_.requests.size(), 1u);
  for (const char* reason : {"acl", "banned", "rate_limited"}) EXPECT_EQ(screened(reason), 0);
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
  const std::string text = request("PUBLISH", udp_via());
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
