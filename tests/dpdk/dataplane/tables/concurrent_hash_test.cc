// The source table's rte_hash (concurrent_hash.h): exactly `entries` keys fit whatever
// the collisions, errors name the table, and a deleted key's slot is reused only after every
// reader passed a quiescent state.
#include "dataplane/tables/concurrent_hash.h"

#include <fmt/core.h>
#include <rte_malloc.h>

#include <atomic>

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

std::atomic<uint32_t> g_serial{0};

class ConcurrentHashTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kReader = 0;
  void SetUp() override {
    const size_t size = rte_rcu_qsbr_get_memsize(1);
    qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("concurrent_hash_test_qsbr", size, 64));
    ASSERT_NE(qsbr_, nullptr);
    ASSERT_EQ(rte_rcu_qsbr_init(qsbr_, 1), 0);
    name_ = fmt::format("concurrent_hash_test{}", g_serial++);
  }
  void TearDown() override {
    if (hash_ != nullptr) rte_hash_free(hash_);
    rte_free(qsbr_);
  }
  int add(uint64_t key) { return rte_hash_add_key(hash_, &key); }

  rte_rcu_qsbr* qsbr_ = nullptr;
  std::string name_;
  rte_hash* hash_ = nullptr;
};

TEST_F(ConcurrentHashTest, HoldsExactlyItsEntries) {
  auto hash = make_concurrent_hash(name_, 64, sizeof(uint64_t), qsbr_, SOCKET_ID_ANY, "test table");
  ASSERT_TRUE(hash.has_value()) << hash.error();
  hash_ = *hash;
  for (uint64_t k = 1; k <= 64; ++k) ASSERT_GE(add(k * 0x9e3779b97f4a7c15ull), 0) << k;
  EXPECT_EQ(rte_hash_count(hash_), 64);
  EXPECT_EQ(add(65), -ENOSPC);
  const uint64_t first = 0x9e3779b97f4a7c15ull;
  EXPECT_GE(rte_hash_lookup(hash_, &first), 0);
}

TEST_F(ConcurrentHashTest, ErrorsNameTheTable) {
  auto hash = make_concurrent_hash(name_, 64, sizeof(uint64_t), qsbr_, SOCKET_ID_ANY, "test table");
  ASSERT_TRUE(hash.has_value()) << hash.error();
  hash_ = *hash;
  auto twice =
      make_concurrent_hash(name_, 64, sizeof(uint64_t), qsbr_, SOCKET_ID_ANY, "session table");
  ASSERT_FALSE(twice.has_value());
  EXPECT_TRUE(twice.error().starts_with("session table: rte_hash_create(64 entries): "))
      << twice.error();
}

TEST_F(ConcurrentHashTest, ADeletedSlotWaitsForTheReaders) {
  auto hash = make_concurrent_hash(name_, 8, sizeof(uint64_t), qsbr_, SOCKET_ID_ANY, "test table");
  ASSERT_TRUE(hash.has_value()) << hash.error();
  hash_ = *hash;
  ASSERT_EQ(rte_rcu_qsbr_thread_register(qsbr_, kReader), 0);
  rte_rcu_qsbr_thread_online(qsbr_, kReader);
  for (uint64_t k = 1; k <= 8; ++k) ASSERT_GE(add(k), 0) << k;
  uint64_t gone = 3;
  ASSERT_GE(rte_hash_del_key(hash_, &gone), 0);
  EXPECT_LT(rte_hash_lookup(hash_, &gone), 0);  // deleted at once for lookups...
  EXPECT_EQ(add(100), -ENOSPC);                 // ...but its slot is held for the reader
  rte_rcu_qsbr_quiescent(qsbr_, kReader);
  EXPECT_GE(add(100), 0);  // the reader moved on: the slot is free again
  rte_rcu_qsbr_thread_offline(qsbr_, kReader);
  rte_rcu_qsbr_thread_unregister(qsbr_, kReader);
}

}  // namespace
}  // namespace sbc::dp::test
