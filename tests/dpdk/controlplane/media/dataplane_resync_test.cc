// sbcd's batched, paced resync (controlplane/media/dataplane_resync.cc) through the real client
// (UnixDataplaneClient) and the real control server over an AF_UNIX SOCK_SEQPACKET socket, as after
// a dataplane restart: a full table of 50,000 sessions and 65,536 sources goes in without one
// overload, timeout or failure, every entry is in the dataplane afterwards, and media flows on the
// re-programmed sessions.
//
// Sessions: every session holds one even local port on each of its two ports' addresses, so one
// access/trunk pair of ports holds at most 32,767 sessions; the dataplane here has two pairs
// (port_count() 4) and spreads the sessions 25,000 per pair. Its tables are sized through the same
// settings as [dataplane] max_sessions / max_sources.
#include "controlplane/media/dataplane_resync.h"

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>

#include "controlplane/media/dataplane_client.h"
#include "controlplane/runtime/scheduler.h"
#include "tests/dpdk/dataplane/control/control_server_fixture.h"

namespace sbc::dp::test {
namespace {

using cp::DataplaneClient;
using cp::DataplaneResync;
using Lane = DataplaneResync::Lane;
using Request = DataplaneResync::Request;

constexpr uint32_t kSessions = 50000;
constexpr uint32_t kSessionsPerPair = 25000;
constexpr uint32_t kSources = 65536;
constexpr uint16_t kFirstPort = 1024;

uint16_t local_port(uint32_t i) {
  return static_cast<uint16_t>(kFirstPort + 2 * (i % kSessionsPerPair));
}

class ResyncTest : public ControlServerFixture {
 protected:
  uint32_t max_sessions() const override { return kSessions + 16; }
  uint32_t max_sources() const override { return kSources; }
  uint8_t port_count() const override { return 4; }

  // Session i (0-based): pair 0 (access/trunk) for the first 25,000, pair 1 (ports 2/3) after.
  api::SessionAdd spread_session(uint32_t i) const {
    api::SessionAdd s = session(i + 1, local_port(i), local_port(i));
    if (i >= kSessionsPerPair) {
      for (uint8_t leg = 0; leg < 2; ++leg) {
        const auto port = static_cast<uint8_t>(2 + leg);
        s.legs[leg].port = port;
        s.legs[leg].local = api::Address::ipv4(port_ip(port));
        s.legs[leg].remote = api::Address::ipv4(port_ip(port) + 9);
        s.legs[leg].signalling_source = s.legs[leg].remote;
      }
    }
    return s;
  }
  static api::SourceAdd source(uint32_t i) {
    const bool banned = i < kSources / 2;
    return api::SourceAdd{
        api::Address::ipv4(banned ? ip(10, 1, 0, 0) + i : ip(10, 2, 0, 0) + (i - kSources / 2)),
        banned ? api::SourceClass::kBanned : api::SourceClass::kTrusted, 0};
  }

  // sbcd's event loop and the dataplane's control loop, in turn, until `done` (bounded).
  template <typename Done>
  bool run_until(boost::asio::io_context& io, Done done) {
    for (int round = 0; round < 2'000'000; ++round) {
      io.poll();
      server_->poll_once(0);
      io.poll();
      if (done()) return true;
    }
    return false;
  }
};

TEST_F(ResyncTest, FullTableThroughTheRealClientAndServer) {
  // Declared first: the client's destructor may still run handlers that count.
  size_t sessions_ok = 0;
  size_t sources_ok = 0;
  size_t errors = 0;
  bool new_call_sent = false;
  std::optional<api::Status> new_call;
  boost::asio::io_context io;
  cp::AsioScheduler scheduler(io);
  cp::UnixDataplaneClient client(io, path_);
  DataplaneResync resync(client, scheduler);
  auto count = [&errors](size_t& ok) {
    return [&ok, &errors](DataplaneClient::Reply reply) {
      const auto* r = reply ? std::get_if<api::Result>(&*reply) : nullptr;
      if (r != nullptr && r->status == api::Status::kOk) {
        ++ok;
      } else {
        ++errors;
      }
    };
  };
  // What sbcd does on connect (sbcd.cc): queue everything, then send it batched and paced.
  client.set_connection_handler([&](bool up) {
    if (!up) {
      resync.abort();
      return;
    }
    resync.begin();
    resync.add(Lane::kSessions, "session", kSessions, [&](size_t i) -> std::optional<Request> {
      return Request{spread_session(static_cast<uint32_t>(i)), count(sessions_ok)};
    });
    resync.add(Lane::kBans, "ban", kSources / 2, [&](size_t i) -> std::optional<Request> {
      return Request{source(static_cast<uint32_t>(i)), count(sources_ok)};
    });
    resync.add(Lane::kTrusted, "trusted source", kSources / 2,
               [&](size_t i) -> std::optional<Request> {
                 return Request{source(static_cast<uint32_t>(kSources / 2 + i)), count(sources_ok)};
               });
    resync.run();
  });
  client.start();
  ASSERT_TRUE(run_until(io, [&] { return client.connected(); }));
  ASSERT_TRUE(resync.progress().running);

  // A call set up in the middle of the resync goes straight to the client and is taken.
  size_t peak_batches = 0;
  const auto started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::duration> sessions_done;
  const bool finished = run_until(io, [&] {
    peak_batches = std::max(peak_batches, resync.batches_in_flight());
    if (!sessions_done && sessions_ok == kSessions) {
      sessions_done = std::chrono::steady_clock::now() - started;
    }
    if (!new_call_sent && sessions_ok >= kSessions / 2) {
      new_call_sent = true;
      client.request(session(kSessions + 1, 65100, 65100), [&](DataplaneClient::Reply reply) {
        const auto* r = reply ? std::get_if<api::Result>(&*reply) : nullptr;
        new_call = r != nullptr ? r->status : api::Status::kInvalid;
      });
    }
    return !resync.progress().running && new_call.has_value();
  });
  ASSERT_TRUE(finished) << resync.progress().pending << " entries left";

  const DataplaneResync::Progress& p = resync.progress();
  // Figures for the reader, not assertions: both loops share this one thread here
  // (tools/bench/resync_bench measures with the dataplane on its own thread).
  std::printf(
      "resync: %u sessions + %u sources in %lld ms (sessions done after %lld ms), %llu entries "
      "in %llu messages, peak %zu batches in flight\n",
      kSessions, kSources, static_cast<long long>(p.last_duration.count()),
      sessions_done
          ? static_cast<long long>(
                std::chrono::duration_cast<std::chrono::milliseconds>(*sessions_done).count())
          : -1LL,
      static_cast<unsigned long long>(p.sent), static_cast<unsigned long long>(p.batches),
      peak_batches);
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(sessions_ok, kSessions);
  EXPECT_EQ(sources_ok, kSources);
  EXPECT_EQ(p.failed, 0u);
  EXPECT_EQ(p.retried, 0u);  // never overloaded, never timed out
  EXPECT_EQ(p.completed, 1u);
  EXPECT_EQ(p.sent, kSessions + kSources);
  EXPECT_LT(p.batches, (kSessions + kSources) / 100);  // batched, not one request per entry
  EXPECT_LE(peak_batches, resync.window());
  EXPECT_EQ(new_call, api::Status::kOk);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(server_->stats().clients_dropped, 0u);
  EXPECT_EQ(server_->stats().malformed, 0u);
  EXPECT_EQ(server_->stats().batch_items, kSessions + kSources);

  // Every entry is in the dataplane, as sent: counts, then the whole session dump page by page.
  auto totals = service_->stats(api::StatsQuery{0}, now_);
  ASSERT_TRUE(totals.has_value());
  EXPECT_EQ(totals->active_sessions, kSessions + 1);
  EXPECT_EQ(totals->banned_sources, kSources / 2);
  EXPECT_EQ(totals->trusted_sources, kSources / 2);
  size_t dumped = 0;
  size_t mismatched = 0;
  api::DumpQuery page{0, api::kMaxDumpEntries};
  for (int pages = 0; pages < 1000; ++pages) {
    const api::DumpReply dump = service_->dump(page, now_);
    for (const api::SessionInfo& info : dump.sessions) {
      if (info.spec.session_id > kSessions) continue;  // the new call
      ++dumped;
      if (!(info.spec == spread_session(static_cast<uint32_t>(info.spec.session_id - 1)))) {
        ++mismatched;
      }
    }
    if (dump.next_cursor == 0) break;
    page.cursor = dump.next_cursor;
  }
  EXPECT_EQ(dumped, kSessions);
  EXPECT_EQ(mismatched, 0u);
  size_t sources_missing = 0;
  for (uint32_t i = 0; i < kSources; ++i) {
    const api::SourceAdd expected = source(i);
    const auto entry = sources_->find(expected.address, now_);
    if (!entry || entry->cls != expected.cls) ++sources_missing;
  }
  EXPECT_EQ(sources_missing, 0u);

  // Media flows on a re-programmed session (the last of the first pair).
  learn_peers();
  inject_wire(kAccess, build_udp(from_caller(local_port(kSessionsPerPair - 1), 40000)));
  poll();
  auto out = wire_out(kTrunk);
  EXPECT_EQ(out.size(), 1u);
  free_all(out);
  client.stop();
}

}  // namespace
}  // namespace sbc::dp::test
