#include "dataplane/tables/neighbour_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sbc::dp {
namespace {

NeighbourTable::Mac mac_of(uint8_t last) {
  return {0x02, 0, 0, 0, 0, last};
}

TEST(NeighbourTable, LearnLookupUpdate) {
  auto table = std::make_unique<NeighbourTable>();
  NeighbourTable::Mac mac{};
  EXPECT_FALSE(table->lookup(0x0a000001, &mac));
  EXPECT_TRUE(table->learn(0x0a000001, mac_of(1), 1));
  EXPECT_FALSE(table->learn(0x0a000001, mac_of(1), 1));  // unchanged
  ASSERT_TRUE(table->lookup(0x0a000001, &mac));
  EXPECT_EQ(mac, mac_of(1));
  EXPECT_TRUE(table->learn(0x0a000001, mac_of(2), 2));  // moved
  ASSERT_TRUE(table->lookup(0x0a000001, &mac));
  EXPECT_EQ(mac, mac_of(2));
  EXPECT_FALSE(table->learn(0, mac_of(3), 3));  // 0.0.0.0 (ARP probe) is never a neighbour
  EXPECT_FALSE(table->lookup(0, &mac));
}

TEST(NeighbourTable, FullBucketEvictsButKeepsWorking) {
  auto table = std::make_unique<NeighbourTable>();
  constexpr uint32_t kCount = NeighbourTable::kBuckets * NeighbourTable::kWays * 2;
  for (uint32_t i = 1; i <= kCount; ++i) table->learn(i, mac_of(static_cast<uint8_t>(i)), i);
  NeighbourTable::Mac mac{};
  uint32_t found = 0;
  for (uint32_t i = 1; i <= kCount; ++i) {
    if (table->lookup(i, &mac)) {
      EXPECT_EQ(mac, mac_of(static_cast<uint8_t>(i)));  // never another host's MAC
      ++found;
    }
  }
  EXPECT_GT(found, 0u);
  EXPECT_LE(found, NeighbourTable::kBuckets * NeighbourTable::kWays);
  table->learn(kCount + 1, mac_of(9), 0);  // the newest is always present
  EXPECT_TRUE(table->lookup(kCount + 1, &mac));
}

// A MAC that spells its IP, so a reader can tell whether a pair is torn.
NeighbourTable::Mac mac_for(uint32_t ip) {
  return {0x02,
          0x00,
          static_cast<uint8_t>(ip >> 24),
          static_cast<uint8_t>(ip >> 16),
          static_cast<uint8_t>(ip >> 8),
          static_cast<uint8_t>(ip)};
}

// `count` addresses that all hash to one bucket.
std::vector<uint32_t> colliding_ips(size_t count) {
  std::vector<uint32_t> ips;
  const uint32_t bucket = NeighbourTable::bucket_of(0x0a000001);
  for (uint32_t ip = 0x0a000001; ips.size() < count; ++ip) {
    if (NeighbourTable::bucket_of(ip) == bucket) ips.push_back(ip);
  }
  return ips;
}

TEST(NeighbourTable, FullBucketEvictsRoundRobin) {
  auto table = std::make_unique<NeighbourTable>();
  const auto ips = colliding_ips(NeighbourTable::kWays + 1);
  for (uint32_t ip : ips) EXPECT_TRUE(table->learn(ip, mac_for(ip), 1));
  NeighbourTable::Mac mac{};
  EXPECT_FALSE(table->lookup(ips[0], &mac));  // the oldest way was reused in place
  for (size_t i = 1; i < ips.size(); ++i) {
    ASSERT_TRUE(table->lookup(ips[i], &mac));
    EXPECT_EQ(mac, mac_for(ips[i]));
  }
}

TEST(NeighbourTable, RefreshUpdatesOnlyKnownNeighboursAndTheirAge) {
  auto table = std::make_unique<NeighbourTable>();
  NeighbourTable::Mac mac{};
  uint64_t updated = 0;
  EXPECT_FALSE(table->refresh(0x0a000001, mac_of(1), 5));
  EXPECT_FALSE(table->lookup(0x0a000001, &mac));
  EXPECT_TRUE(table->learn(0x0a000001, mac_of(1), 10));
  ASSERT_TRUE(table->lookup(0x0a000001, &mac, &updated));
  EXPECT_EQ(updated, 10u);
  EXPECT_FALSE(table->refresh(0x0a000001, mac_of(1), 20));  // same MAC: not a change...
  ASSERT_TRUE(table->lookup(0x0a000001, &mac, &updated));
  EXPECT_EQ(updated, 20u);  // ...but confirmed again
  EXPECT_TRUE(table->refresh(0x0a000001, mac_of(2), 30));
  ASSERT_TRUE(table->lookup(0x0a000001, &mac, &updated));
  EXPECT_EQ(mac, mac_of(2));
  EXPECT_EQ(updated, 30u);
}

// A writer keeps evicting: 2 x kWays addresses share one bucket, so every learn replaces another
// host's IP and MAC in place. A reader must never see an IP with another host's MAC.
TEST(NeighbourTable, ConcurrentReaderNeverSeesAnIpWithAnotherHostsMac) {
  auto table = std::make_unique<NeighbourTable>();
  const auto ips = colliding_ips(NeighbourTable::kWays * 2);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> writes{0};
  std::thread writer([&] {
    for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      const uint32_t ip = ips[i % ips.size()];
      table->learn(ip, mac_for(ip), i);
      writes.store(i + 1, std::memory_order_relaxed);
    }
  });
  uint64_t hits = 0;
  uint64_t mismatches = 0;
  for (uint64_t i = 0; i < 2'000'000 && (hits < 20000 || writes.load() < 20000); ++i) {
    const uint32_t ip = ips[i % ips.size()];
    NeighbourTable::Mac mac{};
    if (table->lookup(ip, &mac)) {
      ++hits;
      if (mac != mac_for(ip)) ++mismatches;
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(hits, 0u);
  EXPECT_GT(writes.load(), ips.size());  // evictions really happened
}

}  // namespace
}  // namespace sbc::dp
