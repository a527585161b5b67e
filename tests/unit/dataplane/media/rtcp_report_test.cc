#include "dataplane/media/rtcp_report.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/dataplane/media/rtcp_test_util.h"

namespace sbc::dp {
namespace {

using test::Block;

TEST(RtcpReport, ParsesAReceiverReport) {
  const auto p = test::rr(
      {.fraction = 64, .cumulative = 1234, .jitter = 55, .lsr = 0x12345678, .dlsr = 0x00010000});
  const auto r = parse_rtcp(p);
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_FALSE(r->has_sr);
  ASSERT_TRUE(r->has_block);
  EXPECT_EQ(r->block.ssrc, 0x0a0b0c0du);
  EXPECT_EQ(r->block.fraction_lost, 64);
  EXPECT_EQ(r->block.cumulative_lost, 1234);
  EXPECT_EQ(r->block.highest_seq, 1000u);
  EXPECT_EQ(r->block.jitter, 55u);
  EXPECT_EQ(r->block.lsr, 0x12345678u);
  EXPECT_EQ(r->block.dlsr, 0x00010000u);
}

TEST(RtcpReport, ParsesASenderReportAndItsNtpMiddle) {
  const Block b{.cumulative = -3};
  const auto p = test::sr(0xaabbccdd, 0x11223344, &b);
  const auto r = parse_rtcp(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has_sr);
  EXPECT_EQ(r->sr_ssrc, 0x01020304u);
  EXPECT_EQ(r->sr_ntp_mid, 0xccdd1122u);
  ASSERT_TRUE(r->has_block);
  EXPECT_EQ(r->block.cumulative_lost, -3);  // 24-bit sign extension
}

TEST(RtcpReport, WalksACompoundPacket) {
  auto p = test::sr(1, 2);
  // SDES with one empty chunk (2 words), then an RR.
  test::put32(p, (0x81u << 24) | (202u << 16) | 1);
  test::put32(p, 0x01020304);
  const auto rr = test::rr({.fraction = 7});
  p.insert(p.end(), rr.begin(), rr.end());
  const auto r = parse_rtcp(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has_sr);
  ASSERT_TRUE(r->has_block);
  EXPECT_EQ(r->block.fraction_lost, 7);
}

TEST(RtcpReport, RefusesMalformedInput) {
  EXPECT_EQ(parse_rtcp(std::vector<uint8_t>{}).error(), RtcpError::kTooShort);
  EXPECT_EQ(parse_rtcp(std::vector<uint8_t>{0x80, 201, 0}).error(), RtcpError::kTooShort);

  auto bad_version = test::rr({});
  bad_version[0] = 0x41;
  EXPECT_EQ(parse_rtcp(bad_version).error(), RtcpError::kBadVersion);

  auto too_long = test::rr({});
  too_long[3] = 40;  // length past the datagram
  EXPECT_EQ(parse_rtcp(too_long).error(), RtcpError::kBadLength);

  auto truncated = test::rr({});
  truncated.resize(truncated.size() - 4);
  EXPECT_EQ(parse_rtcp(truncated).error(), RtcpError::kBadLength);

  auto trailing = test::rr({});
  trailing.push_back(0);
  EXPECT_EQ(parse_rtcp(trailing).error(), RtcpError::kBadLength);

  auto too_many_blocks = test::rr({});
  too_many_blocks[0] = 0x83;  // three blocks announced, one present
  EXPECT_EQ(parse_rtcp(too_many_blocks).error(), RtcpError::kBadBlockCount);

  std::vector<uint8_t> short_sr{0x80, 200, 0, 1, 0, 0, 0, 1};  // SR without sender info
  EXPECT_EQ(parse_rtcp(short_sr).error(), RtcpError::kBadBlockCount);

  std::vector<uint8_t> bye{0x81, 203, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(parse_rtcp(bye).error(), RtcpError::kNoReport);
}

// Every truncation is refused; every single-bit flip parses or is refused without reading out of
// bounds (the sanitizer build checks the reads).
TEST(RtcpReport, SurvivesEveryTruncationAndByteFlip) {
  const Block b{.fraction = 9, .lsr = 5};
  const auto good = test::sr(3, 4, &b);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(parse_rtcp(std::span<const uint8_t>(good.data(), n))) << n;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto p = good;
      p[i] ^= static_cast<uint8_t>(1 << bit);
      (void)parse_rtcp(p);
    }
  }
}

}  // namespace
}  // namespace sbc::dp
