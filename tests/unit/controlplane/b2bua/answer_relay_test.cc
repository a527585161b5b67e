// Responses relayed from the callee to the caller (answer_relay.cc).
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// `text` with its header line starting `name: ` replaced by `name: value`.
std::string with_header(std::string text, const std::string& name, const std::string& value) {
  const size_t start = text.find("\r\n" + name + ": ") + 2;
  const size_t end = text.find("\r\n", start);
  return text.replace(start, end - start, name + ": " + value);
}

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

// A response the layer matched to our BYE belongs to its call even when its Call-ID or To is
// unusable: the call is still erased (it used to wait for that BYE forever).
TEST_F(B2buaTest, BrokenAnswerToOurByeStillLetsTheCallGo) {
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"To", "<<sip:alice@192.0.2.10"}, {"Call-ID", "another-call@192.0.2.10"}};
  for (const auto& [name, value] : broken) {
    SCOPED_TRACE(name);
    auto [invite, ok] = establish();
    deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 2));
    EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
    auto bye = next_to(kAccess, kCallerAddr);
    ASSERT_EQ(bye.method(), sip::Method::kBye);
    deliver(kAccess, kCallerAddr, with_header(response_to(bye, 200, ""), name, value));
    clock_.advance(40s);
    transport_.sent.clear();
    EXPECT_TRUE(b2bua_->calls().empty());
    dataplane_.flush();
  }
}

// A final response to our INVITE that the layer matched but the call cannot use ends the call
// with 502 at once (not at the ring timeout), and the call is erased after its linger.
TEST_F(B2buaTest, BrokenFinalResponseToOurInviteIs502) {
  auto invite = start_call();
  deliver(kCarrier, kTrunkAddr,
          with_header(response_to(invite, 486, "btag"), "To", "<<sip:callee@198.51.100.10"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);  // the layer's
  auto failed = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(failed.status_code(), 502);
  deliver(kAccess, kCallerAddr, non2xx_ack(failed));
  clock_.advance(40s);
  EXPECT_TRUE(b2bua_->calls().empty());
}

// The callee's SDP answer is parsed once and kept with the call: what the caller got was built
// from it, and an answer with the same o= is not parsed into a new one.
TEST_F(B2buaTest, ParsedAnswerTravelsWithTheCall) {
  auto [invite, ok] = answer();
  ASSERT_EQ(b2bua_->calls().size(), 1u);
  const Call& call = *b2bua_->calls().begin()->second;
  ASSERT_TRUE(call.callee_answer.has_value());
  EXPECT_EQ(call.callee_answer->text(), sdp("198.51.100.10", 7000));
  ASSERT_TRUE(call.callee_answer->description().connection.has_value());
  EXPECT_EQ(call.callee_answer->description().connection->address, "198.51.100.10");
  EXPECT_EQ(call.caller_answer_sdp, std::string(ok.body()));
  EXPECT_EQ(call.media.leg(kCallee).remote_port, 7000);
}

}  // namespace
}  // namespace sbc::cp
