// Ports: the wire side (a PCI NIC or a vdev such as net_af_packet) and its TAP exception path.
#pragma once

#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>
#include <expected>
#include <string>

#include "datapath.h"
#include "dp_config.h"

namespace sbc::dp {

struct Port {
  uint8_t index = 0;
  std::string name;
  std::string tap_name;
  uint16_t phys_id = 0;
  uint16_t tap_id = 0;
  rte_ether_addr mac{};
  Ipv4Prefix address;
  uint32_t gateway = 0;  // host order; 0: none
};

// Finds the wire-side port (probed by the EAL), hot-plugs its TAP with the same MAC, configures and
// starts both (1 RX queue, one TX queue per worker), and gives the TAP the port's address.
std::expected<Port, std::string> open_port(const PortConfig& config, uint8_t index,
                                           uint16_t workers, rte_mempool* pool);

// Configures an ethdev with one RX queue and `tx_queues` TX queues and starts it.
std::expected<void, std::string> start_ethdev(uint16_t port_id, uint16_t tx_queues,
                                              rte_mempool* pool);

// Stops and closes both sides (closing the TAP removes its kernel interface).
void close_port(const Port& port);

// Gives a kernel interface one IPv4 address and brings it up. Plain ioctls (SIOCSIFADDR,
// SIOCSIFNETMASK, SIOCSIFFLAGS): one address on an interface we created needs no netlink library.
std::expected<void, std::string> set_kernel_ipv4(const std::string& ifname, Ipv4Prefix address);

PortView view_of(const Port& port);

}  // namespace sbc::dp
