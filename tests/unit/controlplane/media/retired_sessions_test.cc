// Ended calls' sessions: counters, then the delete; the ports stay leased until a delete succeeds.
#include "controlplane/media/retired_sessions.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/fakes.h"

namespace sbc::cp {
namespace {

using testing::FakeDataplane;
using testing::FakeScheduler;

class RetiredSessionsTest : public ::testing::Test {
 protected:
  MediaSession programmed_session(uint64_t id) {
    MediaSession session =
        *MediaSession::open(id, ports_, dataplane_.ports()[0], dataplane_.ports()[1]);
    dataplane_.sessions[id] = session.spec({}, true, {});
    session.mark_programmed();
    return session;
  }

  FakeDataplane dataplane_;
  MediaPortAllocator ports_{20000, 20099};
  RetiredSessions retired_{dataplane_};
};

TEST_F(RetiredSessionsTest, NeverProgrammedFreesItsPortsAtOnce) {
  MediaSession session =
      *MediaSession::open(1, ports_, dataplane_.ports()[0], dataplane_.ports()[1]);
  int stats_calls = 0;
  retired_.retire(session, [&](std::optional<api::StatsReply> stats) {
    ++stats_calls;
    EXPECT_FALSE(stats.has_value());
  });
  EXPECT_EQ(stats_calls, 1);
  EXPECT_EQ(retired_.size(), 0u);
  EXPECT_EQ(ports_.in_use(0), 0u);
  EXPECT_TRUE(dataplane_.requests.empty());
}

TEST_F(RetiredSessionsTest, StatsThenDeleteThenPortsFree) {
  MediaSession session = programmed_session(2);
  std::optional<api::StatsReply> seen;
  retired_.retire(session, [&](std::optional<api::StatsReply> stats) {
    seen = stats;
    EXPECT_TRUE(dataplane_.sessions.contains(2)) << "counters are read before the delete";
  });
  EXPECT_TRUE(retired_.contains(2));
  EXPECT_EQ(ports_.in_use(0), 1u);
  dataplane_.flush();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->session_id, 2u);
  EXPECT_FALSE(dataplane_.sessions.contains(2));
  EXPECT_FALSE(retired_.contains(2));
  EXPECT_EQ(ports_.in_use(0), 0u);
  EXPECT_EQ(ports_.in_use(1), 0u);
}

TEST_F(RetiredSessionsTest, FailedDeleteKeepsThePortsUntilAResyncSucceeds) {
  FakeScheduler clock;
  DataplaneResync resync(dataplane_, clock);
  MediaSession session = programmed_session(3);
  dataplane_.delete_status = api::Status::kInvalid;
  retired_.retire(session, [](std::optional<api::StatsReply>) {});
  dataplane_.flush();
  EXPECT_TRUE(dataplane_.sessions.contains(3));
  EXPECT_EQ(retired_.size(), 1u);
  EXPECT_EQ(ports_.in_use(0), 1u);
  dataplane_.delete_status = api::Status::kOk;
  resync.begin();
  retired_.resync(resync);
  resync.run();
  dataplane_.flush();
  EXPECT_FALSE(dataplane_.sessions.contains(3));
  EXPECT_EQ(retired_.size(), 0u);
  EXPECT_EQ(ports_.in_use(0), 0u);
}

TEST_F(RetiredSessionsTest, DataplaneDownDefersTheDeleteToTheReconnect) {
  FakeScheduler clock;
  DataplaneResync resync(dataplane_, clock);
  MediaSession session = programmed_session(4);
  dataplane_.connected_ = false;
  bool stats_called = false;
  retired_.retire(session, [&](std::optional<api::StatsReply> stats) {
    stats_called = true;
    EXPECT_FALSE(stats.has_value());
  });
  EXPECT_TRUE(stats_called) << "the CDR does not wait for the dataplane";
  EXPECT_TRUE(dataplane_.requests.empty());
  EXPECT_EQ(ports_.in_use(1), 1u);
  dataplane_.connected_ = true;
  resync.begin();
  retired_.resync(resync);
  resync.run();
  dataplane_.flush();
  EXPECT_FALSE(dataplane_.sessions.contains(4));
  EXPECT_EQ(ports_.in_use(1), 0u);
}

}  // namespace
}  // namespace sbc::cp
