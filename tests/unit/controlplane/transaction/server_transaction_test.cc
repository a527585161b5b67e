// Server transactions (server_transaction.cc) and request matching (transaction_key.cc) driven
// through the TransactionLayer on a fake clock.
#include <fstream>
#include <sstream>

#include "tests/unit/controlplane/transaction/transaction_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;
using State = ServerTransaction::State;

class ServerTransactionTest : public TransactionTest {
 protected:
  // The TU answers `text` (the request as received) with `code`.
  std::string answer(const std::string& text, int code, const std::string& to_tag = "srv") {
    const sip::Message req = parse_message(text);
    return layer_->respond(0, req, sip::make_response(req, code, {}, to_tag));
  }
  const ServerTransaction* tx(const std::string& text) {
    return layer_->server(0, parse_message(text));
  }
};

TEST_F(ServerTransactionTest, RetransmittedInviteIsAbsorbedAndGetsTheLastProvisional) {
  const std::string invite = request("INVITE", udp_via());
  receive(invite);
  ASSERT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(tx(invite)->state(), State::kProceeding);
  receive(invite);  // before any response: nothing to re-send
  EXPECT_TRUE(sent().empty());
  answer(invite, 180);
  ASSERT_EQ(sent().size(), 1u);
  receive(invite);
  auto again = sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].status_code(), 180);
  EXPECT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(layer_->stats().absorbed_requests, 2u);
}

// Timer G: T1 doubling up to T2 until the ACK; Timer H: 64*T1 without one.
TEST_F(ServerTransactionTest, NonSuccessFinalRetransmitsOnTimerGUntilTimerH) {
  const std::string invite = request("INVITE", udp_via());
  receive(invite);
  answer(invite, 486);
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(tx(invite)->state(), State::kCompleted);
  std::vector<std::chrono::milliseconds> gaps;
  auto last = clock_.now();
  while (tx(invite) != nullptr) {
    clock_.advance(1ms);
    if (!transport_.sent.empty()) {
      EXPECT_EQ(sent().at(0).status_code(), 486);
      gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - last));
      last = clock_.now();
    }
  }
  const std::vector<std::chrono::milliseconds> expected = {500ms,  1000ms, 2000ms, 4000ms, 4000ms,
                                                           4000ms, 4000ms, 4000ms, 4000ms, 4000ms};
  EXPECT_EQ(gaps, expected);
  EXPECT_EQ(layer_->stats().timeouts, 1u);  // Timer H
  EXPECT_EQ(layer_->server_transactions(), 0u);
}

// The ACK of a non-2xx stays inside: Confirmed, Timer I (T4) absorbs ACK retransmissions.
TEST_F(ServerTransactionTest, AckOfNonSuccessIsAbsorbedInsideAndTimerIEndsIt) {
  const std::string invite = request("INVITE", udp_via());
  receive(invite);
  answer(invite, 603, "srv");
  sent();
  const std::string ack = request("ACK", udp_via(), 1, "ACK", "srv");
  receive(ack);
  EXPECT_EQ(tx(invite)->state(), State::kConfirmed);
  receive(ack);
  EXPECT_EQ(tu_.requests.size(), 1u);  // the INVITE only
  EXPECT_EQ(advance(5s - 1ms), 0u);    // no more 603s
  EXPECT_NE(tx(invite), nullptr);
  clock_.advance(1ms);
  EXPECT_EQ(tx(invite), nullptr);
  receive(ack);  // now it matches nothing: the TU's (it ignores stray ACKs)
  EXPECT_EQ(tu_.requests.size(), 2u);
}

// RFC 6026: a 2xx moves the INVITE transaction to Accepted for Timer L; INVITE retransmissions
// are absorbed without a response (the TU retransmits its 2xx), the 2xx ACK goes to the TU.
TEST_F(ServerTransactionTest, SuccessIsAcceptedUntilTimerL) {
  const std::string invite = request("INVITE", udp_via());
  receive(invite);
  const std::string ok = answer(invite, 200);
  ASSERT_FALSE(ok.empty());
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(tx(invite)->state(), State::kAccepted);
  receive(invite);
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(advance(1s), 0u);  // no Timer G for a 2xx
  // The TU's own retransmission passes through.
  EXPECT_TRUE(
      layer_->respond(0, parse_message(invite), {.code = 200, .to_tag = "srv", .bytes = ok}));
  EXPECT_EQ(sent().size(), 1u);
  receive(request("ACK", udp_via("z9hG4bK-ack"), 1, "ACK", "srv"));
  EXPECT_EQ(tu_.requests.size(), 2u);
  EXPECT_EQ(tu_.requests[1].method(), sip::Method::kAck);
  // A second final is refused.
  EXPECT_TRUE(answer(invite, 500).empty());
  clock_.advance(31s - 1ms);  // Timer L: 64*T1 after the 2xx
  EXPECT_NE(tx(invite), nullptr);
  clock_.advance(1ms);
  EXPECT_EQ(tx(invite), nullptr);
}

// Over TCP/TLS: no Timer G; the ACK ends the transaction at once (I = 0).
TEST_F(ServerTransactionTest, ReliableInviteHasNoTimerGAndNoTimerI) {
  const std::string invite = request("INVITE", "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-t");
  receive(invite, peer(Transport::kTcp));
  answer(invite, 486);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].peer.connection, 7u);  // back on its connection
  transport_.sent.clear();
  EXPECT_EQ(advance(10s), 0u);
  receive(request("ACK", "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-t", 1, "ACK", "srv"),
          peer(Transport::kTcp));
  EXPECT_EQ(tx(invite), nullptr);
  EXPECT_EQ(tu_.requests.size(), 1u);
}

// Non-INVITE: Trying absorbs silently, Proceeding and Completed re-send; Timer J = 64*T1.
TEST_F(ServerTransactionTest, NonInviteRetransmissionsAndTimerJ) {
  const std::string bye = request("BYE", udp_via(), 2, {}, "srv");
  receive(bye);
  EXPECT_EQ(tx(bye)->state(), State::kTrying);
  receive(bye);
  EXPECT_TRUE(sent().empty());
  answer(bye, 100);
  EXPECT_EQ(tx(bye)->state(), State::kProceeding);
  receive(bye);
  EXPECT_EQ(sent().size(), 2u);  // the 100 and its re-send
  answer(bye, 200);
  EXPECT_EQ(tx(bye)->state(), State::kCompleted);
  receive(bye);
  auto s = sent();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].status_code(), 200);
  EXPECT_EQ(tu_.requests.size(), 1u);
  EXPECT_EQ(advance(32s - 1ms), 0u);  // responses are never retransmitted on their own
  clock_.advance(1ms);
  EXPECT_EQ(tx(bye), nullptr);
  receive(bye);  // after Timer J: a new transaction
  EXPECT_EQ(tu_.requests.size(), 2u);
}

TEST_F(ServerTransactionTest, ReliableNonInviteHasNoTimerJ) {
  const std::string options = request("OPTIONS", "SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-o");
  receive(options, peer(Transport::kTls));
  answer(options, 200);
  EXPECT_EQ(tx(options), nullptr);
  EXPECT_EQ(clock_.pending(), 0u);
}

// A request the TU never answers does not stay forever.
TEST_F(ServerTransactionTest, UnansweredTransactionsAreBounded) {
  receive(request("OPTIONS", udp_via()));
  receive(request("INVITE", udp_via("z9hG4bK-i")));
  clock_.advance(32s);
  EXPECT_EQ(layer_->server_transactions(), 1u);  // the INVITE may ring on
  clock_.advance(timers_.proceeding_guard);
  EXPECT_EQ(layer_->server_transactions(), 0u);
  EXPECT_EQ(layer_->stats().abandoned, 2u);
}

// §17.2.3: branch, sent-by and method; CANCEL is its own transaction; ACK maps to the INVITE.
TEST_F(ServerTransactionTest, MatchingUsesBranchSentByAndMethod) {
  receive(request("INVITE", udp_via("z9hG4bK-m")));
  receive(request("INVITE", "SIP/2.0/UDP 192.0.2.77:5060;branch=z9hG4bK-m"));  // other sent-by
  receive(request("INVITE", udp_via("z9hG4bK-other")));
  receive(request("CANCEL", udp_via("z9hG4bK-m")));
  receive(request("INVITE", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-m;rport"));  // same
  receive(request("INVITE", "SIP/2.0/UDP 192.0.2.10:5060 ; branch=z9hG4bK-m"));      // same
  EXPECT_EQ(tu_.requests.size(), 4u);
  EXPECT_EQ(layer_->server_transactions(), 4u);
  EXPECT_EQ(tu_.requests[3].method(), sip::Method::kCancel);
  // The CANCEL is answered in its own transaction; the INVITE's is untouched.
  answer(request("CANCEL", udp_via("z9hG4bK-m")), 200);
  EXPECT_EQ(tx(request("INVITE", udp_via("z9hG4bK-m")))->state(), State::kProceeding);
}

// RFC 2543 peers (no magic cookie; RFC 4475 inv2543): matched by Request-URI, From tag, Call-ID,
// CSeq, top Via and method, and the To tag of our response for the ACK.
TEST_F(ServerTransactionTest, Rfc2543RequestsMatchByTheirFields) {
  std::ifstream in(std::string(TRANSACTION_TEST_DATA_DIR) + "/inv2543.dat", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string invite = text.str();
  ASSERT_FALSE(invite.empty());
  if (invite.find("\r\n") == std::string::npos) {
    std::string crlf;
    for (char c : invite) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    invite = crlf;
  }
  receive(invite);
  receive(invite);
  ASSERT_EQ(tu_.requests.size(), 1u);
  answer(invite, 486, "t2543");
  sent();
  // Another CSeq is another transaction.
  std::string other = invite;
  other.replace(other.find("CSeq: 56"), 8, "CSeq: 57");
  receive(other);
  EXPECT_EQ(tu_.requests.size(), 2u);
  // The ACK (same Via, no branch) with our To tag is absorbed; one with another tag is not.
  std::string ack = invite.substr(0, invite.find("\r\n\r\n") + 4);
  ack.replace(0, ack.find(' '), "ACK");
  ack.replace(ack.find("CSeq: 56 INVITE"), 15, "CSeq: 56 ACK");
  ack.replace(ack.find("Content-Type: application/sdp\r\n"), 31, "");
  std::string wrong_tag = ack;
  wrong_tag.replace(wrong_tag.find("user=phone\r\nCall-ID"), 10, "user=phone;tag=nope");
  ack.replace(ack.find("user=phone\r\nCall-ID"), 10, "user=phone;tag=t2543");
  receive(wrong_tag);
  EXPECT_EQ(tu_.requests.size(), 3u);
  EXPECT_EQ(tx(invite)->state(), State::kCompleted);
  receive(ack);
  EXPECT_EQ(tu_.requests.size(), 3u);
  EXPECT_EQ(tx(invite)->state(), State::kConfirmed);
}

TEST_F(ServerTransactionTest, OverTheLimitNewRequestsGet503) {
  make_layer(2);
  receive(request("INVITE", udp_via("z9hG4bK-1")));
  receive(request("BYE", udp_via("z9hG4bK-2")));
  receive(request("OPTIONS", udp_via("z9hG4bK-3")));
  receive(request("ACK", udp_via("z9hG4bK-4")));  // passes to the TU (no transaction needed)
  EXPECT_EQ(tu_.requests.size(), 3u);
  auto refused = sent();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status_code(), 503);
  EXPECT_EQ(refused[0].header(sip::HeaderId::kRetryAfter), "5");
  // A stateless To tag, the same for the request's retransmission (§8.2.6.2).
  const std::string tag(refused[0].to()->tag());
  EXPECT_FALSE(tag.empty());
  receive(request("OPTIONS", udp_via("z9hG4bK-3")));
  auto again = sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].to()->tag(), tag);
  EXPECT_EQ(layer_->stats().over_limit, 2u);
  EXPECT_EQ(layer_->server_transactions(), 2u);
  // A retransmission of a live one is still absorbed, not refused.
  receive(request("BYE", udp_via("z9hG4bK-2")));
  EXPECT_TRUE(sent().empty());
}

TEST_F(ServerTransactionTest, StatelessAnswerEndsTheTransaction) {
  const std::string invite = request("INVITE", "SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK-s");
  receive(invite);
  const sip::Message req = parse_message(invite);
  layer_->respond_stateless(peer(), req, sip::make_response(req, 420, {}, "t"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, kPeer);  // rport: the source port
  EXPECT_EQ(parse_message(transport_.sent[0].data).top_via()->received.value_or(""), "192.0.2.10");
  transport_.sent.clear();
  EXPECT_EQ(layer_->server_transactions(), 0u);
  EXPECT_EQ(advance(10s), 0u);  // no Timer G
  EXPECT_EQ(clock_.pending(), 0u);
}

TEST_F(ServerTransactionTest, ResponseWithoutATransactionIsNotSent) {
  EXPECT_TRUE(answer(request("BYE", udp_via()), 200).empty());
  EXPECT_TRUE(sent().empty());
}

}  // namespace
}  // namespace sbc::cp
