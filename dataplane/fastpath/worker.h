// Worker lcores: each polls its RX queues (one per wire port with RSS or af_packet fanout, else
// the wire queue of the ports it owns), relays media, punts everything else to the kernel and
// forwards what the kernel sends.
//
// Every flow has one owner. A port's exception path (TAP queues, punt policers, ARP snooping into
// its neighbour table) belongs to the port's owner (owner_of); a media stream belongs to the
// worker that claimed it (StreamState::worker). A frame that reaches another worker goes to its
// owner's handoff ring, as VPP's worker handoff does; the common case, a flow RSS keeps on the
// queue of the worker that claimed it, never crosses.
//
// All state a worker touches lives in its own cache-aligned Worker; the only shared structures are
// read-mostly (Datapath) or lock-free (session table, neighbour tables, other legs' latches, the
// handoff rings).
#pragma once

#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dataplane/fastpath/counters.h"
#include "dataplane/fastpath/datapath.h"

namespace sbc::dp {

// Rate limit of ARP requests the data path sends for an unknown next hop, per IP and worker.
class ArpLimiter {
 public:
  bool allow(uint8_t port, uint32_t ip_be, uint64_t now_tsc, uint64_t interval_tsc) {
    Slot& s = slots_[(ip_be * 0x9e3779b1u + port) >> 24];
    if (s.ip_be == ip_be && s.port == port && s.sent && now_tsc - s.last_tsc < interval_tsc) {
      return false;
    }
    s = {ip_be, port, true, now_tsc};
    return true;
  }

 private:
  struct Slot {
    uint32_t ip_be = 0;
    uint8_t port = 0;
    bool sent = false;
    uint64_t last_tsc = 0;
  };
  std::array<Slot, 256> slots_{};
};

// Token bucket in TSC units. Touched only by the worker that owns the port, and only on the punt
// path (the integer division is not on the media path).
class TokenBucket {
 public:
  void init(uint32_t rate_per_s, uint32_t burst, uint64_t tsc_hz) {
    tsc_per_token_ = std::max<uint64_t>(tsc_hz / std::max<uint32_t>(rate_per_s, 1), 1);
    burst_ = burst;
    tokens_ = burst;
    last_tsc_ = 0;
  }
  bool take(uint64_t now_tsc) {
    const uint64_t elapsed = now_tsc - last_tsc_;
    if (elapsed >= tsc_per_token_) {
      const uint64_t earned = elapsed / tsc_per_token_;
      if (earned >= burst_ - tokens_) {
        tokens_ = burst_;
        last_tsc_ = now_tsc;
      } else {
        tokens_ += earned;
        last_tsc_ += earned * tsc_per_token_;  // keep the remainder: exact long-run rate
      }
    }
    if (tokens_ == 0) return false;
    --tokens_;
    return true;
  }

 private:
  uint64_t tsc_per_token_ = 1;
  uint64_t burst_ = 0;
  uint64_t tokens_ = 0;
  uint64_t last_tsc_ = 0;
};

// Idle backoff (l3fwd-power style): busy-poll a while, then pause, then sleep with a growing
// interval capped at ~1 ms, so an idle dataplane leaves a small machine to sbcd and the test
// peers.
class IdleBackoff {
 public:
  // After a poll that found `work` items: the microseconds to sleep now (0: none; it may pause).
  uint32_t after_poll(uint32_t work) {
    if (work != 0) {
      idle_polls_ = 0;
      sleep_us_ = 1;
      return 0;
    }
    ++idle_polls_;
    if (idle_polls_ < kBusyPolls) return 0;
    if (idle_polls_ < kPausePolls) {
      rte_pause();
      return 0;
    }
    const uint32_t us = sleep_us_;
    sleep_us_ = std::min(sleep_us_ * 2, kMaxSleepUs);
    return us;
  }

 private:
  static constexpr uint32_t kBusyPolls = 128;
  static constexpr uint32_t kPausePolls = 1024;
  static constexpr uint32_t kMaxSleepUs = 1000;
  uint32_t idle_polls_ = 0;
  uint32_t sleep_us_ = 1;
};

// ARP has its own small bucket so that an IP flood cannot stop neighbour resolution, and an ARP
// flood cannot take the whole punt budget.
inline constexpr uint32_t kArpPuntRate = 1000;
inline constexpr uint32_t kArpPuntBurst = 100;
// Every TAP has one RX and one TX queue (net_tap needs as many RX as TX queues); only the port's
// owner touches it.
inline constexpr uint16_t kTapQueue = 0;
// Frames on their way to another worker, per receiving worker.
inline constexpr uint32_t kHandoffRingSize = 1024;

// A wire RX queue a worker polls.
struct RxQueue {
  uint8_t port = 0;
  uint16_t queue = 0;
};

struct alignas(RTE_CACHE_LINE_SIZE) Worker {
  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  uint16_t id = 0;  // RCU thread id and TX queue id on every wire port
  const Datapath* dp = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  // Wire RX queues it polls: queue `id` of every port with one queue per worker, queue 0 of the
  // single-queue ports it owns.
  std::array<RxQueue, kMaxPorts> wire_rx{};
  uint8_t wire_rx_count = 0;
  // Ports this worker owns: it alone uses their TAP (RX and TX) and punts their frames.
  std::array<uint8_t, kMaxPorts> rx_ports{};
  uint8_t rx_port_count = 0;
  // Frames other workers handed to this one (Datapath::handoff_rings[id]); null for a transcoding
  // lcore's Worker.
  rte_ring* handoff = nullptr;
  std::array<rte_eth_dev_tx_buffer*, kMaxPorts> phys_tx{};  // every port, TX queue `id`
  std::array<rte_eth_dev_tx_buffer*, kMaxPorts> tap_tx{};   // owned ports only, kTapQueue
  std::array<TokenBucket, kMaxPorts> punt_bucket{};         // owned ports only: trusted sources
  std::array<TokenBucket, kMaxPorts> untrusted_bucket{};    // owned ports only: everyone else
  std::array<TokenBucket, kMaxPorts> arp_bucket{};
  // A transcoding lcore's Worker (see transcoder.h) has no TX queue: what it sends goes to a relay
  // worker through this ring (the frame's out port index in mbuf::port). Null for relay workers.
  rte_ring* tx_ring = nullptr;
  // Relay workers: the transcoders' rings this worker sends from (each has one consumer).
  std::array<rte_ring*, kMaxTranscoders> transcoded_rings{};
  uint8_t transcoded_ring_count = 0;
  WorkerCounters counters;
  ArpLimiter arp_limiter;
  IdleBackoff backoff;  // IdlePolicy::kBackoff
};

// A frame out of wire port `port_index`: on the worker's own TX queue, or (a transcoding lcore)
// through its ring to the relay worker that sends for it; a full ring drops it (counted).
inline void transmit(Worker& w, uint8_t port_index, rte_mbuf* m) {
  if (w.tx_ring == nullptr) {
    rte_eth_tx_buffer(w.dp->ports[port_index].phys, w.id, w.phys_tx[port_index], m);
    return;
  }
  m->port = port_index;
  if (rte_ring_sp_enqueue(w.tx_ring, m) != 0) {
    w.counters.drop(Drop::kTranscodeQueueFull);
    rte_pktmbuf_free(m);
  }
}

// Builds a worker owning `rx_ports`: a TX buffer on every wire port (queue `id`), and TAP TX
// buffers and punt policers (trusted, untrusted, ARP) for the owned ports; its wire RX queues
// from the ports' rx_queues.
std::expected<std::unique_ptr<Worker>, std::string> make_worker(uint16_t id, const Datapath& dp,
                                                                rte_rcu_qsbr* qsbr,
                                                                std::span<const uint8_t> rx_ports,
                                                                int socket_id);

// Port index -> worker: the owner of a port's exception path, and the poller of its wire RX queue
// when it has only one.
inline uint16_t owner_of(uint8_t port_index, uint16_t workers) {
  return port_index % workers;
}

// The relay workers of `dp` (RCU ids 0..count-1; worker w on NUMA socket sockets[w]): each owns
// the ports owner_of gives it and has a handoff ring, published in dp.handoff_rings with
// dp.worker_count. The one way the dataplane, the benchmark and the tests build them.
std::expected<std::vector<std::unique_ptr<Worker>>, std::string> make_relay_workers(
    Datapath& dp, rte_rcu_qsbr* qsbr, std::span<const int> sockets);

// One loop iteration: RX from every owned port, relay/punt/forward, flush every TX buffer, report
// the RCU quiescent state. Returns the number of packets received. Tests drive this directly with
// a fake `now_tsc`.
uint32_t poll_once(Worker& worker, uint64_t now_tsc);

// lcore entry point (rte_eal_remote_launch); arg is a Worker*. Runs until dp->running is false.
int worker_main(void* arg);

}  // namespace sbc::dp
