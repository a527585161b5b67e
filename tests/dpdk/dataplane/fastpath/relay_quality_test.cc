// Call quality measured in the relay path: RTP with a gap and jitter, and an SR/RR exchange whose
// round trip the dataplane works out, read back from the session's stats.
#include <cstdint>
#include <string>

#include "dataplane/fastpath/relay.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

void put32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift));
}

std::string rtp(uint16_t seq, uint32_t ts) {
  std::string p;
  p.push_back(static_cast<char>(0x80));
  p.push_back(0);  // PCMU
  p.push_back(static_cast<char>(seq >> 8));
  p.push_back(static_cast<char>(seq));
  put32(p, ts);
  put32(p, 0x11223344);
  p += std::string(160, '\x7f');
  return p;
}

class RelayQualityTest : public DataplaneTest {
 protected:
  void send(uint32_t port, UdpFrame frame, const std::string& payload) {
    frame.payload = payload;
    inject_wire(port, build_udp(frame));
    poll();
    for (uint32_t p : {kAccess, kTrunk}) {
      auto out = wire_out(p);
      free_all(out);
    }
  }
};

TEST_F(RelayQualityTest, RtpGapAndJitterShowInTheStats) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  // 40 packets at 20 ms, seq 100..139, 120 and 121 lost; every other packet 10 ms late.
  for (uint32_t i = 0; i < 40; ++i) {
    const uint64_t late_ms = (i % 2) ? 10 : 0;
    advance_ms(late_ms);
    if (i != 20 && i != 21) {
      send(kAccess, from_caller(20000), rtp(static_cast<uint16_t>(100 + i), i * 160));
    }
    advance_ms(20 - late_ms);
  }
  const api::MediaQuality q = leg_stats(1, 0).rtp.quality;
  EXPECT_EQ(q.expected, 39u);  // the first packet is RFC 3550's probation packet
  EXPECT_EQ(q.lost, 2);
  EXPECT_EQ(q.clock_hz, 8000u);
  EXPECT_GT(q.jitter, 40u);  // converging towards 80 (10 ms at 8 kHz)
  EXPECT_LE(q.jitter, 80u);
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 38u);
  EXPECT_EQ(leg_stats(1, 1).rtp.quality.expected, 0u);  // nothing came the other way
}

TEST_F(RelayQualityTest, RoundTripFromRelayedSrAndTheReportEchoingIt) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  // The caller's SR (NTP 0x00001111.22220000), relayed to the callee.
  std::string sr;
  put32(sr, (0x80u << 24) | (200u << 16) | 6);
  put32(sr, 0x11223344);
  put32(sr, 0x00001111);
  put32(sr, 0x22220000);
  put32(sr, 0);
  put32(sr, 10);
  put32(sr, 1600);
  send(kAccess, from_caller(20001, 40001), sr);
  // 120 ms later the callee's RR: held 20 ms (DLSR), 5% lost, jitter 24.
  advance_ms(120);
  std::string rr;
  put32(rr, (0x81u << 24) | (201u << 16) | 7);
  put32(rr, 0x55667788);
  put32(rr, 0x11223344);
  put32(rr, (13u << 24) | 7);
  put32(rr, 1000);
  put32(rr, 24);
  put32(rr, 0x11112222);  // LSR: the SR's NTP middle 32 bits
  put32(rr, 65536 / 50);  // DLSR: 20 ms
  send(kTrunk, from_callee(30001, 50001), rr);
  const api::MediaQuality q = leg_stats(1, 1).rtcp.quality;
  EXPECT_EQ(q.reports, 1u);
  EXPECT_EQ(q.peer_fraction_lost, 13);
  EXPECT_EQ(q.peer_lost, 7);
  EXPECT_EQ(q.peer_jitter, 24u);
  EXPECT_NEAR(q.rtt_us, 100'000, 100);  // SBC <-> callee: 120 - 20 ms
  EXPECT_EQ(leg_stats(1, 0).rtcp.quality.rtt_us, 0u);
  EXPECT_EQ(leg_stats(1, 1).rtcp.packets, 1u);

  // A malformed RTCP packet is still relayed, and counted.
  send(kTrunk, from_callee(30001, 50001), std::string("\x12\x34", 2));
  EXPECT_EQ(leg_stats(1, 1).rtcp.quality.rtcp_malformed, 1u);
  EXPECT_EQ(leg_stats(1, 1).rtcp.packets, 2u);
}

}  // namespace
}  // namespace sbc::dp::test
