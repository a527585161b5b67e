// The call table's configured limit, ended calls kept apart from live ones, Call-ID reuse and
// forked 2xx responses (call_setup.cc, call_media.cc, answer_relay.cc).
#include <prometheus/text_serializer.h>

#include <optional>

#include "controlplane/mgmt/show_commands.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

class B2buaCapacityTest : public B2buaTest {
 protected:
  std::vector<SentDatagram> drain() {
    std::vector<SentDatagram> out(transport_.sent.begin(), transport_.sent.end());
    transport_.sent.clear();
    return out;
  }
  std::string metrics_text() {
    return prometheus::TextSerializer().Serialize(metrics_.registry().Collect());
  }
  std::string second_invite(const std::string& call_id = "a-call-2@192.0.2.10") {
    InviteParts p;
    p.call_id = call_id;
    p.branch = "z9hG4bK-a-2";
    return caller_invite(p);
  }
  // The caller hangs up an established call and the callee answers our BYE.
  void hang_up(const sip::Message& ok) {
    deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
    auto bye = next_to(kCarrier, kTrunkAddr);
    ASSERT_EQ(bye.method(), sip::Method::kBye);
    deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
    dataplane_.flush();
  }
};

TEST_F(B2buaCapacityTest, FullCallTableAnswers503WithRetryAfterCountedAndShown) {
  config_.capacity.calls = 1;
  make_b2bua();
  EXPECT_EQ(b2bua_->capacity().calls, 1u);
  EXPECT_EQ(b2bua_->capacity().calls_source, "configured");
  start_call();
  deliver(kAccess, kCallerAddr, second_invite());
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 503);
  EXPECT_EQ(refused.header(sip::HeaderId::kRetryAfter), "5");
  EXPECT_TRUE(transport_.sent.empty());  // nothing toward the trunk
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  EXPECT_EQ(b2bua_->calls_refused_at_capacity(), 1u);
  b2bua_->publish_capacity();
  const std::string text = metrics_text();
  EXPECT_NE(text.find("sbc_capacity_exceeded_total{table=\"calls\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_capacity_used{table=\"calls\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_capacity_limit{table=\"calls\"} 1"), std::string::npos) << text;
  const CommandOutput shown = show_capacity(*b2bua_);
  ASSERT_EQ(shown.data["tables"][0]["table"], "calls");
  EXPECT_EQ(shown.data["tables"][0]["used"], 1);
  EXPECT_EQ(shown.data["tables"][0]["limit"], 1);
  EXPECT_EQ(shown.data["tables"][0]["exceeded"], 1);
  EXPECT_NE(shown.text.find("calls"), std::string::npos);
}

TEST_F(B2buaCapacityTest, DerivedCallLimitFollowsTheDataplaneMaxSessions) {
  // 20000..20099: 50 pairs on each dataplane port.
  EXPECT_EQ(b2bua_->capacity().calls, 50u);
  dataplane_.max_sessions_reported = 1;
  reconnect();
  dataplane_.flush();
  EXPECT_EQ(b2bua_->capacity().calls, 1u);
  EXPECT_EQ(b2bua_->capacity().calls_source, "dataplane max_sessions");
  start_call();
  deliver(kAccess, kCallerAddr, second_invite());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
}

// An ended call waiting only to absorb retransmissions is a compact record, not a live call: a
// full table of one call takes the next call at once, and the record still answers.
TEST_F(B2buaCapacityTest, EndedCallsDoNotCountAgainstLiveCalls) {
  config_.capacity.calls = 1;
  make_b2bua();
  auto [invite, ok] = answer();
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  const std::string first_ack = next().data;
  hang_up(ok);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
  deliver(kAccess, kCallerAddr, second_invite());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto second = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(second.method(), sip::Method::kInvite);
  deliver(kCarrier, kTrunkAddr, response_to(second, 180, "ctag"));  // rings on (no Timer B)
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  // The ended call's Call object goes once its transactions are done...
  clock_.advance(1s);
  drain();
  EXPECT_EQ(b2bua_->calls().size(), 1u);
  EXPECT_EQ(b2bua_->ended_calls().size(), 1u);
  // ...and its record still re-sends the same ACK to a retransmitted 2xx (our ACK was lost) and
  // answers a BYE that crossed ours.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).raw(), first_ack);
  EXPECT_TRUE(transport_.sent.empty());  // no second BYE
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 3));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  // The record goes on schedule.
  clock_.advance(32s);
  b2bua_->publish_capacity();
  EXPECT_EQ(b2bua_->ended_calls().size(), 0u);
  drain();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  EXPECT_TRUE(transport_.sent.empty());
}

// The callee hung up before the caller ACKed our 2xx (its BYE waits for that ACK); the caller
// then retries on the same Call-ID. The new call works and the old one does not stay forever.
TEST_F(B2buaCapacityTest, CallIdReuseCannotPinTheEndedCall) {
  auto [invite, ok] = answer();
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 2));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  InviteParts retry;
  retry.branch = "z9hG4bK-a-2";
  retry.cseq = 2;
  deliver(kAccess, kCallerAddr, caller_invite(retry));
  bool trying = false;
  bool new_invite = false;
  bool old_bye = false;
  std::optional<sip::Message> second;
  for (const auto& d : drain()) {
    auto m = parse(d.data);
    if (d.zone == kAccess && !m.is_request() && m.status_code() == 100) trying = true;
    if (d.zone == kCarrier && m.is_request() && m.method() == sip::Method::kInvite) {
      new_invite = true;
      EXPECT_NE(*m.call_id(), *invite.call_id());
      second = m;
    }
    if (d.zone == kAccess && m.is_request() && m.method() == sip::Method::kBye) {
      old_bye = true;  // the old dialog's BYE goes now, not after an ACK that cannot come
      EXPECT_EQ(m.from()->tag(), ok.to()->tag());
    }
  }
  EXPECT_TRUE(trying);
  EXPECT_TRUE(new_invite);
  EXPECT_TRUE(old_bye);
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  ASSERT_TRUE(second.has_value());
  deliver(kCarrier, kTrunkAddr, response_to(*second, 180, "ctag"));  // rings (no Timer B)
  // Well within the new call's ring timeout, the old call is gone (BYE retransmissions timed
  // out at 64*T1 at the latest).
  for (int i = 0; i < 10; ++i) clock_.advance(5s);
  EXPECT_EQ(b2bua_->calls().size(), 1u);
  EXPECT_EQ(b2bua_->calls().begin()->second->state, CallState::kCalling);
}

// Forking: a second 2xx with another To tag is another dialog: it gets its own ACK (its tag, the
// INVITE's CSeq) and a BYE, while the first dialog's call goes on.
TEST_F(B2buaCapacityTest, SecondForked2xxGetsItsOwnAckAndBye) {
  auto [invite, ok] = establish();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "ctag", sdp("198.51.100.11", 7100)));
  auto ack = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to()->tag(), "ctag");
  EXPECT_EQ(ack.cseq()->number, invite.cseq()->number);
  EXPECT_EQ(ack.request_uri_text(), "sip:callee@198.51.100.10:5060");  // its Contact
  auto bye = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.to()->tag(), "ctag");
  EXPECT_EQ(bye.cseq()->number, invite.cseq()->number + 1);
  EXPECT_EQ(*bye.call_id(), *invite.call_id());
  EXPECT_TRUE(transport_.sent.empty());
  // Its retransmitted 2xx gets the same ACK again, no second BYE.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "ctag", sdp("198.51.100.11", 7100)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).raw(), ack.raw());
  EXPECT_TRUE(transport_.sent.empty());
  deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
  // The call is untouched: its dialog is the first one.
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  auto first_ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(first_ack.to()->tag(), "btag");
  EXPECT_TRUE(transport_.sent.empty());
}

// A fork answering before the caller's ACK (our ACK of the first dialog waits for it) is still
// released at once; and one answering after the call is over is too.
TEST_F(B2buaCapacityTest, ForkBeforeTheCallersAckAndAfterTheEndAreReleased) {
  auto [invite, ok] = answer();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "ctag", sdp("198.51.100.11", 7100)));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to()->tag(), "ctag");
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kBye);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  auto first_ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(first_ack.to()->tag(), "btag");
  hang_up(ok);
  clock_.advance(5s);
  drain();
  EXPECT_TRUE(b2bua_->calls().empty());
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "dtag", sdp("198.51.100.12", 7200)));
  auto late_ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(late_ack.method(), sip::Method::kAck);
  EXPECT_EQ(late_ack.to()->tag(), "dtag");
  auto late_bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(late_bye.method(), sip::Method::kBye);
  EXPECT_EQ(late_bye.to()->tag(), "dtag");
  // The fork released while the call lived is known to the record: its 2xx gets the ACK only.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "ctag", sdp("198.51.100.11", 7100)));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).to()->tag(), "ctag");
  EXPECT_TRUE(transport_.sent.empty());
}

}  // namespace
}  // namespace sbc::cp
