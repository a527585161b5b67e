// The coordinator (b2bua.cc): requests dispatched to a call's dialogs or answered out of dialog.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST_F(B2buaTest, ByeFromCalleeReachesCaller) {
  auto [invite, ok] = establish();
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 2));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  auto bye = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(*bye.call_id(), "a-call-1@192.0.2.10");
  EXPECT_EQ(bye.to()->tag(), "atag");
  EXPECT_EQ(bye.from()->tag(), ok.to()->tag());
  EXPECT_EQ(bye.request_uri_text(), "sip:alice@192.0.2.10:5060");
  dataplane_.flush();
  EXPECT_TRUE(dataplane_.sessions.empty());
  // Unanswered BYE is retransmitted (T1, then 2*T1).
  clock_.advance(500ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kBye);
  clock_.advance(1000ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kBye);
}

TEST_F(B2buaTest, CancelBeforeAnswer) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 180, "btag"));
  EXPECT_EQ(next().zone, kAccess);  // 180 relayed
  const std::string cancel =
      "CANCEL sip:callee@192.0.2.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-a-1\r\n"
      "Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@192.0.2.10>;tag=atag\r\n"
      "To: <sip:callee@192.0.2.1>\r\nCall-ID: a-call-1@192.0.2.10\r\nCSeq: 1 CANCEL\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(kAccess, kCallerAddr, cancel);
  auto cancel_ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(cancel_ok.status_code(), 200);
  EXPECT_EQ(cancel_ok.cseq()->method, sip::Method::kCancel);
  auto terminated = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(terminated.status_code(), 487);
  EXPECT_EQ(terminated.cseq()->method, sip::Method::kInvite);
  auto callee_cancel = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(callee_cancel.method(), sip::Method::kCancel);
  EXPECT_EQ(callee_cancel.top_via()->branch, invite.top_via()->branch);
  // The callee confirms and ends its INVITE with 487, which we ACK.
  deliver(kCarrier, kTrunkAddr, response_to(callee_cancel, 200, "btag"));
  deliver(kCarrier, kTrunkAddr, response_to(invite, 487, "btag"));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.top_via()->branch, invite.top_via()->branch);
  dataplane_.flush();
  EXPECT_EQ(b2bua_->active_calls(), 0u);
  EXPECT_EQ(ports_.in_use(0), 0u);
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "cancelled");
  EXPECT_EQ(records[0]["result_code"], 487);
}

TEST_F(B2buaTest, BusyIsRelayedAndAcked) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 486, "btag"));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to()->tag(), "btag");
  auto busy = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(busy.status_code(), 486);
  EXPECT_EQ(*busy.call_id(), "a-call-1@192.0.2.10");
  // Retransmitted until the caller's ACK.
  clock_.advance(500ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 486);
  deliver(kAccess, kCallerAddr, non2xx_ack(busy));
  clock_.advance(10s);
  EXPECT_TRUE(transport_.sent.empty());
  // A retransmitted 486 from the callee gets the ACK again.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 486, "btag"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  dataplane_.flush();
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "busy");
  EXPECT_EQ(records[0]["result_code"], 486);
  EXPECT_TRUE(dataplane_.sent_of<api::SessionAdd>().empty());
}

TEST_F(B2buaTest, GarbageIsDroppedBrokenRequestsGet400) {
  deliver(kAccess, kCallerAddr, "this is not SIP\r\n\r\n");
  EXPECT_TRUE(transport_.sent.empty());
  std::string broken = caller_invite();
  broken.replace(broken.find("CSeq: 1 INVITE"), 14, "CSeq: 1 BYE");
  deliver(kAccess, kCallerAddr, broken);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

// Refusals while no call exists keep no server transaction: a forged source gets exactly one
// response per request (no Timer G retransmissions), and a retransmitted request gets the same
// To tag again (§8.2.6.2).
TEST_F(B2buaTest, MergedInviteIs482) {
  auto [invite, ok] = establish();
  InviteParts p;
  p.branch = "z9hG4bK-a-forked";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  auto merged = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(merged.status_code(), 482);
  EXPECT_NE(merged.to()->tag(), ok.to()->tag());
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(b2bua_->active_calls(), 1u);
}

// A second access zone (a second site, its PBX at 203.0.113.30) taking carrier1's calls: the
// INVITE leaves from that zone's address toward its PBX, and the call's media is anchored there.
TEST_F(B2buaTest, ATrunksCallsGoToItsInboundZone) {
  auto parsed = parse_config(std::string(kConfig) +
                             "[zone.office]\ndataplane_port = access\nsip_address = 203.0.113.1\n"
                             "allow_open_access = yes\ndefault_target = 203.0.113.30:5060\n"
                             "[trunk.carrier1]\ninbound_zone = office\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  config_ = *parsed;
  transport_.listen.push_back(boost::asio::ip::make_address("203.0.113.1"));
  make_b2bua();
  constexpr size_t kOffice = 2;  // zones sorted by name
  const Endpoint pbx(boost::asio::ip::make_address("203.0.113.30"), 5060);

  InviteParts call;
  call.request_uri = "sip:4420@198.51.100.1";
  call.from = "<sip:+15551234567@198.51.100.10>;tag=ctag";
  call.call_id = "carrier-call-1@198.51.100.10";
  call.body = sdp("198.51.100.10", 7000);
  deliver(kCarrier, kTrunkAddr, caller_invite(call));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 100);
  auto invite = next_to(kOffice, pbx);
  EXPECT_EQ(invite.method(), sip::Method::kInvite);
  EXPECT_EQ(invite.request_uri_text(), "sip:4420@203.0.113.30");
  EXPECT_EQ(invite.top_via()->host, "203.0.113.1");
  EXPECT_EQ(std::string(invite.to()->uri.host), "203.0.113.30");
}

}  // namespace
}  // namespace sbc::cp
