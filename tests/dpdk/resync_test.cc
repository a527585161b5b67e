// sbcd's paced resync (controlplane/dataplane_resync.cc) through the real client
// (UnixDataplaneClient) and the real control server over an AF_UNIX SOCK_SEQPACKET socket, as after
// a dataplane restart: a full table goes in without one overload, timeout or failure, and media
// flows on the re-programmed sessions.
//
// Sessions: every session holds one even local port on each dataplane port's address, so two
// ports with one address each hold at most 32,767 sessions; 32,000 is the most this two-port lab
// can carry (50,000 need more addresses). Sources: the dataplane's default table, 65,536.
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/runtime/scheduler.h"
#include "dataplane/control/control_server.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

using cp::DataplaneClient;
using cp::DataplaneResync;
using Lane = DataplaneResync::Lane;
using Request = DataplaneResync::Request;

constexpr uint32_t kSessions = 32000;
constexpr uint32_t kSources = 65536;
constexpr uint16_t kFirstPort = 1024;

uint16_t local_port(uint32_t i) {
  return static_cast<uint16_t>(kFirstPort + 2 * i);
}

class ResyncTest : public DataplaneTest {
 protected:
  uint32_t max_sessions() const override { return kSessions + 16; }
  uint32_t max_sources() const override { return kSources; }

  void SetUp() override {
    DataplaneTest::SetUp();
    char dir[] = "/tmp/sbc-resync-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/dataplane.sock";
    server_ = std::make_unique<ControlServer>(*service_, path_, hz_, [this] { return now_; });
    auto ok = server_->open();
    ASSERT_TRUE(ok.has_value()) << ok.error();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
    DataplaneTest::TearDown();
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

  std::string dir_;
  std::string path_;
  std::unique_ptr<ControlServer> server_;
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
  // What sbcd does on connect (sbcd.cc): queue everything, then send it paced.
  client.set_connection_handler([&](bool up) {
    if (!up) {
      resync.abort();
      return;
    }
    resync.begin();
    resync.add(Lane::kSessions, "session", kSessions, [&](size_t i) -> std::optional<Request> {
      return Request{session(i + 1, local_port(i), local_port(i)), count(sessions_ok)};
    });
    resync.add(Lane::kBans, "ban", kSources / 2, [&](size_t i) -> std::optional<Request> {
      return Request{
          api::SourceAdd{api::Address::ipv4(ip(10, 1, 0, 0) + i), api::SourceClass::kBanned, 0},
          count(sources_ok)};
    });
    resync.add(Lane::kTrusted, "trusted source", kSources / 2,
               [&](size_t i) -> std::optional<Request> {
                 return Request{api::SourceAdd{api::Address::ipv4(ip(10, 2, 0, 0) + i),
                                               api::SourceClass::kTrusted, 0},
                                count(sources_ok)};
               });
    resync.run();
  });
  client.start();
  ASSERT_TRUE(run_until(io, [&] { return client.connected(); }));
  ASSERT_TRUE(resync.progress().running);

  // A call set up in the middle of the resync goes straight to the client and is taken.
  size_t peak_in_flight = 0;
  const auto started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::duration> sessions_done;
  const bool finished = run_until(io, [&] {
    peak_in_flight = std::max(peak_in_flight, resync.progress().in_flight);
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
  // Figures for the reader, not assertions: both loops share this one thread here.
  std::printf(
      "resync: %u sessions + %u sources in %lld ms (sessions done after %lld ms), %llu sent, "
      "peak %zu in flight\n",
      kSessions, kSources, static_cast<long long>(p.last_duration.count()),
      sessions_done
          ? static_cast<long long>(
                std::chrono::duration_cast<std::chrono::milliseconds>(*sessions_done).count())
          : -1LL,
      static_cast<unsigned long long>(p.sent), peak_in_flight);
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(sessions_ok, kSessions);
  EXPECT_EQ(sources_ok, kSources);
  EXPECT_EQ(p.failed, 0u);
  EXPECT_EQ(p.retried, 0u);  // never overloaded, never timed out
  EXPECT_EQ(p.completed, 1u);
  EXPECT_LE(peak_in_flight, resync.window());
  EXPECT_EQ(new_call, api::Status::kOk);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(server_->stats().clients_dropped, 0u);

  auto totals = service_->stats(api::StatsQuery{0}, now_);
  ASSERT_TRUE(totals.has_value());
  EXPECT_EQ(totals->active_sessions, kSessions + 1);
  EXPECT_EQ(totals->banned_sources, kSources / 2);
  EXPECT_EQ(totals->trusted_sources, kSources / 2);

  // Media flows on a re-programmed session (the last one the resync sent).
  learn_peers();
  inject_wire(kAccess, build_udp(from_caller(local_port(kSessions - 1), 40000)));
  poll();
  auto out = wire_out(kTrunk);
  EXPECT_EQ(out.size(), 1u);
  free_all(out);
  client.stop();
}

}  // namespace
}  // namespace sbc::dp::test
