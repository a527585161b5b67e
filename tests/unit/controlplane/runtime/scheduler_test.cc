#include "controlplane/runtime/scheduler.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

TEST(AsioSchedulerTest, RunsDueTimersOnce) {
  boost::asio::io_context io;
  AsioScheduler scheduler(io);
  int runs = 0;
  scheduler.schedule(0ms, [&] { ++runs; });
  io.run();
  EXPECT_EQ(runs, 1);
}

TEST(AsioSchedulerTest, CancelledTimerDoesNotRun) {
  boost::asio::io_context io;
  AsioScheduler scheduler(io);
  bool ran = false;
  const auto id = scheduler.schedule(10ms, [&] { ran = true; });
  scheduler.cancel(id);
  io.run();
  EXPECT_FALSE(ran);
}

// Both timers are already due when the loop runs, so asio queues both completions (without an
// error) before the first handler runs; cancelling the second from the first must still stop it.
TEST(AsioSchedulerTest, CancelFromAnExpiredSiblingWins) {
  boost::asio::io_context io;
  AsioScheduler scheduler(io);
  int second_runs = 0;
  int first_runs = 0;
  Scheduler::TimerId second = 0;
  Scheduler::TimerId first = 0;
  first = scheduler.schedule(0ms, [&] {
    ++first_runs;
    scheduler.cancel(second);
  });
  second = scheduler.schedule(0ms, [&] {
    ++second_runs;
    scheduler.cancel(first);
  });
  io.run();
  // Whichever ran first cancelled the other.
  EXPECT_EQ(first_runs + second_runs, 1);
}

}  // namespace
}  // namespace sbc::cp
