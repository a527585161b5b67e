// Requests on existing calls, how calls are hung up and ended calls (call_dialogs.cc), plus what a
// new INVITE may carry (call_setup.cc).
#include <prometheus/text_serializer.h>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

std::string caller_cancel() {
  return "CANCEL sip:callee@192.0.2.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-a-1\r\n"
         "Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@192.0.2.10>;tag=atag\r\n"
         "To: <sip:callee@192.0.2.1>\r\nCall-ID: a-call-1@192.0.2.10\r\nCSeq: 1 CANCEL\r\n"
         "Content-Length: 0\r\n\r\n";
}

class B2buaDialogTest : public B2buaTest {
 protected:
  // Every datagram sent so far, in order.
  std::vector<SentDatagram> drain() {
    std::vector<SentDatagram> out(transport_.sent.begin(), transport_.sent.end());
    transport_.sent.clear();
    return out;
  }
};

TEST_F(B2buaDialogTest, OversizedRequestUriUserIs414) {
  InviteParts p;
  p.request_uri = "sip:" + std::string(9000, '1') + "@192.0.2.1";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 414);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

TEST_F(B2buaDialogTest, DisplayNameThatGrowsWhenEscapedIs400) {
  InviteParts p;
  std::string quotes;
  for (int i = 0; i < 3000; ++i) quotes += "\\\"";
  p.from = "\"" + quotes + "\" <sip:alice@192.0.2.10>;tag=atag";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaDialogTest, BadRequestUrisAreRefused) {
  InviteParts p;
  p.request_uri = "mailto:bob@example.com";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 416);
  p.request_uri = "sip:192.0.2.1";
  p.call_id = "no-user@x";
  p.branch = "z9hG4bK-a-2";  // a new request, not a retransmission of the first
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 484);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

TEST_F(B2buaDialogTest, CancelFollowsBare100AndCrossing200IsAckedAndByed) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 100, ""));
  deliver(kAccess, kCallerAddr, caller_cancel());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 487);
  auto cancel = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(cancel.method(), sip::Method::kCancel);
  EXPECT_EQ(cancel.top_via()->branch, invite.top_via()->branch);
  EXPECT_EQ(cancel.cseq()->number, invite.cseq()->number);
  // The callee's 200 crossed the CANCEL: it is ACKed and its dialog ended.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to()->tag(), "btag");
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.to()->tag(), "btag");
  EXPECT_EQ(bye.request_uri_text(), "sip:callee@198.51.100.10:5060");
}

TEST_F(B2buaDialogTest, RingTimeoutAfterBare100Cancels) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 100, ""));
  clock_.advance(180s);
  bool got_408 = false;
  bool got_cancel = false;
  for (const auto& d : drain()) {
    auto m = parse(d.data);
    if (d.zone == kAccess && m.status_code() == 408) got_408 = true;
    if (d.zone == kCarrier && m.is_request() && m.method() == sip::Method::kCancel)
      got_cancel = true;
  }
  EXPECT_TRUE(got_408);
  EXPECT_TRUE(got_cancel);
}

TEST_F(B2buaDialogTest, LateAnswerAfterTheCallIsGoneGetsAckAndBye) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 180, "btag"));
  deliver(kAccess, kCallerAddr, caller_cancel());
  drain();
  // The callee never sends a final response to the cancelled INVITE.
  clock_.advance(40s);
  clock_.advance(40s);
  drain();
  EXPECT_TRUE(b2bua_->calls().empty());
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to()->tag(), "btag");
  EXPECT_EQ(*ack.call_id(), *invite.call_id());
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.cseq()->number, invite.cseq()->number + 1);
  // A retransmitted 2xx gets the ACK again, not another BYE.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaDialogTest, AckWithWrongTagDoesNotStopThe2xx) {
  auto [invite, ok] = answer();
  std::string ack = in_dialog("ACK", ok, false, "192.0.2.10", 1);
  ack.replace(ack.find(std::string(ok.to()->tag())), ok.to()->tag().size(), "wrongtag");
  deliver(kAccess, kCallerAddr, ack);
  EXPECT_TRUE(transport_.sent.empty());  // not confirmed: no ACK to the callee either
  clock_.advance(500ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
}

TEST_F(B2buaDialogTest, MaxCallDurationHangsUpBothSides) {
  config_.max_call_duration_s = 60;
  establish();
  clock_.advance(59s);
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(1s);
  auto sent = drain();
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& d : sent) EXPECT_EQ(parse(d.data).method(), sip::Method::kBye);
  dataplane_.flush();
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "max_duration");
}

TEST_F(B2buaDialogTest, CallerByeBeforeItsAckStillAcksTheCallee) {
  auto [invite, ok] = answer();
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kBye);
  // The caller has our 2xx (it sent BYE): no more retransmissions of it.
  clock_.advance(600ms);
  for (const auto& d : drain()) EXPECT_NE(parse(d.data).status_code(), 200);
}

TEST_F(B2buaDialogTest, CalleeByeBeforeCallerAckWaitsForThatAck) {
  auto [invite, ok] = answer();
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 2));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);  // its 2xx, ACKed
  EXPECT_TRUE(transport_.sent.empty());  // no BYE to the caller before its ACK (§15)
  clock_.advance(500ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kBye);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaDialogTest, NoAckFromCallerByesBothAndAcksCallee) {
  auto [invite, ok] = answer();
  clock_.advance(32s);
  std::vector<sip::Method> to_callee;
  bool bye_to_caller = false;
  for (const auto& d : drain()) {
    auto m = parse(d.data);
    if (!m.is_request()) continue;
    if (d.zone == kCarrier) to_callee.push_back(m.method());
    if (d.zone == kAccess && m.method() == sip::Method::kBye) bye_to_caller = true;
  }
  EXPECT_TRUE(bye_to_caller);
  ASSERT_GE(to_callee.size(), 2u);
  EXPECT_EQ(to_callee[0], sip::Method::kAck);
  EXPECT_EQ(to_callee[1], sip::Method::kBye);
}

TEST_F(B2buaDialogTest, CalleeChallengeBecomes503AndTheRetryIsANewCall) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 407, "btag", {},
                      "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n\"\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 503);
  const std::string raw(refused.raw());
  EXPECT_EQ(raw.find("Proxy-Authenticate"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Reason: SIP;cause=407"), std::string::npos) << raw;
  const std::string text = prometheus::TextSerializer().Serialize(metrics_.registry().Collect());
  EXPECT_NE(text.find("sbc_callee_auth_challenges_total 1"), std::string::npos) << text;
  deliver(kAccess, kCallerAddr, non2xx_ack(refused));
  // The caller retries on the same Call-ID (new branch, higher CSeq, no To-tag): a new call.
  InviteParts retry;
  retry.branch = "z9hG4bK-a-2";
  retry.cseq = 2;
  deliver(kAccess, kCallerAddr, caller_invite(retry));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto second = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(second.method(), sip::Method::kInvite);
  EXPECT_NE(*second.call_id(), *invite.call_id());
  EXPECT_EQ(b2bua_->active_calls(), 1u);
}

// A call's timers go with it. One that a pending dataplane reply still holds when the B2BUA goes
// (here: its session programming, unanswered) keeps none: they would call into the gone B2BUA.
TEST_F(B2buaDialogTest, NoTimerOutlivesTheB2bua) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);  // retransmitted until the ACK
  ASSERT_GT(clock_.pending(), 0u);
  b2bua_.reset();
  EXPECT_EQ(clock_.pending(), 0u);
}

}  // namespace
}  // namespace sbc::cp
