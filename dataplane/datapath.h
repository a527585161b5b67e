// What the workers share, read-only after start-up: the ports as the data path sees them, the
// session table, the neighbour tables and the mbuf pool.
#pragma once

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mempool.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "dp_config.h"
#include "neighbour_table.h"

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
};

struct Datapath {
  std::array<PortView, kMaxPorts> ports{};
  uint8_t port_count = 0;
  const rte_hash* sessions = nullptr;
  std::array<NeighbourTable, kMaxPorts>* neighbours = nullptr;
  rte_mempool* pool = nullptr;
  uint64_t tsc_hz = 0;
  IdlePolicy idle_policy = IdlePolicy::kBackoff;
  // Exception-path policer, per port (each port's bucket belongs to its owning worker).
  uint32_t punt_rate = kDefaultPuntRate;    // packets/s
  uint32_t punt_burst = kDefaultPuntBurst;  // packets
  // A neighbour entry older than this is still used, and an ARP request refreshes it.
  uint64_t neighbour_refresh_tsc = UINT64_MAX;  // start-up sets kNeighbourRefreshSeconds
  std::atomic<bool> running{true};
};

}  // namespace sbc::dp
