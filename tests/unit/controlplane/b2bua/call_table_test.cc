// CallTable: calls found by id and by either dialog, the live count, a caller Call-ID taken over
// by a new call, erasure that leaves a newer call's index alone.
#include "controlplane/b2bua/call_table.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

CallTable::CallPtr make_call(uint64_t id, size_t zone, std::string caller_call_id,
                             std::string callee_call_id) {
  auto call = std::make_shared<Call>();
  call->id = id;
  call->legs[kCaller].peer.zone = zone;
  call->legs[kCaller].call_id = std::move(caller_call_id);
  call->legs[kCallee].call_id = std::move(callee_call_id);
  return call;
}

TEST(CallTableTest, FoundByIdAndByEitherDialog) {
  CallTable table;
  auto call = make_call(7, 1, "abc@pbx", "ours-1");
  table.add(call);
  EXPECT_EQ(table.find(7), call);
  EXPECT_EQ(table.find(8), nullptr);
  EXPECT_EQ(table.find_caller_dialog(1, "abc@pbx"), call);
  EXPECT_EQ(table.find_caller_dialog(0, "abc@pbx"), nullptr);  // same Call-ID, other zone
  EXPECT_EQ(table.find_callee_dialog("ours-1"), call);
  EXPECT_EQ(table.find_callee_dialog("abc@pbx"), nullptr);
  EXPECT_TRUE(table.contains(7));
  EXPECT_EQ(table.size(), 1u);
}

TEST(CallTableTest, LiveCountFollowsEndAndErase) {
  CallTable table;
  auto first = make_call(1, 0, "a", "x");
  auto second = make_call(2, 0, "b", "y");
  table.add(first);
  table.add(second);
  EXPECT_EQ(table.live(), 2u);
  table.end(*first);
  EXPECT_EQ(first->state, CallState::kEnded);
  EXPECT_EQ(table.live(), 1u);
  table.end(*first);  // ending twice counts once
  EXPECT_EQ(table.live(), 1u);
  EXPECT_EQ(table.find_caller_dialog(0, "a"), first);  // an ended call is still found
  table.erase(1);
  EXPECT_EQ(table.live(), 1u);
  EXPECT_EQ(table.find(1), nullptr);
  EXPECT_EQ(table.find_caller_dialog(0, "a"), nullptr);
  EXPECT_EQ(table.find_callee_dialog("x"), nullptr);
  table.erase(2);  // erasing a live call uncounts it
  EXPECT_EQ(table.live(), 0u);
  EXPECT_EQ(table.size(), 0u);
  table.erase(2);  // unknown: nothing happens
  EXPECT_EQ(table.size(), 0u);
}

TEST(CallTableTest, AnAdoptedEstablishedCallIsLive) {
  CallTable table;
  auto call = make_call(3, 0, "a", "x");
  call->state = CallState::kConfirmed;
  table.add(call);
  EXPECT_EQ(table.live(), 1u);
}

TEST(CallTableTest, ANewCallTakesOverAnEndedCallsCallerCallId) {
  CallTable table;
  auto old_call = make_call(1, 0, "retry@pbx", "x");
  table.add(old_call);
  table.end(*old_call);
  table.forget_caller_dialog(*old_call);
  EXPECT_EQ(table.find_caller_dialog(0, "retry@pbx"), nullptr);
  auto new_call = make_call(2, 0, "retry@pbx", "y");
  table.add(new_call);
  EXPECT_EQ(table.find_caller_dialog(0, "retry@pbx"), new_call);
  // The old call goes on its own schedule without taking the new call's index with it.
  table.erase(1);
  EXPECT_EQ(table.find_caller_dialog(0, "retry@pbx"), new_call);
  EXPECT_EQ(table.find_callee_dialog("y"), new_call);
  EXPECT_EQ(table.live(), 1u);
}

TEST(CallTableTest, CallerKeyNamesZoneAndCallId) {
  EXPECT_EQ(CallTable::caller_key(3, "abc@host"), "3/abc@host");
  EXPECT_NE(CallTable::caller_key(1, "2/x"), CallTable::caller_key(12, "/x"));
}

}  // namespace
}  // namespace sbc::cp
