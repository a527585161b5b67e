// Responses relayed from the callee to the caller (b2bua_responses.cc).
#include "b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

std::vector<std::string> values_of(const sip::Message& m, sip::HeaderId id) {
  std::vector<std::string> out;
  for (const auto& h : m.headers()) {
    if (h.id == id) out.emplace_back(h.value);
  }
  return out;
}

TEST_F(B2buaTest, RecordRouteGoesBackToTheCallerAndRoutesTowardTheCallee) {
  InviteParts p;
  p.extra_headers = "Record-Route: <sip:p1.example;lr>\r\nRecord-Route: <sip:p2.example;lr>\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  EXPECT_TRUE(values_of(invite, sip::HeaderId::kRecordRoute).empty());  // topology hiding
  const std::string callee_rr = "Record-Route: <sip:t1.example;lr>, <sip:t2.example;lr>\r\n";
  const std::vector<std::string> caller_rr = {"<sip:p1.example;lr>", "<sip:p2.example;lr>"};
  deliver(kCarrier, kTrunkAddr, response_to(invite, 180, "btag", {}, callee_rr));
  auto ringing = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ringing.status_code(), 180);
  EXPECT_EQ(values_of(ringing, sip::HeaderId::kRecordRoute), caller_rr);
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 200, "btag", sdp("198.51.100.10", 7000), callee_rr));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(values_of(ok, sip::HeaderId::kRecordRoute), caller_rr);
  deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  const std::vector<std::string> reversed = {"<sip:t2.example;lr>", "<sip:t1.example;lr>"};
  EXPECT_EQ(values_of(ack, sip::HeaderId::kRoute), reversed);
}

TEST_F(B2buaTest, EarlyMediaHasNoMediaTimeoutUntilTheAnswer) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 183, "btag", sdp("198.51.100.10", 7000)));
  dataplane_.flush();
  ASSERT_EQ(dataplane_.sent_of<api::SessionAdd>().size(), 1u);
  EXPECT_EQ(dataplane_.sent_of<api::SessionAdd>().back().media_timeout_ms, 0u);
  next_to(kAccess, kCallerAddr);                                    // the 183
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag"));  // no SDP
  dataplane_.flush();
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  ASSERT_EQ(dataplane_.sent_of<api::SessionAdd>().size(), 2u);
  EXPECT_EQ(dataplane_.sent_of<api::SessionAdd>().back().media_timeout_ms, 30000u);
}

TEST_F(B2buaTest, AnswerRepeatingTheEarlySdpIsNotANewVersion) {
  auto invite = start_call();
  const std::string answer = sdp("198.51.100.10", 7000);
  deliver(kCarrier, kTrunkAddr, response_to(invite, 183, "btag", answer));
  dataplane_.flush();
  auto progress = next_to(kAccess, kCallerAddr);
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", answer));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.body(), progress.body());  // same o= version (RFC 3264 §8)
  EXPECT_EQ(dataplane_.sent_of<api::SessionAdd>().back().media_timeout_ms, 30000u);
  // A changed description does get a new version.
  auto first = sip::parse_sdp(progress.body());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->origin.session_version, 1u);
}

TEST_F(B2buaTest, RedirectKeepsItsCodeButNotTheContact) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 302, "btag"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto moved = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(moved.status_code(), 302);
  EXPECT_EQ(std::string(moved.raw()).find("198.51.100.10"), std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
