#include "dataplane/media/srtp_key.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ostream>
#include <vector>

namespace sbc::dp {
namespace {

template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

// Key material has no printer of any kind.
static_assert(!fmt::is_formattable<SrtpMasterKey>::value);
static_assert(!Streamable<SrtpMasterKey>);
static_assert(!std::is_copy_constructible_v<SrtpMasterKey>);

std::vector<uint8_t> bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i);
  return v;
}

TEST(SrtpMasterKey, TakesExactlyTheSuitesLength) {
  EXPECT_TRUE(SrtpMasterKey::create(SrtpSuite::kAesCm128HmacSha1_80, bytes(30, 1)));
  EXPECT_TRUE(SrtpMasterKey::create(SrtpSuite::kAesCm128HmacSha1_32, bytes(30, 1)));
  EXPECT_TRUE(SrtpMasterKey::create(SrtpSuite::kAeadAes128Gcm, bytes(28, 1)));
  EXPECT_TRUE(SrtpMasterKey::create(SrtpSuite::kAeadAes256Gcm, bytes(44, 1)));
  EXPECT_EQ(SrtpMasterKey::create(SrtpSuite::kAesCm128HmacSha1_80, bytes(29, 1)).error(),
            SrtpKeyError::kWrongLength);
  EXPECT_EQ(SrtpMasterKey::create(SrtpSuite::kAeadAes128Gcm, bytes(30, 1)).error(),
            SrtpKeyError::kWrongLength);
  EXPECT_EQ(SrtpMasterKey::create(SrtpSuite::kAeadAes256Gcm, {}).error(),
            SrtpKeyError::kWrongLength);
}

TEST(SrtpMasterKey, HoldsKeyThenSalt) {
  const auto input = bytes(28, 7);
  auto key = SrtpMasterKey::create(SrtpSuite::kAeadAes128Gcm, input);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->suite(), SrtpSuite::kAeadAes128Gcm);
  EXPECT_EQ(std::vector<uint8_t>(key->key_salt().begin(), key->key_salt().end()), input);
  SrtpMasterKey copy = key->clone();
  EXPECT_EQ(std::vector<uint8_t>(copy.key_salt().begin(), copy.key_salt().end()), input);
}

TEST(SrtpMasterKey, MovedFromKeyIsWiped) {
  auto key = SrtpMasterKey::create(SrtpSuite::kAesCm128HmacSha1_80, bytes(30, 1));
  ASSERT_TRUE(key);
  const uint8_t* storage = key->key_salt().data();
  SrtpMasterKey moved = std::move(*key);
  EXPECT_EQ(moved.key_salt().size(), 30u);
  EXPECT_TRUE(key->key_salt().empty());  // NOLINT(bugprone-use-after-move): the point
  for (size_t i = 0; i < 30; ++i) EXPECT_EQ(storage[i], 0) << i;

  SrtpMasterKey other = *SrtpMasterKey::create(SrtpSuite::kAesCm128HmacSha1_80, bytes(30, 9));
  other = std::move(moved);
  EXPECT_EQ(other.key_salt()[0], 1);
  EXPECT_TRUE(moved.key_salt().empty());  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace sbc::dp
