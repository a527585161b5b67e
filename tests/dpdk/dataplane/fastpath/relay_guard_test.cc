// The data path's edge guards: the source table (banned sources dropped before anything else,
// trusted and untrusted punt budgets), media ports without a session, and per-stream policing.
#include <rte_arp.h>

#include "dataplane/fastpath/relay.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

class RelayGuardTest : public DataplaneTest {
 protected:
  // Small budgets so that a test burst goes over them: trusted 64, untrusted 8 (per port).
  uint32_t punt_rate() const override { return 1000; }
  uint32_t punt_burst() const override { return 64; }
  uint32_t untrusted_punt_rate() const override { return 100; }
  uint32_t untrusted_punt_burst() const override { return 8; }

  static uint32_t attacker_ip() { return ip(192, 0, 2, 66); }
  UdpFrame sip_from(uint32_t source) const {
    UdpFrame f = from_caller(5060, 5060);
    f.src_ip = source;
    f.payload = "REGISTER sip:192.0.2.1 SIP/2.0";
    return f;
  }
  size_t count_and_free(std::vector<rte_mbuf*> frames) {
    const size_t n = frames.size();
    free_all(frames);
    return n;
  }
  size_t punted(uint32_t port) { return count_and_free(tap_out(port)); }
  size_t sent(uint32_t port) { return count_and_free(wire_out(port)); }
  // Source addresses of what was punted on `port`, in order (IPv4 UDP only).
  std::vector<uint32_t> punted_sources(uint32_t port) {
    auto frames = tap_out(port);
    std::vector<uint32_t> out;
    for (rte_mbuf* m : frames) {
      auto p = parse_udp(m);
      out.push_back(p ? p->src_ip : 0);
    }
    free_all(frames);
    return out;
  }
  api::StatsReply totals() {
    auto stats = service_->stats({0}, now_);
    EXPECT_TRUE(stats.has_value());
    return stats ? *stats : api::StatsReply{};
  }
  uint64_t drop_counter(const api::StatsReply& stats, std::string_view name) {
    for (const api::Counter& c : stats.drops) {
      if (c.name == name) return c.value;
    }
    ADD_FAILURE() << "no drop counter " << name;
    return 0;
  }
};

TEST_F(RelayGuardTest, BannedSourceIsDroppedAndCostsNoPuntBudget) {
  ASSERT_EQ(ban(api::Address::ipv4(attacker_ip())).status, api::Status::kOk);
  // 3 bursts from the banned source (SIP, ICMP, UDP to a port without a session): more than
  // both budgets together.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 30; ++i) inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
    inject_wire(kAccess, build_icmp(caller_mac(), port_mac(kAccess), attacker_ip(), access_ip()));
    UdpFrame probe = sip_from(attacker_ip());
    probe.dst_port = 24000;
    inject_wire(kAccess, build_udp(probe));
    poll();
  }
  EXPECT_EQ(punted(kAccess), 0u);
  EXPECT_EQ(drops(Drop::kBannedSource), 96u);
  EXPECT_EQ(drops(Drop::kUntrustedPoliced), 0u);
  EXPECT_EQ(drops(Drop::kPuntPoliced), 0u);

  // The untrusted budget is untouched: a whole burst of it from someone else still goes through.
  for (int i = 0; i < 8; ++i) inject_wire(kAccess, build_udp(sip_from(caller_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 8u);

  const api::StatsReply stats = totals();
  EXPECT_EQ(stats.banned_sources, 1u);
  EXPECT_EQ(stats.trusted_sources, 0u);
  EXPECT_EQ(drop_counter(stats, "banned_source"), 96u);
}

TEST_F(RelayGuardTest, BannedArpIsDroppedBeforeItIsSnooped) {
  ASSERT_EQ(ban(api::Address::ipv4(caller_ip())).status, api::Status::kOk);
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REPLY, caller_mac(), caller_ip(), access_ip()));
  poll();
  EXPECT_EQ(punted(kAccess), 0u);
  EXPECT_EQ(drops(Drop::kBannedSource), 1u);
  EXPECT_EQ(events(Event::kNeighbourLearned), 0u);
  NeighbourTable::Mac mac;
  EXPECT_FALSE((*neighbours_)[kAccess].lookup(rte_cpu_to_be_32(caller_ip()), &mac));

  // Unbanned, the same ARP teaches the neighbour and reaches the kernel.
  ASSERT_EQ(service_->source_delete({api::Address::ipv4(caller_ip())}, now_).status,
            api::Status::kOk);
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REPLY, caller_mac(), caller_ip(), access_ip()));
  poll();
  EXPECT_EQ(punted(kAccess), 1u);
  EXPECT_EQ(events(Event::kNeighbourLearned), 1u);
}

TEST_F(RelayGuardTest, BannedIpv6SourceIsDropped) {
  ASSERT_EQ(ban(api::Address::parse("2001:db8::66")).status, api::Status::kOk);
  inject_wire(kAccess,
              build_udp6(caller_mac(), port_mac(kAccess), "2001:db8::66", "2001:db8::1", 5060));
  inject_wire(kAccess,
              build_udp6(caller_mac(), port_mac(kAccess), "2001:db8::67", "2001:db8::1", 5060));
  poll();
  auto frames = tap_out(kAccess);
  ASSERT_EQ(frames.size(), 1u);  // the other IPv6 host's frame, untouched
  const auto* ip6 = rte_pktmbuf_mtod_offset(frames[0], const rte_ipv6_hdr*, sizeof(rte_ether_hdr));
  EXPECT_EQ(api::Address::parse("2001:db8::67").bytes[15], ip6->src_addr[15]);
  free_all(frames);
  EXPECT_EQ(drops(Drop::kBannedSource), 1u);
}

TEST_F(RelayGuardTest, BanExpiresDeleteAndFlushLiftIt) {
  const api::Address attacker = api::Address::ipv4(attacker_ip());
  ASSERT_EQ(ban(attacker, 1000).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 0u);
  advance_ms(999);
  inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 0u);
  // Expired: read as absent by the worker even before the control thread sweeps it.
  advance_ms(1);
  inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 1u);
  EXPECT_EQ(drops(Drop::kBannedSource), 2u);
  EXPECT_EQ(totals().banned_sources, 0u);
  service_->housekeeping(now_);
  EXPECT_TRUE(sources_->empty());

  // Delete.
  ASSERT_EQ(ban(attacker).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 0u);
  ASSERT_EQ(service_->source_delete({attacker}, now_).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 1u);

  // Flush: every entry at once.
  ASSERT_EQ(ban(attacker).status, api::Status::kOk);
  ASSERT_EQ(ban(api::Address::ipv4(callee_ip())).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  inject_wire(kTrunk, build_udp(from_callee(5060, 5060)));
  poll();
  EXPECT_EQ(punted(kAccess) + punted(kTrunk), 0u);
  EXPECT_EQ(totals().banned_sources, 2u);
  ASSERT_EQ(service_->source_flush().status, api::Status::kOk);
  inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  inject_wire(kTrunk, build_udp(from_callee(5060, 5060)));
  poll();
  EXPECT_EQ(punted(kAccess), 1u);
  EXPECT_EQ(punted(kTrunk), 1u);
  EXPECT_EQ(drops(Drop::kBannedSource), 5u);
}

TEST_F(RelayGuardTest, MediaOfALiveSessionIsNotLookedUp) {
  // Strict latching protects a live stream: its packets skip the source table.
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  ASSERT_EQ(ban(api::Address::ipv4(caller_ip())).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(from_caller(20000)));
  poll();
  EXPECT_EQ(sent(kTrunk), 1u);
  EXPECT_EQ(drops(Drop::kBannedSource), 0u);
}

TEST_F(RelayGuardTest, TrustedSourcesKeepTheirBudgetUnderAnUntrustedFlood) {
  // The PBX (the caller) is trusted; a flood from 200 spoofed sources shares the untrusted budget.
  ASSERT_EQ(trust(api::Address::ipv4(caller_ip())).status, api::Status::kOk);
  size_t trusted_sent = 0;
  size_t flood_sent = 0;
  for (int round = 0; round < 8; ++round) {
    // 25 flood frames and 5 from the PBX, interleaved, per burst.
    for (int i = 0; i < 30; ++i) {
      if (i % 6 == 5) {
        inject_wire(kAccess, build_udp(sip_from(caller_ip())));
        ++trusted_sent;
      } else {
        const auto host = static_cast<uint8_t>(1 + (round * 25 + i) % 250);
        inject_wire(kAccess, build_udp(sip_from(ip(203, 0, 113, host))));
        ++flood_sent;
      }
    }
    poll();
  }
  ASSERT_EQ(flood_sent, 200u);
  const std::vector<uint32_t> sources = punted_sources(kAccess);
  const size_t from_pbx = std::count(sources.begin(), sources.end(), caller_ip());
  EXPECT_EQ(from_pbx, trusted_sent);         // every trusted frame reached the kernel
  EXPECT_EQ(sources.size() - from_pbx, 8u);  // the untrusted burst, no more
  EXPECT_EQ(drops(Drop::kUntrustedPoliced), 192u);
  EXPECT_EQ(drops(Drop::kPuntPoliced), 0u);
  EXPECT_EQ(totals().trusted_sources, 1u);

  // The untrusted bucket refills at its own rate (100/s: 10 tokens in 100 ms).
  advance_ms(100);
  for (int i = 0; i < 20; ++i) inject_wire(kAccess, build_udp(sip_from(ip(203, 0, 113, 9))));
  poll();
  EXPECT_EQ(punted(kAccess), 8u);  // capped at the burst
}

TEST_F(RelayGuardTest, TrustedFloodIsStillBoundByTheTrustedBucket) {
  ASSERT_EQ(trust(api::Address::ipv4(caller_ip())).status, api::Status::kOk);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 30; ++i) inject_wire(kAccess, build_udp(sip_from(caller_ip())));
    poll();
  }
  EXPECT_EQ(punted(kAccess), 64u);
  EXPECT_EQ(drops(Drop::kPuntPoliced), 26u);
  EXPECT_EQ(drops(Drop::kUntrustedPoliced), 0u);
  // Meanwhile the untrusted bucket is whole.
  for (int i = 0; i < 8; ++i) inject_wire(kAccess, build_udp(sip_from(attacker_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 8u);
}

TEST_F(RelayGuardTest, WithAnEmptyTableEveryoneIsUntrusted) {
  for (int i = 0; i < 20; ++i) inject_wire(kAccess, build_udp(sip_from(caller_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 8u);
  EXPECT_EQ(drops(Drop::kUntrustedPoliced), 12u);
  // A trusted entry that expired is absent again.
  ASSERT_EQ(trust(api::Address::ipv4(caller_ip()), 50).status, api::Status::kOk);
  advance_ms(10);
  for (int i = 0; i < 20; ++i) inject_wire(kAccess, build_udp(sip_from(caller_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 20u);
  advance_ms(40);
  for (int i = 0; i < 20; ++i) inject_wire(kAccess, build_udp(sip_from(caller_ip())));
  poll();
  EXPECT_EQ(punted(kAccess), 5u);  // untrusted again: 50 ms at 100/s refilled 5 tokens
}

TEST_F(RelayGuardTest, MediaPortsWithoutASessionNeverReachTheKernel) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);  // access 20000/20001, trunk 30000/30001
  ASSERT_EQ(service_->media_ports_set({20000, 39999}).status, api::Status::kOk);
  ASSERT_EQ(trust(api::Address::ipv4(caller_ip())).status, api::Status::kOk);

  inject_wire(kAccess, build_udp(from_caller(20002)));  // no session on 20002
  inject_wire(kAccess, build_udp(from_caller(39999)));  // the range's last port
  UdpFrame other_port = from_caller(30004);             // the trunk's address, seen on
  other_port.dst_ip = trunk_ip();                       // the access port
  inject_wire(kAccess, build_udp(other_port));
  inject_wire(kAccess, build_udp(from_caller(5060, 5060)));  // SIP: below the range
  inject_wire(kAccess, build_udp(from_caller(40000)));       // above the range
  inject_wire(kAccess, build_udp(from_caller(20000)));       // the live session's RTP
  inject_wire(kAccess, build_udp(from_caller(20001)));       // ... and RTCP
  poll();
  EXPECT_EQ(drops(Drop::kNoSession), 3u);
  const std::vector<uint32_t> punted_ports = [&] {
    std::vector<uint32_t> ports;
    auto frames = tap_out(kAccess);
    for (rte_mbuf* m : frames) ports.push_back(parse_udp(m)->dst_port);
    free_all(frames);
    return ports;
  }();
  EXPECT_EQ(punted_ports, (std::vector<uint32_t>{5060, 40000}));
  EXPECT_EQ(sent(kTrunk), 2u);  // RTP and RTCP relayed

  // A banned source on a media port counts as banned (checked first).
  ASSERT_EQ(ban(api::Address::ipv4(attacker_ip())).status, api::Status::kOk);
  UdpFrame probe = sip_from(attacker_ip());
  probe.dst_port = 20004;
  inject_wire(kAccess, build_udp(probe));
  poll();
  EXPECT_EQ(drops(Drop::kBannedSource), 1u);
  EXPECT_EQ(drops(Drop::kNoSession), 3u);

  // Off again: sessionless media ports are punted (policed) like any other UDP.
  ASSERT_EQ(service_->media_ports_set({0, 0}).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(from_caller(20002)));
  poll();
  EXPECT_EQ(punted(kAccess), 1u);
  EXPECT_EQ(service_->media_ports_set({30000, 20000}).status, api::Status::kInvalid);
  EXPECT_EQ(drops(Drop::kNoSession), 3u);
}

class StreamPolicerTest : public RelayGuardTest {
 protected:
  // Sends `n` caller RTP packets at the current instant; returns how many were relayed.
  size_t burst_from_caller(int n, uint16_t src_port = 40000) {
    size_t relayed = 0;
    for (int i = 0; i < n; ++i) {
      inject_wire(kAccess, build_udp(from_caller(20000, src_port)));
      if (i % 32 == 31 || i == n - 1) {
        poll();
        relayed += sent(kTrunk);
      }
    }
    return relayed;
  }
};

TEST_F(StreamPolicerTest, StreamAboveItsRateIsPoliced) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.max_packet_rate = 50;  // one per 20 ms; bucket depth max(50 / 5, 10) = 10
  ASSERT_EQ(add(s).status, api::Status::kOk);

  EXPECT_EQ(burst_from_caller(30), 10u);
  EXPECT_EQ(drops(Drop::kStreamPoliced), 20u);
  const api::LegStats leg0 = leg_stats(1, 0);
  EXPECT_EQ(leg0.rtp.packets, 10u);
  EXPECT_EQ(leg0.rtp.dropped, 20u);

  // 100 ms at 50/s: 5 more.
  advance_ms(100);
  EXPECT_EQ(burst_from_caller(30), 5u);
  // At the rate itself nothing is dropped.
  advance_ms(1000);
  for (int i = 0; i < 50; ++i) {
    advance_ms(20);
    EXPECT_EQ(burst_from_caller(1), 1u) << i;
  }
  // Each stream has its own bucket: the callee's direction is untouched.
  inject_wire(kTrunk, build_udp(from_callee(30000)));
  poll();
  EXPECT_EQ(sent(kAccess), 1u);
}

TEST_F(StreamPolicerTest, ForeignPacketsDoNotSpendThePeersBudget) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.max_packet_rate = 50;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  ASSERT_EQ(burst_from_caller(1), 1u);  // latch the caller
  for (int i = 0; i < 60; ++i) {
    UdpFrame spoof = from_caller(20000);
    spoof.src_ip = attacker_ip();
    inject_wire(kAccess, build_udp(spoof));
    if (i % 30 == 29) poll();
  }
  EXPECT_EQ(drops(Drop::kNotAllowedSource), 60u);
  EXPECT_EQ(drops(Drop::kStreamPoliced), 0u);
  EXPECT_EQ(burst_from_caller(9), 9u);  // the rest of the caller's burst
}

TEST_F(StreamPolicerTest, NoCeilingByDefaultAndAnUpsertChangesIt) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  EXPECT_EQ(burst_from_caller(64), 64u);
  EXPECT_EQ(drops(Drop::kStreamPoliced), 0u);

  api::SessionAdd s = session(1);
  s.max_packet_rate = 100;  // depth 20
  ASSERT_EQ(add(s).status, api::Status::kOk);
  EXPECT_EQ(burst_from_caller(64), 20u);
  s.max_packet_rate = 0;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  EXPECT_EQ(burst_from_caller(10), 10u);
}

}  // namespace
}  // namespace sbc::dp::test
