#include "tools/bench/bench_traffic.h"

#include <fmt/core.h>
#include <rte_byteorder.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include <cstring>
#include <span>

#include "dataplane/fastpath/checksum.h"
#include "dataplane/fastpath/port.h"
#include "dataplane/fastpath/worker.h"
#include "dataplane/media/srtp_suite.h"

namespace sbc::dp::bench {

// A deterministic master key||salt per (session, leg, direction): no two alike.
api::SrtpParams key_for(api::SrtpSuite suite, uint32_t session, uint32_t leg, uint32_t in) {
  std::vector<uint8_t> bytes(api::srtp_key_salt_length(suite));
  uint64_t state = 0x9e3779b97f4a7c15ull ^ (uint64_t{session} << 2 | leg << 1 | in);
  for (uint8_t& b : bytes) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    b = static_cast<uint8_t>(state);
  }
  api::SrtpParams p;
  p.suite = suite;
  p.key = api::SrtpKey::from_bytes(bytes);
  return p;
}

SrtpMasterKey master_of(const api::SrtpParams& p) {
  return *SrtpMasterKey::create(*srtp_suite_from_name(api::to_string(p.suite)), p.key.bytes());
}

uint32_t port_ip(uint32_t port) {  // host order: access pair j 10.0.j.1, trunk pair j 10.1.j.1
  return (10u << 24) | ((port % 2) << 16) | ((port / 2) << 8) | 1;
}
uint32_t peer_ip(uint32_t port) {
  return port_ip(port) + 9;
}  // .10: caller or callee
uint16_t local_port(uint32_t slot) {
  return static_cast<uint16_t>(kFirstLocalPort + 2 * (slot % kSlotsPerAddress));
}
uint32_t local_ip(uint32_t port, uint32_t slot) {
  const uint32_t a = slot / kSlotsPerAddress;
  return a == 0 ? port_ip(port) : port_ip(port) + kMediaHost + a;
}
// The slot of a local address and UDP port (host order) of port `port`.
uint32_t slot_of(uint32_t port, uint32_t ip, uint16_t udp_port) {
  const uint32_t a = ip == port_ip(port) ? 0 : ip - port_ip(port) - kMediaHost;
  return a * kSlotsPerAddress + (udp_port - kFirstLocalPort) / 2;
}

std::expected<RingPort, std::string> make_port(const std::string& name, rte_mempool* pool) {
  RingPort p{};
  for (uint16_t q = 0; q < kMaxBenchWorkers; ++q) {
    p.rx[q] = rte_ring_create(fmt::format("{}_rx{}", name, q).c_str(), kRingSize, SOCKET_ID_ANY,
                              RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx[q] = rte_ring_create(fmt::format("{}_tx{}", name, q).c_str(), kRingSize, SOCKET_ID_ANY,
                              RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!p.rx[q] || !p.tx[q]) return std::unexpected("rte_ring_create " + name);
  }
  const int id = rte_eth_from_rings(name.c_str(), p.rx.data(), kMaxBenchWorkers, p.tx.data(),
                                    kMaxBenchWorkers, SOCKET_ID_ANY);
  if (id < 0) return std::unexpected("rte_eth_from_rings " + name);
  p.id = static_cast<uint16_t>(id);
  if (auto ok = start_ethdev(p.id, kMaxBenchWorkers, kMaxBenchWorkers, pool); !ok) {
    return std::unexpected(ok.error());
  }
  return p;
}

void write_rtp_header(uint8_t* rtp, uint16_t seq, uint32_t ssrc, uint8_t payload_type,
                      uint32_t ts_step) {
  rtp[0] = 0x80;
  rtp[1] = payload_type;  // PCMU by default
  rtp[2] = static_cast<uint8_t>(seq >> 8);
  rtp[3] = static_cast<uint8_t>(seq);
  const uint32_t ts = uint32_t{seq} * ts_step;
  for (int i = 0; i < 4; ++i) rtp[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) rtp[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
}

// After the UDP payload changed length (SRTP): lengths and both checksums anew.
void fix_lengths(rte_mbuf* m, size_t payload_len) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  const auto datagram = static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload_len);
  const auto frame = static_cast<uint16_t>(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + datagram);
  m->data_len = frame;
  m->pkt_len = frame;
  udp->dgram_len = rte_cpu_to_be_16(datagram);
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + datagram));
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  udp->dgram_cksum = 0;
  udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

rte_mbuf* build_packet(rte_mempool* pool, uint32_t port, uint32_t slot) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) return nullptr;
  constexpr uint16_t kPayload = kRtpPayload;
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
  ip->dst_addr = rte_cpu_to_be_32(local_ip(port, slot));
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(port % 2 ? kCalleePort : kCallerPort);
  udp->dst_port = rte_cpu_to_be_16(local_port(slot));
  udp->dgram_len = rte_cpu_to_be_16(sizeof(rte_udp_hdr) + kPayload);
  write_rtp_header(reinterpret_cast<uint8_t*>(udp + 1), 0, slot);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
  return m;
}

// A fixed random cycle over all slots (Sattolo's algorithm): following next[slot] from any slot
// visits every session once, in an order with no locality.
std::vector<uint32_t> shuffled_cycle(uint32_t slots, uint32_t lanes) {
  std::vector<uint32_t> order(slots);
  for (uint32_t i = 0; i < slots; ++i) order[i] = i;
  uint64_t state = 0x9e3779b97f4a7c15ull;  // fixed seed: every run visits the same order
  for (uint32_t i = slots - 1; i > 0; --i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::swap(order[i], order[state % i]);
  }
  std::vector<uint32_t> next(slots);
  for (uint32_t lane = 0; lane < lanes; ++lane) {
    std::vector<uint32_t> cycle;
    for (uint32_t s : order) {
      if (s % lanes == lane) cycle.push_back(s);
    }
    for (size_t i = 0; i < cycle.size(); ++i) next[cycle[i]] = cycle[(i + 1) % cycle.size()];
  }
  return next;
}

namespace {

// What port `port` sent comes back to it from its peer, aimed at the next session in the cycle
// (its local address and UDP port).
void reflect(rte_mbuf* m, uint32_t port, const std::vector<uint32_t>& next_slot) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  // A swap leaves both checksums unchanged.
  const uint32_t src_ip = ip->src_addr;
  ip->src_addr = ip->dst_addr;
  ip->dst_addr = src_ip;
  const uint16_t src_port = udp->src_port;
  udp->src_port = udp->dst_port;
  udp->dst_port = src_port;
  const uint32_t slot =
      slot_of(port, rte_be_to_cpu_32(ip->dst_addr), rte_be_to_cpu_16(udp->dst_port));
  const uint32_t next_slot_of = next_slot[slot % next_slot.size()];
  const uint16_t next = rte_cpu_to_be_16(local_port(next_slot_of));
  const uint32_t next_ip = rte_cpu_to_be_32(local_ip(port, next_slot_of));
  if (udp->dgram_cksum != 0) {
    uint16_t c = checksum_update16(udp->dgram_cksum, udp->dst_port, next);
    c = checksum_update32(c, ip->dst_addr, next_ip);
    udp->dgram_cksum = udp_checksum_field(c);
  }
  udp->dst_port = next;
  const uint16_t h = checksum_update_ttl(ip->hdr_checksum, ip->time_to_live, 64, ip->next_proto_id);
  ip->time_to_live = 64;
  ip->hdr_checksum = checksum_update32(h, ip->dst_addr, next_ip);
  ip->dst_addr = next_ip;
}

// The peers' side of a packet port `port` sent (SRTP modes), before reflect(): unprotect what the
// SBC protected, then, aimed at the next session, the next sequence number of that session on this
// leg and its peer's protection. (A packet is re-aimed: the session it comes back to is another.)
void play_peer(rte_mbuf* m, uint32_t port, const std::vector<uint32_t>& next_slot, Peers& peers) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  auto* payload = reinterpret_cast<uint8_t*>(udp + 1);
  size_t length = rte_be_to_cpu_16(udp->dgram_len) - sizeof(rte_udp_hdr);
  const uint32_t leg = port % 2;
  const uint32_t pair = port / 2;
  const uint32_t slot =
      slot_of(port, rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_16(udp->src_port));
  const uint32_t from = pair * peers.slots + slot;
  const uint32_t to = pair * peers.slots + next_slot[slot % next_slot.size()];
  const std::span<uint8_t> buffer(payload, rte_pktmbuf_tailroom(m) + length);
  if (peers.srtp[leg] && peers.rx[leg][from]->unprotect_rtp(buffer, length) != SrtpResult::kOk) {
    ++peers.failures;
  }
  write_rtp_header(payload, peers.seq[leg][to]++, to, peers.payload_type[leg], peers.ts_step[leg]);
  if (peers.srtp[leg] && peers.tx[leg][to]->protect_rtp(buffer, length) != SrtpResult::kOk) {
    ++peers.failures;
  }
  fix_lengths(m, length);
}

}  // namespace

void circulate(const Bench& b, size_t port_count, const std::vector<uint32_t>& next_slot,
               Peers* peers, uint16_t queue) {
  void* burst[64];
  for (size_t p = 0; p < port_count; ++p) {
    unsigned n;
    while ((n = rte_ring_dequeue_burst(b.ports[p].tx[queue], burst, 64, nullptr)) != 0) {
      for (unsigned i = 0; i < n; ++i) {
        auto* m = static_cast<rte_mbuf*>(burst[i]);
        if (peers) play_peer(m, static_cast<uint32_t>(p), next_slot, *peers);
        reflect(m, static_cast<uint32_t>(p), next_slot);
      }
      rte_ring_enqueue_burst(b.ports[p].rx[queue], burst, n, nullptr);
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

}  // namespace sbc::dp::bench
