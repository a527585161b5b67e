// Client transactions (client_transaction.cc) driven through the TransactionLayer on a fake clock.
#include "tests/unit/controlplane/transaction/transaction_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;
using State = ClientTransaction::State;

class ClientTransactionTest : public TransactionTest {};

// Timer A: T1, then doubling without a cap; Timer B: 64*T1 ends it.
TEST_F(ClientTransactionTest, InviteTimerADoublesAndTimerBTimesOut) {
  const sip::OutgoingRequest invite = ours("INVITE");
  const TransactionId id = send(invite);
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(layer_->client(id)->state(), State::kCalling);
  // Retransmissions at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s.
  for (auto gap : {500ms, 1000ms, 2000ms, 4000ms, 8000ms, 16000ms}) {
    EXPECT_EQ(advance(gap - 1ms), 0u);
    auto again = (clock_.advance(1ms), sent());
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].raw(), invite.bytes);
  }
  EXPECT_TRUE(tu_.errors.empty());
  EXPECT_EQ(advance(499ms), 0u);  // 31.999 s
  clock_.advance(1ms);            // Timer B at 32 s
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(tu_.errors[0].id, id);
  EXPECT_EQ(tu_.errors[0].owner, 42u);
  EXPECT_EQ(tu_.errors[0].error, TransactionError::kTimeout);
  EXPECT_EQ(layer_->client(id), nullptr);
  EXPECT_EQ(layer_->stats().timeouts, 1u);
  EXPECT_EQ(advance(100s), 0u);
  EXPECT_EQ(clock_.pending(), 0u);
}

TEST_F(ClientTransactionTest, ProvisionalStopsTimersAAndB) {
  const sip::OutgoingRequest invite = ours("INVITE");
  const TransactionId id = send(invite);
  sent();
  receive(response(invite, 180));
  ASSERT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(tu_.responses[0].id, id);
  EXPECT_EQ(tu_.responses[0].code, 180);
  EXPECT_EQ(layer_->client(id)->state(), State::kProceeding);
  EXPECT_EQ(advance(60s), 0u);
  EXPECT_TRUE(tu_.errors.empty());
  // Only the Proceeding guard bounds it (the TU normally CANCELs long before).
  clock_.advance(timers_.proceeding_guard);
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(layer_->client_transactions(), 0u);
}

// §17.1.1.3: the transaction ACKs a non-2xx final itself, before the TU hears of it, and again
// for every retransmission of that response during Timer D; the TU hears once.
TEST_F(ClientTransactionTest, NonSuccessFinalIsAckedInsideAndTimerDAbsorbsRetransmissions) {
  const sip::OutgoingRequest invite = ours("INVITE");
  const TransactionId id = send(invite);
  sent();
  receive(response(invite, 486, "busy"));
  auto acks = sent();
  ASSERT_EQ(acks.size(), 1u);
  const sip::Message& ack = acks[0];
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.request_uri_text(), "sip:bob@192.0.2.10");
  EXPECT_EQ(ack.top_via()->branch, "z9hG4bK-ours");
  EXPECT_EQ(ack.to()->tag(), "busy");
  EXPECT_EQ(ack.cseq()->number, 1u);
  EXPECT_EQ(ack.cseq()->method, sip::Method::kAck);
  ASSERT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(tu_.responses[0].code, 486);
  EXPECT_EQ(layer_->client(id)->state(), State::kCompleted);
  // No more INVITE retransmissions; a retransmitted 486 gets the same ACK, not the TU.
  clock_.advance(10s);
  receive(response(invite, 486, "busy"));
  auto again = sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].raw(), ack.raw());
  EXPECT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(layer_->stats().absorbed_responses, 1u);
  // Timer D (32 s over UDP) ends it; a 486 after that is a stray.
  clock_.advance(22s - 1ms);
  EXPECT_NE(layer_->client(id), nullptr);
  clock_.advance(1ms);
  EXPECT_EQ(layer_->client(id), nullptr);
  receive(response(invite, 486, "busy"));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(layer_->stats().stray_responses, 1u);
}

// RFC 6026: after a 2xx the transaction is Accepted for Timer M; every 2xx (retransmitted or from
// another fork) reaches the TU, which ACKs it; after Timer M a 2xx still reaches it, with id 0.
TEST_F(ClientTransactionTest, SuccessIsAcceptedAndEvery2xxReachesTheTu) {
  const sip::OutgoingRequest invite = ours("INVITE");
  const TransactionId id = send(invite);
  sent();
  receive(response(invite, 200, "fork1"));
  EXPECT_TRUE(sent().empty());  // the 2xx ACK is the TU's
  EXPECT_EQ(layer_->client(id)->state(), State::kAccepted);
  receive(response(invite, 200, "fork1"));
  receive(response(invite, 200, "fork2"));
  receive(response(invite, 180, "late"));  // absorbed
  ASSERT_EQ(tu_.responses.size(), 3u);
  for (const auto& r : tu_.responses) {
    EXPECT_EQ(r.id, id);
    EXPECT_EQ(r.code, 200);
  }
  EXPECT_EQ(advance(10s), 0u);  // no INVITE retransmissions either
  clock_.advance(22s);          // Timer M: 64*T1
  EXPECT_EQ(layer_->client(id), nullptr);
  receive(response(invite, 200, "fork1"));
  ASSERT_EQ(tu_.responses.size(), 4u);
  EXPECT_EQ(tu_.responses[3].id, 0u);
  EXPECT_EQ(tu_.responses[3].owner, 0u);
}

// Over TCP/TLS: no Timer A, Timer B still; a non-2xx final ends the transaction at once (D = 0).
TEST_F(ClientTransactionTest, ReliableInviteHasNoRetransmissionsAndNoTimerD) {
  const sip::OutgoingRequest invite = ours("INVITE");
  TransactionId id = send(invite, Transport::kTcp);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].peer.transport, Transport::kTcp);
  EXPECT_EQ(transport_.sent[0].peer.connection, 7u);
  transport_.sent.clear();
  EXPECT_EQ(advance(32s - 1ms), 0u);
  clock_.advance(1ms);
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(tu_.errors[0].id, id);

  const sip::OutgoingRequest second = ours("INVITE", "z9hG4bK-second");
  id = send(second, Transport::kTcp);
  sent();
  receive(response(second, 603), peer(Transport::kTcp));
  ASSERT_EQ(sent().size(), 1u);  // the ACK
  EXPECT_EQ(layer_->client(id), nullptr);
  EXPECT_EQ(clock_.pending(), 0u);
}

// Timer E: T1, doubling up to T2; Timer F: 64*T1.
TEST_F(ClientTransactionTest, NonInviteTimerECapsAtT2AndTimerFTimesOut) {
  const sip::OutgoingRequest bye = ours("BYE");
  const TransactionId id = send(bye);
  sent();
  std::vector<std::chrono::milliseconds> gaps;
  auto last = clock_.now();
  for (int step = 0; step < 32000; ++step) {
    clock_.advance(1ms);
    if (!transport_.sent.empty()) {
      transport_.sent.clear();
      gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - last));
      last = clock_.now();
    }
    if (!tu_.errors.empty()) break;
  }
  const std::vector<std::chrono::milliseconds> expected = {500ms,  1000ms, 2000ms, 4000ms, 4000ms,
                                                           4000ms, 4000ms, 4000ms, 4000ms, 4000ms};
  EXPECT_EQ(gaps, expected);
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(tu_.errors[0].id, id);
  EXPECT_EQ(clock_.now() - (last - 31500ms), 32000ms);  // F fired at 32 s
  EXPECT_EQ(layer_->client(id), nullptr);
}

// §17.1.2.2: in Proceeding Timer E restarts at T2.
TEST_F(ClientTransactionTest, NonInviteProceedingRetransmitsAtT2) {
  const sip::OutgoingRequest bye = ours("BYE");
  const TransactionId id = send(bye);
  sent();
  EXPECT_EQ(advance(500ms), 1u);  // E at T1, next in 2*T1
  receive(response(bye, 100));
  EXPECT_EQ(layer_->client(id)->state(), State::kProceeding);
  EXPECT_EQ(advance(1000ms), 1u);  // at 1.5 s
  EXPECT_EQ(advance(4000ms - 1ms), 0u);
  EXPECT_EQ(advance(1ms), 1u);  // T2 later
  EXPECT_EQ(advance(4000ms), 1u);
}

// Timer K: T4 over UDP, absorbing retransmitted finals; 0 over TCP.
TEST_F(ClientTransactionTest, NonInviteFinalCompletesForTimerK) {
  const sip::OutgoingRequest bye = ours("BYE");
  const TransactionId id = send(bye);
  sent();
  receive(response(bye, 200));
  ASSERT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(layer_->client(id)->state(), State::kCompleted);
  receive(response(bye, 200));
  EXPECT_EQ(tu_.responses.size(), 1u);
  EXPECT_EQ(advance(5s - 1ms), 0u);
  EXPECT_NE(layer_->client(id), nullptr);
  clock_.advance(1ms);
  EXPECT_EQ(layer_->client(id), nullptr);

  const sip::OutgoingRequest options = ours("OPTIONS", "z9hG4bK-tcp");
  const TransactionId tcp = send(options, Transport::kTcp);
  receive(response(options, 200), peer(Transport::kTcp));
  EXPECT_EQ(layer_->client(tcp), nullptr);
  EXPECT_EQ(clock_.pending(), 0u);
}

// §17.1.3: a response matches by branch and CSeq method; a CANCEL is its own transaction.
TEST_F(ClientTransactionTest, CancelIsItsOwnTransactionOnTheSameBranch) {
  const sip::OutgoingRequest invite = ours("INVITE");
  const TransactionId invite_id = send(invite);
  receive(response(invite, 180));
  const sip::OutgoingRequest cancel = ours("CANCEL");
  const TransactionId cancel_id = send(cancel);
  EXPECT_NE(cancel_id, invite_id);
  sent();
  receive(response(cancel, 200));
  receive(response(invite, 487));
  ASSERT_EQ(tu_.responses.size(), 3u);
  EXPECT_EQ(tu_.responses[1].id, cancel_id);
  EXPECT_EQ(tu_.responses[1].method, "CANCEL");
  EXPECT_EQ(tu_.responses[2].id, invite_id);
  EXPECT_EQ(tu_.responses[2].code, 487);
  // A response with an unknown branch, or on another zone, matches nothing.
  receive(response(ours("BYE", "z9hG4bK-unknown"), 200));
  SipPeer other = peer();
  other.zone = 1;
  const sip::OutgoingRequest bye = ours("BYE", "z9hG4bK-bye");
  const TransactionId bye_id = send(bye);
  receive(response(bye, 200), other);
  EXPECT_EQ(tu_.responses.size(), 3u);
  EXPECT_EQ(layer_->stats().stray_responses, 2u);
  EXPECT_EQ(layer_->client(bye_id)->state(), State::kTrying);
}

TEST_F(ClientTransactionTest, TransportErrorFailsPendingTransactionsToThatHop) {
  const TransactionId a = send(ours("INVITE", "z9hG4bK-a"), Transport::kTcp);
  const TransactionId b = send(ours("BYE", "z9hG4bK-b"), Transport::kTcp);
  const sip::OutgoingRequest done = ours("BYE", "z9hG4bK-done");
  send(done);
  receive(response(done, 200));  // Completed: no longer pending
  const SipPeer other =
      peer(Transport::kTcp, Endpoint(boost::asio::ip::make_address("192.0.2.99"), 5060));
  const TransactionId c = layer_->send_request(other, ours("BYE", "z9hG4bK-c"), 7).value();
  layer_->on_transport_error(peer(Transport::kTcp));
  ASSERT_EQ(tu_.errors.size(), 2u);
  for (const auto& e : tu_.errors) {
    EXPECT_TRUE(e.id == a || e.id == b);
    EXPECT_EQ(e.error, TransactionError::kTransport);
  }
  EXPECT_NE(layer_->client(c), nullptr);
}

TEST_F(ClientTransactionTest, SendRequestRefusesAckGarbageDuplicatesAndOverLimit) {
  EXPECT_EQ(layer_->send_request(peer(), sip::OutgoingRequest{}, 1).error(), SendError::kMalformed);
  EXPECT_EQ(layer_->send_request(peer(), ours("ACK"), 1).error(), SendError::kMalformed);
  send(ours("BYE"));
  EXPECT_EQ(layer_->send_request(peer(), ours("BYE"), 1).error(), SendError::kDuplicate);
  make_layer(1);
  send(ours("BYE"));
  EXPECT_EQ(layer_->send_request(peer(), ours("BYE", "z9hG4bK-2"), 1).error(), SendError::kLimit);
  EXPECT_EQ(layer_->client_transactions(), 1u);
}

// The layer sends the bytes as built and takes what it needs from the built fields: the bytes
// are never parsed (here they would not even parse), the ACK of a non-2xx comes from the fields.
TEST_F(ClientTransactionTest, BuiltRequestsAreNeverParsedBack) {
  sip::OutgoingRequest invite = ours("INVITE");
  const std::string real = invite.bytes;
  invite.bytes = "opaque bytes";
  const TransactionId id = send(invite);
  ASSERT_NE(id, 0u);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].data, "opaque bytes");
  transport_.sent.clear();
  receive(response(real, 486));
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].method(), sip::Method::kAck);
  EXPECT_EQ(out[0].top_via()->branch, "z9hG4bK-ours");
  EXPECT_EQ(out[0].cseq()->number, 1u);
  EXPECT_EQ(*out[0].call_id(), "ours@192.0.2.1");
  EXPECT_EQ(out[0].to()->tag(), "rt");
}

TEST_F(ClientTransactionTest, AbandonEndsSilently) {
  const sip::OutgoingRequest invite = ours("INVITE");
  const TransactionId id = send(invite);
  receive(response(invite, 180));
  layer_->abandon(id);
  EXPECT_EQ(layer_->client(id), nullptr);
  EXPECT_EQ(clock_.pending(), 0u);
  EXPECT_TRUE(tu_.errors.empty());
}

}  // namespace
}  // namespace sbc::cp
