// The source table's rte_hash (concurrent_hash.h): exactly `entries` keys fit whatever
// the collisions, errors name the table, and a deleted key's slot is reused only after every
// reader passed a quiescent state.
#include "dataplane/tables/concurrent_hash.h"

#include <fmt/core.h>

#include <atomic>

#include "tests/dpdk/dataplane/tables/test_qsbr.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

std::atomic<uint32_t> g_serial{0};

class ConcurrentHashTest : public ::testing::Test {
 protected:
  void SetUp() override { name_ = fmt::format("concurrent_hash_test{}", g_serial++); }
  void TearDown() override {
    if (hash_ != nullptr) rte_hash_free(hash_);
  }
  int add(uint64_t key) { return rte_hash_add_key(hash_, &key); }

  TestQsbr qsbr_;
  std::string name_;
  rte_hash* hash_ = nullptr;
};

TEST_F(ConcurrentHashTest, HoldsExactlyItsEntries) {
  auto hash =
      make_concurrent_hash(name_, 64, sizeof(uint64_t), qsbr_.get(), SOCKET_ID_ANY, "test table");
  ASSERT_TRUE(hash.has_value()) << hash.error();
  hash_ = *hash;
  for (uint64_t k = 1; k <= 64; ++k) ASSERT_GE(add(k * 0x9e3779b97f4a7c15ull), 0) << k;
  EXPECT_EQ(rte_hash_count(hash_), 64);
  EXPECT_EQ(add(65), -ENOSPC);
  const uint64_t first = 0x9e3779b97f4a7c15ull;
  EXPECT_GE(rte_hash_lookup(hash_, &first), 0);
}

TEST_F(ConcurrentHashTest, ErrorsNameTheTable) {
  auto hash =
      make_concurrent_hash(name_, 64, sizeof(uint64_t), qsbr_.get(), SOCKET_ID_ANY, "test table");
  ASSERT_TRUE(hash.has_value()) << hash.error();
  hash_ = *hash;
  auto twice = make_concurrent_hash(name_, 64, sizeof(uint64_t), qsbr_.get(), SOCKET_ID_ANY,
                                    "session table");
  ASSERT_FALSE(twice.has_value());
  EXPECT_TRUE(twice.error().starts_with("session table: rte_hash_create(64 entries): "))
      << twice.error();
}

TEST_F(ConcurrentHashTest, ADeletedSlotWaitsForTheReaders) {
  auto hash =
      make_concurrent_hash(name_, 8, sizeof(uint64_t), qsbr_.get(), SOCKET_ID_ANY, "test table");
  ASSERT_TRUE(hash.has_value()) << hash.error();
  hash_ = *hash;
  for (uint64_t k = 1; k <= 8; ++k) ASSERT_GE(add(k), 0) << k;
  uint64_t gone = 3;
  ASSERT_GE(rte_hash_del_key(hash_, &gone), 0);
  EXPECT_LT(rte_hash_lookup(hash_, &gone), 0);  // deleted at once for lookups...
  EXPECT_EQ(add(100), -ENOSPC);                 // ...but its slot is held for the reader
  qsbr_.quiescent();
  EXPECT_GE(add(100), 0);  // the reader moved on: the slot is free again
}

}  // namespace
}  // namespace sbc::dp::test
