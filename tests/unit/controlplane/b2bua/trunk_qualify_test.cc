// Qualify through the B2BUA (trunk_qualify.cc): OPTIONS pings to a trunk on the fake clock,
// answered, refused, unanswered; a primary marked down sends new calls to the backup named after
// it, and back once the primary answers again.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;
using std::chrono::milliseconds;

const Endpoint kBackupAddr(boost::asio::ip::make_address("198.51.100.11"), 5060);

class TrunkQualifyTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    auto parsed = parse_config(std::string(kConfig) +
                               "qualify = 10\nqualify_timeout_ms = 1000\n"
                               "qualify_failures = 2\nqualify_successes = 2\n"
                               "[trunk.carrier2]\nzone = carrier\nhost = 198.51.100.11\n");
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }
  // Runs the clock in 10 ms steps to the next ping (at most one interval on) and returns it.
  // Anything else sent meanwhile (a silent ping's retransmissions, a ringing call's) is dropped.
  sip::Message next_ping() {
    transport_.sent.clear();
    for (int step = 0; step <= 1000; ++step) {
      clock_.advance(milliseconds(10));
      while (!transport_.sent.empty()) {
        SentDatagram d = next();
        auto message = parse(d.data);
        if (d.to == kTrunkAddr && message.method() == sip::Method::kOptions &&
            message.is_request() && message.top_via()->branch != last_branch_) {
          last_branch_ = std::string(message.top_via()->branch);
          return message;
        }
      }
    }
    ADD_FAILURE() << "no ping within an interval";
    return parse(transport_.sent.empty() ? std::string() : transport_.sent.front().data);
  }
  std::string last_branch_;
  // A sbc_trunk_* gauge of `trunk`; -1 when the series does not exist.
  double gauge(const std::string& family, const std::string& trunk) {
    for (const auto& f : metrics_.registry().Collect()) {
      if (f.name != family) continue;
      for (const auto& m : f.metric) {
        for (const auto& label : m.label) {
          if (label.name == "trunk" && label.value == trunk) return m.gauge.value;
        }
      }
    }
    return -1;
  }
  const TrunkStatus& primary() const { return b2bua_->trunk_health().status(0); }
  // Where a new call from the caller goes.
  Endpoint new_call_goes_to(const std::string& call_id) {
    transport_.sent.clear();
    InviteParts parts;
    parts.call_id = call_id;
    parts.branch = "z9hG4bK-" + call_id.substr(0, call_id.find('@'));
    deliver(kAccess, kCallerAddr, caller_invite(parts));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    SentDatagram d = next();
    EXPECT_EQ(parse(d.data).method(), sip::Method::kInvite);
    return d.to;
  }
};

TEST_F(TrunkQualifyTest, APingLooksLikeOurOtherRequestsToTheCarrier) {
  clock_.advance(milliseconds(500));
  auto ping = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(ping.method(), sip::Method::kOptions);
  EXPECT_EQ(ping.request_uri_text(), "sip:198.51.100.10");
  EXPECT_EQ(ping.from()->uri.text, "sip:15550001@carrier.example") << "fromuser and fromdomain";
  EXPECT_EQ(ping.top_via()->host, "198.51.100.1") << "the trunk zone's address";
  EXPECT_TRUE(transport_.sent.empty()) << "carrier2 has no qualify";
  EXPECT_EQ(primary().state, TrunkState::kUnknown);

  clock_.advance(milliseconds(35));
  deliver(kCarrier, kTrunkAddr, response_to(ping, 200, "p1"));
  EXPECT_EQ(primary().state, TrunkState::kUp);
  EXPECT_EQ(primary().latency, milliseconds(35));
  EXPECT_EQ(gauge("sbc_trunk_up", "carrier1"), 1);
  EXPECT_DOUBLE_EQ(gauge("sbc_trunk_qualify_latency_seconds", "carrier1"), 0.035);
  EXPECT_EQ(gauge("sbc_trunk_up", "carrier2"), 1) << "not qualified: available";
}

TEST_F(TrunkQualifyTest, ASilentPrimaryGoesDownAndItsCallsGoToTheBackupUntilItAnswers) {
  clock_.advance(milliseconds(500));
  auto first = next_to(kCarrier, kTrunkAddr);
  deliver(kCarrier, kTrunkAddr, response_to(first, 405, "p1"));  // refuses OPTIONS: still there
  ASSERT_EQ(primary().state, TrunkState::kUp);

  // Two rounds without an answer: down after the second timeout.
  for (int round = 0; round < 2; ++round) {
    next_ping();
    clock_.advance(milliseconds(1000));
  }
  EXPECT_EQ(primary().state, TrunkState::kDown);
  EXPECT_EQ(primary().last_failure, "timeout (1000 ms)");
  EXPECT_EQ(gauge("sbc_trunk_up", "carrier1"), 0);
  EXPECT_EQ(new_call_goes_to("during-outage@192.0.2.10"), kBackupAddr);

  // A 503 is a failure too; then two answers bring it back.
  deliver(kCarrier, kTrunkAddr, response_to(next_ping(), 503, "p2"));
  EXPECT_EQ(primary().last_failure, "503 Service Unavailable");
  deliver(kCarrier, kTrunkAddr, response_to(next_ping(), 200, "p3"));
  EXPECT_EQ(primary().state, TrunkState::kDown) << "one answer is not enough";
  deliver(kCarrier, kTrunkAddr, response_to(next_ping(), 200, "p4"));
  EXPECT_EQ(primary().state, TrunkState::kUp);
  transport_.sent.clear();
  EXPECT_EQ(new_call_goes_to("after-outage@192.0.2.10"), kTrunkAddr);
}

TEST_F(TrunkQualifyTest, WithEveryTrunkDownNewCallsGet503) {
  config_.trunks.pop_back();  // the primary alone
  make_b2bua();
  clock_.advance(milliseconds(500));
  next_to(kCarrier, kTrunkAddr);
  clock_.advance(milliseconds(1000));
  next_ping();
  clock_.advance(milliseconds(1000));
  transport_.sent.clear();
  ASSERT_EQ(primary().state, TrunkState::kDown);
  deliver(kAccess, kCallerAddr, caller_invite(70, "no-trunk@192.0.2.10"));
  auto refused = next_to(kAccess, kCallerAddr);
  if (refused.status_code() == 100) refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 503);
  EXPECT_EQ(refused.reason_phrase(), "Service Unavailable (all trunks down)");
}

}  // namespace
}  // namespace sbc::cp
