// sbc-bench: relay-path cost of one worker core on in-memory net_ring ports, next to an
// l2fwd-style baseline (rx burst -> MAC swap -> tx burst, no lookup) on the same ports in the same
// run. With --workers 2 the plain relay runs again with two workers at once, each on its own
// lcore polling its own RX queue of every port (RSS-style), sharing the session table: scaling.
//
// Only the worker step is timed (TSC around each poll), so the harness does not count. Packets
// circulate: whatever a port transmits is reflected (addresses swapped, aimed at the session that
// follows in a fixed shuffled order, TTL restored) into the same port's RX ring, so every packet
// stays valid media and lookups visit the whole table in an order the prefetcher cannot guess.
// Thousands of packets are in flight, so a packet's header left L1 (and mostly L2) long before the
// worker sees it again, as with a NIC writing by DMA.
//
// SRTP modes (rtp-srtp, srtp-srtp; AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM): the sessions get
// SRTP contexts (four distinct keys per session in srtp-srtp: each leg's in and out), and the
// reflector plays the peers with their own contexts: it unprotects what the SBC sent (checking it),
// gives the packet the next sequence number of the session it is aimed at and protects it with
// that peer's key when its leg expects SRTP. Each packet alternates directions, so in rtp-srtp a
// relayed packet costs one protect or one unprotect on average, in srtp-srtp one of each. Bare
// libsrtp (protect + unprotect of a 172-byte RTP packet, bare_srtp.h) is measured in the same run
// as the SRTP baseline, with one context pair and with as many as the run has sessions.
//
// Transcoding modes (pcmu-pcma, pcmu-g722, pcmu-opus, pcmu-g729): the caller's leg speaks PCMU,
// the callee's the other codec, so both directions change codec. PCMU<->PCMA is G.711's byte
// conversion in the relay worker; for the others the relay worker hands every packet to a
// transcoding lcore's ring and sends what comes back, as in production; here one core runs both
// (worker poll, then the transcoder until its ring is empty), and both are timed. The
// reflector gives each packet the next sequence number and timestamp (in that leg's RTP clock) of
// the session it is aimed at, so every stream is continuous. Calls per core: one call is 100
// packets/s (50 per direction).
#include <fmt/core.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/fastpath/checksum.h"
#include "dataplane/fastpath/port.h"
#include "dataplane/fastpath/relay.h"
#include "dataplane/fastpath/transcoder.h"
#include "dataplane/fastpath/worker.h"
#include "dataplane/media/codecs/codec.h"
#include "dataplane/media/srtp_context.h"
#include "dataplane/media/srtp_key.h"
#include "dataplane/media/srtp_library.h"
#include "dataplane/media/srtp_suite.h"
#include "dataplane/tables/session_table.h"
#include "tools/bench/bare_srtp.h"
#include "tools/bench/bench_result.h"
#include "tools/bench/bench_traffic.h"

namespace sbc::dp::bench {
namespace {

enum class Mode : uint8_t { kPlain, kRtpSrtp, kSrtpSrtp, kTranscode };

struct ModeSpec {
  Mode mode = Mode::kPlain;
  api::SrtpSuite suite = api::SrtpSuite::kAesCm128HmacSha1_80;
  std::string name;
  api::MediaCodec callee_codec = api::MediaCodec::kPcmu;  // kTranscode: the callee leg's codec
};

std::vector<ModeSpec> all_modes() {
  constexpr auto kNoSuite = api::SrtpSuite::kAesCm128HmacSha1_80;
  return {
      {Mode::kPlain, kNoSuite, "plain", api::MediaCodec::kPcmu},
      {Mode::kRtpSrtp, api::SrtpSuite::kAesCm128HmacSha1_80, "rtp-srtp aes-cm-80",
       api::MediaCodec::kPcmu},
      {Mode::kRtpSrtp, api::SrtpSuite::kAeadAes128Gcm, "rtp-srtp gcm-128", api::MediaCodec::kPcmu},
      {Mode::kSrtpSrtp, api::SrtpSuite::kAesCm128HmacSha1_80, "srtp-srtp aes-cm-80",
       api::MediaCodec::kPcmu},
      {Mode::kSrtpSrtp, api::SrtpSuite::kAeadAes128Gcm, "srtp-srtp gcm-128",
       api::MediaCodec::kPcmu},
      {Mode::kTranscode, kNoSuite, "pcmu-pcma", api::MediaCodec::kPcma},
      {Mode::kTranscode, kNoSuite, "pcmu-g722", api::MediaCodec::kG722},
      {Mode::kTranscode, kNoSuite, "pcmu-opus", api::MediaCodec::kOpus},
      {Mode::kTranscode, kNoSuite, "pcmu-g729", api::MediaCodec::kG729}};
}

const char* suite_name(api::SrtpSuite suite) {
  return suite == api::SrtpSuite::kAeadAes128Gcm ? "gcm-128" : "aes-cm-80";
}

// The callee leg's payload type in the transcoding modes: its static one, 111 for Opus.
uint8_t payload_type_of(api::MediaCodec codec) {
  return codec_info(codec_id(codec)).static_payload_type.value_or(111);
}

struct Options {
  uint64_t packets = 20'000'000;
  std::vector<uint32_t> sessions{1000, 100000, 1000000};
  std::vector<ModeSpec> modes = all_modes();
  bool hugepages = false;
  uint16_t workers = 1;  // > 1: plain relay measured again with that many workers at once
  // Each measurement is timed this many times and the fastest round reported: on a shared or
  // virtual machine a round can lose the core or the memory bus to a neighbour, never gain.
  uint32_t rounds = 3;
};

// SRTP modes keep a peer context per session and leg in the reflector: bounded here.
constexpr uint32_t kMaxSrtpSessions = 25000;
// A transcoded session holds two TranscodeStreams (codec state and buffers, tens of KiB), and one
// core carries at most ~25,000 PCMU<->PCMA calls: more sessions than that measure nothing new.
constexpr uint32_t kMaxTranscodeSessions = 10000;
// Transcoding costs microseconds per packet: a smaller measurement keeps a run in seconds.
constexpr uint64_t kTranscodePackets = 200'000;

// One relay worker of a run with several, on its own lcore: polls its RX queue of every port
// (timed) and circulates its TX queue of every port back into that RX queue (untimed), until it
// has relayed `budget` packets or another worker stopped; then it stops the others, so no worker
// measures alone.
struct ConcurrentWorker {
  Worker* worker = nullptr;
  const Bench* bench = nullptr;
  size_t port_count = 0;
  const std::vector<uint32_t>* next_slot = nullptr;
  std::atomic<bool>* stop = nullptr;
  uint64_t budget = 0;
  Result result;
  bool stalled = false;  // no packet for a second: the workload is broken
};

int concurrent_worker(void* arg) {
  auto& c = *static_cast<ConcurrentWorker*>(arg);
  Worker& w = *c.worker;
  c.result = Result{.packets = 0, .cycles = 0, .hz = static_cast<double>(rte_get_tsc_hz())};
  // By time, not by polls: the other lcore may be a vCPU the host has paused for a while.
  uint64_t last_packet = rte_rdtsc();
  while (!c.stop->load(std::memory_order_relaxed) && c.result.packets < c.budget) {
    const uint64_t start = rte_rdtsc();
    const uint32_t n = poll_once(w, start);
    c.result.cycles += rte_rdtsc() - start;
    c.result.packets += n;
    circulate(*c.bench, c.port_count, *c.next_slot, nullptr, w.id);
    if (n != 0) {
      last_packet = start;
    } else if (start - last_packet > rte_get_tsc_hz()) {
      c.stalled = true;
      break;
    }
  }
  c.stop->store(true, std::memory_order_relaxed);
  return 0;
}

// Per run: the l2fwd baseline (one worker only: a run with several is compared with the
// one-worker run instead) and each relay worker's result.
using RunResult = std::pair<std::optional<Result>, std::vector<Result>>;

std::expected<RunResult, std::string> run(const Bench& b, uint32_t sessions, uint64_t packets,
                                          uint32_t rounds, const ModeSpec& mode,
                                          const SrtpLibrary& library, uint16_t worker_count = 1) {
  const uint32_t pairs = (sessions + kSessionsPerPair - 1) / kSessionsPerPair;
  const uint32_t slots = (sessions + pairs - 1) / pairs;
  const size_t port_count = pairs * 2;
  const uint64_t hz = rte_get_tsc_hz();

  auto datapath = std::make_unique<Datapath>();
  auto neighbours = std::make_unique<std::array<NeighbourTable, kMaxPorts>>();
  std::vector<PortAddress> addresses;
  const uint64_t now = rte_rdtsc();
  for (size_t p = 0; p < port_count; ++p) {
    PortView& v = datapath->ports[p];
    v.phys = b.ports[p].id;
    v.tap = b.taps[p].id;  // polled, never fed: nothing is punted in this workload
    v.rx_queues = worker_count;
    rte_eth_macaddr_get(v.phys, &v.mac);
    v.ip_be = rte_cpu_to_be_32(port_ip(p));
    v.mask_be = rte_cpu_to_be_32(0xffffff00);
    if (const uint32_t media = (slots - 1) / kSlotsPerAddress; media != 0) {
      v.media = {port_ip(p) + kMediaHost + 1, port_ip(p) + kMediaHost + media};
    }
    (*neighbours)[p].learn(rte_cpu_to_be_32(peer_ip(p)),
                           {0x02, 0, 0, 0, 0, static_cast<uint8_t>(p)}, now);
    addresses.push_back({v.ip_be, v.media});
  }
  datapath->port_count = static_cast<uint8_t>(port_count);
  datapath->neighbours = neighbours.get();
  datapath->pool = b.pool;
  datapath->tsc_hz = hz;
  datapath->neighbour_refresh_tsc = kNeighbourRefreshSeconds * hz;
  const std::vector<uint32_t> next_slot = shuffled_cycle(slots, worker_count);
  const bool transcode = mode.mode == Mode::kTranscode;
  const TranscodingLimits transcoding{transcode ? 1u : 0u, UINT32_MAX / 2, 4096};
  auto table =
      SessionTable::create(fmt::format("bench{}x{}", sessions, worker_count), sessions,
                           worker_count, addresses, hz, SOCKET_ID_ANY, &library, transcoding);
  if (!table) return std::unexpected(table.error());
  std::optional<Peers> peers;
  if (mode.mode != Mode::kPlain) {
    peers.emplace();
    peers->slots = slots;
    peers->srtp = {mode.mode == Mode::kSrtpSrtp, mode.mode != Mode::kTranscode};
    if (transcode) {
      peers->payload_type = {0, payload_type_of(mode.callee_codec)};
      peers->ts_step = {160, 20 * api::rtp_clock(mode.callee_codec) / 1000};
    }
    for (uint32_t leg = 0; leg < 2; ++leg) {
      peers->tx[leg].resize(sessions);
      peers->rx[leg].resize(sessions);
      peers->seq[leg].assign(pairs * slots, 1);
    }
  }
  datapath->sessions = (*table)->index();
  for (uint32_t k = 0; k < sessions; ++k) {
    const uint32_t pair = k / slots;
    const uint32_t slot = k % slots;
    api::SessionAdd add;
    add.session_id = k + 1;
    add.latch_window_ms = 2000;
    for (uint32_t leg = 0; leg < 2; ++leg) {
      const uint32_t port = pair * 2 + leg;
      api::LegSpec& spec = add.legs[leg];
      spec.port = static_cast<uint8_t>(port);
      spec.local = api::Address::ipv4(local_ip(port, slot));
      spec.local_rtp_port = local_port(slot);
      spec.remote = api::Address::ipv4(peer_ip(port));
      spec.remote_rtp_port = leg == 0 ? kCallerPort : kCalleePort;
      spec.signalling_source = spec.remote;
      if (transcode) {
        spec.codec = api::LegCodec{leg == 0 ? api::MediaCodec::kPcmu : mode.callee_codec,
                                   peers->payload_type[leg], 20, std::nullopt, std::nullopt};
      }
      if (peers && peers->srtp[leg]) {
        spec.srtp_in = key_for(mode.suite, k, leg, 1);
        spec.srtp_out = key_for(mode.suite, k, leg, 0);
        peers->tx[leg][k].emplace(*SrtpOutbound::create(library, master_of(*spec.srtp_in)));
        peers->rx[leg][k].emplace(*SrtpInbound::create(library, master_of(*spec.srtp_out)));
      }
    }
    if (auto r = (*table)->upsert(add, rte_rdtsc()); r.status != api::Status::kOk) {
      return std::unexpected(fmt::format("session {}: {}", k, r.detail));
    }
  }
  const std::vector<int> sockets(worker_count, SOCKET_ID_ANY);
  auto workers = make_relay_workers(*datapath, (*table)->qsbr(), sockets);
  if (!workers) return std::unexpected(workers.error());
  auto* worker = &workers->front();
  std::unique_ptr<Transcoder> transcoder;
  if (transcode) {
    datapath->transcode_rings[0] = (*table)->transcode_ring(0);
    datapath->transcoder_count = 1;
    auto made = make_transcoder(0, *datapath, (*table)->transcode_ring(0),
                                (*table)->barrier_passed(0), SOCKET_ID_ANY, kRingSize);
    if (!made) return std::unexpected(made.error());
    transcoder = std::move(*made);
    (*worker)->transcoded_rings[(*worker)->transcoded_ring_count++] = transcoder->tx->tx_ring;
  }
  for (uint16_t id = 0; id < worker_count; ++id) {
    rte_rcu_qsbr_thread_register((*table)->qsbr(), id);
    rte_rcu_qsbr_thread_online((*table)->qsbr(), id);
  }

  // In-flight packets start on the access ports, spread over every pair's sessions (several per
  // session when there are few); each measurement starts from a fresh set.
  auto seed = [&]() -> bool {
    for (uint32_t i = 0; i < kInFlight; ++i) {
      const uint32_t pair = i % pairs;
      const uint32_t slot = (i / pairs) % slots;
      rte_mbuf* m = build_packet(b.pool, pair * 2, slot);
      if (!m) return false;
      if (peers) {  // from the caller: the next sequence number, protected if leg 0 is SRTP
        const uint32_t k = pair * slots + slot;
        auto* udp =
            rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr));
        auto* payload = reinterpret_cast<uint8_t*>(udp + 1);
        size_t length = kRtpPayload;
        write_rtp_header(payload, peers->seq[0][k]++, k, peers->payload_type[0], peers->ts_step[0]);
        if (peers->srtp[0] &&
            peers->tx[0][k]->protect_rtp({payload, length + rte_pktmbuf_tailroom(m)}, length) !=
                SrtpResult::kOk) {
          return false;
        }
        fix_lengths(m, length);
      }
      // Its slot's queue: the lane (shuffled_cycle) of the worker it stays with.
      rte_ring_enqueue(b.ports[pair * 2].rx[slot % worker_count], m);
    }
    return true;
  };
  auto drain = [&] {
    for (size_t p = 0; p < port_count; ++p) {
      void* obj;
      for (rte_ring* rx : b.ports[p].rx) {
        while (rte_ring_dequeue(rx, &obj) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
      }
      for (rte_ring* tx : b.ports[p].tx) {
        while (rte_ring_dequeue(tx, &obj) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
      }
    }
    // The transcoder's output not yet sent by the worker: most of the packets in flight wait
    // there (the transcoder empties its job ring each step, the worker sends a burst per poll).
    if (transcoder) {
      void* obj;
      while (rte_ring_dequeue(transcoder->tx->tx_ring, &obj) == 0) {
        rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
      }
    }
  };
  // Runs `step` (a worker iteration returning the packets it received) with the reflector between
  // iterations until `packets` were processed, timing `step` alone, `rounds` times from a fresh
  // set of packets; the fastest round, or nullopt if traffic stopped.
  Peers* active_peers = nullptr;
  auto measure = [&](auto&& step) -> std::optional<Result> {
    Result best;
    for (uint32_t round = 0; round < rounds; ++round) {
      drain();
      if (!seed()) return std::nullopt;
      for (int i = 0; i < 2000; ++i) {  // warm up: latches, caches, branch predictors
        step();
        circulate(b, port_count, next_slot, active_peers);
      }
      Result r;
      r.hz = static_cast<double>(hz);
      uint32_t idle = 0;
      while (r.packets < packets) {
        const uint64_t start = rte_rdtsc();
        const uint32_t n = step();
        r.cycles += rte_rdtsc() - start;
        r.packets += n;
        circulate(b, port_count, next_slot, active_peers);
        idle = n == 0 ? idle + 1 : 0;
        if (idle > 100000) return std::nullopt;
      }
      best = fastest(best, r);
    }
    drain();
    return best;
  };
  // The l2fwd baseline does not protect: the peers are played only around the relay.
  std::optional<Result> baseline;
  if (worker_count == 1) baseline = measure([&] { return forward_once(b, port_count); });
  active_peers = peers ? &*peers : nullptr;
  Worker& w = **worker;
  std::vector<const WorkerCounters*> counters;
  for (const auto& each : *workers) counters.push_back(&each->counters);
  if (transcoder) counters.push_back(&transcoder->tx->counters);
  const auto media_sent = [&] {
    uint64_t n = 0;
    for (const WorkerCounters* c : counters) {
      for (size_t p = 0; p < port_count; ++p) n += c->ports[p].media_tx.get();
    }
    return n;
  };
  // Transcoding: the worker's poll, then the transcoder until its ring is empty; a packet counts
  // once, when it leaves toward the other leg (by the relay worker's G.711 conversion or through
  // the transcoder: one out per packet in at equal ptimes).
  // Several workers (plain relay only): each on its own lcore, polling its RX queue of every port,
  // all at once; a warm-up round first, as for one.
  const auto concurrent_round = [&]() -> std::optional<std::vector<Result>> {
    std::vector<ConcurrentWorker> runs(worker_count);
    std::atomic<bool> stop{false};
    for (const uint64_t budget : {packets / 10 / worker_count, packets / worker_count}) {
      drain();
      if (!seed()) return std::nullopt;
      stop = false;
      unsigned lcore = rte_get_main_lcore();
      for (uint16_t i = 0; i < worker_count; ++i) {
        runs[i] = {(*workers)[i].get(), &b, port_count, &next_slot, &stop, budget, {}, false};
        if (i == 0) continue;
        lcore = rte_get_next_lcore(lcore, 1, 0);
        if (rte_eal_remote_launch(concurrent_worker, &runs[i], lcore) != 0) return std::nullopt;
      }
      concurrent_worker(runs.data());
      rte_eal_mp_wait_lcore();
      if (std::ranges::any_of(runs, &ConcurrentWorker::stalled)) return std::nullopt;
    }
    drain();
    std::vector<Result> results(runs.size());
    std::ranges::transform(runs, results.begin(), &ConcurrentWorker::result);
    return results;
  };
  // The round whose workers relayed the most packets per second together.
  const auto concurrent = [&]() -> std::optional<std::vector<Result>> {
    const auto total_mpps = [](const std::vector<Result>& r) {
      double sum = 0;
      for (const Result& each : r) sum += each.mpps();
      return sum;
    };
    std::optional<std::vector<Result>> best;
    for (uint32_t round = 0; round < rounds; ++round) {
      auto results = concurrent_round();
      if (!results) return std::nullopt;
      if (!best || total_mpps(*results) > total_mpps(*best)) best = std::move(results);
    }
    return best;
  };
  const auto transcode_step = [&] {
    const uint64_t before = media_sent();
    const uint64_t now_tsc = rte_rdtsc();
    poll_once(w, now_tsc);
    while (transcode_once(*transcoder, now_tsc) != 0) {
    }
    return static_cast<uint32_t>(media_sent() - before);
  };
  std::optional<std::vector<Result>> relay;
  if (worker_count > 1) {
    relay = concurrent();
  } else if (auto one = transcode ? measure(transcode_step)
                                  : measure([&] { return poll_once(w, rte_rdtsc()); })) {
    relay = std::vector{*one};
  }
  const uint64_t relayed = media_sent();
  drain();
  uint64_t dropped = 0;
  std::string reasons;
  for (const WorkerCounters* c : counters) {
    for (size_t d = 0; d < kDropCount; ++d) {
      if (const uint64_t n = c->drops[d].get(); n != 0) {
        dropped += n;
        reasons += fmt::format(" {}={}", kDropNames[d], n);
      }
    }
  }
  transcoder.reset();
  for (uint16_t id = 0; id < worker_count; ++id) {
    rte_rcu_qsbr_thread_offline((*table)->qsbr(), id);
    rte_rcu_qsbr_thread_unregister((*table)->qsbr(), id);
  }
  if ((worker_count == 1 && !baseline) || !relay) {
    return std::unexpected(std::string("traffic stopped: the workload is broken"));
  }
  if (dropped != 0) {
    return std::unexpected(
        fmt::format("{} packets dropped:{}; the workload is broken", dropped, reasons));
  }
  if (peers && peers->failures != 0) {
    return std::unexpected(fmt::format(
        "{} packets the peers could not unprotect: the workload is broken", peers->failures));
  }
  uint64_t measured = 0;
  for (const Result& r : *relay) measured += r.packets;
  if (relayed < measured) {
    return std::unexpected(
        fmt::format("only {} of {} packets relayed: the workload is broken", relayed, measured));
  }
  return RunResult{baseline, *relay};
}

// The plain relay again with `workers` workers at once, one row per worker (its own busy time)
// and their sum, whose ratio is over `one` (a single worker on the same sessions). false: the
// run failed (said on stderr).
bool print_scaling(const Bench& b, uint32_t sessions, uint64_t packets, uint32_t rounds,
                   const ModeSpec& mode, const SrtpLibrary& library, uint16_t workers,
                   const Result& one) {
  auto result = run(b, sessions, packets, rounds, mode, library, workers);
  if (!result) {
    std::fprintf(stderr, "sbc-bench: %s x%u, %u sessions: %s\n", mode.name.c_str(), workers,
                 sessions, result.error().c_str());
    return false;
  }
  double sum = 0;
  for (size_t i = 0; i < result->second.size(); ++i) {
    const Result& r = result->second[i];
    sum += r.mpps();
    std::printf("%9u  %-24s  %8.2f  %9.1f  %12.1f  %10s\n", sessions,
                fmt::format("relay x{}: worker {}", workers, i).c_str(), r.mpps(),
                r.ns_per_packet(), r.cycles_per_packet(), "");
  }
  std::printf("%9u  %-24s  %8.2f  %9s  %12s  %6.2fx of 1\n", sessions,
              fmt::format("relay x{}: all", workers).c_str(), sum, "", "", sum / one.mpps());
  return true;
}

std::expected<Options, std::string> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto number = [&](uint64_t& out) {
      if (i + 1 >= argc) return false;
      const std::string_view v = argv[++i];
      return std::from_chars(v.data(), v.data() + v.size(), out).ec == std::errc{} && out > 0;
    };
    if (arg == "--packets") {
      if (!number(o.packets))
        return std::unexpected(std::string("--packets needs a positive number"));
    } else if (arg == "--sessions") {
      uint64_t n = 0;
      if (!number(n) || n > kSessionsPerPair * kMaxPairs) {
        return std::unexpected(fmt::format("--sessions needs 1..{}", kSessionsPerPair * kMaxPairs));
      }
      o.sessions = {static_cast<uint32_t>(n)};
    } else if (arg == "--mode") {
      if (i + 1 >= argc) return std::unexpected(std::string("--mode needs a value"));
      const std::string_view v = argv[++i];
      std::vector<ModeSpec> chosen;
      for (const ModeSpec& m : all_modes()) {
        if (v == "all" || m.name == v || m.name.starts_with(std::string(v) + " ")) {
          chosen.push_back(m);
        }
      }
      if (chosen.empty()) {
        return std::unexpected(fmt::format(
            "--mode: '{}' is none of all, plain, rtp-srtp, srtp-srtp (optionally with ' aes-cm-80' "
            "or ' gcm-128'), pcmu-pcma, pcmu-g722, pcmu-opus, pcmu-g729",
            v));
      }
      o.modes = std::move(chosen);
    } else if (arg == "--workers") {
      uint64_t n = 0;
      if (!number(n) || n > kMaxBenchWorkers) {
        return std::unexpected(fmt::format("--workers needs 1..{}", kMaxBenchWorkers));
      }
      o.workers = static_cast<uint16_t>(n);
    } else if (arg == "--rounds") {
      uint64_t n = 0;
      if (!number(n) || n > 100) return std::unexpected(std::string("--rounds needs 1..100"));
      o.rounds = static_cast<uint32_t>(n);
    } else if (arg == "--hugepages") {
      o.hugepages = true;
    } else if (arg == "--help" || arg == "-h") {
      return std::unexpected(std::string());
    } else {
      return std::unexpected(fmt::format("unknown argument '{}'", arg));
    }
  }
  return o;
}

int bench_main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) {
    if (!options.error().empty()) std::fprintf(stderr, "sbc-bench: %s\n", options.error().c_str());
    std::fprintf(stderr,
                 "usage: sbc-bench [--packets N (per measurement, default 20000000)] "
                 "[--sessions N (default: 1000, 100000 and 1000000; SRTP modes at most 25000)] "
                 "[--mode all|plain|rtp-srtp|srtp-srtp[ aes-cm-80|gcm-128]|pcmu-pcma|pcmu-g722|"
                 "pcmu-opus|pcmu-g729 (default all)] "
                 "[--hugepages (use reserved 2 MiB pages, as in production, instead of "
                 "--no-huge)] [--workers N (plain relay also with N workers on N cores at once, "
                 "N <= 2)] [--rounds N (each measurement timed N times, the fastest reported; "
                 "default 3)]\n");
    return 2;
  }
  const std::string prefix = fmt::format("sbc-bench-{}", getpid());
  // --no-huge (the default) runs anywhere; with 100k sessions its 4 KiB pages add TLB misses that
  // a production dataplane on hugepages does not have, so --hugepages measures that case.
  // EAL memory: the mbufs and rings, plus ~4 KiB per session (its record, hash keys, config).
  const uint32_t most = *std::ranges::max_element(options->sessions);
  const std::string memory_mb = std::to_string(1024 + most / 256);
  std::vector<std::string> eal{
      "sbc-bench",
      "--no-pci",
      "-m",
      memory_mb,
      "--file-prefix",
      prefix,
      "--log-level=*:warning",
      "-l",
      options->workers == 1 ? "0" : fmt::format("0-{}", options->workers - 1)};
  // --in-memory: no runtime files, and hugepage files unlinked, so nothing is left after a run.
  // --no-huge makes no files, and EAL refuses the two together (--no-huge implies legacy memory).
  eal.insert(eal.begin() + 1, options->hugepages ? "--in-memory" : "--no-huge");
  std::vector<char*> eal_argv;
  for (auto& a : eal) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "sbc-bench: rte_eal_init failed\n");
    return 1;
  }
  Bench b;
  b.pool = rte_pktmbuf_pool_create("bench_mbufs", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   SOCKET_ID_ANY);
  if (!b.pool) return 1;
  for (uint32_t p = 0; p < kMaxPairs * 2; ++p) {
    auto port = make_port(fmt::format("bench{}", p), b.pool);
    auto tap = make_port(fmt::format("benchtap{}", p), b.pool);
    if (!port || !tap) {
      std::fprintf(stderr, "sbc-bench: %s\n", (port ? tap.error() : port.error()).c_str());
      return 1;
    }
    b.ports.push_back(*port);
    b.taps.push_back(*tap);
  }
  std::printf(
      "sbc-bench: one worker core (--workers: also several), net_ring ports, %lu packets per "
      "measurement (the fastest of %u rounds), %u in "
      "flight, 214-byte RTP frames, %s, TSC %.2f GHz; worker time only\n\n",
      static_cast<unsigned long>(options->packets), options->rounds, kInFlight,
      options->hugepages ? "2 MiB hugepages" : "4 KiB pages (--no-huge)", rte_get_tsc_hz() / 1e9);
  auto library = SrtpLibrary::init();
  if (!library) {
    std::fprintf(stderr, "sbc-bench: libsrtp init failed\n");
    return 1;
  }
  // Bare libsrtp, measured once per suite and number of context pairs (bare_srtp.h), its row
  // printed when measured: with one pair up front for each suite the modes use, with as many
  // pairs as sessions before the first SRTP mode of that suite and session count.
  std::map<std::pair<api::SrtpSuite, uint32_t>, Result> bare;
  auto bare_cost = [&](api::SrtpSuite suite, uint32_t pairs) -> std::expected<Result, std::string> {
    if (auto known = bare.find({suite, pairs}); known != bare.end()) return known->second;
    auto r = bare_srtp(*library, suite, std::min<uint64_t>(options->packets, 2'000'000),
                       options->rounds, pairs);
    if (!r) return r;
    bare.emplace(std::pair{suite, pairs}, *r);
    std::printf("%9s  %-24s  %8.2f  %9.1f  %12.1f  %10s\n",
                pairs == 1 ? "1 pair" : std::to_string(pairs).c_str(),
                fmt::format("libsrtp {} p+u", suite_name(suite)).c_str(), r->mpps(),
                r->ns_per_packet(), r->cycles_per_packet(), "");
    return r;
  };
  std::printf("%9s  %-24s  %8s  %9s  %12s  %10s\n", "sessions", "mode", "Mpps", "ns/packet",
              "cycles/pkt", "ratio");
  for (const ModeSpec& m : options->modes) {
    if (m.mode == Mode::kPlain || m.mode == Mode::kTranscode) continue;
    if (auto r = bare_cost(m.suite, 1); !r) {
      std::fprintf(stderr, "sbc-bench: %s\n", r.error().c_str());
      return 1;
    }
  }
  int rc = 0;
  for (const ModeSpec& mode : options->modes) {
    for (uint32_t sessions : options->sessions) {
      if (mode.mode == Mode::kTranscode && sessions > kMaxTranscodeSessions) {
        std::printf("%9u  %-24s  skipped: transcoding modes run up to %u sessions\n", sessions,
                    mode.name.c_str(), kMaxTranscodeSessions);
        continue;
      }
      if (mode.mode != Mode::kPlain && sessions > kMaxSrtpSessions) {
        std::printf("%9u  %-24s  skipped: SRTP modes run up to %u sessions\n", sessions,
                    mode.name.c_str(), kMaxSrtpSessions);
        continue;
      }
      const uint64_t packets = mode.mode == Mode::kTranscode
                                   ? std::min(options->packets, kTranscodePackets)
                                   : options->packets;
      auto result = run(b, sessions, packets, options->rounds, mode, *library);
      if (!result) {
        std::fprintf(stderr, "sbc-bench: %s, %u sessions: %s\n", mode.name.c_str(), sessions,
                     result.error().c_str());
        rc = 1;
        continue;
      }
      const Result& baseline = result->first.value_or(Result{});
      const Result& relay = result->second.front();
      if (mode.mode == Mode::kPlain) {
        std::printf("%9u  %-24s  %8.2f  %9.1f  %12.1f  %10s\n", sessions, "baseline (l2fwd swap)",
                    baseline.mpps(), baseline.ns_per_packet(), baseline.cycles_per_packet(), "");
        std::printf(
            "%9u  %-24s  %8.2f  %9.1f  %12.1f  %9.2fx\n", sessions, "relay (lookup+latch)",
            relay.mpps(), relay.ns_per_packet(), relay.cycles_per_packet(),
            baseline.ns_per_packet() == 0 ? 0.0 : relay.ns_per_packet() / baseline.ns_per_packet());
        if (options->workers > 1 && !print_scaling(b, sessions, packets, options->rounds, mode,
                                                   *library, options->workers, relay)) {
          rc = 1;
        }
        continue;
      }
      if (mode.mode == Mode::kTranscode) {
        // One call: 50 packets/s each way.
        std::printf("%9u  %-24s  %8.2f  %9.1f  %12.1f  %7.0f calls/core\n", sessions,
                    mode.name.c_str(), relay.mpps(), relay.ns_per_packet(),
                    relay.cycles_per_packet(), 1e9 / (relay.ns_per_packet() * 100));
        continue;
      }
      // The crypto a relayed packet needs on average: rtp-srtp one protect or one unprotect (half
      // of bare p+u), srtp-srtp one unprotect and one protect (bare p+u); against libsrtp with
      // one context pair, and with as many pairs as sessions (as cold as the relay's).
      auto one_pair = bare_cost(mode.suite, 1);
      auto at_scale = bare_cost(mode.suite, sessions);
      if (!one_pair || !at_scale) {
        std::fprintf(stderr, "sbc-bench: %s\n",
                     (one_pair ? at_scale.error() : one_pair.error()).c_str());
        rc = 1;
        continue;
      }
      double crypto_ns = one_pair->ns_per_packet();
      double crypto_at_scale_ns = at_scale->ns_per_packet();
      if (mode.mode == Mode::kRtpSrtp) {
        crypto_ns /= 2;
        crypto_at_scale_ns /= 2;
      }
      std::printf("%9u  %-24s  %8.2f  %9.1f  %12.1f  %9.2fx  %9.2fx\n", sessions, mode.name.c_str(),
                  relay.mpps(), relay.ns_per_packet(), relay.cycles_per_packet(),
                  relay.ns_per_packet() / crypto_ns, relay.ns_per_packet() / crypto_at_scale_ns);
    }
  }
  std::printf(
      "\nratio: relay ns/packet over the l2fwd baseline (plain), or over the bare libsrtp cost "
      "of the crypto one relayed packet needs (SRTP: half of p+u for rtp-srtp, p+u for "
      "srtp-srtp), first with libsrtp's one context pair (\"1 pair\": its state always in "
      "cache), then with as many pairs as sessions taken in a shuffled cycle (the libsrtp row "
      "with that session count: as cold as the relay's); transcoding: calls one core carries at 50 "
      "packets/s each way (worker "
      "and "
      "transcoder on the same core, both timed).\n");
  std::printf(
      "\nSessions are visited in a fixed shuffled order; the reflector feeding the ports is "
      "not timed.\n");
  for (const RingPort& p : b.taps) {
    rte_eth_dev_stop(p.id);
    rte_eth_dev_close(p.id);
  }
  for (const RingPort& p : b.ports) {
    rte_eth_dev_stop(p.id);
    rte_eth_dev_close(p.id);
  }
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::filesystem::remove_all(runtime_dir);  // per-run prefix: leave nothing behind
  return rc;
}

}  // namespace
}  // namespace sbc::dp::bench

int main(int argc, char** argv) {
  return sbc::dp::bench::bench_main(argc, argv);
}
