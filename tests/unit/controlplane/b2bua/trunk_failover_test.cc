// Failover of one call between trunks (trunk_failover.cc) on the fake clock: the primary answers
// 503 (with Retry-After: it is held out of routing too), stays silent, or times out, and the
// backup takes the call before the caller sees any final response; what does not fail over (a
// busy callee, early media already relayed, a caller that cancelled) reaches the caller as it
// came; the CDR lists each failed trunk.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;
using std::chrono::milliseconds;

const Endpoint kBackupAddr(boost::asio::ip::make_address("198.51.100.11"), 5060);

class TrunkFailoverTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    use_config("failover_timeout_ms = 1000\n");
  }
  // kConfig's carrier1 (the primary) with `primary` added to its keys, and a backup carrier2.
  void use_config(const std::string& primary, const std::string& backup = {}) {
    auto parsed = parse_config(std::string(kConfig) + primary +
                               "[trunk.carrier2]\nzone = carrier\nhost = 198.51.100.11\n" + backup);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }
  // The primary's final `code` to `invite` (ACKed by us); returns the next thing we sent.
  SentDatagram fail(const sip::Message& invite, int code, const std::string& extra = {}) {
    deliver(kCarrier, kTrunkAddr,
            response_to(invite, code, "p-" + std::to_string(code), {}, extra));
    EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
    return next();
  }
  // The next INVITE we sent the backup (retransmissions to the silent primary skipped).
  sip::Message backup_invite() {
    while (!transport_.sent.empty()) {
      SentDatagram d = next();
      if (d.to == kBackupAddr) return parse(d.data);
      EXPECT_EQ(d.to, kTrunkAddr) << d.data;
    }
    ADD_FAILURE() << "nothing went to the backup";
    return parse("OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n");
  }
  // The backup answers `invite`; the caller ACKs its 200 and hangs up. Returns the CDR.
  nlohmann::json answer_and_hang_up(const sip::Message& invite) {
    deliver(kCarrier, kBackupAddr, response_to(invite, 200, "b2", sdp("198.51.100.11", 7100)));
    dataplane_.flush();
    auto ok = next_to(kAccess, kCallerAddr);
    EXPECT_EQ(ok.status_code(), 200);
    deliver(kAccess, kCallerAddr, in_dialog("ACK", ok, false, "192.0.2.10", 1));
    EXPECT_EQ(next_to(kCarrier, kBackupAddr).method(), sip::Method::kAck);
    deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
    auto bye = next_to(kCarrier, kBackupAddr);
    EXPECT_EQ(bye.method(), sip::Method::kBye);
    deliver(kCarrier, kBackupAddr, response_to(bye, 200, ""));
    dataplane_.flush();
    auto all = cdrs();
    return all.empty() ? nlohmann::json() : all.back();
  }
  double failovers(const std::string& trunk, const std::string& reason) {
    for (const auto& f : metrics_.registry().Collect()) {
      if (f.name != "sbc_trunk_failovers_total") continue;
      for (const auto& m : f.metric) {
        bool trunk_matches = false;
        bool reason_matches = false;
        for (const auto& label : m.label) {
          trunk_matches |= label.name == "trunk" && label.value == trunk;
          reason_matches |= label.name == "reason" && label.value == reason;
        }
        if (trunk_matches && reason_matches) return m.counter.value;
      }
    }
    return -1;
  }
};

TEST_F(TrunkFailoverTest, A503GoesToTheBackupAndItsRetryAfterHoldsThePrimary) {
  auto invite = start_named_call("first");
  SentDatagram d = fail(invite, 503, "Retry-After: 30\r\n");
  ASSERT_EQ(d.to, kBackupAddr) << "the caller sees no 503";
  auto again = parse(d.data);
  ASSERT_EQ(again.method(), sip::Method::kInvite);
  EXPECT_EQ(again.request_uri_text(), "sip:callee@198.51.100.11");
  EXPECT_EQ(again.call_id(), invite.call_id());
  EXPECT_EQ(again.from()->tag(), invite.from()->tag());
  EXPECT_EQ(again.from()->uri.text, "sip:alice@198.51.100.1") << "carrier2 has no fromuser";
  EXPECT_EQ(again.to()->uri.text, "sip:callee@198.51.100.11");
  EXPECT_EQ(again.cseq()->number, invite.cseq()->number + 1);
  EXPECT_NE(again.top_via()->branch, invite.top_via()->branch);
  EXPECT_EQ(again.body(), invite.body()) << "the same offer";
  EXPECT_EQ(failovers("carrier1", "response"), 1);

  // A late retransmission of the primary's 503 changes nothing.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 503, "p-503", {}, "Retry-After: 30\r\n"));
  while (!transport_.sent.empty()) EXPECT_NE(next().to, kCallerAddr);

  auto cdr = answer_and_hang_up(again);
  EXPECT_EQ(cdr["callee_trunk"], "carrier2");
  ASSERT_EQ(cdr["trunk_attempts"].size(), 1U) << cdr.dump();
  EXPECT_EQ(cdr["trunk_attempts"][0]["trunk"], "carrier1");
  EXPECT_EQ(cdr["trunk_attempts"][0]["code"], 503);

  // Held for its Retry-After: new calls go to the backup straight away, then back.
  EXPECT_TRUE(b2bua_->trunk_health().held(0, clock_.now()));
  transport_.sent.clear();
  InviteParts parts;
  parts.call_id = "held@192.0.2.10";
  parts.branch = "z9hG4bK-held";
  deliver(kAccess, kCallerAddr, caller_invite(parts));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  EXPECT_EQ(next().to, kBackupAddr);
  clock_.advance(std::chrono::seconds(31));
  EXPECT_FALSE(b2bua_->trunk_health().held(0, clock_.now()));
  start_named_call("released");
}

TEST_F(TrunkFailoverTest, EachTrunkGetsTheCallWrittenByItsOwnRules) {
  // The PBX dials 10 digits (number_in into E.164) and is trusted; carrier1 wants 1NPA with a
  // tech prefix and the account header; carrier2 wants 0NPA, no headers, and names the SBC.
  use_config(
      "failover_timeout_ms = 1000\nnumber_out = +>\ntech_prefix = 99#\n"
      "headers_pass = X-Account\n",
      "number_out = +1>0\nuser_agent = Edge SBC\n"
      "[zone.access]\nnumber_in = {10}>+1\ntrust_identity = yes\n");
  InviteParts parts;
  parts.request_uri = "sip:5551234567@192.0.2.1";
  parts.from = "\"Alice\" <sip:5550001000@192.0.2.10>;tag=atag";
  parts.extra_headers =
      "X-Account: 7\r\nP-Asserted-Identity: <sip:5550001999@192.0.2.10>\r\n"
      "User-Agent: PBX 1.0\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(parts));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(invite.request_uri_text(), "sip:99%2315551234567@198.51.100.10");
  EXPECT_EQ(invite.to()->uri.text, "sip:15551234567@198.51.100.10");
  EXPECT_EQ(invite.from()->uri.text, "sip:15550001@carrier.example") << "carrier1's fromuser";
  EXPECT_EQ(invite.header("P-Asserted-Identity"), "<sip:15550001999@carrier.example>");
  EXPECT_EQ(invite.header("X-Account"), "7");
  EXPECT_EQ(invite.header("User-Agent"), "");

  SentDatagram d = fail(invite, 503);
  ASSERT_EQ(d.to, kBackupAddr);
  auto again = parse(d.data);
  EXPECT_EQ(again.request_uri_text(), "sip:05551234567@198.51.100.11");
  EXPECT_EQ(again.to()->uri.text, "sip:05551234567@198.51.100.11");
  EXPECT_EQ(again.from()->uri.text, "sip:05550001000@198.51.100.1");
  EXPECT_EQ(again.from()->display_name, "Alice");
  EXPECT_EQ(again.header("P-Asserted-Identity"), "<sip:05550001999@198.51.100.1>");
  EXPECT_EQ(again.header("X-Account"), "") << "carrier2 passes no header";
  EXPECT_EQ(again.header("User-Agent"), "Edge SBC");

  // The CDR has the numbers in E.164, the form routes and fraud rules saw.
  auto cdr = answer_and_hang_up(again);
  EXPECT_EQ(cdr["caller"], "+15550001000");
  EXPECT_EQ(cdr["callee"], "+15551234567");
}

TEST_F(TrunkFailoverTest, ASilentPrimaryIsLeftAfterItsFailoverTimeout) {
  auto invite = start_named_call("silent");
  clock_.advance(milliseconds(900));
  for (SentDatagram d; !transport_.sent.empty();) {
    d = next();
    EXPECT_EQ(d.to, kTrunkAddr) << "only retransmissions to the primary so far";
  }
  clock_.advance(milliseconds(200));
  auto again = backup_invite();
  ASSERT_EQ(again.method(), sip::Method::kInvite);
  EXPECT_EQ(failovers("carrier1", "no_response"), 1);
  // Our INVITE to the primary was abandoned: no more retransmissions to it.
  clock_.advance(milliseconds(8000));
  while (!transport_.sent.empty()) EXPECT_NE(next().to, kTrunkAddr);
  // The primary answers after all: its own dialog gets an ACK and a BYE, the caller nothing.
  const std::string late = response_to(invite, 200, "late", sdp("198.51.100.10", 7000));
  deliver(kCarrier, kTrunkAddr, late);
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to()->tag(), "late");
  EXPECT_EQ(ack.cseq()->number, invite.cseq()->number);
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.call_id(), invite.call_id());
  EXPECT_EQ(bye.to()->tag(), "late");
  deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
  deliver(kCarrier, kTrunkAddr, late);  // retransmitted: ACKed again, no second BYE
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_TRUE(transport_.sent.empty());
  auto cdr = answer_and_hang_up(again);
  ASSERT_EQ(cdr["trunk_attempts"].size(), 1U);
  EXPECT_EQ(cdr["trunk_attempts"][0]["code"], 408);
  EXPECT_EQ(cdr["trunk_attempts"][0]["reason"], "no response in 1000 ms");
}

// The silent primary answers only once the call (carried by the backup) is over: its dialog is
// still ACKed and BYE'd from the ended call's record, so no ghost call stays up at the carrier.
TEST_F(TrunkFailoverTest, ASilentPrimaryAnsweringAfterTheCallEndedIsHungUp) {
  auto invite = start_named_call("ended");
  clock_.advance(milliseconds(1100));
  auto again = backup_invite();
  ASSERT_EQ(again.method(), sip::Method::kInvite);
  answer_and_hang_up(again);
  clock_.advance(std::chrono::seconds(60));  // past the ended call's linger
  transport_.sent.clear();
  const std::string late = response_to(invite, 200, "later", sdp("198.51.100.10", 7000));
  deliver(kCarrier, kTrunkAddr, late);
  auto ack = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.to()->tag(), "later");
  EXPECT_EQ(ack.call_id(), invite.call_id());
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.to()->tag(), "later");
  EXPECT_EQ(bye.request_uri_text(), "sip:callee@198.51.100.10:5060") << "the 2xx's Contact";
  deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
  deliver(kCarrier, kTrunkAddr, late);  // retransmitted: ACKed again, no second BYE
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(b2bua_->active_calls(), 0U);
}

TEST_F(TrunkFailoverTest, APrimaryThatSaysTryingKeepsTheCall) {
  auto invite = start_named_call("trying");
  deliver(kCarrier, kTrunkAddr, response_to(invite, 100, ""));
  clock_.advance(milliseconds(3000));
  while (!transport_.sent.empty()) EXPECT_NE(next().to, kBackupAddr);
  // Its 480 is no failover code: the caller gets it.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 480, "p1"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 480);
}

TEST_F(TrunkFailoverTest, ConfiguredCodesFailOverAndABusyCalleeDoesNot) {
  use_config("failover_codes = 404, 480\n");
  SentDatagram d = fail(start_named_call("not-found"), 404);
  EXPECT_EQ(d.to, kBackupAddr);
  transport_.sent.clear();
  d = fail(start_named_call("busy"), 486);
  EXPECT_EQ(d.to, kCallerAddr);
  EXPECT_EQ(parse(d.data).status_code(), 486);
}

TEST_F(TrunkFailoverTest, TheLastTrunksFailureReachesTheCaller) {
  auto invite = start_named_call("both-fail");
  SentDatagram d = fail(invite, 500);
  ASSERT_EQ(d.to, kBackupAddr);
  auto again = parse(d.data);
  deliver(kCarrier, kBackupAddr, response_to(again, 502, "b1"));
  EXPECT_EQ(next_to(kCarrier, kBackupAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 502);
  dataplane_.flush();
  auto all = cdrs();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back()["callee_trunk"], "carrier2");
  EXPECT_EQ(all.back()["result_code"], 502);
  ASSERT_EQ(all.back()["trunk_attempts"].size(), 1U);
  EXPECT_EQ(all.back()["trunk_attempts"][0]["code"], 500);
}

TEST_F(TrunkFailoverTest, NoFailoverOnceThePrimarysEarlyMediaReachedTheCaller) {
  auto invite = start_named_call("early-media");
  deliver(kCarrier, kTrunkAddr, response_to(invite, 183, "p1", sdp("198.51.100.10", 7000)));
  dataplane_.flush();
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 183);
  SentDatagram d = fail(invite, 503);
  EXPECT_EQ(d.to, kCallerAddr);
  EXPECT_EQ(parse(d.data).status_code(), 503);
}

TEST_F(TrunkFailoverTest, ABackupWithAnotherMediaPolicyIsNoAlternate) {
  use_config("", "media_profile = srtp\n");
  SentDatagram d = fail(start_named_call("other-media"), 503);
  EXPECT_EQ(d.to, kCallerAddr);
  EXPECT_EQ(parse(d.data).status_code(), 503);
}

TEST(FailoverConfigTest, CodesAreChecked) {
  const std::string base = std::string(kConfig);
  EXPECT_TRUE(parse_config(base + "failover_codes = 404, 480, 603\n").has_value());
  EXPECT_TRUE(parse_config(base + "failover_codes = none\nfailover_timeout_ms = 0\n").has_value());
  for (const char* bad :
       {"failover_codes = 500\n", "failover_codes = 407\n", "failover_codes = 302\n",
        "failover_codes = 404,,480\n", "failover_timeout_ms = 50\n"}) {
    EXPECT_FALSE(parse_config(base + bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sbc::cp
