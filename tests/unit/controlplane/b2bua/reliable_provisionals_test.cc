// Reliable provisional responses (reliable_provisionals.cc, RFC 3262) terminated per leg: the
// callee's reliable 18x PRACKed on its early dialog, ours to the caller numbered, retransmitted
// until its PRACK, a 2xx held for the PRACK of our answer, 500 when none comes; zone policies
// (420, 421, nothing offered); forked early dialogs; an UPDATE before the answer (RFC 3311).
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

constexpr const char* k100relInvite = "Supported: 100rel, timer\r\n";

bool has_100rel(const sip::Message& msg, sip::HeaderId header) {
  auto tags = header == sip::HeaderId::kSupported ? msg.supported() : msg.require();
  return tags && std::ranges::find(*tags, std::string_view("100rel")) != tags->end();
}

std::string reliable(uint32_t rseq) {
  return fmt::format("Require: 100rel\r\nRSeq: {}\r\n", rseq);
}

// `request` (Content-Length: 0) with extra header lines and an optional SDP body.
std::string with(std::string request, const std::string& extra, const std::string& body = {}) {
  return with_parts(std::move(request), extra, body.empty() ? "" : "application/sdp", body);
}

class ReliableProvisionalsTest : public B2buaTest {
 protected:
  // The caller's INVITE with `extra` header lines, up to our INVITE to the callee.
  sip::Message invite_with(const std::string& extra) {
    InviteParts p;
    p.extra_headers = extra;
    deliver(kAccess, kCallerAddr, caller_invite(p));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    return next_to(kCarrier, kTrunkAddr);
  }
  // The callee's reliable 183 with its answer: returns {our PRACK, the 183 the caller got}; the
  // callee confirms the PRACK.
  std::pair<sip::Message, sip::Message> reliable_183(const sip::Message& invite, uint32_t rseq,
                                                     const std::string& tag = "btag",
                                                     int port = 7000) {
    deliver(kCarrier, kTrunkAddr,
            response_to(invite, 183, tag, sdp("198.51.100.10", port), reliable(rseq)));
    auto prack = next_to(kCarrier, kTrunkAddr);
    auto progress = next_to(kAccess, kCallerAddr);
    if (prack.method() == sip::Method::kPrack) {
      deliver(kCarrier, kTrunkAddr, response_to(prack, 200, ""));
    }
    return {prack, progress};
  }
  // The callee's reliable 180 (no SDP) while our 183 to the caller awaits its PRACK: we PRACK it
  // and the callee confirms; nothing goes to the caller yet.
  void queued_reliable_180(const sip::Message& invite, uint32_t rseq) {
    deliver(kCarrier, kTrunkAddr, response_to(invite, 180, "btag", {}, reliable(rseq)));
    auto prack = next_to(kCarrier, kTrunkAddr);
    EXPECT_EQ(prack.method(), sip::Method::kPrack);
    deliver(kCarrier, kTrunkAddr, response_to(prack, 200, ""));
  }
  // Two seconds on, before any ACK: only our 2xx is retransmitted to the caller.
  void expect_only_2xx_retransmitted() {
    clock_.advance(2s);
    while (!transport_.sent.empty()) {
      EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
    }
  }
  std::string caller_prack(const sip::Message& progress, uint32_t rseq, uint32_t cseq = 2) {
    return with(in_dialog("PRACK", progress, false, "192.0.2.10", cseq),
                fmt::format("RAck: {} 1 INVITE\r\n", rseq));
  }
  void reconfigure(const std::string& extra) {
    auto parsed = parse_config(std::string(kConfig) + extra);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }
};

TEST_F(ReliableProvisionalsTest, EachLegAcknowledgesItsOwnReliable183) {
  auto invite = invite_with(k100relInvite);
  EXPECT_TRUE(has_100rel(invite, sip::HeaderId::kSupported));
  auto [prack, progress] = reliable_183(invite, 7);
  ASSERT_EQ(prack.method(), sip::Method::kPrack);
  EXPECT_EQ(prack.header(sip::HeaderId::kRAck), "7 1 INVITE");
  EXPECT_EQ(prack.to()->tag(), "btag");
  EXPECT_EQ(prack.call_id(), invite.call_id());
  EXPECT_EQ(progress.status_code(), 183);
  EXPECT_EQ(progress.header(sip::HeaderId::kRequire), "100rel");
  EXPECT_EQ(progress.header(sip::HeaderId::kRSeq), "1");
  EXPECT_FALSE(progress.body().empty());
  // The callee retransmits its 183 (our PRACK's transaction answers for itself): not relayed.
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 183, "btag", sdp("198.51.100.10", 7000), reliable(7)));
  EXPECT_TRUE(transport_.sent.empty());
  // Ours is retransmitted until the caller's PRACK, which gets 200; then silence.
  clock_.advance(500ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 183);
  deliver(kAccess, kCallerAddr, caller_prack(progress, 1));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  clock_.advance(4s);
  EXPECT_TRUE(transport_.sent.empty());
  // The answer went in the PRACKed 183: the 2xx carries none.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag"));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_TRUE(ok.body().empty());
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
}

TEST_F(ReliableProvisionalsTest, The2xxWaitsForThePrackOfOurAnswer) {
  auto invite = invite_with(k100relInvite);
  auto [prack, progress] = reliable_183(invite, 1);
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag"));
  dataplane_.flush();
  EXPECT_TRUE(transport_.sent.empty()) << "a 2xx before the PRACK of the answer";
  deliver(kAccess, kCallerAddr, caller_prack(progress, 1));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);  // the PRACK's
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq()->method, sip::Method::kInvite);
}

TEST_F(ReliableProvisionalsTest, ProvisionalsQueueBehindTheUnacknowledgedOne) {
  auto invite = invite_with(k100relInvite);
  auto [prack, progress] = reliable_183(invite, 1);
  // A 180 while our 183 awaits its PRACK waits its turn, then goes with the next RSeq.
  queued_reliable_180(invite, 2);
  EXPECT_TRUE(transport_.sent.empty());
  deliver(kAccess, kCallerAddr, caller_prack(progress, 1));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  auto ringing = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ringing.status_code(), 180);
  EXPECT_EQ(ringing.header(sip::HeaderId::kRSeq), "2");
  // The callee's 2xx needs no PRACK of a ringing indication: it goes at once, and ends the 180's
  // retransmissions.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag"));
  dataplane_.flush();
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  expect_only_2xx_retransmitted();  // never the 180
}

TEST_F(ReliableProvisionalsTest, AHeldAnswerDoesNotWaitForRingingQueuedBehindIt) {
  auto invite = invite_with(k100relInvite);
  auto [prack, progress] = reliable_183(invite, 1);
  queued_reliable_180(invite, 2);
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag"));
  dataplane_.flush();
  EXPECT_TRUE(transport_.sent.empty()) << "the 2xx waits for the PRACK of the answer";
  deliver(kAccess, kCallerAddr, caller_prack(progress, 1));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);  // the PRACK's
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);  // then the call's, the queued 180 superseded
  EXPECT_EQ(ok.cseq()->method, sip::Method::kInvite);
  expect_only_2xx_retransmitted();  // never the 180
}

TEST_F(ReliableProvisionalsTest, APrackThatMatchesNothingGets481) {
  auto invite = invite_with(k100relInvite);
  auto [prack, progress] = reliable_183(invite, 1);
  deliver(kAccess, kCallerAddr, caller_prack(progress, 5));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 481);
}

TEST_F(ReliableProvisionalsTest, NoPrackWithin64T1FailsTheCall) {
  auto invite = invite_with(k100relInvite);
  reliable_183(invite, 1);
  int retransmissions = 0;
  bool failed = false;
  bool cancelled = false;
  for (int step = 0; step < 40 && !failed; ++step) {
    clock_.advance(1s);
    while (!transport_.sent.empty()) {
      auto m = parse(next().data);
      if (m.is_request() && m.method() == sip::Method::kCancel) cancelled = true;
      if (!m.is_request() && m.status_code() == 183) ++retransmissions;
      if (!m.is_request() && m.status_code() == 500) failed = true;
    }
  }
  EXPECT_TRUE(failed);
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(retransmissions, 6);  // at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s
}

TEST_F(ReliableProvisionalsTest, ACallerWithout100relGetsItUnreliably) {
  auto invite = invite_with({});
  auto [prack, progress] = reliable_183(invite, 1);
  EXPECT_EQ(prack.method(), sip::Method::kPrack);
  EXPECT_EQ(progress.status_code(), 183);
  EXPECT_TRUE(progress.header(sip::HeaderId::kRSeq).empty());
  EXPECT_TRUE(progress.header(sip::HeaderId::kRequire).empty());
  clock_.advance(2s);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(ReliableProvisionalsTest, ZonePoliciesRefuseOrOfferNothing) {
  reconfigure("[zone.access]\n100rel = off\n");
  InviteParts p;
  p.extra_headers = "Require: 100rel\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 420);
  EXPECT_EQ(refused.header(sip::HeaderId::kUnsupported), "100rel");
  EXPECT_TRUE(transport_.sent.empty());

  reconfigure("[zone.access]\n100rel = required\n[trunk.carrier1]\n100rel = off\n");
  deliver(kAccess, kCallerAddr, caller_invite());
  auto required = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(required.status_code(), 421);
  EXPECT_EQ(required.header(sip::HeaderId::kRequire), "100rel");
  auto invite = invite_with(k100relInvite);
  EXPECT_FALSE(has_100rel(invite, sip::HeaderId::kSupported));
  EXPECT_FALSE(has_100rel(invite, sip::HeaderId::kRequire));
}

TEST_F(ReliableProvisionalsTest, APerTrunkSessionTimerIsAskedOfItsCallee) {
  reconfigure("[trunk.carrier1]\nsession_expires = 600\nmin_se = 120\n");
  auto invite = invite_with({});
  EXPECT_EQ(invite.header(sip::HeaderId::kSessionExpires), "600");
  EXPECT_EQ(invite.header(sip::HeaderId::kMinSe), "120");
}

TEST_F(ReliableProvisionalsTest, TheForkThatAnswersGetsTheMediaOfItsOwnEarlyDialog) {
  auto invite = invite_with({});
  deliver(kCarrier, kTrunkAddr, response_to(invite, 183, "fork1", sdp("198.51.100.10", 7000)));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 183);
  std::string second = sdp("198.51.100.10", 7002);
  second.replace(second.find("o=user 1"), 8, "o=user 2");  // another UA's session
  deliver(kCarrier, kTrunkAddr, response_to(invite, 183, "fork2", second));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 183);
  dataplane_.flush();
  auto early = session_updates();
  ASSERT_FALSE(early.empty());
  EXPECT_EQ(early.back().legs[kCallee].remote_rtp_port, 7002);  // the latest early media
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "fork1"));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).to()->tag(), "fork1");  // its ACK
  auto answered = session_updates();
  ASSERT_FALSE(answered.empty());
  EXPECT_EQ(answered.back().legs[kCallee].remote_rtp_port, 7000);  // the winner's
  // The CDR names the dialog that won.
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  dataplane_.flush();
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["callee_dialog"]["tag"], "fork1");
  EXPECT_EQ(records[0]["early_dialogs"], 2u);
}

TEST_F(ReliableProvisionalsTest, AnUpdateBeforeTheAnswerChangesTheEarlySession) {
  auto invite = invite_with(k100relInvite);
  auto [prack, progress] = reliable_183(invite, 1);
  deliver(kAccess, kCallerAddr, caller_prack(progress, 1));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  dataplane_.flush();
  dataplane_.requests.clear();
  // The caller moves its early media to another port.
  deliver(kAccess, kCallerAddr,
          with(in_dialog("UPDATE", progress, false, "192.0.2.10", 3),
               "Contact: <sip:alice@192.0.2.10:5060>\r\n", sdp("192.0.2.10", 6002, 2)));
  auto update = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(update.method(), sip::Method::kUpdate);
  EXPECT_EQ(update.to()->tag(), "btag");
  EXPECT_FALSE(update.body().empty());
  deliver(kCarrier, kTrunkAddr, response_to(update, 200, "", sdp("198.51.100.10", 7000, 2)));
  dataplane_.flush();
  auto answer = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(answer.status_code(), 200);
  EXPECT_FALSE(answer.body().empty());
  auto updates = session_updates();
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().legs[kCaller].remote_rtp_port, 6002);
}

}  // namespace
}  // namespace sbc::cp
