// sbc-bench's traffic side (sbc_bench.cc times the worker): the in-memory ring ports, where each
// session sits on them, the RTP packets, the reflector that sends whatever a port transmitted back
// into it aimed at the next session of a fixed shuffled cycle, the SRTP peers it plays, and the
// l2fwd-style baseline step.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "api/control_protocol.h"
#include "dataplane/media/srtp_context.h"
#include "dataplane/media/srtp_key.h"

namespace sbc::dp::bench {

// A session's place on its pair of ports: its slot, which names a local address (the port's own
// for slot < kSlotsPerAddress, then its media addresses) and an even local UDP port on it.
inline constexpr uint32_t kSlotsPerAddress = 25000;   // local even ports per address: < 32k
inline constexpr uint32_t kSessionsPerPair = 250000;  // 10 addresses per port
inline constexpr uint32_t kInFlight = 16384;  // ~3 MiB of header and mbuf lines: past L1 and L2
inline constexpr uint32_t kRingSize = 32768;  // > kInFlight: a port's rings never overflow
inline constexpr uint16_t kFirstLocalPort = 10000;
inline constexpr uint16_t kCallerPort = 40000;
inline constexpr uint16_t kCalleePort = 50000;
inline constexpr uint32_t kMaxPairs = 4;  // 1M sessions
inline constexpr uint32_t kMediaHost =
    100;  // media address a (1..) of port p: port_ip(p) + 100 + a
inline constexpr uint16_t kRtpPayload = 172;  // G.711 20 ms: 12 byte RTP header + 160 samples

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

// Relay workers a run may use at once (--workers): with several, worker w polls RX queue w of
// every port (as with RSS) and sends on its TX queue w.
inline constexpr uint16_t kMaxBenchWorkers = 2;

struct RingPort {
  uint16_t id;
  std::array<rte_ring*, kMaxBenchWorkers> rx;
  std::array<rte_ring*, kMaxBenchWorkers> tx;
};

struct Bench {
  rte_mempool* pool = nullptr;
  std::vector<RingPort> ports;  // 2 per pair: access (even index), trunk (odd index)
  std::vector<RingPort> taps;   // one per port, idle (nothing is punted), polled like in production
};

// Addresses, host order: port p's own (access pair j 10.0.j.1, trunk pair j 10.1.j.1), its peer's
// (.10: caller or callee), and a session slot's local address and even UDP port; slot_of inverts.
uint32_t port_ip(uint32_t port);
uint32_t peer_ip(uint32_t port);
uint16_t local_port(uint32_t slot);
uint32_t local_ip(uint32_t port, uint32_t slot);
uint32_t slot_of(uint32_t port, uint32_t ip, uint16_t udp_port);

// A net_ring ethdev over two fresh rings, started with one queue each way.
std::expected<RingPort, std::string> make_port(const std::string& name, rte_mempool* pool);

// A deterministic master key||salt per (session, leg, direction): no two alike.
api::SrtpParams key_for(api::SrtpSuite suite, uint32_t session, uint32_t leg, uint32_t in);
SrtpMasterKey master_of(const api::SrtpParams& p);

void write_rtp_header(uint8_t* rtp, uint16_t seq, uint32_t ssrc, uint8_t payload_type = 0,
                      uint32_t ts_step = 160);
// After the UDP payload changed length (SRTP): lengths and both checksums anew.
void fix_lengths(rte_mbuf* m, size_t payload_len);
// A valid RTP frame from port `port`'s peer to session `slot` on it.
rte_mbuf* build_packet(rte_mempool* pool, uint32_t port, uint32_t slot);
// A fixed random cycle over all slots: next[slot] visits every session once, with no locality.
// With `lanes` > 1, one cycle per lane (the slots s with s % lanes == lane): a worker's packets
// stay on its own sessions, as RSS keeps a flow on one queue.
std::vector<uint32_t> shuffled_cycle(uint32_t slots, uint32_t lanes = 1);

// Everything the ports transmitted on TX queue `queue` back into their RX queue `queue`: the
// peers' side (SRTP modes: `peers` unprotects, renumbers and protects), then re-aimed at the
// next session in the cycle. With several workers each circulates its own queue (a ring has one
// producer and one consumer), and the cycle keeps a packet on its queue's sessions.
void circulate(const Bench& b, size_t port_count, const std::vector<uint32_t>& next_slot,
               Peers* peers, uint16_t queue = 0);
// The baseline worker step, l2fwd style (RX burst, MAC swap, TX to the pair partner).
uint32_t forward_once(const Bench& b, size_t port_count);

}  // namespace sbc::dp::bench
