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
//
// SRTP modes (rtp-srtp, srtp-srtp; AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM): the sessions get
// SRTP contexts (four distinct keys per session in srtp-srtp: each leg's in and out), and the
// reflector plays the peers with their own contexts: it unprotects what the SBC sent (checking it),
// gives the packet the next sequence number of the session it is aimed at and protects it with
// that peer's key when its leg expects SRTP. Each packet alternates directions, so in rtp-srtp a
// relayed packet costs one protect or one unprotect on average, in srtp-srtp one of each. Bare
// libsrtp (protect + unprotect of the same 172-byte RTP packet, one context pair) is measured in
// the same run as the SRTP baseline.
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

namespace sbc::dp::bench {
namespace {

// A session's place on its pair of ports: its slot, which names a local address (the port's own
// for slot < kSlotsPerAddress, then its media addresses) and an even local UDP port on it.
constexpr uint32_t kSlotsPerAddress = 25000;   // local even ports per address: < 32k
constexpr uint32_t kSessionsPerPair = 250000;  // 10 addresses per port
constexpr uint32_t kInFlight = 16384;          // ~3 MiB of header and mbuf lines: past L1 and L2
constexpr uint32_t kRingSize = 32768;          // > kInFlight: a port's rings never overflow
constexpr uint16_t kFirstLocalPort = 10000;
constexpr uint16_t kCallerPort = 40000;
constexpr uint16_t kCalleePort = 50000;
constexpr uint32_t kMaxPairs = 4;     // 1M sessions
constexpr uint32_t kMediaHost = 100;  // media address a (1..) of port p: port_ip(p) + 100 + a

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

// The callee leg's payload type in the transcoding modes: its static one, 111 for Opus.
uint8_t payload_type_of(api::MediaCodec codec) {
  return codec_info(codec_id(codec)).static_payload_type.value_or(111);
}

struct Options {
  uint64_t packets = 20'000'000;
  std::vector<uint32_t> sessions{1000, 100000, 1000000};
  std::vector<ModeSpec> modes = all_modes();
  bool hugepages = false;
};

// SRTP modes keep a peer context per session and leg in the reflector: bounded here.
constexpr uint32_t kMaxSrtpSessions = 25000;
// A transcoded session holds two TranscodeStreams (codec state and buffers, tens of KiB), and one
// core carries at most ~25,000 PCMU<->PCMA calls: more sessions than that measure nothing new.
constexpr uint32_t kMaxTranscodeSessions = 10000;
// Transcoding costs microseconds per packet: a smaller measurement keeps a run in seconds.
constexpr uint64_t kTranscodePackets = 200'000;

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

// The peers of the SRTP legs, as the reflector plays them: per session and leg, `tx` protects what
// the peer sends (the key the SBC's srtp_in has), `rx` unprotects what the SBC sent it (srtp_out).
struct Peers {
  std::array<bool, 2> srtp{};  // per leg
  std::array<std::vector<std::optional<SrtpOutbound>>, 2> tx;
  std::array<std::vector<std::optional<SrtpInbound>>, 2> rx;
  std::array<std::vector<uint16_t>, 2> seq;   // the next RTP sequence number per session and leg
  std::array<uint8_t, 2> payload_type{};      // per leg
  std::array<uint32_t, 2> ts_step{160, 160};  // RTP timestamp units per 20 ms packet, per leg
  uint32_t slots = 1;
  uint64_t failures = 0;  // SBC output the peer could not unprotect: the workload is broken
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
  p.rx = rte_ring_create((name + "_rx").c_str(), kRingSize, SOCKET_ID_ANY,
                         RING_F_SP_ENQ | RING_F_SC_DEQ);
  p.tx = rte_ring_create((name + "_tx").c_str(), kRingSize, SOCKET_ID_ANY,
                         RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!p.rx || !p.tx) return std::unexpected("rte_ring_create " + name);
  const int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
  if (id < 0) return std::unexpected("rte_eth_from_rings " + name);
  p.id = static_cast<uint16_t>(id);
  if (auto ok = start_ethdev(p.id, 1, 1, pool); !ok) return std::unexpected(ok.error());
  return p;
}

constexpr uint16_t kRtpPayload = 172;  // G.711 20 ms: 12 byte RTP header + 160 samples

void write_rtp_header(uint8_t* rtp, uint16_t seq, uint32_t ssrc, uint8_t payload_type = 0,
                      uint32_t ts_step = 160) {
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
std::vector<uint32_t> shuffled_cycle(uint32_t slots) {
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
  for (uint32_t i = 0; i < slots; ++i) next[order[i]] = order[(i + 1) % slots];
  return next;
}

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
  uint16_t old_word;  // TTL shares a 16-bit checksum word with the protocol
  std::memcpy(&old_word, &ip->time_to_live, 2);
  ip->time_to_live = 64;
  uint16_t new_word;
  std::memcpy(&new_word, &ip->time_to_live, 2);
  uint16_t h = checksum_update16(ip->hdr_checksum, old_word, new_word);
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

void circulate(const Bench& b, size_t port_count, const std::vector<uint32_t>& next_slot,
               Peers* peers) {
  void* burst[64];
  for (size_t p = 0; p < port_count; ++p) {
    unsigned n;
    while ((n = rte_ring_dequeue_burst(b.ports[p].tx, burst, 64, nullptr)) != 0) {
      for (unsigned i = 0; i < n; ++i) {
        auto* m = static_cast<rte_mbuf*>(burst[i]);
        if (peers) play_peer(m, static_cast<uint32_t>(p), next_slot, *peers);
        reflect(m, static_cast<uint32_t>(p), next_slot);
      }
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

// Bare libsrtp: protect + unprotect of one 172-byte RTP packet per iteration, one context pair.
std::expected<Result, std::string> bare_srtp(const SrtpLibrary& library, api::SrtpSuite suite,
                                             uint64_t packets) {
  const api::SrtpParams key = key_for(suite, 0xffffff, 0, 0);
  auto out = SrtpOutbound::create(library, master_of(key));
  auto in = SrtpInbound::create(library, master_of(key));
  if (!out || !in) return std::unexpected(std::string("cannot create the SRTP contexts"));
  std::array<uint8_t, kRtpPayload + kMaxSrtpTrailer> packet{};
  Result r;
  r.hz = static_cast<double>(rte_get_tsc_hz());
  const uint64_t start = rte_rdtsc();
  for (uint64_t i = 0; i < packets; ++i) {
    write_rtp_header(packet.data(), static_cast<uint16_t>(i), 0x1234);
    size_t length = kRtpPayload;
    if (out->protect_rtp(packet, length) != SrtpResult::kOk ||
        in->unprotect_rtp(packet, length) != SrtpResult::kOk) {
      return std::unexpected(std::string("bare libsrtp failed"));
    }
  }
  r.cycles = rte_rdtsc() - start;
  r.packets = packets;
  return r;
}

std::expected<std::pair<Result, Result>, std::string> run(const Bench& b, uint32_t sessions,
                                                          uint64_t packets, const ModeSpec& mode,
                                                          const SrtpLibrary& library) {
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
  const std::vector<uint32_t> next_slot = shuffled_cycle(slots);
  const bool transcode = mode.mode == Mode::kTranscode;
  const TranscodingLimits transcoding{transcode ? 1u : 0u, UINT32_MAX / 2, 4096};
  auto table = SessionTable::create(fmt::format("bench{}", sessions), sessions, 1, addresses, hz,
                                    SOCKET_ID_ANY, &library, transcoding);
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
  const int sockets[] = {SOCKET_ID_ANY};
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
  rte_rcu_qsbr_thread_register((*table)->qsbr(), 0);
  rte_rcu_qsbr_thread_online((*table)->qsbr(), 0);

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
  Peers* active_peers = nullptr;
  auto measure = [&](auto&& step) -> std::optional<Result> {
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
    drain();
    return r;
  };
  // The l2fwd baseline does not protect: the peers are played only around the relay.
  const auto baseline = measure([&] { return forward_once(b, port_count); });
  active_peers = peers ? &*peers : nullptr;
  Worker& w = **worker;
  std::vector<const WorkerCounters*> counters{&w.counters};
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
  const auto relay = transcode ? measure([&] {
    const uint64_t before = media_sent();
    const uint64_t now_tsc = rte_rdtsc();
    poll_once(w, now_tsc);
    while (transcode_once(*transcoder, now_tsc) != 0) {
    }
    return static_cast<uint32_t>(media_sent() - before);
  })
                               : measure([&] { return poll_once(w, rte_rdtsc()); });
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
  rte_rcu_qsbr_thread_offline((*table)->qsbr(), 0);
  rte_rcu_qsbr_thread_unregister((*table)->qsbr(), 0);
  if (!baseline || !relay)
    return std::unexpected(std::string("traffic stopped: the workload is broken"));
  if (dropped != 0) {
    return std::unexpected(
        fmt::format("{} packets dropped:{}; the workload is broken", dropped, reasons));
  }
  if (peers && peers->failures != 0) {
    return std::unexpected(fmt::format(
        "{} packets the peers could not unprotect: the workload is broken", peers->failures));
  }
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
                 "--no-huge)]\n");
    return 2;
  }
  const std::string prefix = fmt::format("sbc-bench-{}", getpid());
  // --no-huge (the default) runs anywhere; with 100k sessions its 4 KiB pages add TLB misses that
  // a production dataplane on hugepages does not have, so --hugepages measures that case.
  // EAL memory: the mbufs and rings, plus ~4 KiB per session (its record, hash keys, config).
  const uint32_t most = *std::ranges::max_element(options->sessions);
  const std::string memory_mb = std::to_string(1024 + most / 256);
  std::vector<std::string> eal{
      "sbc-bench", "--no-pci", "-m", memory_mb, "--file-prefix", prefix, "--log-level=*:warning",
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
  auto library = SrtpLibrary::init();
  if (!library) {
    std::fprintf(stderr, "sbc-bench: libsrtp init failed\n");
    return 1;
  }
  // Bare libsrtp per suite the chosen modes use: protect + unprotect of one packet.
  std::vector<std::pair<api::SrtpSuite, Result>> bare;
  for (const ModeSpec& m : options->modes) {
    if (m.mode == Mode::kPlain || m.mode == Mode::kTranscode ||
        std::ranges::any_of(bare, [&](const auto& e) { return e.first == m.suite; })) {
      continue;
    }
    auto r = bare_srtp(*library, m.suite, std::min<uint64_t>(options->packets, 2'000'000));
    if (!r) {
      std::fprintf(stderr, "sbc-bench: %s\n", r.error().c_str());
      return 1;
    }
    bare.emplace_back(m.suite, *r);
  }
  std::printf("%9s  %-24s  %8s  %9s  %12s  %10s\n", "sessions", "mode", "Mpps", "ns/packet",
              "cycles/pkt", "ratio");
  for (const auto& [suite, r] : bare) {
    std::printf("%9s  %-24s  %8.2f  %9.1f  %12.1f  %10s\n", "-",
                fmt::format("libsrtp {} p+u",
                            suite == api::SrtpSuite::kAeadAes128Gcm ? "gcm-128" : "aes-cm-80")
                    .c_str(),
                r.mpps(), r.ns_per_packet(), r.cycles_per_packet(), "");
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
      auto result = run(b, sessions, packets, mode, *library);
      if (!result) {
        std::fprintf(stderr, "sbc-bench: %s, %u sessions: %s\n", mode.name.c_str(), sessions,
                     result.error().c_str());
        rc = 1;
        continue;
      }
      const auto& [baseline, relay] = *result;
      if (mode.mode == Mode::kPlain) {
        std::printf("%9u  %-24s  %8.2f  %9.1f  %12.1f  %10s\n", sessions, "baseline (l2fwd swap)",
                    baseline.mpps(), baseline.ns_per_packet(), baseline.cycles_per_packet(), "");
        std::printf(
            "%9u  %-24s  %8.2f  %9.1f  %12.1f  %9.2fx\n", sessions, "relay (lookup+latch)",
            relay.mpps(), relay.ns_per_packet(), relay.cycles_per_packet(),
            baseline.ns_per_packet() == 0 ? 0.0 : relay.ns_per_packet() / baseline.ns_per_packet());
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
      // of bare p+u), srtp-srtp one unprotect and one protect (bare p+u).
      double crypto_ns = 0;
      for (const auto& [suite, r] : bare) {
        if (suite == mode.suite) crypto_ns = r.ns_per_packet();
      }
      if (mode.mode == Mode::kRtpSrtp) crypto_ns /= 2;
      std::printf("%9u  %-24s  %8.2f  %9.1f  %12.1f  %9.2fx\n", sessions, mode.name.c_str(),
                  relay.mpps(), relay.ns_per_packet(), relay.cycles_per_packet(),
                  relay.ns_per_packet() / crypto_ns);
    }
  }
  std::printf(
      "\nratio: relay ns/packet over the l2fwd baseline (plain), or over the bare libsrtp cost "
      "of the crypto one relayed packet needs (SRTP: half of p+u for rtp-srtp, p+u for "
      "srtp-srtp); transcoding: calls one core carries at 50 packets/s each way (worker and "
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
