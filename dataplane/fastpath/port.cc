#include "dataplane/fastpath/port.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <net/if.h>
#include <netinet/in.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pci.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <system_error>

namespace sbc::dp {
namespace {

constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;
// The RSS hash functions that keep a media flow on one queue: IPv4/UDP 4-tuple, else IPv4 pair.
constexpr uint64_t kRssFunctions = RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_IPV4;

std::string mac_text(const rte_ether_addr& mac) {
  char buf[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(buf, sizeof(buf), &mac);
  return buf;
}

std::expected<uint16_t, std::string> find_ethdev(const std::string& device) {
  std::string name(device_name(device));
  if (!is_vdev_spec(device)) {
    // The EAL names PCI ports in full form (0000:01:00.0) whatever form the config used.
    rte_pci_addr addr{};
    if (rte_pci_addr_parse(name.c_str(), &addr) == 0) {
      char full[PCI_PRI_STR_SIZE];
      rte_pci_device_name(&addr, full, sizeof(full));
      name = full;
    }
  }
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
    return std::unexpected(fmt::format("no DPDK port '{}' (probe failed? see the EAL log)", name));
  }
  return id;
}

// With net_af_packet the kernel still owns the interface and would answer IP and ARP for the TAP's
// address on it too (weak host model, same MAC): every ping answered twice. Strict reverse-path
// filtering drops IP on it (the route back to any peer is via the TAP), arp_ignore=8 stops ARP
// replies, and no IPv6 there. Packet sockets see frames before these filters, so DPDK still does.
std::expected<void, std::string> keep_kernel_off(const std::string& device) {
  if (!device.starts_with("net_af_packet")) return {};
  const auto at = device.find("iface=");
  if (at == std::string::npos) return {};
  const std::string iface = device.substr(at + 6, device.find(',', at) - (at + 6));
  const std::pair<std::string, const char*> settings[] = {
      {fmt::format("/proc/sys/net/ipv4/conf/{}/rp_filter", iface), "1"},
      {fmt::format("/proc/sys/net/ipv4/conf/{}/arp_ignore", iface), "8"},
      {fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", iface), "1"},
  };
  for (const auto& [path, value] : settings) {
    FILE* f = std::fopen(path.c_str(), "w");
    const bool ok = f && std::fputs(value, f) >= 0;
    if (f && std::fclose(f) != 0)
      return std::unexpected(fmt::format("{}: {}", path, std::generic_category().message(errno)));
    if (!ok)
      return std::unexpected(fmt::format("{}: {}", path, std::generic_category().message(errno)));
  }
  return {};
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

uint16_t wire_rx_queues(uint16_t port_id, uint16_t workers) {
  rte_eth_dev_info info{};
  if (workers <= 1 || rte_eth_dev_info_get(port_id, &info) != 0) return 1;
  if (info.max_rx_queues < workers) return 1;
  const bool fanout = std::string_view(info.driver_name) == "net_af_packet";
  return fanout || (info.flow_type_rss_offloads & kRssFunctions) != 0 ? workers : 1;
}

std::expected<void, std::string> start_ethdev(uint16_t port_id, uint16_t rx_queues,
                                              uint16_t tx_queues, rte_mempool* pool) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port_id, &info); rc != 0) {
    return std::unexpected(fmt::format("port {}: dev_info: {}", port_id, rte_strerror(-rc)));
  }
  if (info.max_tx_queues < tx_queues) {
    return std::unexpected(
        fmt::format("port {} ({}): supports {} TX queues, one per worker needs {}", port_id,
                    rte_dev_name(info.device), info.max_tx_queues, tx_queues));
  }
  if (info.max_rx_queues < rx_queues) {
    return std::unexpected(fmt::format("port {} ({}): supports {} RX queues, {} wanted", port_id,
                                       rte_dev_name(info.device), info.max_rx_queues, rx_queues));
  }
  rte_eth_conf conf{};
  // Several RX queues: the NIC hashes each IPv4/UDP flow to one of them (RSS), so a stream's
  // packets stay on one worker's queue. A device without RSS (net_af_packet: the kernel's fanout
  // hash does it) keeps mq_mode none.
  if (const uint64_t hf = info.flow_type_rss_offloads & kRssFunctions; rx_queues > 1 && hf != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = hf;
  }
  if (int rc = rte_eth_dev_configure(port_id, rx_queues, tx_queues, &conf); rc != 0) {
    return std::unexpected(fmt::format("port {}: configure: {}", port_id, rte_strerror(-rc)));
  }
  uint16_t rx_desc = kRxDescriptors;
  uint16_t tx_desc = kTxDescriptors;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc); rc != 0) {
    return std::unexpected(fmt::format("port {}: descriptors: {}", port_id, rte_strerror(-rc)));
  }
  const int socket = rte_eth_dev_socket_id(port_id);
  for (uint16_t q = 0; q < rx_queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(port_id, q, rx_desc, socket, nullptr, pool); rc != 0) {
      return std::unexpected(
          fmt::format("port {}: RX queue {}: {}", port_id, q, rte_strerror(-rc)));
    }
  }
  for (uint16_t q = 0; q < tx_queues; ++q) {
    if (int rc = rte_eth_tx_queue_setup(port_id, q, tx_desc, socket, nullptr); rc != 0) {
      return std::unexpected(
          fmt::format("port {}: TX queue {}: {}", port_id, q, rte_strerror(-rc)));
    }
  }
  if (int rc = rte_eth_dev_start(port_id); rc != 0) {
    return std::unexpected(fmt::format("port {}: start: {}", port_id, rte_strerror(-rc)));
  }
  return {};
}

std::expected<void, std::string> start_port_pair(uint16_t phys_id, uint16_t tap_id,
                                                 uint16_t rx_queues, uint16_t workers,
                                                 rte_mempool* pool) {
  if (auto ok = start_ethdev(phys_id, rx_queues, workers, pool); !ok) return ok;
  if (auto ok = start_ethdev(tap_id, 1, 1, pool); !ok) {
    rte_eth_dev_stop(phys_id);
    return ok;
  }
  return {};
}

std::expected<Port, std::string> open_port(const PortConfig& config, uint8_t index,
                                           uint16_t workers, rte_mempool* pool) {
  auto error = [&](const std::string& what) {
    return std::unexpected(fmt::format("port.{}: {}", config.name, what));
  };
  Port port;
  port.index = index;
  port.name = config.name;
  port.tap_name = config.tap;
  port.address = config.address;
  port.gateway = config.gateway.value_or(0);
  port.media = config.media_addresses.value_or(Ipv4Range{});

  auto phys = find_ethdev(config.device);
  if (!phys) return error(phys.error());
  port.phys_id = *phys;
  if (int rc = rte_eth_macaddr_get(port.phys_id, &port.mac); rc != 0) {
    return error(fmt::format("MAC address: {}", rte_strerror(-rc)));
  }

  // The TAP carries the port's MAC so the wire sees one host (the kernel answers ARP with it).
  const std::string tap_dev = fmt::format("net_tap_sbc{}", index);
  const std::string tap_args =
      fmt::format("{},iface={},mac={}", tap_dev, config.tap, mac_text(port.mac));
  if (int rc = rte_dev_probe(tap_args.c_str()); rc != 0) {
    return error(fmt::format("TAP '{}': {}", tap_args, rte_strerror(-rc)));
  }
  // From here on a failure must not leave the TAP (a kernel interface) or a started port behind.
  struct Guard {
    const std::string& tap_dev;
    const Port& port;
    bool tap_found = false;
    bool armed = true;
    ~Guard() {
      if (!armed) return;
      rte_eth_dev_stop(port.phys_id);
      if (tap_found) {
        rte_eth_dev_stop(port.tap_id);
        rte_eth_dev_close(port.tap_id);
      }
      rte_eal_hotplug_remove("vdev", tap_dev.c_str());  // detach the probed vdev
    }
  } guard{tap_dev, port};
  auto tap = find_ethdev(tap_dev);
  if (!tap) return error(tap.error());
  port.tap_id = *tap;
  guard.tap_found = true;

  port.rx_queues = wire_rx_queues(port.phys_id, workers);
  if (auto ok = start_port_pair(port.phys_id, port.tap_id, port.rx_queues, workers, pool); !ok) {
    return error(ok.error());
  }
  // Only frames for our MAC (and broadcast): the kernel behind the TAP is one host.
  if (int rc = rte_eth_promiscuous_disable(port.phys_id); rc != 0 && rc != -ENOTSUP) {
    return error(fmt::format("promiscuous off: {}", rte_strerror(-rc)));
  }
  if (auto ok = set_kernel_ipv4(config.tap, config.address); !ok) return error(ok.error());
  if (port.media.first != 0) {
    for (uint32_t a = port.media.first, label = 1; a <= port.media.last && a != 0; ++a, ++label) {
      if (auto ok = add_kernel_ipv4_alias(config.tap, label, a, config.address.length); !ok) {
        return error(ok.error());
      }
    }
  }
  if (auto ok = keep_kernel_off(config.device); !ok) return error(ok.error());
  guard.armed = false;
  return port;
}

void close_port(const Port& port) {
  for (uint16_t id : {port.phys_id, port.tap_id}) {
    rte_eth_dev_stop(id);
    rte_eth_dev_close(id);
  }
}

std::expected<void, std::string> add_kernel_ipv4_alias(const std::string& ifname, uint32_t label,
                                                       uint32_t address, uint8_t length) {
  return set_kernel_ipv4(fmt::format("{}:{}", ifname, label), {address, length});
}

std::expected<void, std::string> set_kernel_ipv4(const std::string& ifname, Ipv4Prefix address) {
  Fd sock{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0)
    return std::unexpected(fmt::format("socket: {}", std::generic_category().message(errno)));
  ifreq req{};
  std::snprintf(req.ifr_name, sizeof(req.ifr_name), "%s", ifname.c_str());
  auto set_in = [&req](uint32_t host_order) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(host_order);
    std::memcpy(&req.ifr_addr, &sin, sizeof(sin));
  };
  auto fail = [&ifname](const char* op) {
    return std::unexpected(
        fmt::format("{} {}: {}", op, ifname, std::generic_category().message(errno)));
  };
  set_in(address.address);
  if (ioctl(sock.fd, SIOCSIFADDR, &req) != 0) return fail("SIOCSIFADDR");
  set_in(address.length == 0 ? 0 : ~0u << (32 - address.length));
  if (ioctl(sock.fd, SIOCSIFNETMASK, &req) != 0) return fail("SIOCSIFNETMASK");
  if (ioctl(sock.fd, SIOCGIFFLAGS, &req) != 0) return fail("SIOCGIFFLAGS");
  req.ifr_flags |= IFF_UP;
  if (ioctl(sock.fd, SIOCSIFFLAGS, &req) != 0) return fail("SIOCSIFFLAGS");
  return {};
}

PortView view_of(const Port& port) {
  PortView view;
  view.phys = port.phys_id;
  view.tap = port.tap_id;
  view.mac = port.mac;
  view.ip_be = htonl(port.address.address);
  view.mask_be = htonl(port.address.length == 0 ? 0 : ~0u << (32 - port.address.length));
  view.gateway_be = htonl(port.gateway);
  view.rx_queues = port.rx_queues;
  view.media = port.media;
  return view;
}

}  // namespace sbc::dp
