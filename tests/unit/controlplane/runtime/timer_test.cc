#include "controlplane/runtime/timer.h"

#include <gtest/gtest.h>

#include <optional>
#include <utility>

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

// Every test runs the loop to completion: a timer that is still scheduled when it should not be
// runs (after its delay) and fails the test.
class TimerTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  AsioScheduler scheduler_{io_};
};

TEST_F(TimerTest, DefaultHandleIsDisarmed) {
  Timer timer;
  EXPECT_FALSE(timer.armed());
  timer.cancel();  // harmless
  EXPECT_FALSE(timer.armed());
}

TEST_F(TimerTest, FiresOnceAndDisarms) {
  int runs = 0;
  Timer timer(scheduler_, 0ms, [&] { ++runs; });
  EXPECT_TRUE(timer.armed());
  io_.run();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(timer.armed());
}

TEST_F(TimerTest, DestructionCancels) {
  bool ran = false;
  {
    Timer timer(scheduler_, 10ms, [&] { ran = true; });
  }
  io_.run();
  EXPECT_FALSE(ran);
}

TEST_F(TimerTest, CancelStopsItAndDisarms) {
  bool ran = false;
  Timer timer(scheduler_, 10ms, [&] { ran = true; });
  timer.cancel();
  EXPECT_FALSE(timer.armed());
  io_.run();
  EXPECT_FALSE(ran);
}

TEST_F(TimerTest, RearmingReplacesThePendingTimer) {
  int first = 0;
  int second = 0;
  Timer timer(scheduler_, 10ms, [&] { ++first; });
  timer = Timer(scheduler_, 0ms, [&] { ++second; });
  EXPECT_TRUE(timer.armed());
  io_.run();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

TEST_F(TimerTest, MoveTransfersOwnership) {
  int runs = 0;
  Timer from(scheduler_, 0ms, [&] { ++runs; });
  Timer to(std::move(from));
  EXPECT_FALSE(from.armed());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(to.armed());
  from.cancel();  // a moved-from handle cancels nothing
  { Timer gone = std::move(from); }
  io_.run();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(to.armed());
}

TEST_F(TimerTest, MoveAssignmentCancelsTheTargetsTimer) {
  int kept = 0;
  int dropped = 0;
  Timer target(scheduler_, 10ms, [&] { ++dropped; });
  Timer source(scheduler_, 0ms, [&] { ++kept; });
  target = std::move(source);
  io_.run();
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(dropped, 0);
}

TEST_F(TimerTest, CancelFromItsOwnCallbackIsHarmless) {
  int runs = 0;
  Timer timer;
  timer = Timer(scheduler_, 0ms, [&] {
    EXPECT_FALSE(timer.armed());
    timer.cancel();
    ++runs;
  });
  io_.run();
  EXPECT_EQ(runs, 1);
}

TEST_F(TimerTest, RearmFromItsOwnCallback) {
  int runs = 0;
  Timer timer;
  std::function<void()> tick = [&] {
    if (++runs < 3) timer = Timer(scheduler_, 0ms, tick);
  };
  timer = Timer(scheduler_, 0ms, tick);
  io_.run();
  EXPECT_EQ(runs, 3);
  EXPECT_FALSE(timer.armed());
}

// The owner of a timer may go away from inside the timer's own callback (an ended call erased by
// its linger timer).
TEST_F(TimerTest, OwnerDestroyedFromItsOwnCallback) {
  int runs = 0;
  std::optional<Timer> timer;
  timer.emplace(scheduler_, 0ms, [&] {
    timer.reset();
    ++runs;
  });
  io_.run();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(timer.has_value());
}

// Both are due when the loop runs, so both completions are queued before either handler runs:
// cancelling the other through its handle still stops it.
TEST_F(TimerTest, CancelFromAnExpiredSiblingWins) {
  int runs = 0;
  Timer first;
  Timer second;
  first = Timer(scheduler_, 0ms, [&] {
    ++runs;
    second.cancel();
  });
  second = Timer(scheduler_, 0ms, [&] {
    ++runs;
    first.cancel();
  });
  io_.run();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(first.armed());
  EXPECT_FALSE(second.armed());
}

}  // namespace
}  // namespace sbc::cp
