// The real data path (classify, bulk lookup, latch, rewrite, punt, ARP) one loop iteration at a
// time.
#include "dataplane/fastpath/relay.h"

#include <rte_arp.h>
#include <rte_ether.h>

#include <cstring>

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

bool same_mac(const rte_ether_addr& a, const rte_ether_addr& b) {
  return rte_is_same_ether_addr(&a, &b);
}

class RelayTest : public DataplaneTest {
 protected:
  // Sends one frame in on `port`, runs one iteration, returns the single relayed frame on
  // `out_port` (fails the test otherwise).
  std::optional<ParsedUdp> relay_one(uint32_t port, const UdpFrame& frame, uint32_t out_port) {
    inject_wire(port, build_udp(frame));
    poll();
    auto out = wire_out(out_port);
    std::optional<ParsedUdp> parsed;
    if (out.size() == 1) parsed = parse_udp(out[0]);
    EXPECT_EQ(out.size(), 1u);
    free_all(out);
    return parsed;
  }
  // Sends one frame in and expects nothing on either wire.
  void expect_dropped(uint32_t port, const UdpFrame& frame) {
    inject_wire(port, build_udp(frame));
    poll();
    for (uint32_t p : {kAccess, kTrunk}) {
      auto out = wire_out(p);
      EXPECT_TRUE(out.empty()) << "frame left port " << p;
      free_all(out);
    }
  }
};

TEST_F(RelayTest, RelaysBothWaysWithFullRewrite) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);

  auto out = relay_one(kAccess, from_caller(20000, 40000), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_TRUE(same_mac(out->src_mac, port_mac(kTrunk)));
  EXPECT_TRUE(same_mac(out->dst_mac, callee_mac()));
  EXPECT_EQ(out->src_ip, trunk_ip());
  EXPECT_EQ(out->src_port, 30000);
  EXPECT_EQ(out->dst_ip, callee_ip());
  EXPECT_EQ(out->dst_port, 50000);
  EXPECT_EQ(out->ttl, 63);
  EXPECT_EQ(out->payload, "rtp-payload-0123456789");
  EXPECT_TRUE(out->ip_checksum_ok);
  EXPECT_TRUE(out->udp_checksum_ok);

  auto back = relay_one(kTrunk, from_callee(30000, 50000), kAccess);
  ASSERT_TRUE(back);
  EXPECT_TRUE(same_mac(back->src_mac, port_mac(kAccess)));
  EXPECT_TRUE(same_mac(back->dst_mac, caller_mac()));
  EXPECT_EQ(back->src_ip, access_ip());
  EXPECT_EQ(back->src_port, 20000);
  EXPECT_EQ(back->dst_ip, caller_ip());
  EXPECT_EQ(back->dst_port, 40000);
  EXPECT_EQ(back->payload, "callee-rtp-payload");
  EXPECT_TRUE(back->ip_checksum_ok);
  EXPECT_TRUE(back->udp_checksum_ok);

  // Counters: per stream, per port, and nothing dropped.
  const api::LegStats leg0 = leg_stats(1, 0);
  EXPECT_EQ(leg0.rtp.packets, 1u);
  EXPECT_EQ(leg0.rtp.bytes, std::string("rtp-payload-0123456789").size());
  EXPECT_EQ(leg0.rtp.dropped, 0u);
  EXPECT_EQ(leg0.rtp.idle_ms, 0u);
  EXPECT_EQ(leg0.rtp.latched, api::Address::ipv4(caller_ip()));
  EXPECT_EQ(leg0.rtp.latched_port, 40000);
  EXPECT_EQ(leg_stats(1, 1).rtp.packets, 1u);
  EXPECT_EQ(leg0.rtcp.idle_ms, UINT32_MAX);
  auto totals = service_->stats({0}, now_);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->active_sessions, 1u);
  EXPECT_EQ(totals->ports.at(kTrunk).media_packets, 1u);
  EXPECT_EQ(totals->ports.at(kAccess).media_packets, 1u);
  for (const api::Counter& c : totals->drops) EXPECT_EQ(c.value, 0u) << c.name;
  ASSERT_EQ(totals->events.size(), kEventCount);
  for (size_t e = 0; e < kEventCount; ++e) EXPECT_EQ(totals->events[e].name, kEventNames[e]);
  EXPECT_EQ(totals->events[static_cast<size_t>(Event::kLatchLearned)].value, 2u);
  EXPECT_EQ(totals->events[static_cast<size_t>(Event::kNeighbourLearned)].value, 2u);
}

TEST_F(RelayTest, UdpWithoutChecksumStaysWithout) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  UdpFrame frame = from_caller(20000);
  frame.udp_checksum = false;
  auto out = relay_one(kAccess, frame, kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->udp_checksum, 0);
  EXPECT_TRUE(out->ip_checksum_ok);
}

TEST_F(RelayTest, RtcpIsRelayedOnItsOwnPorts) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.legs[1].remote_rtcp_port = 50011;  // explicit a=rtcp on the trunk side
  ASSERT_EQ(add(s).status, api::Status::kOk);
  auto out = relay_one(kAccess, from_caller(20001, 40001), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->src_port, 30001);
  EXPECT_EQ(out->dst_port, 50011);
  EXPECT_TRUE(out->udp_checksum_ok);
  auto back = relay_one(kTrunk, from_callee(30001, 50011), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->src_port, 20001);
  EXPECT_EQ(back->dst_port, 40001);  // latched RTCP source of the caller
  EXPECT_EQ(leg_stats(1, 0).rtcp.packets, 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 0u);
}

// Hold (RFC 3264 §6.1): the caller's description is sendonly, so the callee's RTP goes nowhere
// (counted "direction"), while the caller's still flows and RTCP flows both ways; an upsert with
// sendrecv again relays the callee's RTP to the latch its held packets already took.
TEST_F(RelayTest, RtpTheDirectionsHoldBackIsDroppedAndRtcpStillFlows) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.legs[1].forward_rtp = false;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  ASSERT_TRUE(relay_one(kAccess, from_caller(20000, 40000), kTrunk));
  expect_dropped(kTrunk, from_callee(30000, 50000));
  EXPECT_EQ(drops(Drop::kDirection), 1u);
  EXPECT_EQ(leg_stats(1, 1).rtp.dropped, 1u);
  EXPECT_EQ(leg_stats(1, 1).rtp.latched, api::Address::ipv4(callee_ip()));
  ASSERT_TRUE(relay_one(kTrunk, from_callee(30001, 50001), kAccess));  // its RTCP
  s.legs[1].forward_rtp = true;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  auto back = relay_one(kTrunk, from_callee(30000, 50000), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dst_port, 40000);
  EXPECT_EQ(drops(Drop::kDirection), 1u);
}

TEST_F(RelayTest, RtcpDefaultsToRtpPlusOne) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  auto out = relay_one(kAccess, from_caller(20001, 40001), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->dst_port, 50001);
}

TEST_F(RelayTest, LatchesSignalledIpWithNattedPortAndSendsThere) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  // The caller's RTP comes from another port than its SDP said (NAT): latched, and the reverse
  // direction goes to the latched port, not the signalled 40000.
  ASSERT_TRUE(relay_one(kAccess, from_caller(20000, 41234), kTrunk));
  auto back = relay_one(kTrunk, from_callee(30000), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dst_port, 41234);
  EXPECT_EQ(events(Event::kLatchLearned), 2u);
}

TEST_F(RelayTest, LatchesTheSipSourceAddress) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.legs[0].remote = api::Address::ipv4(ip(10, 0, 0, 5));         // private address in the SDP
  s.legs[0].signalling_source = api::Address::ipv4(caller_ip());  // SIP came from the NAT
  ASSERT_EQ(add(s).status, api::Status::kOk);
  ASSERT_TRUE(relay_one(kAccess, from_caller(20000, 5555), kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.latched, api::Address::ipv4(caller_ip()));
  auto back = relay_one(kTrunk, from_callee(30000), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dst_ip, caller_ip());
  EXPECT_EQ(back->dst_port, 5555);
}

TEST_F(RelayTest, RejectsSourcesNeverAllowed) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REPLY, mac(0x99), ip(192, 0, 2, 99), access_ip()));
  poll();
  auto arp = tap_out(kAccess);
  free_all(arp);
  UdpFrame intruder = from_caller(20000);
  intruder.src_ip = ip(192, 0, 2, 99);
  expect_dropped(kAccess, intruder);
  EXPECT_EQ(drops(Drop::kNotAllowedSource), 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.dropped, 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 0u);
  EXPECT_FALSE(leg_stats(1, 0).rtp.latched.is_set());
  // Nothing was ever latched on the access leg either: the callee's media goes to the signalled
  // address only.
  auto back = relay_one(kTrunk, from_callee(30000), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dst_ip, caller_ip());
  EXPECT_EQ(back->dst_port, 40000);
}

TEST_F(RelayTest, RelatchesInsideTheWindowThenTurnsStrict) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.legs[0].signalling_source = api::Address::ipv4(ip(192, 0, 2, 20));  // second allowed source
  ASSERT_EQ(add(s).status, api::Status::kOk);
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REPLY, mac(0x20), ip(192, 0, 2, 20), access_ip()));
  poll();
  auto arp = tap_out(kAccess);
  free_all(arp);

  ASSERT_TRUE(relay_one(kAccess, from_caller(20000, 40000), kTrunk));
  advance_ms(500);  // inside the 2000 ms window: the latch may move to the other allowed source
  UdpFrame moved = from_caller(20000, 6000);
  moved.src_ip = ip(192, 0, 2, 20);
  ASSERT_TRUE(relay_one(kAccess, moved, kTrunk));
  EXPECT_EQ(events(Event::kLatchMoved), 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.latched, api::Address::ipv4(ip(192, 0, 2, 20)));
  EXPECT_EQ(leg_stats(1, 0).rtp.latched_port, 6000);

  advance_ms(2000);  // window over: strict source
  expect_dropped(kAccess, from_caller(20000, 40000));
  EXPECT_EQ(drops(Drop::kSourceMismatch), 1u);
  ASSERT_TRUE(relay_one(kAccess, moved, kTrunk));  // the latched source still flows
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 3u);
  EXPECT_EQ(leg_stats(1, 0).rtp.dropped, 1u);
}

TEST_F(RelayTest, NoDestinationUntilSignalledOrLatched) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.legs[1].remote = {};  // offer sent, no answer yet
  s.legs[1].remote_rtp_port = 0;
  s.legs[1].signalling_source = api::Address::ipv4(callee_ip());
  ASSERT_EQ(add(s).status, api::Status::kOk);
  expect_dropped(kAccess, from_caller(20000));
  EXPECT_EQ(drops(Drop::kNoDestination), 1u);
  // The callee's first packet (from its SIP source) latches; now there is a destination.
  ASSERT_TRUE(relay_one(kTrunk, from_callee(30000, 50002), kAccess));
  auto out = relay_one(kAccess, from_caller(20000), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->dst_port, 50002);
}

TEST_F(RelayTest, TtlExceededIsDropped) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  UdpFrame frame = from_caller(20000);
  frame.ttl = 1;
  expect_dropped(kAccess, frame);
  EXPECT_EQ(drops(Drop::kTtlExceeded), 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.dropped, 1u);
}

TEST_F(RelayTest, UnknownNeighbourDropsAndAsksOncePerSecond) {
  // Only the caller is known; the callee's MAC is not.
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REQUEST, caller_mac(), caller_ip(), access_ip()));
  poll();
  auto arp = tap_out(kAccess);
  free_all(arp);
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);

  inject_wire(kAccess, build_udp(from_caller(20000)));
  inject_wire(kAccess, build_udp(from_caller(20000)));
  poll();
  EXPECT_EQ(drops(Drop::kNoNeighbour), 2u);
  auto requests = wire_out(kTrunk);
  ASSERT_EQ(requests.size(), 1u);  // rate limited: one request for two misses
  const auto* eth = rte_pktmbuf_mtod(requests[0], const rte_ether_hdr*);
  EXPECT_TRUE(rte_is_broadcast_ether_addr(&eth->dst_addr));
  EXPECT_TRUE(same_mac(eth->src_addr, port_mac(kTrunk)));
  ASSERT_EQ(eth->ether_type, rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP));
  const auto* req = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
  EXPECT_EQ(req->arp_opcode, rte_cpu_to_be_16(RTE_ARP_OP_REQUEST));
  EXPECT_EQ(req->arp_data.arp_sip, rte_cpu_to_be_32(trunk_ip()));
  EXPECT_EQ(req->arp_data.arp_tip, rte_cpu_to_be_32(callee_ip()));
  free_all(requests);
  EXPECT_EQ(events(Event::kArpRequestSent), 1u);

  advance_ms(1100);  // the rate limit lapses
  inject_wire(kAccess, build_udp(from_caller(20000)));
  poll();
  requests = wire_out(kTrunk);
  EXPECT_EQ(requests.size(), 1u);
  free_all(requests);
  EXPECT_EQ(events(Event::kArpRequestSent), 2u);
  EXPECT_EQ(drops(Drop::kNoNeighbour), 3u);

  // The reply is snooped (and still handed to the kernel); media flows from now on.
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REPLY, callee_mac(), callee_ip(), trunk_ip()));
  poll();
  auto punted = tap_out(kTrunk);
  EXPECT_EQ(punted.size(), 1u);
  free_all(punted);
  EXPECT_EQ(events(Event::kNeighbourLearned), 2u);
  auto out = relay_one(kAccess, from_caller(20000), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_TRUE(same_mac(out->dst_mac, callee_mac()));
}

TEST_F(RelayTest, OffLinkPeerGoesThroughTheGateway) {
  learn_peers();
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REPLY, gateway_mac(), trunk_gateway(), trunk_ip()));
  poll();
  auto arp = tap_out(kTrunk);
  free_all(arp);
  api::SessionAdd s = session(1);
  s.legs[1].remote = api::Address::ipv4(ip(203, 0, 113, 7));
  s.legs[1].signalling_source = api::Address::ipv4(ip(203, 0, 113, 7));
  ASSERT_EQ(add(s).status, api::Status::kOk);
  auto out = relay_one(kAccess, from_caller(20000), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->dst_ip, ip(203, 0, 113, 7));
  EXPECT_TRUE(same_mac(out->dst_mac, gateway_mac()));

  // The access port has no gateway: an off-link destination there has no route.
  api::SessionAdd t = session(2, 20010, 30010);
  t.legs[0].remote = api::Address::ipv4(ip(203, 0, 113, 8));
  t.legs[0].signalling_source = api::Address::ipv4(ip(203, 0, 113, 8));
  ASSERT_EQ(add(t).status, api::Status::kOk);
  expect_dropped(kTrunk, from_callee(30010));
  EXPECT_EQ(drops(Drop::kNoRoute), 1u);
}

TEST_F(RelayTest, NonMediaGoesToTheKernelAndBack) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(from_caller(5060, 5060)));  // SIP
  inject_wire(kAccess, build_icmp(caller_mac(), port_mac(kAccess), caller_ip(), access_ip()));
  UdpFrame other_host = from_caller(20000);
  other_host.dst_ip = ip(192, 0, 2, 77);  // not our address: the kernel decides
  inject_wire(kAccess, build_udp(other_host));
  poll();
  auto punted = tap_out(kAccess);
  ASSERT_EQ(punted.size(), 3u);
  // UDP to our address waits for the bulk lookup, so it is punted after the others.
  auto sip = parse_udp(punted[2]);
  ASSERT_TRUE(sip);
  EXPECT_EQ(sip->dst_port, 5060);  // untouched
  EXPECT_EQ(sip->ttl, 64);
  EXPECT_TRUE(sip->udp_checksum_ok);
  free_all(punted);
  auto wire = wire_out(kTrunk);
  EXPECT_TRUE(wire.empty());
  free_all(wire);

  // What the kernel sends through the TAP goes out on the wire unchanged.
  inject_tap(kAccess, build_udp(from_caller(5060, 5060)));
  inject_tap(kAccess, build_arp(RTE_ARP_OP_REQUEST, port_mac(kAccess), access_ip(), caller_ip()));
  poll();
  auto sent = wire_out(kAccess);
  EXPECT_EQ(sent.size(), 2u);
  free_all(sent);
  auto totals = service_->stats({0}, now_);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->ports.at(kAccess).to_kernel, 4u);  // 3 + the ARP from learn_peers
  EXPECT_EQ(totals->ports.at(kAccess).from_kernel, 2u);
}

TEST_F(RelayTest, MalformedFramesAreDroppedByName) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  rte_mbuf* bad_ihl = build_udp(from_caller(20000));
  rte_pktmbuf_mtod_offset(bad_ihl, rte_ipv4_hdr*, sizeof(rte_ether_hdr))->version_ihl = 0x44;
  inject_wire(kAccess, bad_ihl);
  rte_mbuf* long_total = build_udp(from_caller(20000));
  rte_pktmbuf_mtod_offset(long_total, rte_ipv4_hdr*, sizeof(rte_ether_hdr))->total_length =
      rte_cpu_to_be_16(1400);
  inject_wire(kAccess, long_total);
  rte_mbuf* bad_udp = build_udp(from_caller(20000));
  auto* udp =
      rte_pktmbuf_mtod_offset(bad_udp, rte_udp_hdr*, sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr));
  udp->dgram_len = rte_cpu_to_be_16(4);
  inject_wire(kAccess, bad_udp);
  rte_mbuf* runt = build_udp(from_caller(20000));
  rte_pktmbuf_trim(runt, runt->pkt_len - 10);
  inject_wire(kAccess, runt);
  rte_mbuf* short_arp = build_arp(RTE_ARP_OP_REPLY, caller_mac(), caller_ip(), access_ip());
  rte_pktmbuf_trim(short_arp, short_arp->pkt_len - 20);
  inject_wire(kAccess, short_arp);
  poll();
  EXPECT_EQ(drops(Drop::kBadIpHeader), 2u);
  EXPECT_EQ(drops(Drop::kBadUdp), 1u);
  EXPECT_EQ(drops(Drop::kRunt), 1u);
  EXPECT_EQ(drops(Drop::kBadArp), 1u);
  auto wire = wire_out(kTrunk);
  auto tap = tap_out(kAccess);
  EXPECT_TRUE(wire.empty());
  EXPECT_TRUE(tap.empty());
  free_all(wire);
  free_all(tap);
}

TEST_F(RelayTest, DeletedSessionFallsBackToTheKernelPath) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  ASSERT_TRUE(relay_one(kAccess, from_caller(20000), kTrunk));
  ASSERT_EQ(service_->session_delete({1}).status, api::Status::kOk);
  EXPECT_EQ(service_->session_delete({1}).status, api::Status::kNotFound);
  inject_wire(kAccess, build_udp(from_caller(20000)));
  poll();
  auto punted = tap_out(kAccess);
  EXPECT_EQ(punted.size(), 1u);
  free_all(punted);
  auto wire = wire_out(kTrunk);
  EXPECT_TRUE(wire.empty());
  free_all(wire);
  // The record is freed once the worker has passed a quiescent state (poll did).
  EXPECT_EQ(table_->reclaim(), 0u);
}

TEST_F(RelayTest, UpsertKeepsTheLatchUnlessThePeerChanges) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  ASSERT_TRUE(relay_one(kTrunk, from_callee(30000, 50500), kAccess));  // callee latched at :50500

  api::SessionAdd same = session(1);
  same.legs[0].remote_rtp_port = 40002;  // only the access leg changes
  ASSERT_EQ(add(same).status, api::Status::kOk);
  auto out = relay_one(kAccess, from_caller(20000, 40002), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->dst_port, 50500);  // the trunk leg kept its latch

  api::SessionAdd moved = same;
  moved.legs[1].remote_rtp_port = 50600;  // re-INVITE moved the callee's media
  ASSERT_EQ(add(moved).status, api::Status::kOk);
  out = relay_one(kAccess, from_caller(20000, 40002), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->dst_port, 50600);  // the old latch lapsed: signalled address again
  EXPECT_FALSE(leg_stats(1, 1).rtp.latched.is_set());
  EXPECT_EQ(table_->size(), 1u);
}

TEST_F(RelayTest, BurstOfManySessionsIsLookedUpTogether) {
  learn_peers();
  for (uint16_t i = 0; i < 40; ++i) {
    ASSERT_EQ(add(session(100 + i, static_cast<uint16_t>(20000 + 2 * i),
                          static_cast<uint16_t>(30000 + 2 * i)))
                  .status,
              api::Status::kOk);
  }
  for (uint16_t i = 0; i < 40; ++i)
    inject_wire(kAccess, build_udp(from_caller(static_cast<uint16_t>(20000 + 2 * i))));
  poll();  // 32 in the first burst
  poll();
  auto out = wire_out(kTrunk);
  ASSERT_EQ(out.size(), 40u);
  for (size_t i = 0; i < out.size(); ++i) {
    auto parsed = parse_udp(out[i]);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->src_port, 30000 + 2 * i);
    EXPECT_TRUE(parsed->udp_checksum_ok);
  }
  free_all(out);
}

TEST_F(RelayTest, IpOptionsAreKeptAndChecksummed) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  UdpFrame frame = from_caller(20000);
  frame.ip_option_words = 2;  // IHL 7
  auto out = relay_one(kAccess, frame, kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->src_port, 30000);
  EXPECT_EQ(out->dst_port, 50000);
  EXPECT_EQ(out->payload, frame.payload);
  EXPECT_TRUE(out->ip_checksum_ok);
  EXPECT_TRUE(out->udp_checksum_ok);
}

TEST_F(RelayTest, ChainedMbufGoesToTheKernel) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  // The same media frame, its last 8 bytes in a second segment.
  rte_mbuf* head = build_udp(from_caller(20000));
  rte_mbuf* tail = rte_pktmbuf_alloc(lab().pool);
  ASSERT_NE(tail, nullptr);
  char* bytes = rte_pktmbuf_append(tail, 8);
  std::memcpy(bytes, rte_pktmbuf_mtod_offset(head, char*, head->data_len - 8), 8);
  ASSERT_EQ(rte_pktmbuf_trim(head, 8), 0);
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  inject_wire(kAccess, head);
  poll();
  auto punted = tap_out(kAccess);
  ASSERT_EQ(punted.size(), 1u);
  EXPECT_EQ(punted[0]->nb_segs, 2u);
  free_all(punted);
  auto wire = wire_out(kTrunk);
  EXPECT_TRUE(wire.empty());
  free_all(wire);
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 0u);
}

TEST_F(RelayTest, ArpLearnsOnlyWhatIsAddressedToUs) {
  // A reply to another host, a gratuitous ARP and a request for another host, all from a host we
  // never asked about: each reaches the kernel, none plants a neighbour.
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REPLY, callee_mac(), callee_ip(), ip(198, 51, 100, 77)));
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REQUEST, callee_mac(), callee_ip(), callee_ip()));
  inject_wire(kTrunk,
              build_arp(RTE_ARP_OP_REQUEST, callee_mac(), callee_ip(), ip(198, 51, 100, 77)));
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REPLY, caller_mac(), caller_ip(), access_ip()));
  poll();
  auto punted = tap_out(kTrunk);
  EXPECT_EQ(punted.size(), 3u);
  free_all(punted);
  punted = tap_out(kAccess);
  free_all(punted);
  EXPECT_EQ(events(Event::kNeighbourLearned), 1u);  // the caller's reply to us only
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(from_caller(20000)));
  poll();
  EXPECT_EQ(drops(Drop::kNoNeighbour), 1u);
  auto requests = wire_out(kTrunk);
  free_all(requests);

  // A request for our address teaches the callee.
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REQUEST, callee_mac(), callee_ip(), trunk_ip()));
  poll();
  punted = tap_out(kTrunk);
  free_all(punted);
  auto out = relay_one(kAccess, from_caller(20000), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_TRUE(same_mac(out->dst_mac, callee_mac()));

  // Now known, a gratuitous ARP (failover to another MAC) refreshes it.
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REQUEST, mac(0x77), callee_ip(), callee_ip()));
  poll();
  punted = tap_out(kTrunk);
  free_all(punted);
  out = relay_one(kAccess, from_caller(20000), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_TRUE(same_mac(out->dst_mac, mac(0x77)));
  EXPECT_EQ(events(Event::kNeighbourLearned), 3u);
}

TEST_F(RelayTest, StaleNeighbourIsStillUsedWhileARequestRefreshesIt) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  ASSERT_TRUE(relay_one(kAccess, from_caller(20000), kTrunk));
  advance_ms(kNeighbourRefreshSeconds * 1000 + 1000);
  inject_wire(kAccess, build_udp(from_caller(20000)));
  poll();
  auto out = wire_out(kTrunk);
  ASSERT_EQ(out.size(), 2u);  // the refresh request, then the media itself
  const auto* eth = rte_pktmbuf_mtod(out[0], const rte_ether_hdr*);
  ASSERT_EQ(eth->ether_type, rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP));
  EXPECT_EQ(reinterpret_cast<const rte_arp_hdr*>(eth + 1)->arp_data.arp_tip,
            rte_cpu_to_be_32(callee_ip()));
  auto media = parse_udp(out[1]);
  ASSERT_TRUE(media);
  EXPECT_TRUE(same_mac(media->dst_mac, callee_mac()));
  free_all(out);
  EXPECT_EQ(events(Event::kArpRequestSent), 1u);

  // The reply confirms the entry: no more requests.
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REPLY, callee_mac(), callee_ip(), trunk_ip()));
  poll();
  auto punted = tap_out(kTrunk);
  free_all(punted);
  advance_ms(1100);  // past the per-IP request rate limit
  ASSERT_TRUE(relay_one(kAccess, from_caller(20000), kTrunk));
  EXPECT_EQ(events(Event::kArpRequestSent), 1u);
}

class PuntPolicerTest : public RelayTest {
 protected:
  uint32_t punt_rate() const override { return 1000; }
  uint32_t punt_burst() const override { return 16; }
  uint32_t untrusted_punt_rate() const override { return 500; }
  uint32_t untrusted_punt_burst() const override { return 4; }
  size_t punted(uint32_t port) {
    auto frames = tap_out(port);
    const size_t n = frames.size();
    free_all(frames);
    return n;
  }
};

TEST_F(PuntPolicerTest, FloodBeyondTheBurstIsPolicedWhileMediaFlows) {
  // Trusted sources: the flood is policed by the trusted (punt_rate / punt_burst) bucket.
  ASSERT_EQ(trust(api::Address::ipv4(caller_ip())).status, api::Status::kOk);
  ASSERT_EQ(trust(api::Address::ipv4(callee_ip())).status, api::Status::kOk);
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  for (int i = 0; i < 20; ++i) inject_wire(kAccess, build_udp(from_caller(5060, 5060)));
  inject_wire(kAccess, build_udp(from_caller(20000)));
  for (int i = 0; i < 20; ++i)
    inject_wire(kAccess, build_icmp(caller_mac(), port_mac(kAccess), caller_ip(), access_ip()));
  poll();
  poll();
  EXPECT_EQ(punted(kAccess), 16u);  // the burst
  EXPECT_EQ(drops(Drop::kPuntPoliced), 24u);
  auto media = wire_out(kTrunk);
  EXPECT_EQ(media.size(), 1u);  // media is never policed
  free_all(media);

  // ARP has its own bucket: neighbour resolution survives the flood.
  inject_wire(kAccess, build_arp(RTE_ARP_OP_REQUEST, caller_mac(), caller_ip(), access_ip()));
  poll();
  EXPECT_EQ(punted(kAccess), 1u);
  EXPECT_EQ(drops(Drop::kArpPoliced), 0u);

  // 1000/s: 10 ms later there are 10 tokens again.
  advance_ms(10);
  for (int i = 0; i < 20; ++i) inject_wire(kAccess, build_udp(from_caller(5060, 5060)));
  poll();
  EXPECT_EQ(punted(kAccess), 10u);
  EXPECT_EQ(drops(Drop::kPuntPoliced), 34u);
  EXPECT_EQ(drops(Drop::kUntrustedPoliced), 0u);
  // The other port has its own bucket.
  inject_wire(kTrunk, build_udp(from_callee(5060, 5060)));
  poll();
  EXPECT_EQ(punted(kTrunk), 1u);
}

TEST_F(PuntPolicerTest, ArpFloodIsPolicedOnItsOwnBucket) {
  for (uint32_t i = 0; i < kArpPuntBurst + 10; ++i) {
    inject_wire(kAccess, build_arp(RTE_ARP_OP_REQUEST, caller_mac(), caller_ip(), access_ip()));
    if (i % 32 == 31) poll();
  }
  poll();
  EXPECT_EQ(punted(kAccess), kArpPuntBurst);
  EXPECT_EQ(drops(Drop::kArpPoliced), 10u);
  // IP still has its whole budget.
  inject_wire(kAccess, build_udp(from_caller(5060, 5060)));
  poll();
  EXPECT_EQ(punted(kAccess), 1u);
}

}  // namespace
}  // namespace sbc::dp::test
