#include "dataplane/media/rtcp_monitor.h"

#include <gtest/gtest.h>

#include "dataplane/media/stream_quality.h"
#include "tests/unit/dataplane/media/rtcp_test_util.h"

namespace sbc::dp {
namespace {

constexpr uint64_t kTscHz = 1'000'000'000;

// Leg A's peer sends an SR; the SBC relays it to leg B's peer, which answers 150 ms later with
// an RR holding DLSR = 100 ms: the round trip SBC <-> B is 50 ms.
TEST(RtcpMonitor, RoundTripFromRelayedSrAndReturningRr) {
  RtcpMonitor a;  // leg A's RTCP stream (receives A's SR)
  RtcpMonitor b;  // leg B's RTCP stream (receives B's RR)
  const auto sr = test::sr(0x00001111, 0x22220000);
  a.on_packet(sr.data(), sr.size(), 5 * kTscHz, kTscHz, b);
  const uint32_t dlsr = 65536 / 10;  // 100 ms
  const auto rr =
      test::rr({.fraction = 26, .cumulative = 12, .jitter = 40, .lsr = 0x11112222, .dlsr = dlsr});
  b.on_packet(rr.data(), rr.size(), 5 * kTscHz + kTscHz * 150 / 1000, kTscHz, a);
  const RtcpQuality q = b.snapshot();
  EXPECT_NEAR(q.rtt_us, 50'000, 100);
  EXPECT_EQ(q.reports, 1u);
  EXPECT_EQ(q.fraction_lost, 26);
  EXPECT_EQ(q.cumulative_lost, 12);
  EXPECT_EQ(q.jitter, 40u);
  EXPECT_EQ(a.snapshot().rtt_us, 0u);  // A sent no report block
}

TEST(RtcpMonitor, UnknownLsrGivesNoRoundTrip) {
  RtcpMonitor a;
  RtcpMonitor b;
  const auto rr = test::rr({.lsr = 0xdeadbeef, .dlsr = 0});
  b.on_packet(rr.data(), rr.size(), kTscHz, kTscHz, a);
  EXPECT_EQ(b.snapshot().rtt_us, 0u);
  EXPECT_EQ(b.snapshot().reports, 1u);
}

TEST(RtcpMonitor, NegativeLossSurvivesTheSnapshot) {
  RtcpMonitor a;
  RtcpMonitor b;
  const auto rr = test::rr({.cumulative = -2});
  b.on_packet(rr.data(), rr.size(), kTscHz, kTscHz, a);
  EXPECT_EQ(b.snapshot().cumulative_lost, -2);
}

TEST(RtcpMonitor, CountsMalformedPackets) {
  RtcpMonitor a;
  RtcpMonitor b;
  const uint8_t junk[] = {0x12, 0x34, 0x56};
  b.on_packet(junk, sizeof junk, kTscHz, kTscHz, a);
  EXPECT_EQ(b.snapshot().malformed, 1u);
  EXPECT_EQ(b.snapshot().reports, 0u);
}

TEST(StreamQuality, RoutesRtpAndRtcp) {
  StreamQuality a;
  StreamQuality b;
  const auto rr = test::rr({.fraction = 1});
  b.on_packet(true, rr.data(), static_cast<uint32_t>(rr.size()), kTscHz, kTscHz, a);
  EXPECT_EQ(b.rtcp.snapshot().reports, 1u);
  EXPECT_EQ(b.rtp.snapshot().expected, 0u);
}

}  // namespace
}  // namespace sbc::dp
