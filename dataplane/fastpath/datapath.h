// What the workers share, read-only after start-up: the ports as the data path sees them, the
// session and source tables, the neighbour tables and the mbuf pool; plus the two words the
// control thread changes at run time (running, media_ports).
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/config/dp_config.h"
#include "dataplane/tables/neighbour_table.h"
#include "dataplane/tables/source_table.h"
#include "dataplane/tables/stream_index.h"

namespace sbc::dp {

inline constexpr uint16_t kBurstSize = 32;

inline constexpr uint64_t kNeighbourRefreshSeconds = 60;

struct PortView {
  uint16_t phys = 0;  // DPDK port id of the wire side
  uint16_t tap = 0;   // DPDK port id of the kernel exception path
  rte_ether_addr mac{};
  uint32_t ip_be = 0;  // the port's address (network byte order, as in packets)
  uint32_t mask_be = 0;
  uint32_t gateway_be = 0;  // 0: none
  Ipv4Range media;          // more local media addresses (host order; first 0: none)
  // Wire RX queues: 1 (polled by the port's owner, owner_of) or one per relay worker (worker w
  // polls queue w; the NIC's RSS or af_packet's fanout spreads the flows over them).
  uint16_t rx_queues = 1;
};

// Is `ip_be` this port's address or one of its media addresses?
inline bool is_local_address(const PortView& port, uint32_t ip_be) {
  return ip_be == port.ip_be || port.media.contains(rte_be_to_cpu_32(ip_be));
}

// The media port range of MediaPortsSet, in one word so that a worker never sees half of an
// update. Read for UDP to our addresses that is not a session hit; written by the control thread.
class MediaPortRange {
 public:
  void set(uint16_t port_min, uint16_t port_max) {
    word_.store(port_min == 0 ? 0 : (uint32_t{port_min} << 16) | port_max,
                std::memory_order_relaxed);
  }
  [[nodiscard]] bool contains(uint16_t port) const {
    const uint32_t w = word_.load(std::memory_order_relaxed);
    return w != 0 && port >= (w >> 16) && port <= (w & 0xffff);
  }
  [[nodiscard]] uint16_t port_min() const {
    return static_cast<uint16_t>(word_.load(std::memory_order_relaxed) >> 16);
  }
  [[nodiscard]] uint16_t port_max() const {
    return static_cast<uint16_t>(word_.load(std::memory_order_relaxed));
  }

 private:
  std::atomic<uint32_t> word_{0};  // port_min << 16 | port_max; 0: off
};

struct Datapath {
  std::array<PortView, kMaxPorts> ports{};
  uint8_t port_count = 0;
  const StreamIndex* sessions = nullptr;
  const SourceTable* sources = nullptr;  // null: no source table (everyone untrusted)
  MediaPortRange media_ports;
  std::array<NeighbourTable, kMaxPorts>* neighbours = nullptr;
  rte_mempool* pool = nullptr;
  // Relay workers, and each one's handoff ring (multi-producer, it alone consumes): a frame that
  // reached a worker other than the one it belongs to (a stream another worker owns, a punt for a
  // port another worker owns) goes there, with its port index in mbuf::port.
  uint16_t worker_count = 1;
  std::array<rte_ring*, kMaxWorkers> handoff_rings{};
  // Every transcoding lcore's job ring (multi-producer: the relay workers; single consumer).
  std::array<rte_ring*, kMaxTranscoders> transcode_rings{};
  uint8_t transcoder_count = 0;
  uint64_t tsc_hz = 0;
  IdlePolicy idle_policy = IdlePolicy::kBackoff;
  // Exception-path policer, per port (each port's bucket belongs to its owning worker: every punt
  // of a port reaches its owner).
  uint32_t punt_rate = kDefaultPuntRate;    // packets/s
  uint32_t punt_burst = kDefaultPuntBurst;  // packets
  // Punt candidates whose source is not trusted in the source table share this smaller bucket.
  uint32_t untrusted_punt_rate = kDefaultUntrustedPuntRate;
  uint32_t untrusted_punt_burst = kDefaultUntrustedPuntBurst;
  // A neighbour entry older than this is still used, and an ARP request refreshes it.
  uint64_t neighbour_refresh_tsc = UINT64_MAX;  // start-up sets kNeighbourRefreshSeconds
  std::atomic<bool> running{true};
};

}  // namespace sbc::dp
