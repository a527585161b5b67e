// Ports (port.cc) on net_ring ethdevs made for each test: starting an ethdev and a port pair, what
// a failed start leaves, closing, the device lookup of open_port() and the worker-side view.
// open_port()'s success path creates a kernel TAP interface: the integration tests cover it.
#include "dataplane/fastpath/port.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <atomic>
#include <vector>

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

std::atomic<uint32_t> g_serial{0};

class PortTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (uint16_t id : ethdevs_) {
      if (rte_eth_dev_is_valid_port(id) != 0) {
        rte_eth_dev_stop(id);
        rte_eth_dev_close(id);
      }
    }
    for (rte_ring* r : rings_) rte_ring_free(r);
  }
  // A net_ring ethdev with one RX ring and `tx_rings` TX rings: it supports that many TX queues.
  uint16_t ring_ethdev(uint16_t tx_rings) {
    const std::string name = fmt::format("port_test{}", g_serial++);
    std::vector<rte_ring*> tx;
    rte_ring* rx = make_ring(name + "_rx");
    for (uint16_t q = 0; q < tx_rings; ++q)
      tx.push_back(make_ring(fmt::format("{}_tx{}", name, q)));
    const int id = rte_eth_from_rings(name.c_str(), &rx, 1, tx.data(), tx_rings, SOCKET_ID_ANY);
    EXPECT_GE(id, 0) << name;
    ethdevs_.push_back(static_cast<uint16_t>(id));
    return static_cast<uint16_t>(id);
  }
  rte_ring* make_ring(const std::string& name) {
    rte_ring* r = rte_ring_create(name.c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    EXPECT_NE(r, nullptr) << name;
    rings_.push_back(r);
    return r;
  }
  // An ethdev that was stopped can be configured again; a started one refuses (-EBUSY).
  static bool stopped(uint16_t id) {
    rte_eth_conf conf{};
    return rte_eth_dev_configure(id, 1, 1, &conf) == 0;
  }

  std::vector<uint16_t> ethdevs_;
  std::vector<rte_ring*> rings_;
};

TEST_F(PortTest, StartEthdevNeedsOneTxQueuePerWorker) {
  const uint16_t id = ring_ethdev(1);
  auto refused = start_ethdev(id, 1, 2, lab().pool);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find(fmt::format("port {} (", id)), std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find("supports 1 TX queues, one per worker needs 2"), std::string::npos)
      << refused.error();
  EXPECT_TRUE(stopped(id));

  ASSERT_TRUE(start_ethdev(id, 1, 1, lab().pool).has_value());
  EXPECT_FALSE(stopped(id));  // started: busy
  // Started means frames flow: one sent on queue 0 lands on the ethdev's TX ring.
  rte_mbuf* m = build_udp(UdpFrame{});
  EXPECT_EQ(rte_eth_tx_burst(id, 0, &m, 1), 1u);
  void* out = nullptr;
  ASSERT_EQ(rte_ring_dequeue(rings_[1], &out), 0);
  rte_pktmbuf_free(static_cast<rte_mbuf*>(out));
}

TEST_F(PortTest, RxQueuesPerWorkerOnlyWhereTheDeviceSpreadsFlows) {
  const uint16_t id = ring_ethdev(2);
  // net_ring has no RSS (and is not af_packet): one RX queue, polled by the port's owner.
  EXPECT_EQ(wire_rx_queues(id, 2), 1u);
  EXPECT_EQ(wire_rx_queues(id, 1), 1u);
  auto refused = start_ethdev(id, 2, 2, lab().pool);  // it has one RX ring
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("supports 1 RX queues, 2 wanted"), std::string::npos)
      << refused.error();
}

TEST_F(PortTest, StartEthdevNamesAPortThatDoesNotExist) {
  auto refused = start_ethdev(RTE_MAX_ETHPORTS - 1, 1, 1, lab().pool);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find(fmt::format("port {}: dev_info", RTE_MAX_ETHPORTS - 1)),
            std::string::npos)
      << refused.error();
}

TEST_F(PortTest, APortPairStartsBothSidesOrNeither) {
  const uint16_t wire = ring_ethdev(2);
  const uint16_t tap = ring_ethdev(1);
  ASSERT_TRUE(start_port_pair(wire, tap, 1, 2, lab().pool).has_value());
  EXPECT_FALSE(stopped(wire));
  EXPECT_FALSE(stopped(tap));
  Port port;
  port.phys_id = wire;
  port.tap_id = tap;
  close_port(port);
  EXPECT_EQ(rte_eth_dev_is_valid_port(wire), 0);  // closed: released
  EXPECT_EQ(rte_eth_dev_is_valid_port(tap), 0);

  // The TAP side fails: the wire side it had started is stopped again.
  const uint16_t wire2 = ring_ethdev(1);
  auto failed = start_port_pair(wire2, RTE_MAX_ETHPORTS - 1, 1, 1, lab().pool);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().find("dev_info"), std::string::npos) << failed.error();
  EXPECT_TRUE(stopped(wire2));
}

TEST_F(PortTest, OpenPortNamesTheDeviceItCannotFind) {
  PortConfig config;
  config.name = "access";
  config.device = "net_ring_nothing_here";
  config.tap = "sbc-test-none";
  config.address = {ip(192, 0, 2, 1), 24};
  auto vdev = open_port(config, 0, 1, lab().pool);
  ASSERT_FALSE(vdev.has_value());
  EXPECT_NE(vdev.error().find("port.access: no DPDK port 'net_ring_nothing_here'"),
            std::string::npos)
      << vdev.error();
  // A PCI address in short form is looked up by the EAL's full name.
  config.device = "99:00.0";
  auto pci = open_port(config, 0, 1, lab().pool);
  ASSERT_FALSE(pci.has_value());
  EXPECT_NE(pci.error().find("no DPDK port '0000:99:00.0'"), std::string::npos) << pci.error();
}

TEST_F(PortTest, SetKernelIpv4NamesTheInterfaceAndTheStep) {
  auto missing = set_kernel_ipv4("sbc-no-such0", {ip(192, 0, 2, 1), 24});
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().find("SIOCSIFADDR sbc-no-such0: "), std::string::npos)
      << missing.error();
}

TEST_F(PortTest, ViewIsInNetworkByteOrderWithTheMaskOfThePrefix) {
  Port port;
  port.phys_id = 3;
  port.tap_id = 4;
  port.mac = mac(0x42);
  port.address = {ip(198, 51, 100, 1), 24};
  port.gateway = ip(198, 51, 100, 254);
  const PortView view = view_of(port);
  EXPECT_EQ(view.phys, 3u);
  EXPECT_EQ(view.tap, 4u);
  EXPECT_TRUE(rte_is_same_ether_addr(&view.mac, &port.mac));
  EXPECT_EQ(view.ip_be, htonl(ip(198, 51, 100, 1)));
  EXPECT_EQ(view.mask_be, htonl(0xffffff00u));
  EXPECT_EQ(view.gateway_be, htonl(ip(198, 51, 100, 254)));

  port.address.length = 32;
  port.gateway = 0;
  EXPECT_EQ(view_of(port).mask_be, 0xffffffffu);
  EXPECT_EQ(view_of(port).gateway_be, 0u);  // no gateway
  port.address.length = 0;
  EXPECT_EQ(view_of(port).mask_be, 0u);  // not a shift by 32
}

}  // namespace
}  // namespace sbc::dp::test
