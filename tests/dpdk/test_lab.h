// In-process DPDK test bench: an EAL on --no-huge --no-pci, kLabPorts "ports" each made of two
// net_ring ethdevs (wire side and TAP side); a test uses the first port_count() of them. The tests
// play both the wire and the kernel: they enqueue frames on a port's RX ring and read what the
// dataplane put on its TX ring.
#pragma once

#include <gtest/gtest.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/control/control_service.h"
#include "dataplane/fastpath/datapath.h"
#include "dataplane/fastpath/port.h"
#include "dataplane/fastpath/transcoder.h"
#include "dataplane/fastpath/worker.h"
#include "dataplane/media/srtp_library.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/source_table.h"

namespace sbc::dp::test {

// Wire ports have kLabWorkers RX and TX queues (one per worker, as with RSS), TAPs one each, as
// in production. A test's workers poll one RX queue per port (its owner's, queue 0) unless the
// test plays RSS (rss()): then worker w polls queue w of every port.
inline constexpr uint16_t kLabWorkers = 2;
// Ports of the lab: access and trunk, and a second pair for tests that need more media addresses
// than one pair holds (every session takes one even local port per leg and address).
inline constexpr uint8_t kLabPorts = 4;

struct RingPort {
  uint16_t id = 0;
  std::array<rte_ring*, kLabWorkers> rx{};  // the test enqueues here: the port "receives" it
  std::array<rte_ring*, kLabWorkers> tx{};  // what the port "sent", per TX queue
  uint16_t queues = 0;                      // RX and TX
};

struct TestLab {
  rte_mempool* pool = nullptr;
  std::array<RingPort, kLabPorts> wire;
  std::array<RingPort, kLabPorts> tap;
};

// Set up once by the test main after rte_eal_init.
TestLab& lab();
// EAL init with a per-binary file prefix, lab setup, RUN_ALL_TESTS, cleanup.
int run_dpdk_tests(int argc, char** argv, const char* file_prefix);

// Host-order helpers for readable tests.
constexpr uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}
inline rte_ether_addr mac(uint8_t last) {
  return {{0x02, 0x00, 0x00, 0x00, 0x00, last}};
}

struct UdpFrame {
  rte_ether_addr src_mac{};
  rte_ether_addr dst_mac{};
  uint32_t src_ip = 0;  // host order
  uint16_t src_port = 0;
  uint32_t dst_ip = 0;
  uint16_t dst_port = 0;
  uint8_t ttl = 64;
  std::string payload = "rtp-payload-0123456789";
  bool udp_checksum = true;
  uint8_t ip_option_words = 0;  // IHL = 5 + this (options are NOPs)
};
rte_mbuf* build_udp(const UdpFrame& frame);
rte_mbuf* build_arp(uint16_t op, const rte_ether_addr& sha, uint32_t sip, uint32_t tip);
rte_mbuf* build_icmp(const rte_ether_addr& src_mac, const rte_ether_addr& dst_mac, uint32_t src_ip,
                     uint32_t dst_ip);
// An Ethernet/IPv6/UDP frame (addresses as text, e.g. "2001:db8::10").
rte_mbuf* build_udp6(const rte_ether_addr& src_mac, const rte_ether_addr& dst_mac,
                     const std::string& src_ip, const std::string& dst_ip, uint16_t dst_port);

struct ParsedUdp {
  rte_ether_addr src_mac{};
  rte_ether_addr dst_mac{};
  uint32_t src_ip = 0;
  uint16_t src_port = 0;
  uint32_t dst_ip = 0;
  uint16_t dst_port = 0;
  uint8_t ttl = 0;
  std::string payload;
  bool ip_checksum_ok = false;
  bool udp_checksum_ok = false;
  uint16_t udp_checksum = 0;
};
// Parses an Ethernet/IPv4/UDP frame and checks both checksums in software.
std::optional<ParsedUdp> parse_udp(const rte_mbuf* m);

std::vector<rte_mbuf*> drain(rte_ring* ring);
// Everything a port sent, TX queue 0 first.
std::vector<rte_mbuf*> drain(const RingPort& port);
void free_all(std::vector<rte_mbuf*>& mbufs);

// A fresh data path per test (session table, neighbour tables, workers) on the shared ports.
// The test thread plays every worker: it registers their RCU ids and drives poll_once() with a
// fake clock. One worker by default (it owns both ports).
class DataplaneTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kAccess = 0;
  static constexpr uint32_t kTrunk = 1;
  // Port addresses as in the lab: access 192.0.2.1/24, trunk 198.51.100.1/24 with a gateway.
  static uint32_t access_ip() { return ip(192, 0, 2, 1); }
  static uint32_t trunk_ip() { return ip(198, 51, 100, 1); }
  static uint32_t trunk_gateway() { return ip(198, 51, 100, 254); }
  static uint32_t caller_ip() { return ip(192, 0, 2, 10); }
  static uint32_t callee_ip() { return ip(198, 51, 100, 10); }
  // Ports 2 and 3 (when port_count() says so): a second access/trunk pair.
  static uint32_t port_ip(uint8_t port) {
    constexpr uint32_t kAddresses[kLabPorts] = {ip(192, 0, 2, 1), ip(198, 51, 100, 1),
                                                ip(203, 0, 113, 1), ip(100, 64, 0, 1)};
    return kAddresses[port];
  }
  static rte_ether_addr caller_mac() { return mac(0x0a); }
  static rte_ether_addr callee_mac() { return mac(0x0b); }
  static rte_ether_addr gateway_mac() { return mac(0xfe); }

  void SetUp() override;
  void TearDown() override;
  virtual uint32_t max_sessions() const { return 1024; }
  virtual uint8_t port_count() const { return 2; }  // up to kLabPorts
  virtual uint16_t worker_count() const { return 1; }
  // Wire ports with one RX queue per worker, the flows spread as RSS would (the test picks the
  // queue): every worker polls every port.
  virtual bool rss() const { return false; }
  // A port's media addresses besides its own (host order; first 0: none).
  virtual Ipv4Range media_addresses(uint8_t /*port*/) const { return {}; }
  // Set on datapath_ before the workers are built.
  virtual uint32_t punt_rate() const { return kDefaultPuntRate; }
  virtual uint32_t punt_burst() const { return kDefaultPuntBurst; }
  virtual uint32_t untrusted_punt_rate() const { return kDefaultUntrustedPuntRate; }
  virtual uint32_t untrusted_punt_burst() const { return kDefaultUntrustedPuntBurst; }
  virtual uint32_t max_sources() const { return 1024; }
  // Transcoding lcores (played by the test thread: transcode()) and their limits.
  virtual TranscodingLimits transcoding() const { return {}; }

  // One loop iteration of every worker at `now_`.
  uint32_t poll() {
    uint32_t n = 0;
    for (auto& w : workers_) n += poll_once(*w, now_);
    return n;
  }
  // One loop iteration of every transcoding lcore at `now_`.
  uint32_t transcode() {
    uint32_t n = 0;
    for (auto& t : transcoders_) n += transcode_once(*t, now_);
    return n;
  }
  void advance_ms(uint64_t ms) { now_ += ms * hz_ / 1000; }
  void inject_wire(uint32_t port, rte_mbuf* m, uint16_t queue = 0);
  void inject_tap(uint32_t port, rte_mbuf* m);
  std::vector<rte_mbuf*> wire_out(uint32_t port) { return drain(lab().wire[port]); }
  std::vector<rte_mbuf*> tap_out(uint32_t port) { return drain(lab().tap[port]); }
  // ARP replies from the caller and the callee, so both neighbours are known.
  void learn_peers();

  // A session between the caller (access, local port `access_port`) and the callee (trunk,
  // local port `trunk_port`), both signalled with their real addresses.
  api::SessionAdd session(uint64_t id, uint16_t access_port = 20000,
                          uint16_t trunk_port = 30000) const;
  api::Result add(const api::SessionAdd& add) { return service_->session_add(add, now_); }
  // Source table entries, as sbcd pushes them.
  api::Result ban(const api::Address& address, uint32_t duration_ms = 0) {
    return service_->source_add({address, api::SourceClass::kBanned, duration_ms}, now_);
  }
  api::Result trust(const api::Address& address, uint32_t duration_ms = 0) {
    return service_->source_add({address, api::SourceClass::kTrusted, duration_ms}, now_);
  }
  api::LegStats leg_stats(uint64_t id, size_t leg);
  uint64_t drops(Drop reason) const { return service_->drops(reason); }
  uint64_t events(Event event) const { return service_->events(event); }
  const rte_ether_addr& port_mac(uint32_t port) const { return datapath_->ports[port].mac; }

  UdpFrame from_caller(uint16_t dst_port, uint16_t src_port = 40000) const;
  UdpFrame from_callee(uint16_t dst_port, uint16_t src_port = 50000) const;

  uint64_t hz_ = 0;
  uint64_t now_ = 0;
  // libsrtp for the table's SRTP contexts and the tests' reference peers; outlives the table.
  std::optional<SrtpLibrary> srtp_;
  std::unique_ptr<Datapath> datapath_;
  std::unique_ptr<std::array<NeighbourTable, kMaxPorts>> neighbours_;
  std::unique_ptr<SessionTable> table_;
  std::unique_ptr<SourceTable> sources_;
  std::vector<std::unique_ptr<Worker>> workers_;
  Worker* worker_ = nullptr;  // workers_[0]
  std::vector<std::unique_ptr<Transcoder>> transcoders_;
  std::unique_ptr<ControlService> service_;
};

}  // namespace sbc::dp::test
