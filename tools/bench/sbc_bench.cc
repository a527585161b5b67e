// sbc-bench: relay-path cost of one worker core on in-memory net_ring ports, next to an
// l2fwd-style baseline (rx burst -> MAC swap -> tx burst, no lookup) on the same ports in the same
// run.
//
// Only the worker step is timed (TSC around each poll), so the harness does not count. Packets
// circulate: whatever a port transmits is reflected (addresses swapped, aimed at the session that
// follows in a fixed shuffled order, TTL restored) into the same port's RX ring, so every packet
// stays valid media and lookups visit the whole table in an order the prefetcher cannot guess.
// Thousands of packets are in flight, so a packet's header left L1 (and mostly L2) long before the
// worker sees it again, as with a NIC writing by DMA.
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
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/fastpath/checksum.h"
#include "dataplane/fastpath/port.h"
#include "dataplane/fastpath/relay.h"
#include "dataplane/fastpath/worker.h"
#include "dataplane/tables/session_table.h"

namespace sbc::dp::bench {
namespace {

constexpr uint32_t kSessionsPerPair = 25000;  // local even ports per address: < 32k
constexpr uint32_t kInFlight = 16384;         // ~3 MiB of header and mbuf lines: past L1 and L2
constexpr uint32_t kRingSize = 32768;         // > kInFlight: a port's rings never overflow
constexpr uint16_t kFirstLocalPort = 10000;
constexpr uint16_t kCallerPort = 40000;
constexpr uint16_t kCalleePort = 50000;
constexpr uint32_t kMaxPairs = 4;  // 100k sessions

struct Options {
  uint64_t packets = 20'000'000;
  std::vector<uint32_t> sessions{1000, 100000};
  bool hugepages = false;
};

struct RingPort {
  uint16_t id;
  rte_ring* rx;
  rte_ring* tx;
};

struct Bench {
  rte_mempool* pool = nullptr;
  std::vector<RingPort> ports;  // 2 per pair: access (even index), trunk (odd index)
  std::vector<RingPort> taps;   // one per port, idle (nothing is punted), polled like in production
};

uint32_t port_ip(uint32_t port) {  // host order: access pair j 10.0.j.1, trunk pair j 10.1.j.1
  return (10u << 24) | ((port % 2) << 16) | ((port / 2) << 8) | 1;
}
uint32_t peer_ip(uint32_t port) {
  return port_ip(port) + 9;
}  // .10: caller or callee
uint16_t local_port(uint32_t slot) {
  return static_cast<uint16_t>(kFirstLocalPort + 2 * slot);
}

std::expected<RingPort, std::string> make_port(const std::string& name, rte_mempool* pool) {
  RingPort p{};
  p.rx = rte_ring_create((name + "_rx").c_str(), kRingSize, SOCKET_ID_ANY,
                         RING_F_SP_ENQ | RING_F_SC_DEQ);
  p.tx = rte_ring_create((name + "_tx").c_str(), kRingSize, SOCKET_ID_ANY,
                         RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!p.rx || !p.tx) return std::unexpected("rte_ring_create " + name);
  const int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
  if (id < 0) return std::unexpected("rte_eth_from_rings " + name);
  p.id = static_cast<uint16_t>(id);
  if (auto ok = start_ethdev(p.id, 1, pool); !ok) return std::unexpected(ok.error());
  return p;
}

rte_mbuf* build_packet(rte_mempool* pool, uint32_t port, uint32_t slot) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) return nullptr;
  constexpr uint16_t kPayload = 172;  // G.711 20 ms: 12 byte RTP header + 160 samples
  constexpr uint16_t kLen =
      sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + kPayload;
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, kLen));
  std::memset(eth, 0, kLen);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(kLen - sizeof(rte_ether_hdr));
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = rte_cpu_to_be_32(peer_ip(port));
  ip->dst_addr = rte_cpu_to_be_32(port_ip(port));
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(port % 2 ? kCalleePort : kCallerPort);
  udp->dst_port = rte_cpu_to_be_16(local_port(slot));
  udp->dgram_len = rte_cpu_to_be_16(sizeof(rte_udp_hdr) + kPayload);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
  return m;
}

// A fixed random cycle over all slots (Sattolo's algorithm): following next[slot] from any slot
// visits every session once, in an order with no locality.
std::vector<uint16_t> shuffled_cycle(uint32_t slots) {
  std::vector<uint16_t> order(slots);
  for (uint32_t i = 0; i < slots; ++i) order[i] = static_cast<uint16_t>(i);
  uint64_t state = 0x9e3779b97f4a7c15ull;  // fixed seed: every run visits the same order
  for (uint32_t i = slots - 1; i > 0; --i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::swap(order[i], order[state % i]);
  }
  std::vector<uint16_t> next(slots);
  for (uint32_t i = 0; i < slots; ++i) next[order[i]] = order[(i + 1) % slots];
  return next;
}

// What a port sent comes back to it from its peer, aimed at the next session in the cycle.
void reflect(rte_mbuf* m, const std::vector<uint16_t>& next_slot) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  // A swap leaves both checksums unchanged.
  const uint32_t src_ip = ip->src_addr;
  ip->src_addr = ip->dst_addr;
  ip->dst_addr = src_ip;
  const uint16_t src_port = udp->src_port;
  udp->src_port = udp->dst_port;
  udp->dst_port = src_port;
  const uint16_t slot =
      static_cast<uint16_t>((rte_be_to_cpu_16(udp->dst_port) - kFirstLocalPort) / 2);
  const uint16_t next = rte_cpu_to_be_16(local_port(next_slot[slot % next_slot.size()]));
  if (udp->dgram_cksum != 0)
    udp->dgram_cksum = udp_checksum_field(checksum_update16(udp->dgram_cksum, udp->dst_port, next));
  udp->dst_port = next;
  uint16_t old_word;  // TTL shares a 16-bit checksum word with the protocol
  std::memcpy(&old_word, &ip->time_to_live, 2);
  ip->time_to_live = 64;
  uint16_t new_word;
  std::memcpy(&new_word, &ip->time_to_live, 2);
  ip->hdr_checksum = checksum_update16(ip->hdr_checksum, old_word, new_word);
}

void circulate(const Bench& b, size_t port_count, const std::vector<uint16_t>& next_slot) {
  void* burst[64];
  for (size_t p = 0; p < port_count; ++p) {
    unsigned n;
    while ((n = rte_ring_dequeue_burst(b.ports[p].tx, burst, 64, nullptr)) != 0) {
      for (unsigned i = 0; i < n; ++i) reflect(static_cast<rte_mbuf*>(burst[i]), next_slot);
      rte_ring_enqueue_burst(b.ports[p].rx, burst, n, nullptr);
    }
  }
}

// The baseline worker step, l2fwd style: each port's RX burst, MAC addresses swapped (the header
// line relay also reads and writes), then TX to the pair partner; the idle TAPs are polled too.
uint32_t forward_once(const Bench& b, size_t port_count) {
  rte_mbuf* pkts[kBurstSize];
  uint32_t total = 0;
  for (size_t p = 0; p < port_count; ++p) {
    const uint16_t n = rte_eth_rx_burst(b.ports[p].id, 0, pkts, kBurstSize);
    total += rte_eth_rx_burst(b.taps[p].id, 0, pkts + n, static_cast<uint16_t>(kBurstSize - n));
    if (n == 0) continue;
    for (uint16_t i = 0; i < n; ++i) {
      if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
      auto* eth = rte_pktmbuf_mtod(pkts[i], rte_ether_hdr*);
      const rte_ether_addr dst = eth->dst_addr;
      eth->dst_addr = eth->src_addr;
      eth->src_addr = dst;
    }
    const uint16_t sent = rte_eth_tx_burst(b.ports[p ^ 1].id, 0, pkts, n);
    if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    total += n;
  }
  return total;
}

// Worker time only: TSC cycles spent inside the timed step, and the packets it received.
struct Result {
  uint64_t packets = 0;
  uint64_t cycles = 0;
  double hz = 1;
  double mpps() const { return packets / (cycles / hz) / 1e6; }
  double ns_per_packet() const { return cycles / hz * 1e9 / packets; }
  double cycles_per_packet() const { return static_cast<double>(cycles) / packets; }
};

std::expected<std::pair<Result, Result>, std::string> run(const Bench& b, uint32_t sessions,
                                                          uint64_t packets) {
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
    rte_eth_macaddr_get(v.phys, &v.mac);
    v.ip_be = rte_cpu_to_be_32(port_ip(p));
    v.mask_be = rte_cpu_to_be_32(0xffffff00);
    (*neighbours)[p].learn(rte_cpu_to_be_32(peer_ip(p)),
                           {0x02, 0, 0, 0, 0, static_cast<uint8_t>(p)}, now);
    addresses.push_back({v.ip_be});
  }
  datapath->port_count = static_cast<uint8_t>(port_count);
  datapath->neighbours = neighbours.get();
  datapath->pool = b.pool;
  datapath->tsc_hz = hz;
  datapath->neighbour_refresh_tsc = kNeighbourRefreshSeconds * hz;
  const std::vector<uint16_t> next_slot = shuffled_cycle(slots);
  auto table = SessionTable::create(fmt::format("bench{}", sessions), sessions, 1, addresses, hz,
                                    SOCKET_ID_ANY);
  if (!table) return std::unexpected(table.error());
  datapath->sessions = (*table)->hash();
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
      spec.local = api::Address::ipv4(port_ip(port));
      spec.local_rtp_port = local_port(slot);
      spec.remote = api::Address::ipv4(peer_ip(port));
      spec.remote_rtp_port = leg == 0 ? kCallerPort : kCalleePort;
      spec.signalling_source = spec.remote;
    }
    if (auto r = (*table)->upsert(add, rte_rdtsc()); r.status != api::Status::kOk) {
      return std::unexpected(fmt::format("session {}: {}", k, r.detail));
    }
  }
  std::vector<uint8_t> owned;
  for (size_t p = 0; p < port_count; ++p) owned.push_back(static_cast<uint8_t>(p));
  auto worker = make_worker(0, *datapath, (*table)->qsbr(), owned, SOCKET_ID_ANY);
  if (!worker) return std::unexpected(worker.error());
  rte_rcu_qsbr_thread_register((*table)->qsbr(), 0);
  rte_rcu_qsbr_thread_online((*table)->qsbr(), 0);

  // In-flight packets start on the access ports, spread over every pair's sessions (several per
  // session when there are few); each measurement starts from a fresh set.
  auto seed = [&]() -> bool {
    for (uint32_t i = 0; i < kInFlight; ++i) {
      const uint32_t pair = i % pairs;
      rte_mbuf* m = build_packet(b.pool, pair * 2, (i / pairs) % slots);
      if (!m) return false;
      rte_ring_enqueue(b.ports[pair * 2].rx, m);
    }
    return true;
  };
  auto drain = [&] {
    for (size_t p = 0; p < port_count; ++p) {
      void* obj;
      while (rte_ring_dequeue(b.ports[p].rx, &obj) == 0)
        rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
      while (rte_ring_dequeue(b.ports[p].tx, &obj) == 0)
        rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
    }
  };
  // Runs `step` (a worker iteration returning the packets it received) with the reflector between
  // iterations until `packets` were processed, timing `step` alone; nullopt if traffic stopped.
  auto measure = [&](auto&& step) -> std::optional<Result> {
    drain();
    if (!seed()) return std::nullopt;
    for (int i = 0; i < 2000; ++i) {  // warm up: latches, caches, branch predictors
      step();
      circulate(b, port_count, next_slot);
    }
    Result r;
    r.hz = static_cast<double>(hz);
    uint32_t idle = 0;
    while (r.packets < packets) {
      const uint64_t start = rte_rdtsc();
      const uint32_t n = step();
      r.cycles += rte_rdtsc() - start;
      r.packets += n;
      circulate(b, port_count, next_slot);
      idle = n == 0 ? idle + 1 : 0;
      if (idle > 100000) return std::nullopt;
    }
    drain();
    return r;
  };
  const auto baseline = measure([&] { return forward_once(b, port_count); });
  Worker& w = **worker;
  const auto relay = measure([&] { return poll_once(w, rte_rdtsc()); });
  uint64_t relayed = 0;
  for (size_t p = 0; p < port_count; ++p) relayed += w.counters.ports[p].media_tx.get();
  drain();
  uint64_t dropped = 0;
  for (size_t d = 0; d < kDropCount; ++d) dropped += w.counters.drops[d].get();
  rte_rcu_qsbr_thread_offline((*table)->qsbr(), 0);
  rte_rcu_qsbr_thread_unregister((*table)->qsbr(), 0);
  if (!baseline || !relay)
    return std::unexpected(std::string("traffic stopped: the workload is broken"));
  if (dropped != 0)
    return std::unexpected(fmt::format("{} packets dropped: the workload is broken", dropped));
  if (relay && relayed < relay->packets) {
    return std::unexpected(fmt::format("only {} of {} packets relayed: the workload is broken",
                                       relayed, relay->packets));
  }
  return std::pair{*baseline, *relay};
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
                 "[--sessions N (default: 1000 and 100000)] [--hugepages (use reserved 2 MiB "
                 "pages, as in production, instead of --no-huge)]\n");
    return 2;
  }
  const std::string prefix = fmt::format("sbc-bench-{}", getpid());
  // --no-huge (the default) runs anywhere; with 100k sessions its 4 KiB pages add TLB misses that
  // a production dataplane on hugepages does not have, so --hugepages measures that case.
  std::vector<std::string> eal{
      "sbc-bench", "--no-pci", "-m", "1024", "--file-prefix", prefix, "--log-level=*:warning",
      "-l",        "0"};
  if (!options->hugepages) eal.insert(eal.begin() + 1, "--no-huge");
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
      "sbc-bench: one worker core, net_ring ports, %lu packets per measurement, %u in "
      "flight, 214-byte RTP frames, %s, TSC %.2f GHz; worker time only\n\n",
      static_cast<unsigned long>(options->packets), kInFlight,
      options->hugepages ? "2 MiB hugepages" : "4 KiB pages (--no-huge)", rte_get_tsc_hz() / 1e9);
  std::printf("%9s  %-22s  %8s  %9s  %12s  %14s\n", "sessions", "mode", "Mpps", "ns/packet",
              "cycles/pkt", "relay/baseline");
  int rc = 0;
  for (uint32_t sessions : options->sessions) {
    auto result = run(b, sessions, options->packets);
    if (!result) {
      std::fprintf(stderr, "sbc-bench: %u sessions: %s\n", sessions, result.error().c_str());
      rc = 1;
      continue;
    }
    const auto& [baseline, relay] = *result;
    std::printf("%9u  %-22s  %8.2f  %9.1f  %12.1f  %14s\n", sessions, "baseline (l2fwd swap)",
                baseline.mpps(), baseline.ns_per_packet(), baseline.cycles_per_packet(), "");
    std::printf("%9u  %-22s  %8.2f  %9.1f  %12.1f  %14.2f\n", sessions, "relay (lookup+latch)",
                relay.mpps(), relay.ns_per_packet(), relay.cycles_per_packet(),
                relay.mpps() / baseline.mpps());
  }
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
