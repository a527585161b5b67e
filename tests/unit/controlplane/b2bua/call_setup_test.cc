// A new call, step by step (call_setup.cc): topology hiding, routing, media, refusals without a
// call (stateless).
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST_F(B2buaTest, CallSetupHidesTopologyAndAnchorsMedia) {
  auto invite = start_call();
  const std::string raw(invite.raw());
  // Nothing of the caller's addresses or identifiers reaches the callee.
  EXPECT_EQ(raw.find("192.0.2.10"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("a-call-1"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("atag"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("z9hG4bK-a-1"), std::string::npos) << raw;
  EXPECT_EQ(invite.request_uri_text(), "sip:callee@198.51.100.10");
  EXPECT_EQ(invite.top_via()->host, "198.51.100.1");
  EXPECT_EQ(invite.contacts()->entries.at(0).uri.host, "198.51.100.1");
  EXPECT_EQ(invite.from()->uri.user, "15550001");
  EXPECT_EQ(invite.from()->uri.host, "carrier.example");
  EXPECT_EQ(invite.to()->uri.user, "callee");
  EXPECT_EQ(*invite.max_forwards(), 69u);
  auto offer = sip::parse_sdp(invite.body());
  ASSERT_TRUE(offer.has_value());
  auto audio = sip::first_audio_endpoint(*offer);
  ASSERT_TRUE(audio.has_value());
  EXPECT_EQ(audio->address, "198.51.100.1");
  EXPECT_EQ(audio->port % 2, 0);
  EXPECT_GE(audio->port, 20000);
  const uint16_t callee_side_port = audio->port;

  deliver(kCarrier, kTrunkAddr, response_to(invite, 180, "btag"));
  auto ringing = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ringing.status_code(), 180);
  EXPECT_EQ(*ringing.call_id(), "a-call-1@192.0.2.10");
  EXPECT_FALSE(ringing.to()->tag().empty());
  EXPECT_NE(ringing.to()->tag(), "btag");

  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.to()->tag(), ringing.to()->tag());
  const std::string ok_raw(ok.raw());
  EXPECT_EQ(ok_raw.find("198.51.100"), std::string::npos) << ok_raw;
  EXPECT_EQ(ok_raw.find("btag"), std::string::npos) << ok_raw;
  auto answer = sip::parse_sdp(ok.body());
  ASSERT_TRUE(answer.has_value());
  auto a_audio = sip::first_audio_endpoint(*answer);
  EXPECT_EQ(a_audio->address, "192.0.2.1");

  auto adds = dataplane_.sent_of<api::SessionAdd>();
  ASSERT_EQ(adds.size(), 1u);
  const api::SessionAdd& add = adds[0];
  EXPECT_EQ(add.media_timeout_ms, 30000u);
  EXPECT_EQ(add.latch_window_ms, 1500u);
  EXPECT_EQ(add.legs[kCaller].port, 0);
  EXPECT_EQ(add.legs[kCaller].local.to_string(), "192.0.2.1");
  EXPECT_EQ(add.legs[kCaller].local_rtp_port, a_audio->port);
  EXPECT_EQ(add.legs[kCaller].remote.to_string(), "192.0.2.10");
  EXPECT_EQ(add.legs[kCaller].remote_rtp_port, 6000);
  EXPECT_EQ(add.legs[kCaller].signalling_source.to_string(), "192.0.2.10");
  EXPECT_EQ(add.legs[kCallee].port, 1);
  EXPECT_EQ(add.legs[kCallee].local.to_string(), "198.51.100.1");
  EXPECT_EQ(add.legs[kCallee].local_rtp_port, callee_side_port);
  EXPECT_EQ(add.legs[kCallee].remote.to_string(), "198.51.100.10");
  EXPECT_EQ(add.legs[kCallee].remote_rtp_port, 7000);

  // The caller's ACK becomes a new ACK on the callee's dialog.
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(*ack.call_id(), *invite.call_id());
  EXPECT_EQ(ack.to()->tag(), "btag");
  EXPECT_EQ(ack.request_uri_text(), "sip:callee@198.51.100.10:5060");  // the callee's Contact
  EXPECT_EQ(b2bua_->active_calls(), 1u);

  // The 200 is no longer retransmitted after the ACK.
  dataplane_.flush();
  clock_.advance(5s);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaTest, CallFromTrunkGoesToDefaultTarget) {
  deliver(kCarrier, kTrunkAddr, caller_invite());
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 100);
  auto invite = next_to(kAccess, kCallerAddr);  // default_target 192.0.2.10:5060
  EXPECT_EQ(invite.request_uri_text(), "sip:callee@192.0.2.10");
  EXPECT_EQ(invite.from()->uri.user, "alice");
  EXPECT_EQ(invite.from()->uri.host, "192.0.2.1");
  EXPECT_EQ(invite.top_via()->host, "192.0.2.1");
  auto offer = sip::parse_sdp(invite.body());
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(sip::first_audio_endpoint(*offer)->address, "192.0.2.1");
}

TEST_F(B2buaTest, NoDataplaneMeans503) {
  dataplane_.connected_ = false;
  deliver(kAccess, kCallerAddr, caller_invite());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaTest, ExhaustedPortsMean503) {
  MediaPortAllocator tiny(20000, 20001);
  B2bua b2bua(config_, clock_, transport_, dataplane_, tiny, metrics_, *security_, *registrar_,
              nullptr);
  receive(b2bua, udp_peer(kAccess, kCallerAddr), caller_invite(70, "first@x"));
  EXPECT_EQ(next().zone, kAccess);   // 100
  EXPECT_EQ(next().zone, kCarrier);  // INVITE
  InviteParts second;                // a new request: a branch of its own (RFC 3261 §8.1.1.7)
  second.call_id = "second@x";
  second.branch = "z9hG4bK-a-2";
  receive(b2bua, udp_peer(kAccess, kCallerAddr), caller_invite(second));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaTest, MaxForwardsZeroIs483) {
  deliver(kAccess, kCallerAddr, caller_invite(0));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 483);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaTest, RefusalsWithoutACallAreStatelessWithAStableTag) {
  std::string no_sdp = caller_invite();
  no_sdp = no_sdp.substr(0, no_sdp.find("Content-Type:")) + "Content-Length: 0\r\n\r\n";
  deliver(kAccess, kCallerAddr, no_sdp);
  auto first = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(first.status_code(), 488);
  EXPECT_EQ(b2bua_->transactions().server_transactions(), 0u);
  clock_.advance(40s);
  EXPECT_TRUE(transport_.sent.empty());
  deliver(kAccess, kCallerAddr, no_sdp);
  auto again = next_to(kAccess, kCallerAddr);
  EXPECT_FALSE(first.to()->tag().empty());
  EXPECT_EQ(again.to()->tag(), first.to()->tag());
  // Another request (another branch) gets another tag.
  InviteParts other;
  other.branch = "z9hG4bK-a-2";
  std::string other_no_sdp = caller_invite(other);
  other_no_sdp =
      other_no_sdp.substr(0, other_no_sdp.find("Content-Type:")) + "Content-Length: 0\r\n\r\n";
  deliver(kAccess, kCallerAddr, other_no_sdp);
  EXPECT_NE(next_to(kAccess, kCallerAddr).to()->tag(), first.to()->tag());
  // Out-of-dialog OPTIONS and a BYE for no dialog: answered, nothing kept.
  deliver(kAccess, kCallerAddr,
          "OPTIONS sip:sbc@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-o"
          "\r\nMax-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=o1\r\nTo: <sip:sbc@192.0.2.1>"
          "\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  deliver(kAccess, kCallerAddr,
          "BYE sip:sbc@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-b"
          "\r\nMax-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=b1\r\nTo: <sip:sbc@192.0.2.1>"
          ";tag=x\r\nCall-ID: bye-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 481);
  EXPECT_EQ(b2bua_->transactions().server_transactions(), 0u);
  EXPECT_TRUE(b2bua_->calls().empty());
}

// The caller's INVITE arriving again by another path (same Call-ID, From tag and CSeq, another
// branch) is a merged request: 482 without the call's dialog tag (§8.2.2.2), the call unharmed.

}  // namespace
}  // namespace sbc::cp
