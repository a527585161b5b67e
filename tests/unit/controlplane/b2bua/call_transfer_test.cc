// A blind transfer the SBC carries out itself (`refer = handle`, call_transfer.cc): the REFER
// gets 202 and sipfrag NOTIFYs, the SBC's own INVITE reaches the target with the transferee's
// media on the SBC's address, the answered target takes the transferor's place (dataplane
// session updated in place, its dialog found from then on, the transferor BYE'd); a target that
// fails leaves the call as it was; a transferor that hangs up first leaves the transfer running.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

const Endpoint kTargetAddr(boost::asio::ip::make_address("192.0.2.10"), 5060);

// A REFER from the trunk on the dialog our INVITE `invite` made with it (the trunk's tag
// `their_tag`) transferring the caller to `user` at the trunk.
std::string trunk_refer(const sip::Message& invite, std::string_view their_tag, uint32_t cseq,
                        std::string_view user) {
  return fmt::format(
      "REFER sip:sbc@198.51.100.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-{1}-refer-{2}\r\n"
      "Max-Forwards: 70\r\nFrom: {0};tag={1}\r\nTo: {3}\r\nCall-ID: {4}\r\n"
      "CSeq: {2} REFER\r\nContact: <sip:{1}@198.51.100.10:5060>\r\n"
      "Refer-To: <sip:{5}@198.51.100.10>\r\nContent-Length: 0\r\n\r\n",
      invite.header(sip::HeaderId::kTo), their_tag, cseq, invite.header(sip::HeaderId::kFrom),
      *invite.call_id(), user);
}

class CallTransferTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    auto parsed = parse_config(std::string(kConfig) + "[zone.access]\nrefer = handle\n");
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
    auto [invite, ok] = establish();
    trunk_invite_.emplace(std::move(invite));
    ok_.emplace(std::move(ok));
    session_updates();
  }
  // The caller (on access) transfers the trunk to user 200, routed from the carrier zone to the
  // access zone's default target; returns our INVITE to the target. 202 and NOTIFY 100 checked.
  sip::Message refer_to_200(uint32_t cseq = 2) {
    deliver(kAccess, kCallerAddr,
            with_parts(in_dialog("REFER", *ok_, false, "192.0.2.10", cseq),
                       "Refer-To: <sip:200@192.0.2.10>\r\nContact: <sip:alice@192.0.2.10>\r\n"));
    auto invite = next_to(kAccess, kTargetAddr);
    EXPECT_EQ(invite.method(), sip::Method::kInvite);
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 202);
    auto trying = next_to(kAccess, kCallerAddr);
    EXPECT_EQ(trying.method(), sip::Method::kNotify);
    EXPECT_EQ(trying.header("Event"), fmt::format("refer;id={}", cseq));
    EXPECT_EQ(trying.body(), "SIP/2.0 100 Trying\r\n");
    deliver(kAccess, kCallerAddr, response_to(trying, 200, ""));
    return invite;
  }
  std::optional<sip::Message> trunk_invite_;
  std::optional<sip::Message> ok_;
};

TEST_F(CallTransferTest, TheAnsweredTargetTakesTheTransferorsPlace) {
  auto invite = refer_to_200(5);
  // A call of the SBC's own: a new dialog, the trunk's media at the SBC's access address, the
  // port the transferor's leg had; the trunk's number as the caller; nothing of the trunk's side.
  EXPECT_NE(invite.call_id(), ok_->call_id());
  EXPECT_EQ(invite.request_uri()->user, "200");
  EXPECT_EQ(invite.body().find("198.51.100.10"), std::string_view::npos);
  const std::string caller_side_sdp(ok_->body());
  const auto port_line = caller_side_sdp.substr(caller_side_sdp.find("m=audio"), 13);
  EXPECT_NE(invite.body().find(port_line), std::string_view::npos) << invite.body();
  EXPECT_NE(invite.body().find("c=IN IP4 192.0.2.1\r\n"), std::string_view::npos);

  deliver(kAccess, kTargetAddr, response_to(invite, 180, "ttag"));
  auto ringing = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ringing.method(), sip::Method::kNotify);
  EXPECT_EQ(ringing.body(), "SIP/2.0 180 Ringing\r\n");
  EXPECT_EQ(ringing.header("Subscription-State"), "active;expires=60");

  deliver(kAccess, kTargetAddr, response_to(invite, 200, "ttag", sdp("192.0.2.30", 40000)));
  auto done = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(done.method(), sip::Method::kNotify);
  EXPECT_EQ(done.body(), "SIP/2.0 200 OK\r\n");
  EXPECT_EQ(done.header("Subscription-State"), "terminated;reason=noresource");
  auto bye = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.call_id(), ok_->call_id());
  deliver(kAccess, kCallerAddr, response_to(bye, 200, ""));
  auto ack = next_to(kAccess, kTargetAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.call_id(), invite.call_id());
  EXPECT_EQ(ack.header(sip::HeaderId::kTo).find("tag=ttag") != std::string_view::npos, true);
  // The trunk never hears of it: its media goes to the target from now on.
  EXPECT_TRUE(transport_.sent.empty());
  dataplane_.flush();
  auto updates = session_updates();
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().legs[kCaller].remote, api::Address::parse("192.0.2.30"));
  EXPECT_EQ(updates.back().legs[kCaller].remote_rtp_port, 40000);

  // A retransmitted 2xx gets our ACK again.
  deliver(kAccess, kTargetAddr, response_to(invite, 200, "ttag", sdp("192.0.2.30", 40000)));
  EXPECT_EQ(next_to(kAccess, kTargetAddr).method(), sip::Method::kAck);

  // The target's BYE is the call's: answered, and the trunk hung up.
  deliver(kAccess, kTargetAddr, in_dialog("BYE", invite, true, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kTargetAddr).status_code(), 200);
  auto trunk_bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(trunk_bye.method(), sip::Method::kBye);
  deliver(kCarrier, kTrunkAddr, response_to(trunk_bye, 200, ""));
  dataplane_.flush();
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["caller"], "200");
}

// The transferor held the trunk before transferring (the usual way): the target is offered media
// both ways, and the trunk is re-INVITEd once the target answers so its media resumes.
TEST_F(CallTransferTest, AHeldTransfereeIsResumedTowardTheTarget) {
  const auto held = [](const std::string& address, int port, int version, const char* direction) {
    return sdp(address, port, version) + "a=" + direction + "\r\n";
  };
  deliver(kAccess, kCallerAddr,
          with_parts(in_dialog("INVITE", *ok_, false, "192.0.2.10", 2), "", "application/sdp",
                     held("192.0.2.10", 6000, 2, "sendonly")));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto hold = next_to(kCarrier, kTrunkAddr);
  deliver(kCarrier, kTrunkAddr,
          response_to(hold, 200, "btag", held("198.51.100.10", 7000, 2, "recvonly")));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", *ok_, false, "192.0.2.10", 2));

  auto invite = refer_to_200(3);
  EXPECT_NE(invite.body().find("a=sendrecv\r\n"), std::string_view::npos) << invite.body();
  EXPECT_EQ(invite.body().find("recvonly"), std::string_view::npos) << invite.body();
  deliver(kAccess, kTargetAddr, response_to(invite, 200, "ttag", sdp("192.0.2.30", 40000)));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kNotify);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kBye);
  EXPECT_EQ(next_to(kAccess, kTargetAddr).method(), sip::Method::kAck);
  auto resume = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(resume.method(), sip::Method::kInvite);
  EXPECT_EQ(resume.call_id(), trunk_invite_->call_id());
  EXPECT_EQ(resume.body().find("only"), std::string_view::npos) << resume.body();  // sendrecv
  EXPECT_NE(resume.body().find("c=IN IP4 198.51.100.1\r\n"), std::string_view::npos);
  session_updates();
  deliver(kCarrier, kTrunkAddr, response_to(resume, 200, "btag", sdp("198.51.100.10", 7002, 3)));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.cseq()->number, resume.cseq()->number);
  auto updates = session_updates();
  ASSERT_FALSE(updates.empty());
  EXPECT_TRUE(updates.back().legs[kCaller].forward_rtp);
  EXPECT_TRUE(updates.back().legs[kCallee].forward_rtp);
  EXPECT_EQ(updates.back().legs[kCallee].remote_rtp_port, 7002);
  EXPECT_EQ(updates.back().legs[kCaller].remote_rtp_port, 40000);
  EXPECT_TRUE(transport_.sent.empty());
}

// The target hangs up while the trunk's resuming re-INVITE is still open: its BYE is the call's
// (not a transferor's leaving), so the call ends.
TEST_F(CallTransferTest, TheTargetsByeWhileTheTransfereeResumesEndsTheCall) {
  deliver(kAccess, kCallerAddr,
          with_parts(in_dialog("INVITE", *ok_, false, "192.0.2.10", 2), "", "application/sdp",
                     sdp("192.0.2.10", 6000, 2) + "a=sendonly\r\n"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto hold = next_to(kCarrier, kTrunkAddr);
  deliver(kCarrier, kTrunkAddr,
          response_to(hold, 200, "btag", sdp("198.51.100.10", 7000, 2) + "a=recvonly\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", *ok_, false, "192.0.2.10", 2));
  auto invite = refer_to_200(3);
  deliver(kAccess, kTargetAddr, response_to(invite, 200, "ttag", sdp("192.0.2.30", 40000)));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kNotify);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kBye);
  EXPECT_EQ(next_to(kAccess, kTargetAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kInvite);  // the resume
  deliver(kAccess, kTargetAddr, in_dialog("BYE", invite, true, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kTargetAddr).status_code(), 200);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kBye);
}

TEST_F(CallTransferTest, ATargetThatFailsLeavesTheCallAsItWas) {
  auto invite = refer_to_200();
  deliver(kAccess, kTargetAddr, response_to(invite, 486, "ttag"));
  EXPECT_EQ(next_to(kAccess, kTargetAddr).method(), sip::Method::kAck);  // the layer's
  auto failed = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(failed.method(), sip::Method::kNotify);
  EXPECT_EQ(failed.body(), "SIP/2.0 486 Busy Here\r\n");
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_TRUE(session_updates().empty());
  // The transferor takes the call back: its requests reach the trunk as before.
  deliver(kAccess, kCallerAddr, in_dialog("OPTIONS", *ok_, false, "192.0.2.10", 3));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kOptions);
}

TEST_F(CallTransferTest, ATargetThatRingsTooLongIsCancelled) {
  auto invite = refer_to_200();
  deliver(kAccess, kTargetAddr, response_to(invite, 180, "ttag"));
  auto ringing = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ringing.body(), "SIP/2.0 180 Ringing\r\n");
  deliver(kAccess, kCallerAddr, response_to(ringing, 200, ""));
  clock_.advance(std::chrono::seconds(180));  // the ring timeout
  auto cancel = next_to(kAccess, kTargetAddr);
  ASSERT_EQ(cancel.method(), sip::Method::kCancel);
  EXPECT_EQ(cancel.top_via()->branch, invite.top_via()->branch);
  deliver(kAccess, kTargetAddr, response_to(cancel, 200, "ttag"));
  deliver(kAccess, kTargetAddr, response_to(invite, 487, "ttag"));
  EXPECT_EQ(next_to(kAccess, kTargetAddr).method(), sip::Method::kAck);
  auto failed = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(failed.body(), "SIP/2.0 408 Request Timeout\r\n");
  EXPECT_EQ(failed.header("Subscription-State"), "terminated;reason=noresource");
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(CallTransferTest, ATransferorThatHangsUpFirstLeavesTheTransferRunning) {
  auto invite = refer_to_200();
  deliver(kAccess, kCallerAddr, in_dialog("BYE", *ok_, false, "192.0.2.10", 3));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  EXPECT_TRUE(transport_.sent.empty());  // the trunk stays
  deliver(kAccess, kTargetAddr, response_to(invite, 200, "ttag", sdp("192.0.2.30", 40000)));
  // No NOTIFY or BYE to a transferor that left: only our ACK to the target.
  EXPECT_EQ(next_to(kAccess, kTargetAddr).method(), sip::Method::kAck);
  EXPECT_TRUE(transport_.sent.empty());
  // The transferee's BYE ends the call with the target.
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", *trunk_invite_, true, "198.51.100.10", 2));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  auto bye = next_to(kAccess, kTargetAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.call_id(), invite.call_id());
}

// The callee (the carrier, zone carrier with refer = handle) transfers the caller: the target is
// routed as the caller's own call would be (to the trunk, which challenges our INVITE and gets
// its credentials), and its dialog becomes the call's callee dialog, found by its Call-ID from
// then on.
TEST_F(CallTransferTest, TheCalleeTransfersTheCallerToANumberOfTheTrunk) {
  // Two calls on the trunk at most: the transfer's INVITE is the second while it rings.
  auto parsed =
      parse_config(std::string(kConfig) + "max_calls = 2\n[zone.carrier]\nrefer = handle\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  config_ = *parsed;
  config_.trunks[0].username = "acct-42";
  config_.trunks[0].secret = "s3cret";
  make_b2bua();
  auto [first, ok] = establish();
  deliver(kCarrier, kTrunkAddr, trunk_refer(first, "btag", 7, "15557777"));
  auto invite = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(invite.method(), sip::Method::kInvite);
  EXPECT_NE(invite.call_id(), first.call_id());
  EXPECT_EQ(invite.request_uri()->user, "15557777");
  EXPECT_NE(invite.body().find("c=IN IP4 198.51.100.1\r\n"), std::string_view::npos);
  EXPECT_EQ(invite.body().find("192.0.2.10"), std::string_view::npos);  // the caller's address
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 202);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).header("Event"), "refer;id=7");
  deliver(
      kCarrier, kTrunkAddr,
      response_to(invite, 407, "t1", {},
                  "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n-1\", qop=\"auth\"\r\n"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto again = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(again.method(), sip::Method::kInvite);
  EXPECT_EQ(again.call_id(), invite.call_id());
  EXPECT_EQ(again.cseq()->number, invite.cseq()->number + 1);
  EXPECT_NE(again.header(sip::HeaderId::kProxyAuthorization).find("username=\"acct-42\""),
            std::string_view::npos);
  EXPECT_TRUE(transport_.sent.empty());  // the transferor hears nothing of the challenge
  invite = again;

  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "t2", sdp("198.51.100.10", 7100)));
  auto done = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(done.method(), sip::Method::kNotify);
  EXPECT_EQ(done.call_id(), first.call_id());
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.call_id(), first.call_id());
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_TRUE(transport_.sent.empty());  // the caller sees nothing of it
  dataplane_.flush();
  auto updates = session_updates();
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().legs[kCallee].remote_rtp_port, 7100);

  // The call counts once on the trunk again: the target transfers it on, and that INVITE is
  // admitted as the trunk's second call (it would be a third, refused, had the first count stayed).
  deliver(kCarrier, kTrunkAddr, trunk_refer(invite, "t2", 1, "15558888"));
  auto onward = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(onward.method(), sip::Method::kInvite) << onward.status_code();
  EXPECT_EQ(onward.request_uri()->user, "15558888");
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 202);
  auto trying = next_to(kCarrier, kTrunkAddr);
  deliver(kCarrier, kTrunkAddr, response_to(trying, 200, ""));
  deliver(kCarrier, kTrunkAddr, response_to(onward, 486, "t3"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto busy = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(busy.method(), sip::Method::kNotify);
  EXPECT_NE(busy.body().find("486"), std::string_view::npos);
  deliver(kCarrier, kTrunkAddr, response_to(busy, 200, ""));
  EXPECT_TRUE(transport_.sent.empty());

  // The new callee dialog's BYE ends the call with the caller.
  deliver(kCarrier, kTrunkAddr,
          fmt::format("BYE sip:sbc@198.51.100.1 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-t2-bye\r\n"
                      "Max-Forwards: 70\r\nFrom: {};tag=t2\r\nTo: {}\r\nCall-ID: {}\r\n"
                      "CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
                      invite.header(sip::HeaderId::kTo), invite.header(sip::HeaderId::kFrom),
                      *invite.call_id()));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  auto caller_bye = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(caller_bye.method(), sip::Method::kBye);
  EXPECT_EQ(caller_bye.call_id(), ok.call_id());
}

// The target's trunk admits the transfer's call as a new call to it: a trunk at its max_calls
// (here the call being transferred is its one call) refuses the REFER, and the call goes on.
TEST_F(CallTransferTest, ATargetTrunkAtItsCallLimitRefusesTheRefer) {
  auto parsed =
      parse_config(std::string(kConfig) + "max_calls = 1\n[zone.carrier]\nrefer = handle\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  config_ = *parsed;
  make_b2bua();
  auto [first, ok] = establish();
  deliver(kCarrier, kTrunkAddr, trunk_refer(first, "btag", 7, "15557777"));
  auto refused = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(refused.status_code(), 503);
  EXPECT_NE(refused.reason_phrase().find("max_calls"), std::string_view::npos)
      << refused.reason_phrase();
  EXPECT_TRUE(transport_.sent.empty());  // no INVITE to the target, nothing to the caller
  // The call is as it was: the caller's BYE reaches the trunk.
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kBye);
}

TEST_F(CallTransferTest, AnUnroutableTargetRefusesTheReferAndAnAttendedOneIsRelayed) {
  deliver(kAccess, kCallerAddr,
          with_parts(in_dialog("REFER", *ok_, false, "192.0.2.10", 2),
                     "Refer-To: <sip:pbx.internal>\r\nContact: <sip:alice@192.0.2.10>\r\n"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  deliver(kAccess, kCallerAddr,
          with_parts(in_dialog("REFER", *ok_, false, "192.0.2.10", 3),
                     "Refer-To: <sip:bob@pbx?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\n"
                     "Contact: <sip:alice@192.0.2.10>\r\n"));
  // A Replaces naming no call of the SBC's is refused as under refer = relay.
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
}

}  // namespace
}  // namespace sbc::cp
