// How calls end (call_teardown.cc): BYE, media timeout, an unanswered INVITE; session and CDR.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST_F(B2buaTest, ByeTearsDownTheSessionAndWritesCdr) {
  auto [invite, ok] = establish();
  ASSERT_EQ(dataplane_.sessions.size(), 1u);
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  auto bye_ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(bye_ok.status_code(), 200);
  EXPECT_EQ(bye_ok.cseq()->method, sip::Method::kBye);
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(*bye.call_id(), *invite.call_id());
  EXPECT_EQ(bye.to()->tag(), "btag");
  dataplane_.flush();
  EXPECT_TRUE(dataplane_.sessions.empty());
  EXPECT_EQ(dataplane_.sent_of<api::StatsQuery>().size(), 1u);
  EXPECT_EQ(ports_.in_use(0), 0u);
  EXPECT_EQ(ports_.in_use(1), 0u);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "answered");
  EXPECT_EQ(records[0]["caller"], "alice");
  EXPECT_EQ(records[0]["callee"], "callee");
  EXPECT_EQ(records[0]["media"]["caller_to_callee"]["rtp"]["packets"], 100);
  EXPECT_EQ(records[0]["media"]["callee_to_caller"]["rtp"]["packets"], 90);
  // The callee answers our BYE: no more retransmissions.
  deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
  clock_.advance(10s);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(B2buaTest, MediaTimeoutHangsUpBothSides) {
  auto [invite, ok] = establish();
  dataplane_.flush();
  b2bua_->on_media_timeout(api::MediaTimeoutEvent{dataplane_.sessions.begin()->first, 30000});
  std::vector<SentDatagram> byes;
  while (!transport_.sent.empty()) byes.push_back(next());
  ASSERT_EQ(byes.size(), 2u);
  for (const auto& d : byes) EXPECT_EQ(parse(d.data).method(), sip::Method::kBye);
  EXPECT_NE(byes[0].zone, byes[1].zone);
  dataplane_.flush();
  EXPECT_TRUE(dataplane_.sessions.empty());
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["disposition"], "media_timeout");
}

TEST_F(B2buaTest, CalleeSilenceEndsWith408) {
  start_call();
  clock_.advance(64 * 500ms);
  bool got_408 = false;
  while (!transport_.sent.empty()) {
    auto d = next();
    if (d.zone == kAccess && parse(d.data).status_code() == 408) got_408 = true;
  }
  EXPECT_TRUE(got_408);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

}  // namespace
}  // namespace sbc::cp
