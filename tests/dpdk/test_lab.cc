#include "tests/dpdk/test_lab.h"

#include <fmt/core.h>
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <atomic>
#include <cstring>
#include <filesystem>

namespace sbc::dp::test {
namespace {

TestLab g_lab;  // set once before any test runs, read-only afterwards

// A net_ring ethdev with `queues` RX and TX rings (not started).
RingPort make_ring_port(const std::string& name, uint16_t queues) {
  RingPort port;
  port.queues = queues;
  for (uint16_t q = 0; q < queues; ++q) {
    port.rx[q] = rte_ring_create(fmt::format("{}_rx{}", name, q).c_str(), 1024, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
    port.tx[q] = rte_ring_create(fmt::format("{}_tx{}", name, q).c_str(), 1024, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!port.rx[q] || !port.tx[q]) throw std::runtime_error("rte_ring_create " + name);
  }
  const int id = rte_eth_from_rings(name.c_str(), port.rx.data(), queues, port.tx.data(), queues,
                                    SOCKET_ID_ANY);
  if (id < 0) throw std::runtime_error("rte_eth_from_rings " + name);
  port.id = static_cast<uint16_t>(id);
  return port;
}

rte_mbuf* alloc_frame(size_t len) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_lab.pool);
  if (!m) throw std::runtime_error("mbuf pool empty");
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
  std::memset(data, 0, len);
  return m;
}

std::atomic<uint32_t> g_table_serial{0};

}  // namespace

TestLab& lab() {
  return g_lab;
}

int run_dpdk_tests(int argc, char** argv, const char* file_prefix) {
  ::testing::InitGoogleTest(&argc, argv);
  std::vector<std::string> args{argv[0],     "--no-huge",
                                "--no-pci",  "-m",
                                "256",       "--file-prefix",
                                file_prefix, "--log-level=*:warning",
                                "-l",        "0"};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  g_lab.pool =
      rte_pktmbuf_pool_create("test_mbufs", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!g_lab.pool) return 1;
  for (uint8_t p = 0; p < kLabPorts; ++p) {
    // Started exactly as the dataplane starts a port pair for kLabWorkers workers.
    g_lab.wire[p] = make_ring_port(fmt::format("wire{}", p), kLabWorkers);
    g_lab.tap[p] = make_ring_port(fmt::format("tap{}", p), 1);
    if (auto ok = start_port_pair(g_lab.wire[p].id, g_lab.tap[p].id, kLabWorkers, kLabWorkers,
                                  g_lab.pool);
        !ok) {
      std::fprintf(stderr, "start_port_pair: %s\n", ok.error().c_str());
      return 1;
    }
  }
  const int rc = RUN_ALL_TESTS();
  for (uint8_t p = 0; p < kLabPorts; ++p) {
    for (const RingPort& port : {g_lab.wire[p], g_lab.tap[p]}) {
      rte_eth_dev_stop(port.id);
      rte_eth_dev_close(port.id);
    }
  }
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::filesystem::remove_all(runtime_dir);  // per-run prefix: leave nothing behind
  return rc;
}

rte_mbuf* build_udp(const UdpFrame& f) {
  const size_t ihl = sizeof(rte_ipv4_hdr) + 4u * f.ip_option_words;
  const size_t len = sizeof(rte_ether_hdr) + ihl + sizeof(rte_udp_hdr) + f.payload.size();
  rte_mbuf* m = alloc_frame(len);
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  eth->src_addr = f.src_mac;
  eth->dst_addr = f.dst_mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* iph = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  iph->version_ihl = static_cast<uint8_t>(0x40 | (ihl / 4));
  std::memset(iph + 1, 1, ihl - sizeof(rte_ipv4_hdr));  // IPOPT_NOP
  iph->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len - sizeof(rte_ether_hdr)));
  iph->packet_id = rte_cpu_to_be_16(0x1234);
  iph->time_to_live = f.ttl;
  iph->next_proto_id = IPPROTO_UDP;
  iph->src_addr = rte_cpu_to_be_32(f.src_ip);
  iph->dst_addr = rte_cpu_to_be_32(f.dst_ip);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(reinterpret_cast<uint8_t*>(iph) + ihl);
  udp->src_port = rte_cpu_to_be_16(f.src_port);
  udp->dst_port = rte_cpu_to_be_16(f.dst_port);
  udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + f.payload.size()));
  std::memcpy(udp + 1, f.payload.data(), f.payload.size());
  iph->hdr_checksum = rte_ipv4_cksum(iph);
  if (f.udp_checksum) udp->dgram_cksum = rte_ipv4_udptcp_cksum(iph, udp);
  return m;
}

rte_mbuf* build_arp(uint16_t op, const rte_ether_addr& sha, uint32_t sip, uint32_t tip) {
  rte_mbuf* m = alloc_frame(60);
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memset(eth->dst_addr.addr_bytes, 0xff, 6);
  eth->src_addr = sha;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(op);
  arp->arp_data.arp_sha = sha;
  arp->arp_data.arp_sip = rte_cpu_to_be_32(sip);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(tip);
  return m;
}

rte_mbuf* build_icmp(const rte_ether_addr& src_mac, const rte_ether_addr& dst_mac, uint32_t src_ip,
                     uint32_t dst_ip) {
  UdpFrame f{src_mac, dst_mac, src_ip, 0, dst_ip, 0};
  rte_mbuf* m = build_udp(f);
  auto* iph = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  iph->next_proto_id = IPPROTO_ICMP;
  iph->hdr_checksum = 0;
  iph->hdr_checksum = rte_ipv4_cksum(iph);
  return m;
}

rte_mbuf* build_udp6(const rte_ether_addr& src_mac, const rte_ether_addr& dst_mac,
                     const std::string& src_ip, const std::string& dst_ip, uint16_t dst_port) {
  const std::string payload = "ipv6-payload";
  const size_t len =
      sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + sizeof(rte_udp_hdr) + payload.size();
  rte_mbuf* m = alloc_frame(len);
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  eth->src_addr = src_mac;
  eth->dst_addr = dst_mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
  auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
  ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip6->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload.size()));
  ip6->proto = IPPROTO_UDP;
  ip6->hop_limits = 64;
  const api::Address src = api::Address::parse(src_ip);
  const api::Address dst = api::Address::parse(dst_ip);
  if (src.family != api::AddressFamily::kIpv6 || dst.family != api::AddressFamily::kIpv6) {
    throw std::runtime_error("build_udp6: not IPv6 addresses");
  }
  std::memcpy(ip6->src_addr, src.bytes.data(), 16);
  std::memcpy(ip6->dst_addr, dst.bytes.data(), 16);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip6 + 1);
  udp->src_port = rte_cpu_to_be_16(5060);
  udp->dst_port = rte_cpu_to_be_16(dst_port);
  udp->dgram_len = ip6->payload_len;
  std::memcpy(udp + 1, payload.data(), payload.size());
  udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
  return m;
}

std::optional<ParsedUdp> parse_udp(const rte_mbuf* m) {
  if (m->data_len < sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr))
    return std::nullopt;
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) return std::nullopt;
  const auto* iph = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
  if (iph->next_proto_id != IPPROTO_UDP) return std::nullopt;
  const size_t ihl = (iph->version_ihl & 0x0f) * 4u;
  if (m->data_len < sizeof(rte_ether_hdr) + ihl + sizeof(rte_udp_hdr)) return std::nullopt;
  const auto* udp =
      reinterpret_cast<const rte_udp_hdr*>(reinterpret_cast<const uint8_t*>(iph) + ihl);
  ParsedUdp p;
  p.src_mac = eth->src_addr;
  p.dst_mac = eth->dst_addr;
  p.src_ip = rte_be_to_cpu_32(iph->src_addr);
  p.dst_ip = rte_be_to_cpu_32(iph->dst_addr);
  p.src_port = rte_be_to_cpu_16(udp->src_port);
  p.dst_port = rte_be_to_cpu_16(udp->dst_port);
  p.ttl = iph->time_to_live;
  const size_t payload_len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(rte_udp_hdr);
  p.payload.assign(reinterpret_cast<const char*>(udp + 1), payload_len);
  p.ip_checksum_ok = rte_raw_cksum(iph, ihl) == 0xffff;  // options included
  p.udp_checksum = udp->dgram_cksum;
  // Recompute from scratch with DPDK's own routine (field zeroed) and compare.
  auto* mutable_udp = const_cast<rte_udp_hdr*>(udp);
  mutable_udp->dgram_cksum = 0;
  const uint16_t expected = rte_ipv4_udptcp_cksum(iph, udp);
  mutable_udp->dgram_cksum = p.udp_checksum;
  p.udp_checksum_ok = p.udp_checksum != 0 && p.udp_checksum == expected;
  return p;
}

std::vector<rte_mbuf*> drain(rte_ring* ring) {
  std::vector<rte_mbuf*> out;
  void* obj = nullptr;
  while (rte_ring_dequeue(ring, &obj) == 0) out.push_back(static_cast<rte_mbuf*>(obj));
  return out;
}

std::vector<rte_mbuf*> drain(const RingPort& port) {
  std::vector<rte_mbuf*> out;
  for (uint16_t q = 0; q < port.queues; ++q) {
    auto part = drain(port.tx[q]);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

void free_all(std::vector<rte_mbuf*>& mbufs) {
  for (rte_mbuf* m : mbufs) rte_pktmbuf_free(m);
  mbufs.clear();
}

void DataplaneTest::SetUp() {
  ASSERT_LE(port_count(), kLabPorts);
  for (uint8_t p = 0; p < kLabPorts; ++p) {
    for (const RingPort* port : {&lab().wire[p], &lab().tap[p]}) {
      for (uint16_t q = 0; q < port->queues; ++q) {
        auto left = drain(port->rx[q]);
        free_all(left);
      }
      auto left = drain(*port);
      free_all(left);
    }
  }
  hz_ = rte_get_tsc_hz();
  now_ = 1000 * hz_;
  datapath_ = std::make_unique<Datapath>();
  neighbours_ = std::make_unique<std::array<NeighbourTable, kMaxPorts>>();
  const uint8_t port_total = port_count();
  std::vector<Port> ports(port_total);
  for (uint8_t p = 0; p < port_total; ++p) {
    Port& port = ports[p];
    port.index = p;
    port.name = p == 0 ? "access" : p == 1 ? "trunk" : fmt::format("port{}", p);
    port.phys_id = lab().wire[p].id;
    port.tap_id = lab().tap[p].id;
    rte_eth_macaddr_get(port.phys_id, &port.mac);
    port.address = {port_ip(p), 24};
    port.gateway = p == kTrunk ? trunk_gateway() : 0;
    port.rx_queues = rss() ? worker_count() : 1;
    port.media = media_addresses(p);
    datapath_->ports[p] = view_of(port);
  }
  datapath_->port_count = port_total;
  datapath_->neighbours = neighbours_.get();
  datapath_->pool = lab().pool;
  datapath_->tsc_hz = hz_;
  datapath_->punt_rate = punt_rate();
  datapath_->punt_burst = punt_burst();
  datapath_->untrusted_punt_rate = untrusted_punt_rate();
  datapath_->untrusted_punt_burst = untrusted_punt_burst();
  datapath_->neighbour_refresh_tsc = kNeighbourRefreshSeconds * hz_;
  std::vector<PortAddress> port_addresses;
  for (uint8_t p = 0; p < port_total; ++p) {
    const PortView& v = datapath_->ports[p];
    port_addresses.push_back({v.ip_be, v.media});
  }
  const uint16_t workers = worker_count();
  ASSERT_LE(workers, kLabWorkers);
  auto srtp = SrtpLibrary::init();
  ASSERT_TRUE(srtp.has_value());
  srtp_.emplace(std::move(*srtp));
  auto table =
      SessionTable::create(fmt::format("test_sessions{}", g_table_serial++), max_sessions(),
                           workers, port_addresses, hz_, SOCKET_ID_ANY, &*srtp_, transcoding());
  ASSERT_TRUE(table.has_value()) << table.error();
  table_ = std::move(*table);
  datapath_->sessions = table_->index();
  auto sources = SourceTable::create(fmt::format("test_sources{}", g_table_serial++), max_sources(),
                                     table_->qsbr(), hz_, SOCKET_ID_ANY);
  ASSERT_TRUE(sources.has_value()) << sources.error();
  sources_ = std::move(*sources);
  datapath_->sources = sources_.get();
  std::vector<const WorkerCounters*> counters;
  const std::vector<int> sockets(workers, SOCKET_ID_ANY);
  auto relay = make_relay_workers(*datapath_, table_->qsbr(), sockets);
  ASSERT_TRUE(relay.has_value()) << relay.error();
  workers_ = std::move(*relay);
  for (uint16_t id = 0; id < workers; ++id) {
    counters.push_back(&workers_[id]->counters);
    rte_rcu_qsbr_thread_register(table_->qsbr(), id);
    rte_rcu_qsbr_thread_online(table_->qsbr(), id);
  }
  worker_ = workers_[0].get();
  for (uint16_t t = 0; t < transcoding().lcores; ++t) {
    datapath_->transcode_rings[t] = table_->transcode_ring(t);
    auto transcoder = make_transcoder(t, *datapath_, table_->transcode_ring(t),
                                      table_->barrier_passed(t), SOCKET_ID_ANY, 256);
    ASSERT_TRUE(transcoder.has_value()) << transcoder.error();
    Worker& sender = *workers_[t % workers];
    sender.transcoded_rings[sender.transcoded_ring_count++] = (*transcoder)->tx->tx_ring;
    counters.push_back(&(*transcoder)->tx->counters);
    transcoders_.push_back(std::move(*transcoder));
  }
  datapath_->transcoder_count = static_cast<uint8_t>(transcoding().lcores);
  service_ = std::make_unique<ControlService>(ports, *table_, *sources_, datapath_->media_ports,
                                              counters, hz_);
}

void DataplaneTest::TearDown() {
  if (table_) {
    for (uint16_t id = 0; id < workers_.size(); ++id) {
      rte_rcu_qsbr_thread_offline(table_->qsbr(), id);
      rte_rcu_qsbr_thread_unregister(table_->qsbr(), id);
    }
  }
  service_.reset();
  worker_ = nullptr;
  transcoders_.clear();
  workers_.clear();
  sources_.reset();
  table_.reset();
  srtp_.reset();
}

void DataplaneTest::inject_wire(uint32_t port, rte_mbuf* m, uint16_t queue) {
  ASSERT_EQ(rte_ring_enqueue(lab().wire[port].rx.at(queue), m), 0);
}

void DataplaneTest::inject_tap(uint32_t port, rte_mbuf* m) {
  ASSERT_EQ(rte_ring_enqueue(lab().tap[port].rx[0], m), 0);
}

void DataplaneTest::learn_peers() {
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REPLY, caller_mac(), caller_ip(), access_ip()));
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REPLY, callee_mac(), callee_ip(), trunk_ip()));
  poll();
  auto punted = tap_out(kAccess);
  auto punted2 = tap_out(kTrunk);
  ASSERT_EQ(punted.size(), 1u);  // ARP still reaches the kernel
  ASSERT_EQ(punted2.size(), 1u);
  free_all(punted);
  free_all(punted2);
}

api::SessionAdd DataplaneTest::session(uint64_t id, uint16_t access_port,
                                       uint16_t trunk_port) const {
  api::SessionAdd s;
  s.session_id = id;
  s.media_timeout_ms = 5000;
  s.latch_window_ms = 2000;
  s.legs[0].port = kAccess;
  s.legs[0].local = api::Address::ipv4(access_ip());
  s.legs[0].local_rtp_port = access_port;
  s.legs[0].remote = api::Address::ipv4(caller_ip());
  s.legs[0].remote_rtp_port = 40000;
  s.legs[0].signalling_source = api::Address::ipv4(caller_ip());
  s.legs[1].port = kTrunk;
  s.legs[1].local = api::Address::ipv4(trunk_ip());
  s.legs[1].local_rtp_port = trunk_port;
  s.legs[1].remote = api::Address::ipv4(callee_ip());
  s.legs[1].remote_rtp_port = 50000;
  s.legs[1].signalling_source = api::Address::ipv4(callee_ip());
  return s;
}

api::LegStats DataplaneTest::leg_stats(uint64_t id, size_t leg) {
  auto stats = service_->stats({id}, now_);
  EXPECT_TRUE(stats.has_value());
  return stats ? stats->legs.at(leg) : api::LegStats{};
}

UdpFrame DataplaneTest::from_caller(uint16_t dst_port, uint16_t src_port) const {
  UdpFrame f;
  f.src_mac = caller_mac();
  f.dst_mac = port_mac(kAccess);
  f.src_ip = caller_ip();
  f.src_port = src_port;
  f.dst_ip = access_ip();
  f.dst_port = dst_port;
  return f;
}

UdpFrame DataplaneTest::from_callee(uint16_t dst_port, uint16_t src_port) const {
  UdpFrame f;
  f.src_mac = callee_mac();
  f.dst_mac = port_mac(kTrunk);
  f.src_ip = callee_ip();
  f.src_port = src_port;
  f.dst_ip = trunk_ip();
  f.dst_port = dst_port;
  f.payload = "callee-rtp-payload";
  return f;
}

}  // namespace sbc::dp::test
