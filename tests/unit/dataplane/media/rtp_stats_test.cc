#include "dataplane/media/rtp_stats.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace sbc::dp {
namespace {

constexpr uint64_t kTscHz = 1'000'000'000;  // 1 GHz: 125000 TSC ticks per 8 kHz RTP tick
constexpr uint64_t kTicks20ms = kTscHz / 50;

std::array<uint8_t, 12> rtp(uint16_t seq, uint32_t ts, uint32_t ssrc = 0x11223344) {
  return {0x80,
          0,
          static_cast<uint8_t>(seq >> 8),
          static_cast<uint8_t>(seq),
          static_cast<uint8_t>(ts >> 24),
          static_cast<uint8_t>(ts >> 16),
          static_cast<uint8_t>(ts >> 8),
          static_cast<uint8_t>(ts),
          static_cast<uint8_t>(ssrc >> 24),
          static_cast<uint8_t>(ssrc >> 16),
          static_cast<uint8_t>(ssrc >> 8),
          static_cast<uint8_t>(ssrc)};
}

// Sends seq at its nominal 20 ms slot (timestamp 160 per packet), plus `late_tsc`.
void send(RtpStats& s, uint16_t seq, uint32_t index, uint64_t late_tsc = 0,
          uint32_t ssrc = 0x11223344) {
  const auto p = rtp(seq, index * 160, ssrc);
  s.on_packet(p.data(), p.size(), 1'000'000 + uint64_t{index} * kTicks20ms + late_tsc, kTscHz);
}

TEST(RtpStats, InOrderStreamHasNoLossAndNoJitter) {
  RtpStats s;
  for (uint32_t i = 0; i < 100; ++i) send(s, static_cast<uint16_t>(1000 + i), i);
  const RtpQuality q = s.snapshot();
  // The first packet is the probation packet (RFC 3550 A.1): counted from the second on.
  EXPECT_EQ(q.expected, 99u);
  EXPECT_EQ(q.received, 99u);
  EXPECT_EQ(q.lost, 0);
  EXPECT_EQ(q.jitter, 0u);
  EXPECT_EQ(q.clock_hz, 8000u);
}

TEST(RtpStats, GapCountsLost) {
  RtpStats s;
  for (uint32_t i = 0; i < 50; ++i) {
    if (i >= 20 && i < 25) continue;  // five lost
    send(s, static_cast<uint16_t>(i), i);
  }
  const RtpQuality q = s.snapshot();
  EXPECT_EQ(q.expected, 49u);
  EXPECT_EQ(q.lost, 5);
}

TEST(RtpStats, ReorderingIsNotLoss) {
  RtpStats s;
  for (uint32_t i = 0; i < 10; ++i) send(s, static_cast<uint16_t>(i), i);
  send(s, 11, 11);
  send(s, 10, 10);  // late, out of order
  send(s, 12, 12);
  const RtpQuality q = s.snapshot();
  EXPECT_EQ(q.expected, 12u);
  EXPECT_EQ(q.received, 12u);
  EXPECT_EQ(q.lost, 0);
}

TEST(RtpStats, DuplicatesMakeLossNegative) {
  RtpStats s;
  for (uint32_t i = 0; i < 10; ++i) send(s, static_cast<uint16_t>(i), i);
  send(s, 9, 9);
  send(s, 9, 9);
  EXPECT_EQ(s.snapshot().lost, -2);  // RFC 3550 A.3: duplicates count as received
}

TEST(RtpStats, SequenceWrapCountsCycles) {
  RtpStats s;
  for (uint32_t i = 0; i < 40; ++i) send(s, static_cast<uint16_t>(65520 + i), i);
  const RtpQuality q = s.snapshot();
  EXPECT_EQ(q.expected, 39u);
  EXPECT_EQ(q.lost, 0);
}

TEST(RtpStats, LargeJumpIsBelievedOnlyWhenTheNextPacketFollows) {
  RtpStats s;
  for (uint32_t i = 0; i < 10; ++i) send(s, static_cast<uint16_t>(i), i);
  send(s, 30000, 10);  // one stray packet: ignored
  send(s, 10, 11);
  EXPECT_EQ(s.snapshot().expected, 10u);
  EXPECT_EQ(s.snapshot().lost, 0);
  // A sender restart: two sequential packets from a new sequence base.
  send(s, 40000, 12);
  send(s, 40001, 13);
  send(s, 40002, 14);
  const RtpQuality q = s.snapshot();
  EXPECT_EQ(q.expected, 10u + 2u);
  EXPECT_EQ(q.received, 12u);
  EXPECT_EQ(q.lost, 0);
}

TEST(RtpStats, NewSsrcStartsANewRunAndKeepsTotals) {
  RtpStats s;
  for (uint32_t i = 0; i < 10; ++i) send(s, static_cast<uint16_t>(i), i);
  for (uint32_t i = 0; i < 10; ++i) {
    if (i == 5) continue;
    send(s, static_cast<uint16_t>(500 + i), 10 + i, 0, 0x55667788);
  }
  const RtpQuality q = s.snapshot();
  EXPECT_EQ(q.expected, 9u + 9u);
  EXPECT_EQ(q.lost, 1);
}

TEST(RtpStats, JitterFollowsArrivalVariation) {
  RtpStats s;
  // Every other packet 10 ms late (80 RTP units): |D| alternates 80; J converges towards 80.
  for (uint32_t i = 0; i < 400; ++i) {
    send(s, static_cast<uint16_t>(i), i, (i % 2) ? kTicks20ms / 2 : 0);
  }
  const uint32_t j = s.snapshot().jitter;
  EXPECT_GE(j, 75u);
  EXPECT_LE(j, 80u);
}

TEST(RtpStats, JitterUsesTheConfiguredClock) {
  RtpStats s;
  s.set_clock(48000);
  for (uint32_t i = 0; i < 400; ++i) {
    const auto p = rtp(static_cast<uint16_t>(i), i * 960);
    s.on_packet(p.data(), p.size(), uint64_t{i} * kTicks20ms + ((i % 2) ? kTicks20ms / 2 : 0),
                kTscHz);
  }
  EXPECT_GE(s.snapshot().jitter, 450u);  // 10 ms at 48 kHz = 480
  EXPECT_LE(s.snapshot().jitter, 480u);
  EXPECT_EQ(s.snapshot().clock_hz, 48000u);
}

TEST(RtpStats, IgnoresWhatIsNotRtp) {
  RtpStats s;
  const std::array<uint8_t, 8> short_packet{0x80, 0, 0, 1, 0, 0, 0, 0};
  s.on_packet(short_packet.data(), short_packet.size(), 1, kTscHz);
  auto v1 = rtp(1, 0);
  v1[0] = 0x40;  // version 1
  s.on_packet(v1.data(), v1.size(), 1, kTscHz);
  auto rtcp = rtp(1, 0);
  rtcp[1] = 200;  // an SR multiplexed on the RTP port
  s.on_packet(rtcp.data(), rtcp.size(), 1, kTscHz);
  EXPECT_EQ(s.snapshot().expected, 0u);
  EXPECT_EQ(s.snapshot().received, 0u);
}

}  // namespace
}  // namespace sbc::dp
