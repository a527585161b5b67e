// sbc-resync-bench: how long a restarted dataplane waits for its media. The real dataplane control
// side (SessionTable, SourceTable, ControlService, ControlServer polled on the main lcore, as in
// sbc-dataplane) and the real sbcd side (UnixDataplaneClient + DataplaneResync on a Boost.Asio
// loop in its own thread, as in sbcd) over an AF_UNIX SOCK_SEQPACKET socket. Each run starts a
// fresh, empty dataplane, lets sbcd connect and resyncs N sessions and M sources; it prints the
// time from the connection coming up (HelloReply) to the last session programmed and to the last
// source, sessions/s, and the CPU time each side's thread used (the wall times include waiting for
// a core on a loaded machine; the CPU times do not). Then the best and the median run. A program,
// not a test: nothing is asserted.
//
//   sbc-resync-bench [--sessions 50000] [--sources 65536] [--batch 512] [--window 4] [--runs 3]
//
// --batch 1 sends every entry as its own request, as sbcd did before protocol version 4 (use
// --window 256 for that design's pacing).
#include <fmt/core.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/runtime/scheduler.h"
#include "dataplane/control/control_server.h"
#include "dataplane/control/control_service.h"
#include "dataplane/fastpath/datapath.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/source_table.h"

namespace sbc::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Lane = cp::DataplaneResync::Lane;
using Request = cp::DataplaneResync::Request;

constexpr uint32_t kSessionsPerPair = 30000;  // even local ports per address: < 32,767
constexpr uint32_t kMaxPairs = 4;
constexpr uint16_t kFirstPort = 2000;

struct Options {
  uint32_t sessions = 50000;
  uint32_t sources = 65536;
  size_t batch = cp::DataplaneResync::kDefaultBatchItems;
  size_t window = cp::DataplaneResync::kDefaultWindow;
  int runs = 3;
};

uint32_t port_ip(uint32_t port) {  // host order: pair j access 10.0.j.1, trunk 10.1.j.1
  return (10u << 24) | ((port % 2) << 16) | ((port / 2) << 8) | 1;
}

api::SessionAdd session(uint32_t i) {
  api::SessionAdd s;
  s.session_id = i + 1;
  s.media_timeout_ms = 60000;
  s.latch_window_ms = 2000;
  s.max_packet_rate = 250;
  const uint32_t pair = i / kSessionsPerPair;
  const auto local = static_cast<uint16_t>(kFirstPort + 2 * (i % kSessionsPerPair));
  for (uint8_t leg = 0; leg < 2; ++leg) {
    api::LegSpec& l = s.legs[leg];
    l.port = static_cast<uint8_t>(2 * pair + leg);
    l.local = api::Address::ipv4(port_ip(l.port));
    l.local_rtp_port = local;
    l.remote = api::Address::ipv4(port_ip(l.port) + 9 + (i % 200));
    l.remote_rtp_port = static_cast<uint16_t>(10000 + 2 * (i % 20000));
    l.signalling_source = l.remote;
  }
  return s;
}

api::SourceAdd source(uint32_t i, uint32_t total) {
  const bool banned = i < total / 2;
  return {api::Address::ipv4((172u << 24) | (16u << 16) | i),
          banned ? api::SourceClass::kBanned : api::SourceClass::kTrusted, 0};
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Result {
  double to_sessions_ms = 0;    // connection up -> last session answered
  double to_all_ms = 0;         // connection up -> last source answered
  double dataplane_cpu_ms = 0;  // the control thread, the whole run (connect to stop)
  double sbcd_cpu_ms = 0;       // sbcd's loop thread, the whole run
  uint64_t messages = 0;
  uint64_t retried = 0;
  uint64_t failed = 0;
  size_t programmed = 0;  // sessions in the dataplane's table afterwards
  uint32_t sources = 0;   // entries in its source table afterwards
};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::optional<Result> run_once(const Options& o, int run) {
  const uint64_t hz = rte_get_tsc_hz();
  const uint32_t pairs = (o.sessions + kSessionsPerPair - 1) / kSessionsPerPair;
  std::vector<dp::PortAddress> addresses;
  std::vector<dp::Port> ports;
  for (uint32_t p = 0; p < 2 * std::max<uint32_t>(pairs, 1); ++p) {
    dp::Port port;
    port.index = static_cast<uint8_t>(p);
    port.name = fmt::format("port{}", p);
    port.phys_id = RTE_MAX_ETHPORTS;  // no ethdev: hello reports the link down
    port.address = {port_ip(p), 24};
    ports.push_back(port);
    addresses.push_back({rte_cpu_to_be_32(port_ip(p)), dp::Ipv4Range{}});
  }
  auto table = dp::SessionTable::create(fmt::format("bench_sessions{}", run), o.sessions + 16, 1,
                                        addresses, hz, SOCKET_ID_ANY);
  if (!table) {
    std::fprintf(stderr, "session table: %s\n", table.error().c_str());
    return std::nullopt;
  }
  auto sources =
      dp::SourceTable::create(fmt::format("bench_sources{}", run), std::max<uint32_t>(o.sources, 1),
                              (*table)->qsbr(), hz, SOCKET_ID_ANY);
  if (!sources) {
    std::fprintf(stderr, "source table: %s\n", sources.error().c_str());
    return std::nullopt;
  }
  dp::MediaPortRange media_ports;
  dp::ControlService service(ports, **table, **sources, media_ports, {}, hz);
  const std::string dir = fmt::format("/tmp/sbc-resync-bench-{}-{}", getpid(), run);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/dataplane.sock";
  dp::ControlServer server(service, path, hz, [] { return rte_rdtsc(); });
  if (auto ok = server.open(); !ok) {
    std::fprintf(stderr, "control socket: %s\n", ok.error().c_str());
    return std::nullopt;
  }

  // sbcd, on its own thread: connect, resync, stop.
  std::atomic<bool> done{false};
  Result result;
  std::thread sbcd([&] {
    boost::asio::io_context io;
    cp::AsioScheduler scheduler(io);
    cp::UnixDataplaneClient client(io, path);
    cp::DataplaneResync resync(client, scheduler, nullptr, o.window, o.batch);
    size_t sessions_answered = 0;
    size_t answered = 0;
    Clock::time_point up;
    auto note = [&](bool is_session) {
      ++answered;
      if (is_session && ++sessions_answered == o.sessions) {
        result.to_sessions_ms = ms_between(up, Clock::now());
      }
      if (answered == size_t{o.sessions} + o.sources) {
        result.to_all_ms = ms_between(up, Clock::now());
      }
    };
    client.set_connection_handler([&](bool connected) {
      if (!connected) return;
      up = Clock::now();
      resync.begin();
      resync.add(Lane::kSessions, "session", o.sessions, [&](size_t i) {
        return std::optional<Request>(Request{session(static_cast<uint32_t>(i)),
                                              [&](cp::DataplaneClient::Reply) { note(true); }});
      });
      resync.add(Lane::kBans, "source", o.sources, [&](size_t i) {
        return std::optional<Request>(Request{source(static_cast<uint32_t>(i), o.sources),
                                              [&](cp::DataplaneClient::Reply) { note(false); }});
      });
      resync.run();
    });
    const double cpu_start = thread_cpu_ms();
    client.start();
    for (int i = 0; i < 6000 && resync.progress().completed == 0; ++i) {
      io.run_for(std::chrono::milliseconds(10));
    }
    result.sbcd_cpu_ms = thread_cpu_ms() - cpu_start;
    result.messages = resync.progress().batches;
    result.retried = resync.progress().retried;
    result.failed = resync.progress().failed + (resync.progress().completed == 0 ? 1 : 0);
    client.stop();
    io.poll();
    done = true;
  });
  const double cpu_start = thread_cpu_ms();
  while (!done) server.poll_once(10);
  result.dataplane_cpu_ms = thread_cpu_ms() - cpu_start;
  sbcd.join();
  result.programmed = (*table)->size();
  result.sources = static_cast<uint32_t>((*sources)->size());
  std::filesystem::remove_all(dir);
  return result;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return std::nullopt;
    const std::string_view value = argv[++i];
    bool ok = false;
    if (arg == "--sessions") {
      ok = parse_number(value, o.sessions) && o.sessions >= 1 &&
           o.sessions <= kSessionsPerPair * kMaxPairs;
    } else if (arg == "--sources") {
      ok = parse_number(value, o.sources) && o.sources <= (1u << 20);
    } else if (arg == "--batch") {
      ok = parse_number(value, o.batch) && o.batch >= 1 && o.batch <= api::kMaxBatchItems;
    } else if (arg == "--window") {
      ok = parse_number(value, o.window) && o.window >= 1 && o.window <= 4096;
    } else if (arg == "--runs") {
      ok = parse_number(value, o.runs) && o.runs >= 1 && o.runs <= 100;
    }
    if (!ok) return std::nullopt;
  }
  return o;
}

int bench_main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: sbc-resync-bench [--sessions 1..%u (50000)] [--sources N (65536)] "
                 "[--batch 1..%zu (%zu)] [--window N (%zu)] [--runs N (3)]\n",
                 kSessionsPerPair * kMaxPairs, api::kMaxBatchItems,
                 cp::DataplaneResync::kDefaultBatchItems, cp::DataplaneResync::kDefaultWindow);
    return 64;
  }
  std::string prefix = fmt::format("sbc-resync-bench-{}", getpid());
  std::vector<std::string> eal{
      "sbc-resync-bench",      "--no-huge",      "--no-pci", "-m", "1024", "--file-prefix", prefix,
      "--log-level=*:warning", "--no-telemetry", "-l",       "0"};
  std::vector<char*> eal_argv;
  for (auto& a : eal) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "sbc-resync-bench: rte_eal_init failed\n");
    return 1;
  }
  std::printf("resync of %u sessions + %u sources, batches of up to %zu, %zu in flight\n",
              options->sessions, options->sources, options->batch, options->window);
  rte_log_set_level_pattern("lib.ethdev", RTE_LOG_CRIT);  // "Invalid port_id" from hello()
  spdlog::set_level(spdlog::level::err);
  int rc = 0;
  std::vector<Result> results;
  for (int run = 0; run < options->runs; ++run) {
    auto r = run_once(*options, run);
    if (!r) {
      rc = 1;
      break;
    }
    const bool complete =
        r->programmed == options->sessions && r->sources == options->sources && r->failed == 0;
    std::printf(
        "run %d: last session programmed after %.1f ms (%.0f sessions/s), everything after "
        "%.1f ms; CPU: dataplane %.1f ms, sbcd %.1f ms; %llu messages, %llu retried, %llu "
        "failed; dataplane holds %zu sessions, %u sources%s\n",
        run + 1, r->to_sessions_ms,
        r->to_sessions_ms > 0 ? options->sessions / (r->to_sessions_ms / 1000.0) : 0.0,
        r->to_all_ms, r->dataplane_cpu_ms, r->sbcd_cpu_ms,
        static_cast<unsigned long long>(r->messages), static_cast<unsigned long long>(r->retried),
        static_cast<unsigned long long>(r->failed), r->programmed, r->sources,
        complete ? "" : " (INCOMPLETE)");
    if (!complete) rc = 1;
    results.push_back(*r);
  }
  if (!results.empty()) {
    std::ranges::sort(results, {}, &Result::to_sessions_ms);
    const Result& best = results.front();
    const Result& median = results[results.size() / 2];
    std::printf(
        "last session programmed: best %.1f ms (%.0f sessions/s), median %.1f ms (%.0f "
        "sessions/s); everything: best %.1f ms\n",
        best.to_sessions_ms, options->sessions / (best.to_sessions_ms / 1000.0),
        median.to_sessions_ms, options->sessions / (median.to_sessions_ms / 1000.0),
        std::ranges::min(results, {}, &Result::to_all_ms).to_all_ms);
  }
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::filesystem::remove_all(runtime_dir);
  return rc;
}

}  // namespace
}  // namespace sbc::bench

int main(int argc, char** argv) {
  return sbc::bench::bench_main(argc, argv);
}
