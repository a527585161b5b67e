// Session timers per leg (session_timers.cc, RFC 4028): what we ask for and answer, our UPDATE
// refreshes, expiry when the refreshing peer goes silent, a relayed refresh re-arming both legs,
// and 422 for a session below our Min-SE.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

class SessionTimerTest : public B2buaTest {
 protected:
  // A call from a caller whose INVITE carries `extra` header lines, up to the ACKs; the callee's
  // 200 carries `callee_extra`. Returns {the INVITE the callee got, the 200 the caller got}.
  std::pair<sip::Message, sip::Message> call_with(const std::string& extra,
                                                  const std::string& callee_extra = {}) {
    InviteParts p;
    p.extra_headers = extra;
    deliver(kAccess, kCallerAddr, caller_invite(p));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    auto invite = next_to(kCarrier, kTrunkAddr);
    deliver(kCarrier, kTrunkAddr,
            response_to(invite, 200, "btag", sdp("198.51.100.10", 7000), callee_extra));
    dataplane_.flush();
    auto ok = next_to(kAccess, kCallerAddr);
    EXPECT_EQ(ok.status_code(), 200);
    deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
    EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
    return {invite, ok};
  }
};

TEST_F(SessionTimerTest, WeAskAndAnswerAndRefreshBothLegsWithUpdate) {
  auto [invite, ok] = call_with({});
  EXPECT_EQ(invite.header(sip::HeaderId::kSessionExpires), "1800");
  EXPECT_EQ(invite.header(sip::HeaderId::kMinSe), "90");
  EXPECT_NE(invite.header(sip::HeaderId::kSupported).find("timer"), std::string_view::npos);
  // Neither peer took part: we refresh both, every 900 s.
  EXPECT_EQ(ok.header(sip::HeaderId::kSessionExpires), "1800;refresher=uas");
  clock_.advance(899s);
  EXPECT_TRUE(transport_.sent.empty());
  for (int round = 0; round < 2; ++round) {
    clock_.advance(1s + std::chrono::seconds(round == 0 ? 0 : 899));
    std::vector<sip::Message> updates;
    while (!transport_.sent.empty()) updates.push_back(parse(next().data));
    ASSERT_EQ(updates.size(), 2u) << "round " << round;
    for (const auto& update : updates) {
      EXPECT_EQ(update.method(), sip::Method::kUpdate);
      EXPECT_TRUE(update.body().empty());
      EXPECT_NE(update.header(sip::HeaderId::kSessionExpires).find("refresher=uac"),
                std::string_view::npos);
      const bool to_caller = update.to()->tag() == "atag";
      deliver(to_caller ? kAccess : kCarrier, to_caller ? kCallerAddr : kTrunkAddr,
              response_to(update, 200, ""));
    }
  }
  EXPECT_EQ(b2bua_->active_calls(), 1u);
}

TEST_F(SessionTimerTest, ACallerThatStopsRefreshingIsHungUp) {
  call_with("Supported: timer\r\nSession-Expires: 120;refresher=uac\r\n",
            "Session-Expires: 1800;refresher=uac\r\n");
  clock_.advance(87s);  // 120 s less min(32, 40)
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(1s);
  bool bye_caller = false;
  bool bye_callee = false;
  while (!transport_.sent.empty()) {
    SentDatagram d = next();
    if (parse(d.data).method() == sip::Method::kBye) {
      (d.zone == kAccess ? bye_caller : bye_callee) = true;
    }
  }
  EXPECT_TRUE(bye_caller);
  EXPECT_TRUE(bye_callee);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

TEST_F(SessionTimerTest, ARelayedRefreshRearmsAndCarriesEachLegsTimer) {
  auto [invite, ok] = call_with("Supported: timer\r\nSession-Expires: 120\r\n",
                                "Session-Expires: 1800;refresher=uac\r\n");
  EXPECT_EQ(ok.header(sip::HeaderId::kSessionExpires), "120;refresher=uac");
  EXPECT_NE(ok.header(sip::HeaderId::kRequire).find("timer"), std::string_view::npos);
  clock_.advance(60s);
  // The caller refreshes as the refresher it is: its UPDATE asks for the same session again.
  std::string refresh = in_dialog("UPDATE", ok, false, "192.0.2.10", 2);
  refresh.insert(refresh.find("Content-Length"),
                 "Supported: timer\r\nSession-Expires: 120;refresher=uac\r\n");
  deliver(kAccess, kCallerAddr, refresh);
  auto update = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(update.method(), sip::Method::kUpdate);
  EXPECT_EQ(update.header(sip::HeaderId::kSessionExpires), "1800;refresher=uac");
  deliver(kCarrier, kTrunkAddr, response_to(update, 200, ""));
  auto refreshed = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refreshed.status_code(), 200);
  EXPECT_EQ(refreshed.header(sip::HeaderId::kSessionExpires), "120;refresher=uac");
  clock_.advance(80s);  // past the first expiry (88 s), within the re-armed one (148 s)
  EXPECT_EQ(b2bua_->active_calls(), 1u);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(SessionTimerTest, ASessionBelowOurMinSeGets422) {
  InviteParts p;
  p.extra_headers = "Supported: timer\r\nSession-Expires: 30\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 422);
  EXPECT_EQ(refused.header(sip::HeaderId::kMinSe), "90");
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(SessionTimerTest, ACalleeThatRefusesUpdateIsNoLongerRefreshed) {
  call_with({}, "Session-Expires: 1800;refresher=uac\r\n");
  clock_.advance(900s);
  while (!transport_.sent.empty()) {
    SentDatagram d = next();
    auto update = parse(d.data);
    ASSERT_EQ(update.method(), sip::Method::kUpdate);
    deliver(d.zone, d.to, response_to(update, 501, ""));
  }
  clock_.advance(3600s);
  EXPECT_EQ(b2bua_->active_calls(), 1u);
}

// Our refresh meets glare (491): RFC 3261 §14.1 timing, 2.1-4 s on the callee leg, whose Call-ID
// is ours, 0-2 s on the caller's; a 503 with Retry-After waits as long as it says.
TEST_F(SessionTimerTest, RefusedRefreshesRetryWithTheRfcTiming) {
  call_with({});
  clock_.advance(900s);
  std::optional<sip::Message> to_caller;
  std::optional<sip::Message> to_callee;
  for (int i = 0; i < 2; ++i) {
    auto update = parse(next().data);
    (update.to()->tag() == "atag" ? to_caller : to_callee) = update;
  }
  ASSERT_TRUE(to_caller && to_callee);
  deliver(kAccess, kCallerAddr, response_to(*to_caller, 491, ""));
  deliver(kCarrier, kTrunkAddr, response_to(*to_callee, 491, ""));
  // Steps the clock by 10 ms until something is sent (at most `limit` on): the time taken.
  auto until_sent = [&](std::chrono::milliseconds limit) {
    std::chrono::milliseconds waited{0};
    while (transport_.sent.empty() && waited < limit) {
      clock_.advance(10ms);
      waited += 10ms;
    }
    return waited;
  };
  // The caller's leg tries again within 2 s; the callee's not before 2.1 s.
  auto t = until_sent(4s);
  EXPECT_LE(t, 2000ms);
  auto again = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(again.method(), sip::Method::kUpdate);
  EXPECT_TRUE(transport_.sent.empty());
  deliver(kAccess, kCallerAddr, response_to(again, 503, "", {}, "Retry-After: 5\r\n"));
  const auto caller_refused = t;
  t += until_sent(4s);
  EXPECT_GE(t, 2100ms);
  EXPECT_LE(t, 4000ms);
  auto callee_again = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(callee_again.method(), sip::Method::kUpdate);
  deliver(kCarrier, kTrunkAddr, response_to(callee_again, 200, ""));
  // The caller's leg waits the 5 s of its Retry-After.
  t += until_sent(6s);
  EXPECT_EQ(t - caller_refused, 5000ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kUpdate);
}

}  // namespace
}  // namespace sbc::cp
