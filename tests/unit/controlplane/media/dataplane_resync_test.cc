// The batched, paced dataplane resync (dataplane_resync.cc) against a fake client that refuses
// requests past a pending limit, as UnixDataplaneClient does.
#include "controlplane/media/dataplane_resync.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <set>

#include "tests/unit/controlplane/fakes.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using testing::FakeDataplane;
using testing::FakeScheduler;
using Lane = DataplaneResync::Lane;
using Request = DataplaneResync::Request;

constexpr size_t kSessions = 50000;
constexpr size_t kSources = 65536;

api::SessionAdd session(uint64_t id) {
  api::SessionAdd add;
  add.session_id = id;
  add.legs[0].local_rtp_port = static_cast<uint16_t>(2 * (id % 30000));
  add.legs[1].port = 1;
  add.legs[1].local_rtp_port = static_cast<uint16_t>(2 * (id % 30000));
  return add;
}

api::SourceAdd source(size_t i, api::SourceClass cls) {
  api::SourceAdd add;
  add.address = api::Address::ipv4(0x0a000000u + static_cast<uint32_t>(i));
  add.cls = cls;
  return add;
}

class DataplaneResyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dataplane_.max_pending = UnixDataplaneClient::kMaxPending;
    dataplane_.check_ports = false;
  }
  // Queues a full table: kSessions sessions, then kSources sources (half bans, half trusted) in
  // the opposite order, to show the lanes decide the order, not the calls to add().
  void queue_full_table() {
    resync_.add(Lane::kTrusted, "trusted source", kSources / 2, [](size_t i) {
      return std::optional<Request>(
          Request{source(kSources / 2 + i, api::SourceClass::kTrusted), {}});
    });
    resync_.add(Lane::kBans, "ban", kSources / 2, [](size_t i) {
      return std::optional<Request>(Request{source(i, api::SourceClass::kBanned), {}});
    });
    resync_.add(Lane::kSessions, "session", kSessions, [this](size_t i) {
      return std::optional<Request>(
          Request{session(i + 1), [this](DataplaneClient::Reply reply) { count_session(reply); }});
    });
  }
  void count_session(const DataplaneClient::Reply& reply) {
    const auto* r = reply ? std::get_if<api::Result>(&*reply) : nullptr;
    if (r != nullptr && r->status == api::Status::kOk) {
      ++sessions_ok_;
    } else {
      ++sessions_bad_;
    }
  }
  // The dataplane answers `per_round` requests at a time, slower than sbcd asks.
  void drain(size_t per_round) {
    for (size_t round = 0; round < 1'000'000 && dataplane_.pending() > 0; ++round) {
      dataplane_.flush(per_round);
      clock_.advance(1ms);
    }
  }

  FakeScheduler clock_;
  FakeDataplane dataplane_;
  prometheus::Registry registry_;
  DataplaneResync resync_{dataplane_, clock_, &registry_};
  size_t sessions_ok_ = 0;
  size_t sessions_bad_ = 0;
};

TEST_F(DataplaneResyncTest, FullTableResyncsWithoutOverloadAndBoundedInFlight) {
  resync_.begin();
  queue_full_table();
  EXPECT_TRUE(dataplane_.requests.empty());  // nothing before run(): the lanes' order holds
  EXPECT_EQ(resync_.progress().pending, kSessions + kSources);
  resync_.run();
  EXPECT_EQ(dataplane_.pending(), resync_.window());
  drain(64);
  EXPECT_EQ(dataplane_.overloaded, 0u);
  EXPECT_LE(dataplane_.peak_pending, resync_.window());
  EXPECT_EQ(dataplane_.sessions.size(), kSessions);
  EXPECT_EQ(sessions_ok_, kSessions);
  EXPECT_EQ(sessions_bad_, 0u);
  EXPECT_EQ(dataplane_.sent_of<api::SourceAdd>().size(), kSources);
  // Sessions first (media is what users hear), then bans, then trusted sources.
  const auto& sent = dataplane_.requests;
  ASSERT_EQ(sent.size(), kSessions + kSources);
  for (size_t i = 0; i < sent.size(); ++i) {
    if (i < kSessions) {
      ASSERT_TRUE(std::holds_alternative<api::SessionAdd>(sent[i])) << i;
    } else {
      const auto& add = std::get<api::SourceAdd>(sent[i]);
      ASSERT_EQ(add.cls, i < kSessions + kSources / 2 ? api::SourceClass::kBanned
                                                      : api::SourceClass::kTrusted)
          << i;
    }
  }
  const auto& p = resync_.progress();
  EXPECT_FALSE(p.running);
  EXPECT_EQ(p.completed, 1u);
  EXPECT_EQ(p.pending, 0u);
  EXPECT_EQ(p.failed, 0u);
  EXPECT_EQ(p.retried, 0u);
  EXPECT_EQ(p.sent, kSessions + kSources);
  // Batched: a few hundred messages, each within the protocol's limits.
  EXPECT_EQ(p.batches, dataplane_.batches);
  EXPECT_LE(dataplane_.largest_batch, api::kMaxBatchItems);
  EXPECT_LE(dataplane_.largest_message, api::kMaxMessageSize);
  const size_t sessions_per_batch =
      (api::kMaxMessageSize - api::kBatchOverhead) / api::batch_item_size(session(1));
  EXPECT_LE(p.batches, (kSessions + sessions_per_batch - 1) / sessions_per_batch +
                           kSources / api::kMaxBatchItems);
}

// batch_items 1: every entry its own plain request, as before batching (the bench's baseline).
TEST_F(DataplaneResyncTest, BatchOfOneSendsPlainRequests) {
  DataplaneResync single(dataplane_, clock_, nullptr, 256, 1);
  single.begin();
  single.add(Lane::kSessions, "session", 1000, [](size_t i) {
    return std::optional<Request>(Request{session(i + 1), {}});
  });
  single.run();
  EXPECT_EQ(dataplane_.pending(), 256u);
  drain(64);
  EXPECT_EQ(dataplane_.batches, 0u);
  EXPECT_EQ(dataplane_.sessions.size(), 1000u);
  EXPECT_EQ(single.progress().batches, 1000u);
  EXPECT_EQ(single.progress().completed, 1u);
}

// A batch is bounded by the message size the client negotiated, not only by the item count.
TEST_F(DataplaneResyncTest, BatchesFitTheNegotiatedMessageSize) {
  dataplane_.max_message = 4096;
  resync_.begin();
  queue_full_table();
  resync_.run();
  drain(64);
  EXPECT_EQ(dataplane_.sessions.size(), kSessions);
  EXPECT_LE(dataplane_.largest_message, 4096u);
  EXPECT_EQ(resync_.progress().failed, 0u);
  EXPECT_EQ(dataplane_.overloaded, 0u);
}

// One refused item fails only itself: its owner hears the refusal, the batch's others go in.
TEST_F(DataplaneResyncTest, OneBadItemDoesNotFailItsBatch) {
  dataplane_.check_ports = true;
  dataplane_.sessions[999] = session(5);  // holds session 5's ports: kConflict
  resync_.begin();
  resync_.add(Lane::kSessions, "session", 10, [this](size_t i) {
    return std::optional<Request>(
        Request{session(i + 1), [this](DataplaneClient::Reply reply) { count_session(reply); }});
  });
  resync_.run();
  dataplane_.flush();
  EXPECT_EQ(dataplane_.batches, 1u);
  EXPECT_EQ(sessions_ok_, 9u);
  EXPECT_EQ(sessions_bad_, 1u);
  EXPECT_EQ(resync_.progress().failed, 1u);
  EXPECT_EQ(dataplane_.sessions.size(), 10u);  // 9 + the one holding the ports
}

// A batch refused as a whole (a Result instead of a BatchReply) is every entry's answer.
TEST_F(DataplaneResyncTest, ABatchRefusedAsAWholeIsEveryEntrysAnswer) {
  dataplane_.batch_refusal = api::Result{api::Status::kNoResources, "busy"};
  resync_.begin();
  resync_.add(Lane::kSessions, "session", 5, [this](size_t i) {
    return std::optional<Request>(
        Request{session(i + 1), [this](DataplaneClient::Reply reply) { count_session(reply); }});
  });
  resync_.run();
  dataplane_.flush();
  EXPECT_EQ(sessions_bad_, 5u);
  EXPECT_EQ(resync_.progress().failed, 5u);
  EXPECT_EQ(resync_.progress().completed, 1u);
}

// A batch that timed out is sent again (every entry counts one timeout); an entry that timed out
// more than kMaxTimeouts times is given up, counted as failed and reported to its owner.
TEST_F(DataplaneResyncTest, TimedOutBatchesAreSentAgainThenGivenUp) {
  dataplane_.time_out = 1;
  resync_.begin();
  resync_.add(Lane::kSessions, "session", 5, [this](size_t i) {
    return std::optional<Request>(
        Request{session(i + 1), [this](DataplaneClient::Reply reply) { count_session(reply); }});
  });
  resync_.run();
  for (int round = 0; round < 100 && resync_.progress().running; ++round) {
    dataplane_.flush();
    clock_.advance(DataplaneResync::kMinBackoff);  // the retry waits for its back-off
  }
  EXPECT_EQ(sessions_ok_, 5u);
  EXPECT_EQ(resync_.progress().retried, 5u);
  EXPECT_EQ(resync_.progress().failed, 0u);
  EXPECT_EQ(dataplane_.batches, 2u);

  dataplane_.time_out = DataplaneResync::kMaxTimeouts + 1;
  resync_.begin();
  resync_.add(Lane::kSessions, "session", 3, [this](size_t i) {
    return std::optional<Request>(
        Request{session(i + 10), [this](DataplaneClient::Reply reply) { count_session(reply); }});
  });
  resync_.run();
  for (int round = 0; round < 100 && resync_.progress().running; ++round) {
    dataplane_.flush();
    clock_.advance(DataplaneResync::kMaxBackoff);
  }
  EXPECT_FALSE(resync_.progress().running);
  EXPECT_EQ(sessions_bad_, 3u);
  EXPECT_EQ(resync_.progress().failed, 3u);
  EXPECT_EQ(resync_.progress().retried, 5u + 3u * DataplaneResync::kMaxTimeouts);
}

// A request a Batch cannot carry (SourceFlush) goes on its own, in its place in the order.
TEST_F(DataplaneResyncTest, UnbatchableRequestsGoAloneInOrder) {
  resync_.begin();
  resync_.add(Lane::kSessions, "session", 3, [](size_t i) {
    return std::optional<Request>(Request{session(i + 1), {}});
  });
  resync_.add(Lane::kBans, "flush", 1, [](size_t) {
    return std::optional<Request>(Request{api::SourceFlush{}, {}});
  });
  resync_.add(Lane::kBans, "ban", 2, [](size_t i) {
    return std::optional<Request>(Request{source(i, api::SourceClass::kBanned), {}});
  });
  resync_.run();
  drain(1);
  ASSERT_EQ(dataplane_.requests.size(), 6u);
  EXPECT_TRUE(std::holds_alternative<api::SessionAdd>(dataplane_.requests[2]));
  EXPECT_TRUE(std::holds_alternative<api::SourceFlush>(dataplane_.requests[3]));
  EXPECT_TRUE(std::holds_alternative<api::SourceAdd>(dataplane_.requests[4]));
  EXPECT_EQ(dataplane_.batches, 2u);  // sessions, bans; the flush alone
  EXPECT_EQ(resync_.progress().batches, 3u);
  EXPECT_EQ(resync_.progress().completed, 1u);
}

// What sbcd did before: everything queued at once. The same client refuses most of it.
TEST_F(DataplaneResyncTest, UnpacedFullTableWouldOverload) {
  for (size_t i = 0; i < kSessions; ++i) dataplane_.request(session(i + 1), [](auto) {});
  EXPECT_EQ(dataplane_.overloaded, kSessions - UnixDataplaneClient::kMaxPending);
  dataplane_.flush();
}

// A call set up during a resync goes straight to the client: it waits behind at most one window
// of resync batches and is never refused as overloaded.
TEST_F(DataplaneResyncTest, NewCallsDuringResyncAreNotStarved) {
  resync_.begin();
  queue_full_table();
  resync_.run();
  size_t new_calls = 0;
  size_t answered = 0;
  size_t worst_wait = 0;
  // One new call per round; the dataplane answers a few messages per round.
  for (size_t round = 0; round < 10000 && resync_.progress().running; ++round) {
    const size_t ahead = dataplane_.pending();
    worst_wait = std::max(worst_wait, ahead);
    ++new_calls;
    dataplane_.request(session(1'000'000 + round), [&](DataplaneClient::Reply reply) {
      ASSERT_TRUE(reply.has_value()) << to_string(reply.error());
      EXPECT_EQ(std::get<api::Result>(*reply).status, api::Status::kOk);
      ++answered;
    });
    dataplane_.flush(resync_.window() + 1);
  }
  drain(100);
  EXPECT_GT(new_calls, 30u);
  EXPECT_EQ(answered, new_calls);
  EXPECT_LE(worst_wait, resync_.window());
  EXPECT_EQ(dataplane_.overloaded, 0u);
  EXPECT_EQ(dataplane_.sessions.size(), kSessions + new_calls);
}

// A client that pushes back (other requests filled it): the resync backs off and sends again;
// its owners never see kOverloaded and nothing is lost.
TEST_F(DataplaneResyncTest, OverloadedRequestsAreRetriedNotReported) {
  dataplane_.max_pending = 2;  // below the window
  resync_.begin();
  queue_full_table();
  resync_.run();
  for (size_t round = 0; round < 100000 && resync_.progress().running; ++round) {
    dataplane_.flush(50);
    clock_.advance(DataplaneResync::kMinBackoff);
  }
  EXPECT_FALSE(resync_.progress().running);
  EXPECT_GT(dataplane_.overloaded, 0u);
  EXPECT_GE(resync_.progress().retried, dataplane_.overloaded);  // entries of refused batches
  EXPECT_EQ(resync_.progress().failed, 0u);
  EXPECT_EQ(sessions_ok_, kSessions);
  EXPECT_EQ(sessions_bad_, 0u);
  EXPECT_EQ(dataplane_.sessions.size(), kSessions);
}

// A refusal is counted as failed and reported to the entry's owner; the rest go on.
TEST_F(DataplaneResyncTest, RefusalsAreCountedAndReported) {
  dataplane_.check_ports = true;
  dataplane_.sessions[99] = session(1);  // holds session 1's ports: kConflict
  resync_.begin();
  resync_.add(Lane::kSessions, "session", 3, [this](size_t i) {
    return std::optional<Request>(
        Request{session(i + 1), [this](DataplaneClient::Reply reply) { count_session(reply); }});
  });
  resync_.run();
  dataplane_.flush();
  EXPECT_EQ(sessions_ok_, 2u);
  EXPECT_EQ(sessions_bad_, 1u);
  EXPECT_EQ(resync_.progress().failed, 1u);
  EXPECT_EQ(resync_.progress().completed, 1u);
  const std::string text = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_NE(text.find("sbc_dataplane_resync_requests_total{result=\"failed\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sbc_dataplane_resyncs_total 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_dataplane_resync_messages_total 1"), std::string::npos);  // 1 batch
  EXPECT_NE(text.find("sbc_dataplane_resync_pending 0"), std::string::npos);
}

// Entries are built when their turn comes: one with nothing to send any more is skipped.
TEST_F(DataplaneResyncTest, EntriesGoneByTheirTurnAreSkipped) {
  std::set<uint64_t> live = {1, 2, 3, 4};
  resync_.begin();
  resync_.add(Lane::kSessions, "session", 4, [&](size_t i) -> std::optional<Request> {
    if (!live.contains(i + 1)) return std::nullopt;
    return Request{session(i + 1), {}};
  });
  live.erase(3);
  resync_.run();
  dataplane_.flush();
  EXPECT_EQ(dataplane_.sessions.size(), 3u);
  EXPECT_FALSE(dataplane_.sessions.contains(3));
  EXPECT_EQ(resync_.progress().skipped, 1u);
}

// The connection goes away mid-resync: the rest is dropped, replies still due are ignored and
// their owners are not told (the next connection starts over).
TEST_F(DataplaneResyncTest, ConnectionLossAbandonsTheResync) {
  resync_.begin();
  queue_full_table();
  resync_.run();
  dataplane_.flush(20);
  ASSERT_TRUE(resync_.progress().running);
  ASSERT_GT(sessions_ok_, 0u);
  const size_t ok = sessions_ok_;
  dataplane_.connected_ = false;
  resync_.abort();
  dataplane_.flush();  // everything in flight fails with kDisconnected
  EXPECT_EQ(sessions_ok_, ok);
  EXPECT_EQ(sessions_bad_, 0u);
  EXPECT_FALSE(resync_.progress().running);
  EXPECT_EQ(resync_.progress().pending, 0u);
  EXPECT_EQ(resync_.progress().failed, 0u);
  // Reconnected: a new resync sends everything again.
  dataplane_.connected_ = true;
  dataplane_.sessions.clear();
  resync_.begin();
  queue_full_table();
  resync_.run();
  drain(256);
  EXPECT_EQ(dataplane_.sessions.size(), kSessions);
  EXPECT_EQ(resync_.progress().resyncs, 2u);
  EXPECT_EQ(resync_.progress().completed, 1u);
}

}  // namespace
}  // namespace sbc::cp
