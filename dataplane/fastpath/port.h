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
  uint16_t rx_queues = 1;  // wire side: 1, or one per worker (RSS, af_packet fanout)
  Ipv4Prefix address;
  uint32_t gateway = 0;  // host order; 0: none
  Ipv4Range media;       // more media addresses; first 0: none
};

// Finds the wire-side port (probed by the EAL), hot-plugs its TAP with the same MAC, starts both
// (start_port_pair) and gives the TAP the port's address. On failure nothing stays open.
std::expected<Port, std::string> open_port(const PortConfig& config, uint8_t index,
                                           uint16_t workers, rte_mempool* pool);

// How many wire RX queues a port gets with `workers` relay workers: one per worker when the
// device spreads flows itself (RSS on IPv4/UDP, or net_af_packet's kernel fanout) and has the
// queues, else 1 (polled by the port's owner).
uint16_t wire_rx_queues(uint16_t port_id, uint16_t workers);

// Starts a port's two ethdevs. The wire side: `rx_queues` RX queues (wire_rx_queues) and one TX
// queue per worker (any worker relays out of any port). The TAP: one RX and one TX queue
// (net_tap needs as many RX as TX queues), used only by the port's owner.
std::expected<void, std::string> start_port_pair(uint16_t phys_id, uint16_t tap_id,
                                                 uint16_t rx_queues, uint16_t workers,
                                                 rte_mempool* pool);

// Configures an ethdev with `rx_queues` RX queues (more than one: RSS on the IPv4/UDP hash
// functions the device has, if any) and `tx_queues` TX queues, and starts it.
std::expected<void, std::string> start_ethdev(uint16_t port_id, uint16_t rx_queues,
                                              uint16_t tx_queues, rte_mempool* pool);

// Stops and closes both sides (closing the TAP removes its kernel interface).
void close_port(const Port& port);

// Adds `address` (prefix `length`) to a kernel interface as the alias labelled "ifname:label",
// as SIOCSIFADDR on an alias name does (the TAP carries the port's media addresses so that the
// kernel answers ARP for them).
std::expected<void, std::string> add_kernel_ipv4_alias(const std::string& ifname, uint32_t label,
                                                       uint32_t address, uint8_t length);

// Gives a kernel interface one IPv4 address and brings it up. Plain ioctls (SIOCSIFADDR,
// SIOCSIFNETMASK, SIOCSIFFLAGS): one address on an interface we created needs no netlink library.
std::expected<void, std::string> set_kernel_ipv4(const std::string& ifname, Ipv4Prefix address);

PortView view_of(const Port& port);

}  // namespace sbc::dp
