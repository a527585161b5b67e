// The TransactionLayer's own contract, apart from the state machines it drives (those are in
// client_transaction_test and server_transaction_test): routing of received messages by zone and
// key, what reaches the TU without a transaction, the two respond() forms and their refusals,
// the stateless To tag, the limit and its counters, and the error names.
#include "controlplane/transaction/transaction_layer.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/registry_probe.h"
#include "tests/unit/controlplane/transaction/transaction_fixture.h"

namespace sbc::cp::testing {
namespace {

class TransactionLayerTest : public TransactionTest {
 protected:
  double dropped(const std::string& reason) {
    return sample(metrics_.registry(), "sbc_sip_dropped_total", {{"reason", reason}}).value_or(0);
  }
  // Answers `request_text` (received on `zone`) with `code` through the layer.
  std::string answer(const std::string& request_text, int code, size_t zone = 0) {
    const sip::Message req = parse_message(request_text);
    return layer_->respond(zone, req, sip::make_response(req, code, {}, code > 100 ? "lt" : ""));
  }
};

TEST(TransactionLayerNamesTest, ErrorsHaveNames) {
  EXPECT_EQ(to_string(SendError::kMalformed), "malformed request");
  EXPECT_EQ(to_string(SendError::kDuplicate), "duplicate transaction");
  EXPECT_EQ(to_string(SendError::kLimit), "transaction limit");
  EXPECT_EQ(to_string(TransactionError::kTimeout), "timeout");
  EXPECT_EQ(to_string(TransactionError::kTransport), "transport error");
}

TEST_F(TransactionLayerTest, ZonesKeepTheirTransactionsApart) {
  const std::string invite = request("INVITE", udp_via("z9hG4bK-z"));
  SipPeer other = peer();
  other.zone = 1;
  receive(invite);
  receive(invite, other);  // the same bytes on another zone: a transaction of its own
  ASSERT_EQ(tu_.requests.size(), 2u);
  EXPECT_EQ(tu_.sources[1].zone, 1u);
  EXPECT_EQ(layer_->server_transactions(), 2u);
  // Answering on zone 0 leaves zone 1's transaction waiting.
  EXPECT_FALSE(answer(invite, 486, 0).empty());
  EXPECT_EQ(layer_->server(1, parse_message(invite))->state(),
            ServerTransaction::State::kProceeding);
  EXPECT_EQ(layer_->server(0, parse_message(invite))->state(),
            ServerTransaction::State::kCompleted);
  EXPECT_EQ(layer_->server(2, parse_message(invite)), nullptr);
}

TEST_F(TransactionLayerTest, RespondReturnsTheBytesSentAndRefusesWithoutATransaction) {
  const std::string bye = request("BYE", udp_via("z9hG4bK-r"));
  EXPECT_EQ(answer(bye, 200), "");  // not received: no transaction
  EXPECT_EQ(dropped("no_server_transaction"), 1);
  EXPECT_TRUE(transport_.sent.empty());
  receive(bye);
  const std::string bytes = answer(bye, 200);
  ASSERT_FALSE(bytes.empty());
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].data, bytes);
  EXPECT_EQ(parse_message(bytes).status_code(), 200);
}

TEST_F(TransactionLayerTest, ResponseOutOfStateIsNotSentAndCounted) {
  const std::string invite = request("INVITE", udp_via("z9hG4bK-o"));
  receive(invite);
  ASSERT_FALSE(answer(invite, 486).empty());
  sent();
  EXPECT_EQ(answer(invite, 200), "");  // Completed: a second final response is refused
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(dropped("response_out_of_state"), 1);
}

TEST_F(TransactionLayerTest, AStoredResponseIsSentInTheRequestsTransaction) {
  const std::string options = request("OPTIONS", udp_via("z9hG4bK-s"));
  const std::string stored = response(options, 200, "kept");
  const sip::OutgoingResponse built{.code = 200, .to_tag = "kept", .bytes = stored};
  EXPECT_FALSE(layer_->respond(0, parse_message(options), built));
  EXPECT_EQ(dropped("no_server_transaction"), 1);
  receive(options);
  EXPECT_TRUE(layer_->respond(0, parse_message(options), built));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].data, stored);
  EXPECT_EQ(transport_.sent[0].to, kPeer);
  // The retransmitted request gets the same bytes again, without the TU.
  receive(options);
  EXPECT_EQ(tu_.requests.size(), 1u);
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].data, stored);
}

TEST_F(TransactionLayerTest, AckWithoutATransactionReachesTheTu) {
  receive(request("ACK", udp_via("z9hG4bK-a"), 1, "ACK", "theirs"));
  ASSERT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(tu_.requests[0].method(), sip::Method::kAck);
  EXPECT_EQ(layer_->server_transactions(), 0u);  // an ACK never starts one
}

// RFC 2543 keys cannot hold two transactions: a second request with the same identifying fields
// but another To tag is dropped, not handed to the TU.
TEST_F(TransactionLayerTest, Rfc2543KeyConflictIsDroppedAndCounted) {
  const std::string via = "SIP/2.0/UDP 192.0.2.10:5060";  // no branch: RFC 2543
  receive(request("BYE", via, 5, "BYE", "one"));
  receive(request("BYE", via, 5, "BYE", "two"));
  EXPECT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(layer_->server_transactions(), 1u);
  EXPECT_EQ(dropped("transaction_conflict"), 1);
  receive(request("BYE", via, 5, "BYE", "one"));  // the retransmission is still absorbed
  EXPECT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(layer_->stats().absorbed_requests, 1u);
}

TEST_F(TransactionLayerTest, InviteSuccessWithoutATransactionGoesToTheTuOtherStraysAreCounted) {
  const sip::OutgoingRequest invite = ours("INVITE", "z9hG4bK-gone");
  receive(response(invite, 200));
  ASSERT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(tu_.responses[0].id, 0u);
  EXPECT_EQ(tu_.responses[0].owner, 0u);
  EXPECT_EQ(layer_->stats().stray_responses, 0u);
  receive(response(invite, 486));
  receive(response(ours("BYE", "z9hG4bK-gone"), 200));
  EXPECT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(layer_->stats().stray_responses, 2u);
  EXPECT_EQ(dropped("stray_response"), 2);
}

TEST_F(TransactionLayerTest, SentRequestsAreTrackedUntilTheyEnd) {
  const sip::OutgoingRequest bye = ours("BYE", "z9hG4bK-t");
  const TransactionId id = send(bye, Transport::kTcp, 99);
  EXPECT_NE(id, 0u);
  ASSERT_NE(layer_->client(id), nullptr);
  EXPECT_EQ(layer_->client_transactions(), 1u);
  EXPECT_EQ(layer_->client(id + 1), nullptr);
  receive(response(bye, 200), peer(Transport::kTcp));
  ASSERT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(tu_.responses[0].owner, 99u);
  // Reliable: no Timer K, the transaction is gone at once and the branch may be reused.
  EXPECT_EQ(layer_->client(id), nullptr);
  EXPECT_EQ(layer_->client_transactions(), 0u);
  EXPECT_NE(send(bye, Transport::kTcp), id);
  // Ids are never reused; a request without a branch is refused.
  EXPECT_EQ(layer_->send_request(peer(), ours("BYE", ""), 1).error(), SendError::kMalformed);
}

TEST_F(TransactionLayerTest, LoweredLimitRefusesUntilEnoughEnd) {
  receive(request("BYE", udp_via("z9hG4bK-1")));
  receive(request("BYE", udp_via("z9hG4bK-2")));
  layer_->set_max_transactions(1);
  EXPECT_EQ(layer_->max_transactions(), 1u);
  receive(request("BYE", udp_via("z9hG4bK-3")));
  EXPECT_EQ(tu_.requests.size(), 2u);
  ASSERT_EQ(sent().front().status_code(), 503);
  EXPECT_EQ(dropped("transaction_limit"), 1);
  EXPECT_EQ(layer_->stats().over_limit, 1u);
  // Client transactions have a limit of their own, the same number.
  send(ours("OPTIONS"));
  const auto refused = layer_->send_request(peer(), ours("OPTIONS", "z9hG4bK-2"), 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), SendError::kLimit);
  EXPECT_EQ(layer_->stats().over_limit, 2u);
  // Two answered over UDP stay for Timer J; once it fired there is room again.
  answer(request("BYE", udp_via("z9hG4bK-1")), 200);
  answer(request("BYE", udp_via("z9hG4bK-2")), 200);
  clock_.advance(timers_.timer_64t1());
  EXPECT_EQ(layer_->server_transactions(), 0u);
  receive(request("BYE", udp_via("z9hG4bK-3")));
  EXPECT_EQ(tu_.requests.size(), 3u);
}

TEST_F(TransactionLayerTest, StatelessTagIsStablePerRequestAndKeyedPerLayer) {
  const sip::Message a = parse_message(request("INVITE", udp_via("z9hG4bK-a")));
  const sip::Message b = parse_message(request("INVITE", udp_via("z9hG4bK-b")));
  const std::string tag = layer_->stateless_tag(a);
  EXPECT_EQ(tag.size(), 16u);
  EXPECT_EQ(tag.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(layer_->stateless_tag(a), tag);
  EXPECT_NE(layer_->stateless_tag(b), tag);
  // An RFC 2543 request: its whole Via stands in for the branch.
  const sip::Message old1 = parse_message(request("INVITE", "SIP/2.0/UDP 192.0.2.10:5060"));
  const sip::Message old2 = parse_message(request("INVITE", "SIP/2.0/UDP 192.0.2.11:5060"));
  EXPECT_NE(layer_->stateless_tag(old1), layer_->stateless_tag(old2));
  // Another layer draws another key.
  TransactionLayer other(clock_, transport_, tu_, metrics_, timers_);
  EXPECT_NE(other.stateless_tag(a), tag);
}

TEST_F(TransactionLayerTest, TimersAreTheOnesGiven) {
  timers_.t1 = 100ms;
  make_layer();
  EXPECT_EQ(layer_->timers().t1, 100ms);
  EXPECT_EQ(layer_->timers().timer_64t1(), 6400ms);
}

}  // namespace
}  // namespace sbc::cp::testing
