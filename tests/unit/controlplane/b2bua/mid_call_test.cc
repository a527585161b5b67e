// Requests inside an established call (mid_call.cc): re-INVITE and UPDATE from either side with
// and without an offer, hold and resume, a new peer port, refusals that keep the call, glare,
// overlapping offers, timeouts, and INFO relayed through the dialog.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// An SDP with a direction attribute ("" for none) and a given o= version.
std::string sdp_with(const std::string& address, int port, int version,
                     const std::string& direction) {
  std::string text = sdp(address, port, version);
  if (!direction.empty()) text += "a=" + direction + "\r\n";
  return text;
}

// `request` (Content-Length: 0) with a body of `type`, and extra header lines.
std::string with_body(std::string request, const std::string& type, const std::string& body,
                      const std::string& extra = {}) {
  return with_parts(std::move(request), extra, type, body);
}

class MidCallTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    auto [invite, ok] = establish();
    invite_.emplace(std::move(invite));
    ok_.emplace(std::move(ok));
  }
  // A request from the caller on its dialog (CSeq `cseq`).
  std::string from_caller(const std::string& method, uint32_t cseq) {
    return in_dialog(method, *ok_, false, "192.0.2.10", cseq);
  }
  // A request from the callee on its dialog: From is its side (tag btag), To ours.
  std::string from_callee(const std::string& method, uint32_t cseq) {
    return fmt::format(
        "{0} sip:sbc@198.51.100.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-b-{0}-{1}\r\n"
        "Max-Forwards: 70\r\nFrom: {2};tag=btag\r\nTo: {3}\r\nCall-ID: {4}\r\n"
        "CSeq: {1} {0}\r\nContact: <sip:callee@198.51.100.10:5060>\r\nContent-Length: 0\r\n\r\n",
        method, cseq, invite_->header(sip::HeaderId::kTo), invite_->header(sip::HeaderId::kFrom),
        invite_->call_id().value());
  }
  // The caller puts the call on hold; returns the re-INVITE the callee got.
  sip::Message caller_reinvite(const std::string& body, uint32_t cseq = 2) {
    dataplane_.requests.clear();
    deliver(kAccess, kCallerAddr,
            body.empty() ? from_caller("INVITE", cseq)
                         : with_body(from_caller("INVITE", cseq), "application/sdp", body));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    auto reinvite = next_to(kCarrier, kTrunkAddr);
    EXPECT_EQ(reinvite.method(), sip::Method::kInvite);
    return reinvite;
  }

  std::optional<sip::Message> invite_;  // the INVITE the callee got
  std::optional<sip::Message> ok_;      // the 200 the caller got
};

TEST_F(MidCallTest, CallerHoldAndResumeAreRelayedWithTheirDirections) {
  auto reinvite = caller_reinvite(sdp_with("192.0.2.10", 6000, 2, "sendonly"));
  // The callee's dialog: our tags, its tag, a CSeq of its own, our Contact, our media address.
  EXPECT_EQ(reinvite.to()->tag(), "btag");
  EXPECT_EQ(reinvite.from()->tag(), invite_->from()->tag());
  EXPECT_EQ(reinvite.call_id().value(), invite_->call_id().value());
  EXPECT_GT(reinvite.cseq()->number, invite_->cseq()->number);
  const std::string offer(reinvite.body());
  EXPECT_NE(offer.find("c=IN IP4 198.51.100.1"), std::string::npos) << offer;
  EXPECT_NE(offer.find("a=sendonly"), std::string::npos) << offer;
  EXPECT_EQ(offer.find("192.0.2.10"), std::string::npos) << offer;  // no caller topology
  EXPECT_TRUE(session_updates().empty());  // nothing changes before the answer

  deliver(kCarrier, kTrunkAddr,
          response_to(reinvite, 200, "btag", sdp_with("198.51.100.10", 7000, 2, "recvonly")));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.cseq()->number, reinvite.cseq()->number);
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq()->number, 2u);
  const std::string answer(ok.body());
  EXPECT_NE(answer.find("c=IN IP4 192.0.2.1"), std::string::npos) << answer;
  EXPECT_NE(answer.find("a=recvonly"), std::string::npos) << answer;
  auto updates = session_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].media_timeout_ms, 0u);  // a held call may be silent: no media timeout
  // sendonly / recvonly: the caller's RTP (music on hold) flows, the callee's does not.
  EXPECT_TRUE(updates[0].legs[kCaller].forward_rtp);
  EXPECT_FALSE(updates[0].legs[kCallee].forward_rtp);

  // Our 2xx is retransmitted until the caller's ACK, then no more.
  clock_.advance(600ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  deliver(kAccess, kCallerAddr, from_caller("ACK", 2));
  clock_.advance(5s);
  EXPECT_TRUE(transport_.sent.empty());

  // Resume: sendrecv both ways again, the media timeout back.
  reinvite = caller_reinvite(sdp_with("192.0.2.10", 6000, 3, ""), 3);
  deliver(kCarrier, kTrunkAddr,
          response_to(reinvite, 200, "btag", sdp_with("198.51.100.10", 7000, 3, "")));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  updates = session_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].media_timeout_ms, 30000u);
  EXPECT_TRUE(updates[0].legs[kCaller].forward_rtp);
  EXPECT_TRUE(updates[0].legs[kCallee].forward_rtp);
}

TEST_F(MidCallTest, OldStyleHoldPassesAsZeroAddressAndKeepsThePeerAddress) {
  auto reinvite = caller_reinvite(sdp("0.0.0.0", 6000, 2));
  EXPECT_NE(std::string(reinvite.body()).find("c=IN IP4 0.0.0.0"), std::string::npos);
  deliver(kCarrier, kTrunkAddr, response_to(reinvite, 200, "btag", sdp("198.51.100.10", 7000, 2)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  auto updates = session_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].legs[kCaller].remote.to_string(), "192.0.2.10");  // resumes there
  EXPECT_EQ(updates[0].media_timeout_ms, 0u);
  // Nothing may be sent to the caller (RFC 3264 §8.4); it may still send.
  EXPECT_TRUE(updates[0].legs[kCaller].forward_rtp);
  EXPECT_FALSE(updates[0].legs[kCallee].forward_rtp);
}

TEST_F(MidCallTest, CalleeReinviteWithANewPortMovesTheSession) {
  dataplane_.requests.clear();
  deliver(kCarrier, kTrunkAddr,
          with_body(from_callee("INVITE", 5), "application/sdp", sdp("198.51.100.10", 7002, 2)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 100);
  auto reinvite = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(reinvite.method(), sip::Method::kInvite);
  EXPECT_EQ(reinvite.to()->tag(), "atag");
  EXPECT_NE(std::string(reinvite.body()).find("c=IN IP4 192.0.2.1"), std::string::npos);
  deliver(kAccess, kCallerAddr, response_to(reinvite, 200, "atag", sdp("192.0.2.10", 6000, 2)));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kAck);
  auto ok = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq()->number, 5u);
  auto updates = session_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].legs[kCallee].remote_rtp_port, 7002);
  EXPECT_EQ(updates[0].media_timeout_ms, 30000u);
}

TEST_F(MidCallTest, RefusedReinviteKeepsTheCallAndItsMedia) {
  auto reinvite = caller_reinvite(sdp("192.0.2.10", 6100, 2));
  deliver(kCarrier, kTrunkAddr, response_to(reinvite, 488, "btag"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);  // the layer's
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 488);
  EXPECT_TRUE(session_updates().empty());
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  // The call goes on: a later re-INVITE works.
  reinvite = caller_reinvite(sdp("192.0.2.10", 6000, 3), 3);
  EXPECT_EQ(reinvite.method(), sip::Method::kInvite);
}

TEST_F(MidCallTest, GlareGets491AndAnOverlappingOffer500WithRetryAfter) {
  caller_reinvite(sdp("192.0.2.10", 6000, 2));
  // The callee's offer crosses ours: 491.
  deliver(kCarrier, kTrunkAddr,
          with_body(from_callee("INVITE", 5), "application/sdp", sdp("198.51.100.10", 7000, 2)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 491);
  // The caller offers again before its first has an answer: 500 with Retry-After 0-10.
  deliver(kAccess, kCallerAddr,
          with_body(from_caller("UPDATE", 3), "application/sdp", sdp("192.0.2.10", 6000, 3)));
  auto busy = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(busy.status_code(), 500);
  const std::string retry(busy.header(sip::HeaderId::kRetryAfter));
  ASSERT_FALSE(retry.empty());
  EXPECT_LE(std::stoi(retry), 10);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(MidCallTest, OfferlessReinviteTakesTheAnswerFromTheAck) {
  auto reinvite = caller_reinvite("");
  EXPECT_TRUE(reinvite.body().empty());
  deliver(kCarrier, kTrunkAddr, response_to(reinvite, 200, "btag", sdp("198.51.100.10", 7004, 2)));
  auto ok = next_to(kAccess, kCallerAddr);  // the callee's offer, anchored for the caller
  ASSERT_EQ(ok.status_code(), 200);
  EXPECT_NE(std::string(ok.body()).find("c=IN IP4 192.0.2.1"), std::string::npos);
  EXPECT_TRUE(transport_.sent.empty());  // our ACK waits for the caller's answer
  EXPECT_TRUE(session_updates().empty());
  deliver(kAccess, kCallerAddr,
          with_body(from_caller("ACK", 2), "application/sdp", sdp("192.0.2.10", 6002, 2)));
  auto ack = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.cseq()->number, reinvite.cseq()->number);
  EXPECT_NE(std::string(ack.body()).find("c=IN IP4 198.51.100.1"), std::string::npos);
  auto updates = session_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].legs[kCaller].remote_rtp_port, 6002);
  EXPECT_EQ(updates[0].legs[kCallee].remote_rtp_port, 7004);
  // The callee's 2xx again: the same ACK again.
  deliver(kCarrier, kTrunkAddr, response_to(reinvite, 200, "btag", sdp("198.51.100.10", 7004, 2)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
}

TEST_F(MidCallTest, CalleeUpdateIsRelayedAndAnswered) {
  dataplane_.requests.clear();
  deliver(kCarrier, kTrunkAddr,
          with_body(from_callee("UPDATE", 6), "application/sdp", sdp("198.51.100.10", 7000, 2)));
  auto update = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(update.method(), sip::Method::kUpdate);
  deliver(kAccess, kCallerAddr, response_to(update, 200, "atag", sdp("192.0.2.10", 6000, 2)));
  auto ok = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq()->method, sip::Method::kUpdate);
  EXPECT_NE(std::string(ok.body()).find("c=IN IP4 198.51.100.1"), std::string::npos);
  EXPECT_EQ(session_updates().size(), 1u);
  EXPECT_TRUE(transport_.sent.empty());  // no ACK for UPDATE
}

TEST_F(MidCallTest, InfoIsRelayedWithItsBodyAndPackage) {
  deliver(kAccess, kCallerAddr,
          with_body(from_caller("INFO", 2), "application/dtmf-relay",
                    "Signal=5\r\nDuration=160\r\n", "Info-Package: dtmf\r\n"));
  auto info = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(info.method(), sip::Method::kInfo);
  EXPECT_EQ(info.body(), "Signal=5\r\nDuration=160\r\n");
  EXPECT_EQ(info.header(sip::HeaderId::kContentType), "application/dtmf-relay");
  EXPECT_EQ(info.header("Info-Package"), "dtmf");
  EXPECT_EQ(info.to()->tag(), "btag");
  EXPECT_EQ(info.header(sip::HeaderId::kVia).find("192.0.2.10"), std::string_view::npos);
  deliver(kCarrier, kTrunkAddr, response_to(info, 200, "btag"));
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq()->method, sip::Method::kInfo);
}

TEST_F(MidCallTest, ReinviteTimeoutEndsTheCall) {
  caller_reinvite(sdp("192.0.2.10", 6000, 2));
  clock_.advance(40s);  // Timer B (64*T1) passes; the re-INVITE's retransmissions go meanwhile
  bool got_408 = false;
  bool bye_caller = false;
  bool bye_callee = false;
  while (!transport_.sent.empty()) {
    SentDatagram d = next();
    auto m = parse(d.data);
    if (m.is_response() && m.status_code() == 408) got_408 = true;
    if (!m.is_response() && m.method() == sip::Method::kBye) {
      (d.zone == kAccess ? bye_caller : bye_callee) = true;
    }
  }
  EXPECT_TRUE(got_408);
  EXPECT_TRUE(bye_caller);
  EXPECT_TRUE(bye_callee);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

}  // namespace
}  // namespace sbc::cp
