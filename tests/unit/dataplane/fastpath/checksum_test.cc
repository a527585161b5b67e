#include "dataplane/fastpath/checksum.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>

namespace sbc::dp {
namespace {

uint16_t full_checksum(const void* data, size_t len) {
  return static_cast<uint16_t>(~checksum_partial(data, len));
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3 example bytes: sum 0xddf2 (in network order).
  const std::array<uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  const uint16_t sum = static_cast<uint16_t>(checksum_partial(data.data(), data.size()));
  uint8_t bytes[2];
  std::memcpy(bytes, &sum, 2);
  EXPECT_EQ(bytes[0], 0xdd);
  EXPECT_EQ(bytes[1], 0xf2);
}

TEST(Checksum, OddLengthPadsWithZero) {
  const std::array<uint8_t, 3> odd{0x12, 0x34, 0x56};
  const std::array<uint8_t, 4> even{0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(checksum_partial(odd.data(), odd.size()), checksum_partial(even.data(), even.size()));
}

// The eight-bytes-a-step sum equals RFC 1071's 16-bit words for every length and alignment,
// and when it continues a sum begun elsewhere.
TEST(Checksum, WideSumMatchesSixteenBitWords) {
  std::mt19937 rng(7);
  std::array<uint8_t, 200> buf{};
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  const auto reference = [](const uint8_t* p, size_t len, uint32_t sum) {
    for (; len >= 2; p += 2, len -= 2) sum += static_cast<uint32_t>(p[0] | (p[1] << 8));
    if (len == 1) sum += p[0];
    return checksum_fold(checksum_fold(sum));
  };
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len + offset <= buf.size(); ++len) {
      EXPECT_EQ(checksum_partial(buf.data() + offset, len), reference(buf.data() + offset, len, 0))
          << offset << " " << len;
      EXPECT_EQ(checksum_partial(buf.data() + offset, len, 0xfffe),
                reference(buf.data() + offset, len, 0xfffe))
          << offset << " " << len;
    }
  }
}

// Incremental updates must equal a full recomputation for any change of any field.
TEST(Checksum, IncrementalMatchesFullRecompute) {
  std::mt19937 rng(42);
  for (int round = 0; round < 2000; ++round) {
    std::array<uint8_t, 20> buf{};
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    std::memset(buf.data() + 10, 0, 2);  // checksum field
    const uint16_t original = full_checksum(buf.data(), buf.size());
    std::memcpy(buf.data() + 10, &original, 2);
    EXPECT_EQ(full_checksum(buf.data(), buf.size()), 0);  // verifies

    uint32_t old32;
    std::memcpy(&old32, buf.data() + 12, 4);
    const uint32_t new32 = static_cast<uint32_t>(rng());
    uint16_t old16;
    std::memcpy(&old16, buf.data() + 2, 2);
    const auto new16 = static_cast<uint16_t>(rng());
    uint16_t check = original;
    check = checksum_update32(check, old32, new32);
    check = checksum_update16(check, old16, new16);
    std::memcpy(buf.data() + 12, &new32, 4);
    std::memcpy(buf.data() + 2, &new16, 2);
    std::memset(buf.data() + 10, 0, 2);
    const uint16_t expected = full_checksum(buf.data(), buf.size());
    // 0x0000 and 0xffff are the same value in one's complement; the buffer must verify.
    std::memcpy(buf.data() + 10, &check, 2);
    EXPECT_EQ(full_checksum(buf.data(), buf.size()) & 0xffff, 0) << round;
    if (expected != 0 && expected != 0xffff) {
      EXPECT_EQ(check, expected) << round;
    }
  }
}

// An IPv4 header (TTL at byte 8, protocol at 9, checksum at 10) whose TTL changes verifies with
// the updated checksum.
TEST(Checksum, TtlUpdateMatchesFullRecompute) {
  std::mt19937 rng(8);
  for (int round = 0; round < 1000; ++round) {
    std::array<uint8_t, 20> header{};
    for (auto& b : header) b = static_cast<uint8_t>(rng());
    std::memset(header.data() + 10, 0, 2);
    const uint16_t original = full_checksum(header.data(), header.size());
    std::memcpy(header.data() + 10, &original, 2);
    const uint8_t old_ttl = header[8];
    const auto new_ttl = static_cast<uint8_t>(rng());
    const uint16_t check = checksum_update_ttl(original, old_ttl, new_ttl, header[9]);
    header[8] = new_ttl;
    std::memcpy(header.data() + 10, &check, 2);
    EXPECT_EQ(full_checksum(header.data(), header.size()) & 0xffff, 0) << round;
  }
}

TEST(Checksum, UdpZeroIsSentAsAllOnes) {
  EXPECT_EQ(udp_checksum_field(0), 0xffff);
  EXPECT_EQ(udp_checksum_field(0x1234), 0x1234);
}

}  // namespace
}  // namespace sbc::dp
