// A trunk known by DNS name through the whole B2BUA, on canned DNS answers and the fake clock:
// no call goes to it before its name resolves; calls go to its first SRV target with its name in
// the Request-URI, and on to its next target when that one fails them (RFC 3263 §4.3), the CDR
// naming each address tried; a target that failed a call as a server does is held, so the next
// calls start at the next one, and a 503's Retry-After holds that target only; its addresses are
// its sources (calls from it are taken); its registration moves to the next server when one
// fails; the answer is asked again when its TTL runs out, and a failed refresh keeps the last
// targets.
#include <gmock/gmock.h>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"
#include "tests/unit/controlplane/fake_dns_client.h"

namespace sbc::cp {
namespace {

using namespace testing;
using namespace std::chrono_literals;

const Endpoint kSecondAddr(boost::asio::ip::make_address("198.51.100.11"), 5060);

class TrunkDnsTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    dns_.set_error("carrier.example", DnsType::kNaptr, DnsError::kNoData);
    dns_.set_srv("_sip._udp.carrier.example",
                 {{10, 0, 5060, "sbc1.carrier.example"}, {20, 0, 5060, "sbc2.carrier.example"}},
                 600);
    dns_.set_a("sbc1.carrier.example", {"198.51.100.10"}, 300);
    dns_.set_a("sbc2.carrier.example", {"198.51.100.11"}, 300);
    dns_client_ = &dns_;
    use_trunk_keys("");
  }
  // Trunk carrier1 by name (carrier.example), with `keys` ("key = value\n" lines) added.
  void use_trunk_keys(const std::string& keys) {
    std::string text = kConfig;
    text.replace(text.find("host = 198.51.100.10\nport = 5060\n"), 33,
                 "host = carrier.example\nfailover_timeout_ms = 0\n" + keys);
    auto parsed = parse_config(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }
  FakeDnsClient dns_;
};

TEST_F(TrunkDnsTest, NoCallGoesToANameNotResolvedYet) {
  deliver(kAccess, kCallerAddr, caller_invite());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
  EXPECT_TRUE(b2bua_->trunk_targets().targets(0).empty());
  dns_.deliver();
  ASSERT_EQ(b2bua_->trunk_targets().targets(0).size(), 2U);
  EXPECT_EQ(dns_.asked.front(), std::make_pair(std::string("carrier.example"), DnsType::kNaptr));
}

TEST_F(TrunkDnsTest, CallsGoToTheFirstTargetThenTheNext) {
  dns_.deliver();
  auto invite = start_named_call("first");
  EXPECT_EQ(invite.request_uri_text(), "sip:callee@carrier.example") << "its name, not an address";
  EXPECT_EQ(std::string(invite.to()->uri.host), "carrier.example");

  // The first server fails the call: the second takes it, the caller sees nothing of it.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 503, "s1"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto again = next_to(kCarrier, kSecondAddr);
  ASSERT_EQ(again.method(), sip::Method::kInvite);
  EXPECT_EQ(again.request_uri_text(), "sip:callee@carrier.example");
  EXPECT_EQ(again.call_id(), invite.call_id());
  EXPECT_EQ(again.cseq()->number, invite.cseq()->number + 1);
  deliver(kCarrier, kSecondAddr, response_to(again, 486, "s2"));
  EXPECT_EQ(next_to(kCarrier, kSecondAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 486);
  dataplane_.flush();
  const auto all = cdrs();
  ASSERT_FALSE(all.empty());
  const auto& attempts = all.back()["trunk_attempts"];
  ASSERT_EQ(attempts.size(), 1U) << all.back().dump();
  EXPECT_EQ(attempts[0]["trunk"], "carrier1");
  EXPECT_EQ(attempts[0]["address"], "198.51.100.10:5060/udp");
  EXPECT_EQ(attempts[0]["code"], 503);
}

TEST_F(TrunkDnsTest, ATargetThatFailedACallIsHeldSoTheNextCallsStartAtTheNext) {
  dns_.deliver();
  // The first server fails the call (503 without Retry-After): held kFailedHold.
  auto invite = start_named_call("first");
  deliver(kCarrier, kTrunkAddr, response_to(invite, 503, "s1"));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto again = next_to(kCarrier, kSecondAddr);
  ASSERT_EQ(again.method(), sip::Method::kInvite);
  deliver(kCarrier, kSecondAddr, response_to(again, 486, "s2"));
  EXPECT_EQ(next_to(kCarrier, kSecondAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 486);

  // The next call goes straight to the second server; the trunk itself is not held.
  auto second = start_named_call("second", kSecondAddr);
  EXPECT_EQ(second.request_uri_text(), "sip:callee@carrier.example");
  EXPECT_FALSE(b2bua_->trunk_health().held(0, clock_.now()));
  const SipTarget first_target{Transport::kUdp, kTrunkAddr};
  EXPECT_EQ(b2bua_->trunk_targets().held_until(0, first_target, clock_.now()),
            clock_.now() + TrunkTargets::kFailedHold);

  // The second server answers 503 with Retry-After: held for that long; both are held now, so
  // the call has nowhere left to go and the trunk takes no calls until the first hold ends.
  deliver(kCarrier, kSecondAddr, response_to(second, 503, "s2", {}, "Retry-After: 120\r\n"));
  EXPECT_EQ(next_to(kCarrier, kSecondAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
  const SipTarget second_target{Transport::kUdp, kSecondAddr};
  EXPECT_EQ(b2bua_->trunk_targets().held_until(0, second_target, clock_.now()),
            clock_.now() + 120s);
  EXPECT_FALSE(b2bua_->trunk_health().held(0, clock_.now())) << "a target's, not the trunk's";
  InviteParts refused;
  refused.call_id = "refused@192.0.2.10";
  refused.branch = "z9hG4bK-refused";
  deliver(kAccess, kCallerAddr, caller_invite(refused));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);

  // Once the first hold ends, calls go to the first server again.
  clock_.advance(TrunkTargets::kFailedHold);
  transport_.sent.clear();
  InviteParts later;
  later.call_id = "later@192.0.2.10";
  later.branch = "z9hG4bK-later";
  deliver(kAccess, kCallerAddr, caller_invite(later));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kInvite);
}

TEST_F(TrunkDnsTest, RegistrationMovesToTheNextServerWhenOneFails) {
  use_trunk_keys("username = acct-42\nsecret = s3cret\nregister = yes\n");
  dns_.deliver();
  auto next_register = [&]() -> std::optional<std::pair<Endpoint, sip::Message>> {
    for (int step = 0; step < 100; ++step) {  // 10 s of the fake clock at most
      while (!transport_.sent.empty()) {
        const SentDatagram sent = next();
        auto message = parse(sent.data);
        if (message.is_request() && message.method() == sip::Method::kRegister) {
          return std::make_pair(sent.to, std::move(message));
        }
      }
      clock_.advance(100ms);
    }
    return std::nullopt;
  };
  auto first = next_register();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->first, kTrunkAddr);
  // The first server is out of service: the REGISTER goes to the next at once, same dialog.
  deliver(kCarrier, kTrunkAddr, response_to(first->second, 503, "r1"));
  auto second = next_register();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->first, kSecondAddr);
  EXPECT_EQ(second->second.call_id(), first->second.call_id());
  EXPECT_EQ(second->second.cseq()->number, first->second.cseq()->number + 1);
  EXPECT_TRUE(b2bua_->trunk_targets().held_until(0, {Transport::kUdp, kTrunkAddr}, clock_.now()));
  deliver(kCarrier, kSecondAddr, response_to(second->second, 200, "r2", {}, "Expires: 600\r\n"));
  EXPECT_EQ(b2bua_->trunk_registrations().status(0).state, RegistrationState::kRegistered);
}

TEST_F(TrunkDnsTest, QualifyPingsEveryServerAndCallsStartAtOneThatAnswers) {
  use_trunk_keys("qualify = 10\nqualify_timeout_ms = 1000\nqualify_failures = 1\n");
  dns_.deliver();
  const SipTarget first{Transport::kUdp, kTrunkAddr};
  const SipTarget second{Transport::kUdp, kSecondAddr};
  // One round, `wait` from now: a ping to each server, answered by those that do (the second
  // 20 ms after it left, the first 40 ms), then the timeout of those that do not.
  auto round = [&](std::chrono::milliseconds wait, bool first_answers, bool second_answers) {
    transport_.sent.clear();
    clock_.advance(wait);
    std::optional<sip::Message> ping1;
    std::optional<sip::Message> ping2;
    while (!transport_.sent.empty()) {
      SentDatagram d = next();
      auto message = parse(d.data);
      if (!message.is_request() || message.method() != sip::Method::kOptions) continue;
      (d.to == kTrunkAddr ? ping1 : ping2) = std::move(message);
    }
    ASSERT_TRUE(ping1 && ping2) << "a ping to each server";
    clock_.advance(20ms);
    if (second_answers) deliver(kCarrier, kSecondAddr, response_to(*ping2, 200, "q2"));
    clock_.advance(20ms);
    if (first_answers) deliver(kCarrier, kTrunkAddr, response_to(*ping1, 200, "q1"));
    clock_.advance(1000ms);
  };
  constexpr auto kNextRound = 10s - 1040ms;
  round(500ms, false, true);
  const TrunkTargets& targets = b2bua_->trunk_targets();
  EXPECT_TRUE(targets.down(0, first));
  EXPECT_FALSE(targets.down(0, second));
  EXPECT_EQ(b2bua_->trunk_health().status(0).state, TrunkState::kUp) << "the second answers";
  EXPECT_EQ(b2bua_->trunk_health().status(0).latency, 20ms);

  // A new call goes straight to the server that answers.
  auto invite = start_named_call("qualified", kSecondAddr);
  deliver(kCarrier, kSecondAddr, response_to(invite, 486, "busy"));
  EXPECT_EQ(next_to(kCarrier, kSecondAddr).method(), sip::Method::kAck);

  // The first answers again: calls start there again, and the trunk's latency is its.
  round(kNextRound, true, true);
  EXPECT_FALSE(targets.down(0, first));
  EXPECT_EQ(b2bua_->trunk_health().status(0).latency, 40ms);
  auto back = start_named_call("back");
  deliver(kCarrier, kTrunkAddr, response_to(back, 486, "busy"));

  // Neither answers: the trunk is down, its last failure naming a server.
  round(kNextRound, false, false);
  EXPECT_TRUE(targets.down(0, first));
  EXPECT_TRUE(targets.down(0, second));
  EXPECT_EQ(b2bua_->trunk_health().status(0).state, TrunkState::kDown);
  const std::string failure = b2bua_->trunk_health().status(0).last_failure;
  EXPECT_THAT(failure, ::testing::AnyOf(::testing::StartsWith("198.51.100.10:5060/udp: timeout"),
                                        ::testing::StartsWith("198.51.100.11:5060/udp: timeout")));

  // A reload that keeps qualify keeps the verdicts; one that turns it off forgets them.
  b2bua_->reconfigure();
  EXPECT_TRUE(targets.down(0, first));
  config_.trunks[0].qualify.interval = 0s;
  b2bua_->reconfigure();
  EXPECT_FALSE(targets.down(0, first));
  EXPECT_FALSE(targets.down(0, second));
}

TEST_F(TrunkDnsTest, ItsAddressesAreItsSources) {
  dns_.deliver();
  InviteParts from_carrier;
  from_carrier.request_uri = "sip:4420@198.51.100.1";
  from_carrier.from = "<sip:+15551234567@carrier.example>;tag=ctag";
  from_carrier.call_id = "carrier-call@198.51.100.11";
  from_carrier.body = sdp("198.51.100.11", 7000);
  deliver(kCarrier, kSecondAddr, caller_invite(from_carrier));
  EXPECT_EQ(next_to(kCarrier, kSecondAddr).status_code(), 100);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kInvite) << "to default_target";

  // Another address is no trunk of this zone: dropped unanswered.
  const Endpoint stranger(boost::asio::ip::make_address("198.51.100.99"), 5060);
  from_carrier.call_id = "stranger@198.51.100.99";
  transport_.sent.clear();
  deliver(kCarrier, stranger, caller_invite(from_carrier));
  for (const auto& d : transport_.sent) EXPECT_NE(d.to, stranger) << d.data;
  EXPECT_EQ(b2bua_->active_calls(), 1U);
}

TEST_F(TrunkDnsTest, TheAnswerIsRefreshedAtItsTtlAndAFailedRefreshKeepsTheTargets) {
  dns_.deliver();
  const size_t asked = dns_.asked.size();
  clock_.advance(299s);
  EXPECT_EQ(dns_.asked.size(), asked);
  clock_.advance(1s);  // the smallest TTL (the A records')
  EXPECT_GT(dns_.asked.size(), asked);
  dns_.set_error("_sip._udp.carrier.example", DnsType::kSrv, DnsError::kTimeout);
  dns_.deliver();
  const auto& state = b2bua_->trunk_targets().at(0);
  EXPECT_EQ(state.error, "SRV _sip._udp.carrier.example: timeout");
  EXPECT_EQ(state.targets.size(), 2U) << "served stale";
  start_named_call("still");

  // Retried after 5 s: the server is back with one target only.
  dns_.set_srv("_sip._udp.carrier.example", {{10, 0, 5060, "sbc2.carrier.example"}});
  clock_.advance(5s);
  dns_.deliver();
  ASSERT_EQ(b2bua_->trunk_targets().targets(0).size(), 1U);
  EXPECT_EQ(b2bua_->trunk_targets().targets(0)[0].endpoint, kSecondAddr);
  EXPECT_TRUE(b2bua_->trunk_targets().at(0).error.empty());
}

}  // namespace
}  // namespace sbc::cp
