// Table sizes (capacity.h) and the ended-call store (ended_calls.h).
#include "controlplane/config/capacity.h"

#include <gtest/gtest.h>

#include "controlplane/b2bua/ended_calls.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTwoPorts = R"(
[media]
port_min = 20000
port_max = 20999
[zone.access]
allow_open_access = yes
dataplane_port = access
sip_address = 192.0.2.1
default_target = 192.0.2.10:5060
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
)";

Config config_of(std::string text) {
  auto config = parse_config(text);
  EXPECT_TRUE(config.has_value()) << config.error();
  return config ? *config : Config{};
}

TEST(CapacityTest, CallsFollowTheMediaPortsAndTheDataplane) {
  Config two = config_of(kTwoPorts);
  EXPECT_EQ(media_call_capacity(two), 500u);  // 500 pairs on each of two dataplane ports
  std::string shared_text = kTwoPorts;
  shared_text.replace(shared_text.find("dataplane_port = trunk"), 22, "dataplane_port = access");
  Config shared = config_of(shared_text);
  EXPECT_EQ(media_call_capacity(shared), 250u);  // both legs on one port

  CapacityLimits before_hello = resolve_capacity(two, 0);
  EXPECT_EQ(before_hello.calls, 500u);
  EXPECT_EQ(before_hello.calls_source, "media ports");
  CapacityLimits small_dataplane = resolve_capacity(two, 100);
  EXPECT_EQ(small_dataplane.calls, 100u);
  EXPECT_EQ(small_dataplane.calls_source, "dataplane max_sessions");
  EXPECT_EQ(small_dataplane.transactions, kMinDerivedTransactions);
  EXPECT_EQ(small_dataplane.ended_calls, kMinDerivedEndedCalls);
  EXPECT_EQ(resolve_capacity(two, 1'000'000).calls, 500u);

  two.capacity = {300, 1'000'000, 20'000};
  CapacityLimits configured = resolve_capacity(two, 100);
  EXPECT_EQ(configured.calls, 300u);
  EXPECT_EQ(configured.calls_source, "configured");
  EXPECT_EQ(configured.transactions, 1'000'000u);
  EXPECT_EQ(configured.ended_calls, 20'000u);
}

EndedCall record(const std::string& key, const std::string& callee,
                 Scheduler::Clock::time_point t) {
  EndedCall e;
  e.caller_key = key;
  e.callee_call_id = callee;
  e.expires = t;
  return e;
}

TEST(EndedCallsTest, BoundedOldestFirstAndExpiring) {
  const Scheduler::Clock::time_point t0{};
  EndedCalls ended(2);
  ended.add(record("0/a", "A", t0 + 32s), EndedCalls::Retention::kLinger, t0);
  ended.add(record("0/b", "B", t0 + 33s), EndedCalls::Retention::kLinger, t0 + 1s);
  ended.add(record("0/c", "C", t0 + 34s), EndedCalls::Retention::kLinger, t0 + 2s);
  EXPECT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended.evicted(), 1u);  // "a" went before its time
  EXPECT_EQ(ended.find_caller("0/a", t0 + 2s), nullptr);
  EXPECT_EQ(ended.find_callee("A", t0 + 2s), nullptr);
  ASSERT_NE(ended.find_callee("B", t0 + 2s), nullptr);
  EXPECT_EQ(ended.find_caller("0/b", t0 + 33s), nullptr);  // expired: never found
  ended.expire(t0 + 33s);
  EXPECT_EQ(ended.size(), 1u);
  ended.expire(t0 + 34s);
  EXPECT_EQ(ended.size(), 0u);
  EXPECT_EQ(ended.evicted(), 1u);  // expiry is not eviction
}

TEST(EndedCallsTest, ANewerRecordTakesOverACallerKeyAndKeepsIt) {
  const Scheduler::Clock::time_point t0{};
  EndedCalls ended(10);
  ended.add(record("0/x", "A", t0 + 32s), EndedCalls::Retention::kLinger, t0);
  ended.add(record("0/x", "B", t0 + 40s), EndedCalls::Retention::kLinger, t0 + 8s);
  ASSERT_NE(ended.find_caller("0/x", t0 + 9s), nullptr);
  EXPECT_EQ(ended.find_caller("0/x", t0 + 9s)->callee_call_id, "B");
  ended.expire(t0 + 32s);  // the older one goes on schedule, the newer stays reachable
  ASSERT_NE(ended.find_caller("0/x", t0 + 33s), nullptr);
  EXPECT_EQ(ended.find_caller("0/x", t0 + 33s)->callee_call_id, "B");
}

TEST(EndedCallsTest, LongRetentionDoesNotHoldBackLingeringOnes) {
  const Scheduler::Clock::time_point t0{};
  EndedCalls ended(10);
  ended.add(record("0/long", "L", t0 + 180s), EndedCalls::Retention::kLong, t0);
  ended.add(record("0/short", "S", t0 + 33s), EndedCalls::Retention::kLinger, t0 + 1s);
  ended.expire(t0 + 40s);
  EXPECT_EQ(ended.size(), 1u);
  EXPECT_NE(ended.find_callee("L", t0 + 40s), nullptr);
  ended.set_capacity(0, t0 + 41s);
  EXPECT_EQ(ended.size(), 0u);
}

}  // namespace
}  // namespace sbc::cp
