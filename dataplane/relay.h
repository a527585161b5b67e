// The per-packet body of the data path: classify a burst from the wire, look the media candidates
// up in one bulk call, then latch + rewrite + relay them; punt the rest to the TAP. Header-inline
// so the worker loop and the benchmark compile it in place and tests can run one burst.
#pragma once

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "checksum.h"
#include "session_table.h"
#include "worker.h"

namespace sbc::dp {

// Rare path (an unknown next hop): builds and queues an ARP request, rate limited per IP.
void request_neighbour(Worker& w, uint8_t port_index, uint32_t ip_be, uint64_t now_tsc);

namespace relay_detail {

inline constexpr uint32_t kEthLen = sizeof(rte_ether_hdr);

enum class Verdict : uint8_t { kMedia, kPunt, kPuntArp, kDropped };

inline void drop(Worker& w, rte_mbuf* m, Drop reason) {
  w.counters.drop(reason);
  rte_pktmbuf_free(m);
}

// To the kernel through the port's TAP, within the port's rate. Only the port's owner gets here
// (it polled the frame from that port), so the bucket and TAP queue have a single user.
inline void punt(Worker& w, uint8_t port_index, rte_mbuf* m, uint64_t now_tsc, bool arp = false) {
  TokenBucket& bucket = arp ? w.arp_bucket[port_index] : w.punt_bucket[port_index];
  if (!bucket.take(now_tsc)) {
    drop(w, m, arp ? Drop::kArpPoliced : Drop::kPuntPoliced);
    return;
  }
  const PortView& port = w.dp->ports[port_index];
  w.counters.ports[port_index].to_kernel.add(1);
  rte_eth_tx_buffer(port.tap, kTapQueue, w.tap_tx[port_index], m);
}

inline rte_ipv4_hdr* ipv4_of(rte_mbuf* m) {
  return rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, kEthLen);
}

inline uint32_t ihl_of(const rte_ipv4_hdr* ip) {
  return (ip->version_ihl & 0x0f) * 4u;
}

// ARP: snoop the sender's MAC (on-link senders only), then let the kernel answer. A new neighbour
// is learned only from a reply to us or a request for our address (what the kernel would also
// learn from); any other ARP (gratuitous, requests between other hosts) may only refresh an entry
// we already have, so a spoofer cannot fill the table with hosts we never talk to.
inline Verdict snoop_arp(Worker& w, uint8_t port_index, rte_mbuf* m, uint64_t now_tsc) {
  if (m->data_len < kEthLen + sizeof(rte_arp_hdr)) {
    drop(w, m, Drop::kBadArp);
    return Verdict::kDropped;
  }
  const auto* arp = rte_pktmbuf_mtod_offset(m, const rte_arp_hdr*, kEthLen);
  const PortView& port = w.dp->ports[port_index];
  if (arp->arp_hardware == rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) &&
      arp->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && arp->arp_hlen == 6 &&
      arp->arp_plen == 4) {
    const uint32_t sender = arp->arp_data.arp_sip;
    if (sender != 0 && sender != port.ip_be && ((sender ^ port.ip_be) & port.mask_be) == 0) {
      NeighbourTable::Mac mac;
      std::memcpy(mac.data(), arp->arp_data.arp_sha.addr_bytes, 6);
      const uint16_t op = arp->arp_opcode;
      const bool for_us =
          arp->arp_data.arp_tip == port.ip_be &&
          (op == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) || op == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST));
      NeighbourTable& table = (*w.dp->neighbours)[port_index];
      if (for_us ? table.learn(sender, mac, now_tsc) : table.refresh(sender, mac, now_tsc)) {
        w.counters.event(Event::kNeighbourLearned);
      }
    }
  }
  return Verdict::kPuntArp;
}

// Decides what a frame from the wire is; for media candidates fills the session-table key.
inline Verdict classify(Worker& w, uint8_t port_index, rte_mbuf* m, StreamKey* key,
                        uint64_t now_tsc) {
  if (m->data_len < kEthLen) {
    drop(w, m, Drop::kRunt);
    return Verdict::kDropped;
  }
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
    return snoop_arp(w, port_index, m, now_tsc);
  // Chained mbufs and non-IPv4 (IPv6, VLAN, LLDP...) are the kernel's business.
  if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || m->nb_segs != 1) {
    return Verdict::kPunt;
  }
  if (m->data_len < kEthLen + sizeof(rte_ipv4_hdr)) {
    drop(w, m, Drop::kBadIpHeader);
    return Verdict::kDropped;
  }
  const rte_ipv4_hdr* ip = ipv4_of(m);
  const uint32_t ihl = ihl_of(ip);
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || total < ihl ||
      kEthLen + total > m->data_len) {
    drop(w, m, Drop::kBadIpHeader);
    return Verdict::kDropped;
  }
  const PortView& port = w.dp->ports[port_index];
  // Fragments go to the kernel, which reassembles; media never fragments in practice.
  if (ip->next_proto_id != IPPROTO_UDP || ip->dst_addr != port.ip_be ||
      (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
    return Verdict::kPunt;
  }
  if (total < ihl + sizeof(rte_udp_hdr)) {
    drop(w, m, Drop::kBadUdp);
    return Verdict::kDropped;
  }
  const auto* udp =
      reinterpret_cast<const rte_udp_hdr*>(reinterpret_cast<const uint8_t*>(ip) + ihl);
  key->ip_be = ip->dst_addr;
  key->udp_port_be = udp->dst_port;
  key->port_index = port_index;
  key->pad = 0;
  return Verdict::kMedia;
}

inline void drop_stream(Worker& w, StreamState& s, rte_mbuf* m, Drop reason) {
  s.dropped.add(1);
  drop(w, m, reason);
}

// Latch / strict-source check for a packet on stream `s`. Returns false (and drops) if refused.
inline bool accept_source(Worker& w, StreamState& s, const LegConfig& leg, uint64_t window_tsc,
                          uint32_t src_ip, uint16_t src_port, rte_mbuf* m, uint64_t now_tsc) {
  const Latch cur = Latch::unpack(s.latch.get());
  const bool latched = cur.generation == leg.generation;
  if (latched && cur.ip_be == src_ip && cur.port == src_port) return true;
  const bool allowed =
      src_ip != 0 && (src_ip == leg.remote_ip_be || src_ip == leg.signalling_ip_be);
  if (!allowed) {
    drop_stream(w, s, m, Drop::kNotAllowedSource);
    return false;
  }
  if (!latched) {
    s.latch_first_tsc.set(now_tsc);
    w.counters.event(Event::kLatchLearned);
  } else if (now_tsc - s.latch_first_tsc.get() < window_tsc) {
    w.counters.event(Event::kLatchMoved);
  } else {
    drop_stream(w, s, m, Drop::kSourceMismatch);
    return false;
  }
  // One atomic word: the worker relaying the other direction reads it as our destination.
  s.latch.set(Latch{src_ip, src_port, leg.generation}.pack());
  return true;
}

// A packet that hit stream `s`: latch, pick the destination on the other leg, rewrite, queue.
inline void relay_media(Worker& w, StreamState& s, rte_mbuf* m, uint64_t now_tsc) {
  const SessionConfig* cfg = s.session->config.load(std::memory_order_acquire);
  const LegConfig& leg = cfg->legs[s.leg];
  const LegConfig& other = cfg->legs[s.leg ^ 1];
  const bool rtcp = s.kind == StreamKind::kRtcp;

  rte_ipv4_hdr* ip = ipv4_of(m);
  const uint32_t ihl = ihl_of(ip);
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(reinterpret_cast<uint8_t*>(ip) + ihl);
  const uint32_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
  if (udp_len < sizeof(rte_udp_hdr) || udp_len > total - ihl) {
    drop_stream(w, s, m, Drop::kBadUdp);
    return;
  }
  if (ip->time_to_live <= 1) {
    drop_stream(w, s, m, Drop::kTtlExceeded);
    return;
  }
  if (!accept_source(w, s, leg, cfg->latch_window_tsc, ip->src_addr,
                     rte_be_to_cpu_16(udp->src_port), m, now_tsc)) {
    return;
  }

  // Destination: the other leg's latched peer, else its signalled one; never anything else.
  const StreamState& os = s.session->streams[s.leg ^ 1][static_cast<size_t>(s.kind)];
  const Latch dest_latch = Latch::unpack(os.latch.get());
  uint32_t dst_ip = 0;
  uint16_t dst_port = 0;
  if (dest_latch.generation == other.generation) {
    dst_ip = dest_latch.ip_be;
    dst_port = dest_latch.port;
  } else if (other.remote_ip_be != 0) {
    dst_ip = other.remote_ip_be;
    dst_port = rtcp ? other.remote_rtcp_port : other.remote_rtp_port;
  }
  if (dst_ip == 0 || dst_port == 0) {
    drop_stream(w, s, m, Drop::kNoDestination);
    return;
  }

  const PortView& out = w.dp->ports[other.port];
  const uint32_t next_hop = ((dst_ip ^ out.ip_be) & out.mask_be) == 0 ? dst_ip : out.gateway_be;
  if (next_hop == 0) {
    drop_stream(w, s, m, Drop::kNoRoute);
    return;
  }
  NeighbourTable::Mac mac;
  uint64_t confirmed_tsc = 0;
  if (!(*w.dp->neighbours)[other.port].lookup(next_hop, &mac, &confirmed_tsc)) {
    drop_stream(w, s, m, Drop::kNoNeighbour);
    request_neighbour(w, other.port, next_hop, now_tsc);
    return;
  }
  if (now_tsc - confirmed_tsc > w.dp->neighbour_refresh_tsc) {
    request_neighbour(w, other.port, next_hop, now_tsc);  // keep forwarding meanwhile
  }

  // Rewrite. The UDP checksum is updated incrementally (RFC 1624) over the four changed fields of
  // its pseudo-header and header; 0 means "no checksum" and stays 0.
  const uint32_t new_src = other.local_ip_be;
  const uint16_t new_sport = rte_cpu_to_be_16(static_cast<uint16_t>(other.local_rtp_port + rtcp));
  const uint16_t new_dport = rte_cpu_to_be_16(dst_port);
  if (udp->dgram_cksum != 0) {
    uint16_t c = udp->dgram_cksum;
    c = checksum_update32(c, ip->src_addr, new_src);
    c = checksum_update32(c, ip->dst_addr, dst_ip);
    c = checksum_update16(c, udp->src_port, new_sport);
    c = checksum_update16(c, udp->dst_port, new_dport);
    udp->dgram_cksum = udp_checksum_field(c);
  }
  ip->src_addr = new_src;
  ip->dst_addr = dst_ip;
  udp->src_port = new_sport;
  udp->dst_port = new_dport;
  ip->time_to_live -= 1;
  ip->hdr_checksum = 0;
  ip->hdr_checksum = static_cast<uint16_t>(~checksum_partial(ip, ihl));

  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memcpy(eth->dst_addr.addr_bytes, mac.data(), 6);
  eth->src_addr = out.mac;
  if (m->pkt_len > kEthLen + total) rte_pktmbuf_trim(m, m->pkt_len - (kEthLen + total));  // padding

  s.packets.add(1);
  s.bytes.add(udp_len - sizeof(rte_udp_hdr));
  s.last_rx_tsc.set(now_tsc);
  w.counters.ports[other.port].media_tx.add(1);
  rte_eth_tx_buffer(out.phys, w.id, w.phys_tx[other.port], m);
}

}  // namespace relay_detail

// One burst received on port `port_index`'s wire side.
inline void process_wire_burst(Worker& w, uint8_t port_index, rte_mbuf** pkts, uint16_t n,
                               uint64_t now_tsc) {
  using namespace relay_detail;
  StreamKey keys[kBurstSize];
  const void* key_ptrs[kBurstSize];
  rte_mbuf* media[kBurstSize];
  uint16_t media_count = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    switch (classify(w, port_index, pkts[i], &keys[media_count], now_tsc)) {
      case Verdict::kMedia:
        key_ptrs[media_count] = &keys[media_count];
        media[media_count++] = pkts[i];
        break;
      case Verdict::kPunt: punt(w, port_index, pkts[i], now_tsc); break;
      case Verdict::kPuntArp: punt(w, port_index, pkts[i], now_tsc, /*arp=*/true); break;
      case Verdict::kDropped: break;
    }
  }
  if (media_count == 0) return;
  uint64_t hits = 0;
  void* data[kBurstSize];
  rte_hash_lookup_bulk_data(w.dp->sessions, key_ptrs, media_count, &hits, data);
  // With many sessions the records are cold and each is reached through the previous one (stream
  // -> session -> config, other leg's latch). Prefetch stage by stage over the whole burst so the
  // misses overlap instead of queueing one after another per packet.
  for (uint16_t i = 0; i < media_count; ++i) {
    if (!(hits & (uint64_t{1} << i))) continue;
    rte_prefetch0(data[i]);
    rte_prefetch0(static_cast<const uint8_t*>(data[i]) + RTE_CACHE_LINE_SIZE);
  }
  for (uint16_t i = 0; i < media_count; ++i) {
    if (!(hits & (uint64_t{1} << i))) continue;
    const auto* s = static_cast<const StreamState*>(data[i]);
    rte_prefetch0(s->session);
    rte_prefetch0(&s->session->streams[s->leg ^ 1][static_cast<size_t>(s->kind)].latch);
  }
  for (uint16_t i = 0; i < media_count; ++i) {
    if (!(hits & (uint64_t{1} << i))) continue;
    rte_prefetch0(
        static_cast<const StreamState*>(data[i])->session->config.load(std::memory_order_relaxed));
  }
  for (uint16_t i = 0; i < media_count; ++i) {
    if (hits & (uint64_t{1} << i)) {
      relay_media(w, *static_cast<StreamState*>(data[i]), media[i], now_tsc);
    } else {
      punt(w, port_index, media[i], now_tsc);  // UDP to us, no session: SIP, or a stale stream
    }
  }
}

// One burst the kernel sent through port `port_index`'s TAP: straight to the wire.
inline void process_tap_burst(Worker& w, uint8_t port_index, rte_mbuf** pkts, uint16_t n) {
  const PortView& port = w.dp->ports[port_index];
  w.counters.ports[port_index].from_kernel.add(n);
  for (uint16_t i = 0; i < n; ++i)
    rte_eth_tx_buffer(port.phys, w.id, w.phys_tx[port_index], pkts[i]);
}

}  // namespace sbc::dp
