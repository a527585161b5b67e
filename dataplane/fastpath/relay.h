// The per-packet body of the data path: classify a burst from the wire, look the media candidates
// up in one bulk call, then latch + police + rewrite + relay them; the rest goes through the
// source table (banned: drop) and the punt policers to the TAP. Header-inline so the worker loop
// and the benchmark compile it in place and tests can run one burst.
#pragma once

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_udp.h>

#include <algorithm>
#include <span>

#include "dataplane/fastpath/checksum.h"
#include "dataplane/fastpath/worker.h"
#include "dataplane/media/rtcp_sdes.h"
#include "dataplane/media/srtp_context.h"
#include "dataplane/media/srtp_suite.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/session_transcode.h"
#include "dataplane/tables/source_table.h"

namespace sbc::dp {

// Rare path (an unknown next hop): builds and queues an ARP request, rate limited per IP.
void request_neighbour(Worker& w, uint8_t port_index, uint32_t ip_be, uint64_t now_tsc);

// Where a burst comes from: a wire RX queue, or another worker's handoff (then a stream found
// owned by yet another worker drops the frame rather than hand it on: no frame circles).
enum class Arrival : uint8_t { kWire, kHandedOver };

namespace relay_detail {

inline constexpr uint32_t kEthLen = sizeof(rte_ether_hdr);

enum class Verdict : uint8_t { kMedia, kPunt, kDropped };

// A frame on its way to the kernel, unless its source is banned (or it is for a media port).
struct PuntCandidate {
  rte_mbuf* m = nullptr;
  SourceKey source;         // family 0: the frame names no source address (not IP / ARP)
  bool arp = false;         // policed on the ARP bucket, snooped first
  bool media_port = false;  // UDP to our address on a MediaPortsSet port: never punted
};

inline void drop(Worker& w, rte_mbuf* m, Drop reason) {
  w.counters.drop(reason);
  rte_pktmbuf_free(m);
}

// A frame that belongs to worker `to` (its stream's or its port's owner), onto `to`'s handoff
// ring with its port index in mbuf::port; a full ring drops it, counted. Never waits.
inline void hand_off(Worker& w, uint16_t to, uint8_t port_index, rte_mbuf* m) {
  m->port = port_index;
  if (rte_ring_mp_enqueue(w.dp->handoff_rings[to], m) != 0) {
    drop(w, m, Drop::kHandoffFailed);
    return;
  }
  w.counters.event(Event::kHandedOff);
}

// To the kernel through the port's TAP, within `bucket`'s rate. Only the port's owner gets here
// (punt_burst hands the others' frames over), so the buckets and TAP queue have a single user.
inline void punt(Worker& w, uint8_t port_index, rte_mbuf* m, TokenBucket& bucket, Drop over,
                 uint64_t now_tsc) {
  if (!bucket.take(now_tsc)) {
    drop(w, m, over);
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

// ARP: snoop the sender's MAC (on-link senders only) before the kernel answers. A new neighbour
// is learned only from a reply to us or a request for our address (what the kernel would also
// learn from); any other ARP (gratuitous, requests between other hosts) may only refresh an entry
// we already have, so a spoofer cannot fill the table with hosts we never talk to. The frame's
// length was checked by classify().
inline void snoop_arp(Worker& w, uint8_t port_index, const rte_mbuf* m, uint64_t now_tsc) {
  const auto* arp = rte_pktmbuf_mtod_offset(m, const rte_arp_hdr*, kEthLen);
  const PortView& port = w.dp->ports[port_index];
  if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
      arp->arp_plen != 4) {
    return;
  }
  const uint32_t sender = arp->arp_data.arp_sip;
  if (sender == 0 || sender == port.ip_be || ((sender ^ port.ip_be) & port.mask_be) != 0) return;
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

// True for an address of one of our ports other than `port_index`'s (whose own are checked first).
inline bool other_port_address(const Datapath& dp, uint8_t port_index, uint32_t ip_be) {
  for (uint8_t p = 0; p < dp.port_count; ++p) {
    if (p != port_index && is_local_address(dp.ports[p], ip_be)) return true;
  }
  return false;
}

// Decides what a frame from the wire is: a media candidate (fills the session-table `key`), a
// punt candidate (fills `punt`, with its source address for the source table), or dropped.
inline Verdict classify(Worker& w, uint8_t port_index, rte_mbuf* m, StreamKey* key,
                        PuntCandidate* punt) {
  punt->m = m;
  punt->source = SourceKey{};
  punt->arp = false;
  punt->media_port = false;
  if (m->data_len < kEthLen) {
    drop(w, m, Drop::kRunt);
    return Verdict::kDropped;
  }
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
    if (m->data_len < kEthLen + sizeof(rte_arp_hdr)) {
      drop(w, m, Drop::kBadArp);
      return Verdict::kDropped;
    }
    const auto* arp = rte_pktmbuf_mtod_offset(m, const rte_arp_hdr*, kEthLen);
    if (arp->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && arp->arp_plen == 4) {
      punt->source = source_key_v4(arp->arp_data.arp_sip);
    }
    punt->arp = true;
    return Verdict::kPunt;
  }
  if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
    // IPv6 is the kernel's business, but a banned or untrusted source is still one.
    if (m->data_len >= kEthLen + sizeof(rte_ipv6_hdr)) {
      punt->source =
          source_key_v6(rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, kEthLen)->src_addr);
    }
    return Verdict::kPunt;
  }
  // Other ethertypes (VLAN, LLDP...) go to the kernel as they are.
  if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) return Verdict::kPunt;
  const bool whole_header = m->data_len >= kEthLen + sizeof(rte_ipv4_hdr);
  // Chained mbufs are the kernel's business (with the source read from the first segment).
  if (m->nb_segs != 1) {
    if (whole_header) punt->source = source_key_v4(ipv4_of(m)->src_addr);
    return Verdict::kPunt;
  }
  if (!whole_header) {
    drop(w, m, Drop::kBadIpHeader);
    return Verdict::kDropped;
  }
  const rte_ipv4_hdr* ip = ipv4_of(m);
  punt->source = source_key_v4(ip->src_addr);
  const uint32_t ihl = ihl_of(ip);
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || total < ihl ||
      kEthLen + total > m->data_len) {
    drop(w, m, Drop::kBadIpHeader);
    return Verdict::kDropped;
  }
  const PortView& port = w.dp->ports[port_index];
  // Fragments go to the kernel, which reassembles; media never fragments in practice.
  if (ip->next_proto_id != IPPROTO_UDP ||
      (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
    return Verdict::kPunt;
  }
  if (!is_local_address(port, ip->dst_addr)) {
    // Another port's address seen here matches no session (keys are per port): on a media port
    // it is as sessionless as a miss.
    if (total >= ihl + sizeof(rte_udp_hdr) && other_port_address(*w.dp, port_index, ip->dst_addr)) {
      const auto* udp =
          reinterpret_cast<const rte_udp_hdr*>(reinterpret_cast<const uint8_t*>(ip) + ihl);
      punt->media_port = w.dp->media_ports.contains(rte_be_to_cpu_16(udp->dst_port));
    }
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

// Punt candidates of one burst: one bulk source-table lookup (skipped while the table is empty),
// then banned -> drop, media port -> drop, ARP -> snoop + ARP bucket, trusted -> punt bucket,
// anyone else -> the smaller untrusted bucket. Banned sources are dropped before any bucket, so
// a banned flood costs no punt budget.
inline void punt_burst(Worker& w, uint8_t port_index, PuntCandidate* punts, uint16_t n,
                       uint64_t now_tsc) {
  uint8_t cls[kBurstSize] = {};  // api::SourceClass value; 0: not in the table (or expired)
  const SourceTable* sources = w.dp->sources;
  if (sources != nullptr && !sources->empty()) {
    const void* keys[kBurstSize];
    uint16_t owner[kBurstSize];
    uint16_t k = 0;
    for (uint16_t i = 0; i < n; ++i) {
      if (punts[i].source.family == 0) continue;
      keys[k] = &punts[i].source;
      owner[k++] = i;
    }
    uint64_t hits = 0;
    void* data[kBurstSize];
    if (k != 0) rte_hash_lookup_bulk_data(sources->hash(), keys, k, &hits, data);
    for (uint16_t j = 0; j < k; ++j) {
      if (!(hits & (uint64_t{1} << j))) continue;
      const SourceEntry entry = SourceEntry::unpack(reinterpret_cast<uintptr_t>(data[j]));
      if (entry.live(now_tsc)) cls[owner[j]] = static_cast<uint8_t>(entry.cls);
    }
  }
  constexpr auto kBanned = static_cast<uint8_t>(api::SourceClass::kBanned);
  constexpr auto kTrusted = static_cast<uint8_t>(api::SourceClass::kTrusted);
  const uint16_t owner = owner_of(port_index, w.dp->worker_count);
  for (uint16_t i = 0; i < n; ++i) {
    const PuntCandidate& p = punts[i];
    if (cls[i] == kBanned) {
      drop(w, p.m, Drop::kBannedSource);
    } else if (p.media_port) {
      drop(w, p.m, Drop::kNoSession);
    } else if (owner != w.id) {
      // Received on our queue of a port another worker owns: its policers, TAP and neighbour
      // table are that worker's. Banned sources and dead media ports are dropped here first.
      hand_off(w, owner, port_index, p.m);
    } else if (p.arp) {
      snoop_arp(w, port_index, p.m, now_tsc);
      punt(w, port_index, p.m, w.arp_bucket[port_index], Drop::kArpPoliced, now_tsc);
    } else if (cls[i] == kTrusted) {
      punt(w, port_index, p.m, w.punt_bucket[port_index], Drop::kPuntPoliced, now_tsc);
    } else {
      punt(w, port_index, p.m, w.untrusted_bucket[port_index], Drop::kUntrustedPoliced, now_tsc);
    }
  }
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
  // One atomic word, and its copy on the other leg's stream: the worker relaying the other
  // direction reads it there as its destination.
  const uint64_t latch = Latch{src_ip, src_port, leg.generation}.pack();
  s.latch.set(latch);
  s.session->streams[s.leg ^ 1][static_cast<size_t>(s.kind)].peer_latch.set(latch);
  return true;
}

// Per-stream policer as a GCRA (a token bucket kept as a theoretical arrival time): one word of
// state owned by the stream's worker, and no division per packet.
inline bool police_stream(StreamState& s, const SessionConfig& cfg, uint64_t now_tsc) {
  const uint64_t tat = std::max(s.policer_tat, now_tsc);
  if (tat - now_tsc > cfg.policer_tolerance_tsc) return false;
  s.policer_tat = tat + cfg.packet_interval_tsc;
  return true;
}

// An SRTP/SRTCP result other than kOk: the named drop, the stream's SRTP counter, its dropped.
inline void drop_srtp(Worker& w, StreamState& s, rte_mbuf* m, SrtpResult result) {
  SrtpStreamCounters& c = s.session->srtp_counters[s.leg][static_cast<size_t>(s.kind)];
  switch (result) {
    case SrtpResult::kAuthFail:
      c.auth_failed.add(1);
      drop_stream(w, s, m, Drop::kSrtpAuthFail);
      return;
    case SrtpResult::kReplayFail:
    case SrtpResult::kReplayOld:
      c.replayed.add(1);
      drop_stream(w, s, m, Drop::kSrtpReplay);
      return;
    case SrtpResult::kBadLength:
    case SrtpResult::kBadHeader:
      c.malformed.add(1);
      drop_stream(w, s, m, Drop::kSrtpMalformed);
      return;
    case SrtpResult::kSsrcLimit:
      c.ssrc_limit.add(1);
      drop_stream(w, s, m, Drop::kSrtpSsrcLimit);
      return;
    case SrtpResult::kNoRoom:
      c.failed.add(1);
      drop_stream(w, s, m, Drop::kSrtpNoTailroom);
      return;
    default:  // kKeyExpired, kNoMemory, kFailed (kOk never gets here)
      c.failed.add(1);
      drop_stream(w, s, m, Drop::kSrtpFailed);
      return;
  }
}

// Could this source be accepted at all (the latched one, or an allowed one)? Checked before SRTP
// unprotect so that a flood from anyone else costs no crypto; the latch itself is decided after
// unprotect (accept_source), so only an authenticated packet takes or moves it.
inline bool source_plausible(const StreamState& s, const LegConfig& leg, uint32_t src_ip,
                             uint16_t src_port) {
  const Latch cur = Latch::unpack(s.latch.get());
  if (cur.generation == leg.generation && cur.ip_be == src_ip && cur.port == src_port) return true;
  return src_ip != 0 && (src_ip == leg.remote_ip_be || src_ip == leg.signalling_ip_be);
}

// Is stream `s` ours to handle? Its owner's, or nobody's yet and this packet may claim it: only a
// source the stream could accept (source_plausible) claims, so a stray packet cannot pin the
// stream to the worker its queue happens to be on. With one relay worker everything is ours.
inline bool own_stream(Worker& w, StreamState& s, const LegConfig& leg, uint32_t src_ip,
                       uint16_t src_port) {
  if (w.dp->worker_count == 1) return true;
  const auto me = static_cast<uint16_t>(w.id + 1);
  uint16_t owner = s.worker.load(std::memory_order_relaxed);
  if (owner == me) return true;
  if (owner != 0 || !source_plausible(s, leg, src_ip, src_port)) return false;
  // Relaxed: the claim orders nothing else; the loser only learns who the owner is.
  return s.worker.compare_exchange_strong(owner, me, std::memory_order_relaxed);
}

// A packet of a stream that is not ours (own_stream said no): to its owner, unless nobody owns it
// yet (a source that could not claim it: dropped, counted on this worker only) or it already
// crossed once (claimed by a third worker meanwhile, a new session on the same key).
inline void pass_to_owner(Worker& w, const StreamState& s, const LegConfig& leg, rte_mbuf* m,
                          Arrival arrival) {
  const uint16_t owner = s.worker.load(std::memory_order_relaxed);
  if (owner == 0) {
    drop(w, m, Drop::kNotAllowedSource);
  } else if (arrival == Arrival::kHandedOver) {
    drop(w, m, Drop::kHandoffFailed);
  } else {
    hand_off(w, static_cast<uint16_t>(owner - 1), leg.port, m);  // it arrived on its leg's port
  }
}

// SRTP/SRTCP protect toward the other leg, in place: the trailer goes right after the payload,
// so Ethernet padding and anything past the UDP datagram is dropped first, then it needs the
// mbuf's tailroom (a single segment: classify). A failure drops the packet (counted on `owner`'s
// stream when there is one) and returns false; `payload_len` grows by the trailer.
inline bool protect_toward(Worker& w, StreamState* owner, SrtpOutbound& protect, bool rtcp,
                           rte_mbuf* m, uint32_t ihl, uint8_t* payload, size_t& payload_len) {
  const uint32_t frame = kEthLen + ihl + sizeof(rte_udp_hdr) + payload_len;
  if (m->pkt_len > frame) rte_pktmbuf_trim(m, m->pkt_len - frame);
  const size_t room = rte_pktmbuf_tailroom(m);
  SrtpResult r = SrtpResult::kNoRoom;
  const size_t plain_len = payload_len;
  if (room >= (rtcp ? rtcp_trailer(protect.suite()) : rtp_trailer(protect.suite()))) {
    const std::span<uint8_t> buffer(payload, payload_len + room);
    r = rtcp ? protect.protect_rtcp(buffer, payload_len) : protect.protect_rtp(buffer, payload_len);
  }
  if (r != SrtpResult::kOk) {
    if (owner != nullptr) {
      drop_srtp(w, *owner, m, r);
    } else {
      drop(w, m, r == SrtpResult::kNoRoom ? Drop::kSrtpNoTailroom : Drop::kSrtpFailed);
    }
    return false;
  }
  rte_pktmbuf_append(m, static_cast<uint16_t>(payload_len - plain_len));  // fits: room checked
  return true;
}

// Where stream `s`'s packets go on the other leg: its latched peer, else its signalled one
// (RTCP: its RTCP port), never anything else; 0 when there is neither.
inline void destination_of(const StreamState& s, const LegConfig& other, uint32_t& ip_be,
                           uint16_t& port) {
  const Latch latch = Latch::unpack(s.peer_latch.get());
  if (latch.generation == other.generation) {
    ip_be = latch.ip_be;
    port = latch.port;
  } else if (other.remote_ip_be != 0) {
    ip_be = other.remote_ip_be;
    port = s.kind == StreamKind::kRtcp ? other.remote_rtcp_port : other.remote_rtp_port;
  }
}

// The IPv4 and UDP headers of a packet on its way out: source `new_src`:`new_sport`, destination
// `dst_ip`:`new_dport` (network order), TTL - 1. Unchanged payload: the UDP checksum is updated
// incrementally (RFC 1624) over the four changed fields of its pseudo-header and header. Changed
// (SRTP, payload types, a transcoded packet): lengths are set anew for `payload_len` bytes and
// the checksum summed again over the datagram. 0 means "no checksum" and stays 0. The IP
// header's checksum is updated the same way (as a router does) for the addresses, a new length
// and the TTL, rather than summed again over a header just written. Returns the IP total length.
inline uint32_t rewrite_ip_udp(rte_ipv4_hdr* ip, rte_udp_hdr* udp, uint32_t ihl, uint32_t new_src,
                               uint32_t new_dst, uint16_t new_sport, uint16_t new_dport,
                               size_t payload_len, bool payload_changed) {
  if (udp->dgram_cksum != 0 && !payload_changed) {
    uint16_t c = udp->dgram_cksum;
    c = checksum_update32(c, ip->src_addr, new_src);
    c = checksum_update32(c, ip->dst_addr, new_dst);
    c = checksum_update16(c, udp->src_port, new_sport);
    c = checksum_update16(c, udp->dst_port, new_dport);
    udp->dgram_cksum = udp_checksum_field(c);
  }
  uint16_t ip_check = ip->hdr_checksum;
  ip_check = checksum_update32(ip_check, ip->src_addr, new_src);
  ip_check = checksum_update32(ip_check, ip->dst_addr, new_dst);
  ip->src_addr = new_src;
  ip->dst_addr = new_dst;
  udp->src_port = new_sport;
  udp->dst_port = new_dport;
  uint32_t total = rte_be_to_cpu_16(ip->total_length);
  if (payload_changed) {
    const auto datagram = static_cast<uint32_t>(sizeof(rte_udp_hdr) + payload_len);
    const uint16_t old_total = ip->total_length;
    total = ihl + datagram;
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(datagram));
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(total));
    ip_check = checksum_update16(ip_check, old_total, ip->total_length);
    if (udp->dgram_cksum != 0) udp->dgram_cksum = udp4_checksum(new_src, new_dst, udp, datagram);
  }
  const auto ttl = static_cast<uint8_t>(ip->time_to_live - 1);
  ip->hdr_checksum = checksum_update_ttl(ip_check, ip->time_to_live, ttl, ip->next_proto_id);
  ip->time_to_live = ttl;
  return total;
}

// The rest of a media packet's way out, toward the other leg of stream `s`'s session: pick the
// destination (its latched peer, else its signalled one, never anything else), route and
// neighbour, (SRTP protect), rewrite IP/UDP/Ethernet, queue on `w`'s TX queue. `payload` (of
// `payload_len` bytes, in the clear) starts right after the UDP header `udp`; `payload_changed`
// says its bytes or length differ from what arrived (the UDP checksum is then recomputed).
//
// Called by the stream's own worker (`owner` = &s: drops and packets are counted on the stream)
// and by a transcoding lcore for the packets it made (`owner` null: counted on `w` only, as the
// stream's counters have a single writer). Either way exactly one thread uses the direction's
// SRTP `out` context: a transcoded direction's packets all go through its transcoding lcore.
inline bool forward_media(Worker& w, StreamState* owner, const StreamState& s,
                          const SessionConfig& cfg, rte_mbuf* m, rte_ipv4_hdr* ip, rte_udp_hdr* udp,
                          uint8_t* payload, size_t payload_len, bool payload_changed,
                          uint64_t now_tsc) {
  const LegConfig& other = cfg.legs[s.leg ^ 1];
  const bool rtcp = s.kind == StreamKind::kRtcp;
  const auto kind = static_cast<size_t>(s.kind);
  const auto refuse = [&](Drop reason) {
    if (owner != nullptr) {
      drop_stream(w, *owner, m, reason);
    } else {
      drop(w, m, reason);
    }
    return false;
  };
  uint32_t dst_ip = 0;
  uint16_t dst_port = 0;
  destination_of(s, other, dst_ip, dst_port);
  if (dst_ip == 0 || dst_port == 0) return refuse(Drop::kNoDestination);

  const PortView& out = w.dp->ports[other.port];
  const uint32_t next_hop = ((dst_ip ^ out.ip_be) & out.mask_be) == 0 ? dst_ip : out.gateway_be;
  if (next_hop == 0) return refuse(Drop::kNoRoute);
  NeighbourTable::Mac mac;
  uint64_t confirmed_tsc = 0;
  if (!(*w.dp->neighbours)[other.port].lookup(next_hop, &mac, &confirmed_tsc)) {
    refuse(Drop::kNoNeighbour);
    request_neighbour(w, other.port, next_hop, now_tsc);
    return false;
  }
  if (now_tsc - confirmed_tsc > w.dp->neighbour_refresh_tsc) {
    request_neighbour(w, other.port, next_hop, now_tsc);  // keep forwarding meanwhile
  }

  const uint32_t ihl = ihl_of(ip);
  const SessionSrtp* srtp = cfg.srtp.get();
  if (srtp != nullptr && srtp->out[s.leg ^ 1][kind] != nullptr) {
    if (!protect_toward(w, owner, *srtp->out[s.leg ^ 1][kind], rtcp, m, ihl, payload,
                        payload_len)) {
      return false;
    }
    payload_changed = true;
  }

  const uint32_t total =
      rewrite_ip_udp(ip, udp, ihl, other.local_ip_be, dst_ip,
                     rte_cpu_to_be_16(static_cast<uint16_t>(other.local_rtp_port + rtcp)),
                     rte_cpu_to_be_16(dst_port), payload_len, payload_changed);

  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memcpy(eth->dst_addr.addr_bytes, mac.data(), 6);
  eth->src_addr = out.mac;
  if (m->pkt_len > kEthLen + total) rte_pktmbuf_trim(m, m->pkt_len - (kEthLen + total));  // padding

  w.counters.ports[other.port].media_tx.add(1);
  transmit(w, other.port, m);
  return true;
}

// A relayed direction's RTP in the clear: G.711's byte conversion on the sender's audio payload
// type where the legs differ in law (the payload after the header, its CSRCs and extension), then
// payload types the legs number differently (audio, CN, telephone-event); the marker bit is kept.
// A header too short for what it announces is left as it is (the receiver judges it, as any
// relayed packet).
inline void convert_relayed(const SessionTranscode& t, uint8_t leg, uint8_t* rtp, size_t len) {
  if (len < 12) return;
  const uint8_t pt = rtp[1] & 0x7f;
  if (const auto* law = t.law[leg]; law != nullptr && pt == t.audio_pt[leg]) {
    size_t header = 12 + 4 * size_t{rtp[0] & 0x0fu};
    if ((rtp[0] & 0x10) != 0 && len >= header + 4) {
      header += 4 + 4 * ((size_t{rtp[header + 2]} << 8) | rtp[header + 3]);
    }
    for (size_t i = header; i < len; ++i) rtp[i] = (*law)[rtp[i]];
  }
  rtp[1] = static_cast<uint8_t>((rtp[1] & 0x80) | t.pt_map[leg][pt]);
}

// A packet of a transcoded direction goes to its session's transcoding lcore with its stream and
// config (see session_table.h for why they outlive the job). A full ring drops it, counted: the
// relay worker never waits.
inline void hand_to_transcoder(Worker& w, StreamState& s, const SessionConfig& cfg, rte_mbuf* m) {
  TranscodeJob job{m, &s, &cfg, 0};
  rte_ring* ring = w.dp->transcode_rings[s.session->transcoder];
  if (rte_ring_mp_enqueue_elem(ring, &job, sizeof(job)) != 0) {
    drop_stream(w, s, m, Drop::kTranscodeQueueFull);
  }
}

// An SRTP/SRTCP packet of stream `s` in the clear in place (`payload_len` updated), from a source
// the stream could accept: checked first, so a flood from anyone else costs no crypto. false:
// dropped.
inline bool unprotect_in(Worker& w, StreamState& s, const LegConfig& leg, SrtpInbound& in,
                         uint32_t src_ip, uint16_t src_port, rte_mbuf* m, uint8_t* payload,
                         size_t& payload_len) {
  if (!source_plausible(s, leg, src_ip, src_port)) {
    drop_stream(w, s, m, Drop::kNotAllowedSource);
    return false;
  }
  const std::span<uint8_t> buffer(payload, payload_len);
  const SrtpResult r = s.kind == StreamKind::kRtcp ? in.unprotect_rtcp(buffer, payload_len)
                                                   : in.unprotect_rtp(buffer, payload_len);
  if (r != SrtpResult::kOk) {
    drop_srtp(w, s, m, r);
    return false;
  }
  return true;
}

// May this (authenticated) packet go on? Its source is accepted (latching it), then the policer
// (after the source check: packets from anyone else must not spend the real peer's budget), then
// the SDP directions: on hold or inactive (RFC 3264 §6.1) the peer's RTP goes nowhere, though it
// latched (its NAT binding is known before the resume); RTCP still flows. false: dropped.
inline bool admit(Worker& w, StreamState& s, const SessionConfig& cfg, const LegConfig& leg,
                  uint32_t src_ip, uint16_t src_port, rte_mbuf* m, uint64_t now_tsc) {
  if (!accept_source(w, s, leg, cfg.latch_window_tsc, src_ip, src_port, m, now_tsc)) return false;
  if (cfg.packet_interval_tsc != 0 && !police_stream(s, cfg, now_tsc)) {
    drop_stream(w, s, m, Drop::kStreamPoliced);
    return false;
  }
  if (s.kind == StreamKind::kRtp && !leg.forward_rtp) {
    drop_stream(w, s, m, Drop::kDirection);
    return false;
  }
  return true;
}

// A packet that hit stream `s`: (SRTP unprotect), latch, police, quality; then a transcoded
// direction's RTP goes to its transcoding lcore, anything else (payload types rewritten where
// the legs differ) is forwarded at once.
//
// SRTP: the contexts are the session's cold SessionSrtp (null for plain RTP). unprotect and
// protect work in place on the UDP payload; neither allocates, locks, throws or logs, except that
// libsrtp clones its stream template on the first packet of a new SSRC (inbound: only once that
// packet authenticated), at most SrtpOptions::max_ssrcs times per context over its life
// (dataplane/media/srtp_context.h): per SSRC, bounded, never per packet.
inline void relay_media(Worker& w, StreamState& s, rte_mbuf* m, uint64_t now_tsc, Arrival arrival) {
  const SessionConfig* cfg = s.config.load(std::memory_order_acquire);
  const LegConfig& leg = cfg->legs[s.leg];
  const bool rtcp = s.kind == StreamKind::kRtcp;
  const auto kind = static_cast<size_t>(s.kind);

  rte_ipv4_hdr* ip = ipv4_of(m);
  const uint32_t ihl = ihl_of(ip);
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(reinterpret_cast<uint8_t*>(ip) + ihl);
  const uint16_t src_port = rte_be_to_cpu_16(udp->src_port);
  if (!own_stream(w, s, leg, ip->src_addr, src_port)) {
    pass_to_owner(w, s, leg, m, arrival);
    return;
  }
  const uint32_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
  if (udp_len < sizeof(rte_udp_hdr) || udp_len > total - ihl) {
    drop_stream(w, s, m, Drop::kBadUdp);
    return;
  }
  if (ip->time_to_live <= 1) {
    drop_stream(w, s, m, Drop::kTtlExceeded);
    return;
  }
  auto* payload = reinterpret_cast<uint8_t*>(udp + 1);
  size_t payload_len = udp_len - sizeof(rte_udp_hdr);
  bool payload_changed = false;  // lengths and the UDP checksum are recomputed
  if (const SessionSrtp* srtp = cfg->srtp.get(); srtp != nullptr && srtp->in[s.leg][kind]) {
    if (!unprotect_in(w, s, leg, *srtp->in[s.leg][kind], ip->src_addr, src_port, m, payload,
                      payload_len)) {
      return;
    }
    payload_changed = true;
  }
  if (!admit(w, s, *cfg, leg, ip->src_addr, src_port, m, now_tsc)) return;

  // Call quality (RFC 3550) from the packet in the clear: unprotected if it arrived as SRTP or
  // SRTCP, not yet protected toward the other leg, as the sender numbered it.
  s.quality.on_packet(rtcp, payload, static_cast<uint32_t>(payload_len), now_tsc, w.dp->tsc_hz,
                      s.session->streams[s.leg ^ 1][kind].quality);
  // RTCP's SDES items say who and where the sender is: masked (rtcp_sdes.h).
  if (rtcp && mask_rtcp_sdes(payload, payload_len)) payload_changed = true;

  if (const SessionTranscode* t = cfg->transcode.get(); t != nullptr && !rtcp) {
    if (t->stream[s.leg] != nullptr) {
      s.packets.add(1);
      s.bytes.add(udp_len - sizeof(rte_udp_hdr));
      s.last_rx_tsc.set(now_tsc);
      // The transcoder reads the packet in the clear: its length is what unprotect left.
      if (payload_changed) {
        udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload_len));
      }
      hand_to_transcoder(w, s, *cfg, m);
      return;
    }
    if (t->rewrite_pt[s.leg] || t->law[s.leg] != nullptr) {
      convert_relayed(*t, s.leg, payload, payload_len);
      payload_changed = true;
    }
  }
  if (forward_media(w, &s, s, *cfg, m, ip, udp, payload, payload_len, payload_changed, now_tsc)) {
    s.packets.add(1);
    s.bytes.add(udp_len - sizeof(rte_udp_hdr));
    s.last_rx_tsc.set(now_tsc);
  }
}

// The stages a media hit's records are prefetched in: each reads a pointer the one before fetched
// (stream -> config -> SRTP contexts), so each is a pass over the whole burst (process_wire_burst).
// Stage 1: the stream's counters, latch and identity, and its RTP statistics.
inline void prefetch_stream(const StreamState* s) {
  rte_prefetch0(&s->packets);
  rte_prefetch0(&s->latch);
  rte_prefetch0(&s->quality.rtp);  // RTCP's statistics in stage 2, once the kind is known
}
// Stage 2: the session's config, both of its lines (legs; policer, SRTP and transcoding
// pointers).
inline void prefetch_config(const StreamState* s) {
  const auto* config = reinterpret_cast<const uint8_t*>(s->config.load(std::memory_order_relaxed));
  rte_prefetch0(config);
  rte_prefetch0(config + RTE_CACHE_LINE_SIZE);
  if (s->kind == StreamKind::kRtcp) rte_prefetch0(&s->quality.rtcp);
}
// Stage 3: a session with SRTP has its contexts in a cold object behind its config, and the
// cipher reads and writes the whole payload (the header line was read by classify).
inline void prefetch_srtp(const StreamState* s, const rte_mbuf* m) {
  const SessionSrtp* srtp = s->config.load(std::memory_order_relaxed)->srtp.get();
  if (srtp == nullptr) return;
  rte_prefetch0(srtp);
  const auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
  const auto* end = data + m->data_len;
  for (const uint8_t* line = RTE_PTR_ALIGN_FLOOR(data, RTE_CACHE_LINE_SIZE) + RTE_CACHE_LINE_SIZE;
       line < end; line += RTE_CACHE_LINE_SIZE) {
    rte_prefetch0(line);
  }
}
// Stages 4 and 5: the contexts the packet uses (its own leg's `in`, the other leg's `out`; each
// its own heap object), then libsrtp's session object behind each. With a thousand SRTP sessions
// they are out of L2, and every one is a load the next depends on.
template <typename Step>
inline void for_srtp_contexts(const StreamState* s, Step step) {
  const SessionSrtp* srtp = s->config.load(std::memory_order_relaxed)->srtp.get();
  if (srtp == nullptr) return;
  const auto kind = static_cast<size_t>(s->kind);
  if (const SrtpInbound* in = srtp->in[s->leg][kind]; in != nullptr) step(in);
  if (const SrtpOutbound* out = srtp->out[s->leg ^ 1][kind]; out != nullptr) step(out);
}
inline void prefetch_srtp_contexts(const StreamState* s) {
  for_srtp_contexts(s, [](const auto* context) { rte_prefetch0(context); });
}
inline void prefetch_srtp_library(const StreamState* s) {
  for_srtp_contexts(s, [](const auto* context) { context->prefetch_library_state(); });
}
}  // namespace relay_detail

// One burst received on port `port_index`'s wire side: classify, one bulk session lookup for the
// media candidates, the punt candidates (misses included) through the source table and the
// policers, then relay the hits. ARP is snooped before relaying, so media behind a neighbour
// learned in the same burst goes out.
inline void process_wire_burst(Worker& w, uint8_t port_index, rte_mbuf** pkts, uint16_t n,
                               uint64_t now_tsc, Arrival arrival = Arrival::kWire) {
  using namespace relay_detail;
  StreamKey keys[kBurstSize];
  rte_mbuf* media[kBurstSize];
  uint16_t media_count = 0;
  PuntCandidate punts[kBurstSize];
  uint16_t punt_count = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    switch (classify(w, port_index, pkts[i], &keys[media_count], &punts[punt_count])) {
      case Verdict::kMedia: media[media_count++] = pkts[i]; break;
      case Verdict::kPunt: ++punt_count; break;
      case Verdict::kDropped: break;
    }
  }
  StreamState* streams[kBurstSize];
  rte_mbuf* hits[kBurstSize];
  int hit_count = 0;
  if (media_count != 0) {
    StreamState* data[kBurstSize];
    const uint64_t found = w.dp->sessions->lookup(keys, media_count, data);
    for (uint16_t i = 0; i < media_count; ++i) {
      if (found & (uint64_t{1} << i)) {
        streams[hit_count] = data[i];
        hits[hit_count++] = media[i];
        continue;
      }
      // UDP to us without a session: SIP, or a stale or probed media port.
      PuntCandidate& p = punts[punt_count++];
      p.m = media[i];
      p.source = source_key_v4(ipv4_of(media[i])->src_addr);
      p.arp = false;
      p.media_port = w.dp->media_ports.contains(rte_be_to_cpu_16(keys[i].udp_port_be));
    }
  }
  if (punt_count != 0) punt_burst(w, port_index, punts, punt_count, now_tsc);
  // With many sessions every record is cold, each reached through the one before, and a miss
  // costs a page walk on top of DRAM (about 400 ns under this lab's hypervisor at 1M sessions).
  // So each stage is one pass over the burst: all its misses are in flight at once, and the next
  // stage waits for about one miss, not one per packet. (A software pipeline a few packets deep,
  // as VPP's quad loops, covers a DRAM miss but not a walk: at 1M sessions it ran 2x slower.)
  for (int i = 0; i < hit_count; ++i) prefetch_stream(streams[i]);
  for (int i = 0; i < hit_count; ++i) prefetch_config(streams[i]);
  for (int i = 0; i < hit_count; ++i) prefetch_srtp(streams[i], hits[i]);
  for (int i = 0; i < hit_count; ++i) prefetch_srtp_contexts(streams[i]);
  for (int i = 0; i < hit_count; ++i) prefetch_srtp_library(streams[i]);
  for (int i = 0; i < hit_count; ++i) relay_media(w, *streams[i], hits[i], now_tsc, arrival);
}

// One burst the kernel sent through port `port_index`'s TAP: straight to the wire.
inline void process_tap_burst(Worker& w, uint8_t port_index, rte_mbuf** pkts, uint16_t n) {
  const PortView& port = w.dp->ports[port_index];
  w.counters.ports[port_index].from_kernel.add(n);
  for (uint16_t i = 0; i < n; ++i)
    rte_eth_tx_buffer(port.phys, w.id, w.phys_tx[port_index], pkts[i]);
}

}  // namespace sbc::dp
