// Ports: the wire side (a PCI NIC or a vdev such as net_af_packet) and its TAP exception path.
#pragma once

#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>
#include <expected>
#include <string>

#include "dataplane/config/dp_config.h"
#include "dataplane/fastpath/datapath.h"

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

// Finds the wire-side port (probed by the EAL), hot-plugs its TAP with the same MAC, starts both
// (start_port_pair) and gives the TAP the port's address. On failure nothing stays open.
std::expected<Port, std::string> open_port(const PortConfig& config, uint8_t index,
                                           uint16_t workers, rte_mempool* pool);

// Starts a port's two ethdevs. The wire side: one RX queue (polled by the port's owner) and one
// TX queue per worker (any worker relays out of any port). The TAP: one RX and one TX queue
// (net_tap needs as many RX as TX queues), used only by the port's owner.
std::expected<void, std::string> start_port_pair(uint16_t phys_id, uint16_t tap_id,
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
