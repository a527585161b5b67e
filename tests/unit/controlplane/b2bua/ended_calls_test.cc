// EndedCalls on its own: lookups by caller key and callee Call-ID, expiry at the record's time,
// the capacity bound across both retention classes, the eviction counter, a newer record taking
// over a caller key.
#include "controlplane/b2bua/ended_calls.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using Retention = EndedCalls::Retention;
constexpr Scheduler::Clock::time_point kT0{};

EndedCall ended(const std::string& caller_key, const std::string& callee_call_id,
                Scheduler::Clock::time_point expires, uint64_t id = 0) {
  EndedCall e;
  e.id = id;
  e.caller_key = caller_key;
  e.callee_call_id = callee_call_id;
  e.expires = expires;
  return e;
}

TEST(EndedCallsTest, FoundByEitherKeyUntilTheirExpiryExclusive) {
  EndedCalls calls(4);
  calls.add(ended("0/a", "A", kT0 + 32s, 7), Retention::kLinger, kT0);
  ASSERT_NE(calls.find_caller("0/a", kT0), nullptr);
  EXPECT_EQ(calls.find_caller("0/a", kT0)->id, 7u);
  EXPECT_EQ(calls.find_callee("A", kT0 + 31s)->id, 7u);
  EXPECT_EQ(calls.find_caller("0/a", kT0 + 32s), nullptr);  // expires <= now: gone
  EXPECT_EQ(calls.find_callee("A", kT0 + 32s), nullptr);
  EXPECT_EQ(calls.find_caller("A", kT0), nullptr);  // the indexes are separate
  EXPECT_EQ(calls.find_callee("0/a", kT0), nullptr);
  EXPECT_EQ(calls.size(), 1u);  // lookups do not remove; expire() does
  calls.expire(kT0 + 32s);
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(calls.evicted(), 0u);
}

TEST(EndedCallsTest, EmptyKeysAreNotIndexed) {
  EndedCalls calls(4);
  // A call that never reached the callee has no callee Call-ID; one the caller never had, no key.
  calls.add(ended("0/a", "", kT0 + 32s), Retention::kLinger, kT0);
  calls.add(ended("", "B", kT0 + 32s), Retention::kLinger, kT0);
  EXPECT_EQ(calls.find_callee("", kT0), nullptr);
  EXPECT_EQ(calls.find_caller("", kT0), nullptr);
  EXPECT_NE(calls.find_caller("0/a", kT0), nullptr);
  EXPECT_NE(calls.find_callee("B", kT0), nullptr);
  EXPECT_EQ(calls.size(), 2u);
}

TEST(EndedCallsTest, RecordsAreUpdatableInPlace) {
  EndedCalls calls(4);
  calls.add(ended("0/a", "A", kT0 + 32s), Retention::kLinger, kT0);
  EndedCall* found = calls.find_callee("A", kT0);
  ASSERT_NE(found, nullptr);
  found->callee_dialogs.push_back("fork-1");
  found->caller_dialog = true;
  EXPECT_EQ(calls.find_caller("0/a", kT0)->callee_dialogs, std::vector<std::string>{"fork-1"});
  EXPECT_TRUE(calls.find_caller("0/a", kT0)->caller_dialog);
}

// A newer record takes over a callee Call-ID as it does a caller key; the older one expiring
// leaves the newer one's entry (and its key string) alone.
TEST(EndedCallsTest, NewerRecordTakesOverACalleeCallId) {
  EndedCalls calls(4);
  calls.add(ended("0/x", "C", kT0 + 32s, 1), Retention::kLinger, kT0);
  calls.add(ended("0/y", "C", kT0 + 180s, 2), Retention::kLong, kT0 + 1s);
  EXPECT_EQ(calls.find_callee("C", kT0 + 2s)->id, 2u);
  EXPECT_EQ(calls.find_caller("0/x", kT0 + 2s)->id, 1u);
  calls.expire(kT0 + 32s);
  EXPECT_EQ(calls.size(), 1u);
  ASSERT_NE(calls.find_callee("C", kT0 + 33s), nullptr);
  EXPECT_EQ(calls.find_callee("C", kT0 + 33s)->id, 2u);
  EXPECT_EQ(calls.find_caller("0/x", kT0 + 33s), nullptr);
}

// At capacity the record that would expire first goes, whichever class it is in, and it counts
// as evicted (it was still inside its window).
TEST(EndedCallsTest, FullTableEvictsTheEarliestExpiryAcrossClasses) {
  EndedCalls calls(2);
  calls.add(ended("0/long", "L", kT0 + 180s), Retention::kLong, kT0);
  calls.add(ended("0/linger", "G", kT0 + 33s), Retention::kLinger, kT0 + 1s);
  calls.add(ended("0/new", "N", kT0 + 34s), Retention::kLinger, kT0 + 2s);
  EXPECT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls.evicted(), 1u);
  EXPECT_EQ(calls.find_callee("G", kT0 + 2s), nullptr);  // the lingering one went
  EXPECT_NE(calls.find_callee("L", kT0 + 2s), nullptr);
  EXPECT_NE(calls.find_callee("N", kT0 + 2s), nullptr);
  // Expired records make room before anything is evicted.
  calls.add(ended("0/later", "T", kT0 + 100s), Retention::kLinger, kT0 + 40s);
  EXPECT_EQ(calls.evicted(), 1u);
  EXPECT_NE(calls.find_callee("L", kT0 + 40s), nullptr);
  EXPECT_NE(calls.find_callee("T", kT0 + 40s), nullptr);
}

TEST(EndedCallsTest, LoweredCapacityForgetsTheOldestAndZeroKeepsNothing) {
  EndedCalls calls(3);
  EXPECT_EQ(calls.capacity(), 3u);
  calls.add(ended("0/a", "A", kT0 + 32s), Retention::kLinger, kT0);
  calls.add(ended("0/b", "B", kT0 + 33s), Retention::kLinger, kT0 + 1s);
  calls.add(ended("0/c", "C", kT0 + 34s), Retention::kLinger, kT0 + 2s);
  calls.set_capacity(1, kT0 + 3s);
  EXPECT_EQ(calls.capacity(), 1u);
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.evicted(), 2u);
  EXPECT_NE(calls.find_caller("0/c", kT0 + 3s), nullptr);
  // Raising it keeps what is there.
  calls.set_capacity(10, kT0 + 3s);
  EXPECT_EQ(calls.size(), 1u);
  calls.set_capacity(0, kT0 + 3s);
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(calls.evicted(), 3u);
  // With no room at all, a record is counted as evicted at once and never found.
  calls.add(ended("0/d", "D", kT0 + 40s), Retention::kLong, kT0 + 4s);
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(calls.evicted(), 4u);
  EXPECT_EQ(calls.find_caller("0/d", kT0 + 4s), nullptr);
}

// Many records cycling through a small table: the indexes never point at a forgotten record
// (the key views must follow the records; ASan catches a dangling one).
TEST(EndedCallsTest, IndexesStayConsistentUnderChurn) {
  EndedCalls calls(8);
  for (int i = 0; i < 1000; ++i) {
    const auto now = kT0 + std::chrono::milliseconds(i * 10);
    // Keys repeat every 13 records, so newer records keep taking over older ones' keys.
    calls.add(ended(fmt::format("0/{}", i % 13), fmt::format("c{}", i % 13), now + 100ms, i),
              i % 2 == 0 ? Retention::kLinger : Retention::kLong, now);
    ASSERT_LE(calls.size(), 8u);
    const EndedCall* found = calls.find_caller(fmt::format("0/{}", i % 13), now);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->id, static_cast<uint64_t>(i));
    EXPECT_EQ(calls.find_callee(fmt::format("c{}", i % 13), now), found);
  }
}

TEST(EndedCallsTest, BoundedOldestFirstAndExpiring) {
  const Scheduler::Clock::time_point t0{};
  EndedCalls table(2);
  table.add(ended("0/a", "A", t0 + 32s), Retention::kLinger, t0);
  table.add(ended("0/b", "B", t0 + 33s), Retention::kLinger, t0 + 1s);
  table.add(ended("0/c", "C", t0 + 34s), Retention::kLinger, t0 + 2s);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.evicted(), 1u);  // "a" went before its time
  EXPECT_EQ(table.find_caller("0/a", t0 + 2s), nullptr);
  EXPECT_EQ(table.find_callee("A", t0 + 2s), nullptr);
  ASSERT_NE(table.find_callee("B", t0 + 2s), nullptr);
  EXPECT_EQ(table.find_caller("0/b", t0 + 33s), nullptr);  // expired: never found
  table.expire(t0 + 33s);
  EXPECT_EQ(table.size(), 1u);
  table.expire(t0 + 34s);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.evicted(), 1u);  // expiry is not eviction
}

TEST(EndedCallsTest, ANewerRecordTakesOverACallerKeyAndKeepsIt) {
  const Scheduler::Clock::time_point t0{};
  EndedCalls table(10);
  table.add(ended("0/x", "A", t0 + 32s), Retention::kLinger, t0);
  table.add(ended("0/x", "B", t0 + 40s), Retention::kLinger, t0 + 8s);
  ASSERT_NE(table.find_caller("0/x", t0 + 9s), nullptr);
  EXPECT_EQ(table.find_caller("0/x", t0 + 9s)->callee_call_id, "B");
  table.expire(t0 + 32s);  // the older one goes on schedule, the newer stays reachable
  ASSERT_NE(table.find_caller("0/x", t0 + 33s), nullptr);
  EXPECT_EQ(table.find_caller("0/x", t0 + 33s)->callee_call_id, "B");
}

TEST(EndedCallsTest, LongRetentionDoesNotHoldBackLingeringOnes) {
  const Scheduler::Clock::time_point t0{};
  EndedCalls table(10);
  table.add(ended("0/long", "L", t0 + 180s), Retention::kLong, t0);
  table.add(ended("0/short", "S", t0 + 33s), Retention::kLinger, t0 + 1s);
  table.expire(t0 + 40s);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_NE(table.find_callee("L", t0 + 40s), nullptr);
  table.set_capacity(0, t0 + 41s);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace sbc::cp
