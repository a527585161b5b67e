#include "neighbour_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sbc::dp {
namespace {

NeighbourTable::Mac mac_of(uint8_t last) { return {0x02, 0, 0, 0, 0, last}; }

TEST(NeighbourTable, LearnLookupUpdate) {
  auto table = std::make_unique<NeighbourTable>();
  NeighbourTable::Mac mac{};
  EXPECT_FALSE(table->lookup(0x0a000001, &mac));
  EXPECT_TRUE(table->learn(0x0a000001, mac_of(1)));
  EXPECT_FALSE(table->learn(0x0a000001, mac_of(1)));  // unchanged
  ASSERT_TRUE(table->lookup(0x0a000001, &mac));
  EXPECT_EQ(mac, mac_of(1));
  EXPECT_TRUE(table->learn(0x0a000001, mac_of(2)));  // moved
  ASSERT_TRUE(table->lookup(0x0a000001, &mac));
  EXPECT_EQ(mac, mac_of(2));
  EXPECT_FALSE(table->learn(0, mac_of(3)));  // 0.0.0.0 (ARP probe) is never a neighbour
  EXPECT_FALSE(table->lookup(0, &mac));
}

TEST(NeighbourTable, FullBucketEvictsButKeepsWorking) {
  auto table = std::make_unique<NeighbourTable>();
  constexpr uint32_t kCount = NeighbourTable::kBuckets * NeighbourTable::kWays * 2;
  for (uint32_t i = 1; i <= kCount; ++i) table->learn(i, mac_of(static_cast<uint8_t>(i)));
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
  table->learn(kCount + 1, mac_of(9));  // the newest is always present
  EXPECT_TRUE(table->lookup(kCount + 1, &mac));
}

// One writer flips MACs while a reader checks it never sees a torn (ip, mac) pair.
TEST(NeighbourTable, ConcurrentReaderNeverSeesTornEntries) {
  auto table = std::make_unique<NeighbourTable>();
  for (uint32_t ip = 1; ip <= 64; ++ip) table->learn(ip, {0x02, 0, 0, 0, static_cast<uint8_t>(ip), 0});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint32_t round = 0; !stop.load(); ++round) {
      for (uint32_t ip = 1; ip <= 64; ++ip) {
        // MAC encodes its IP in byte 4 so a mismatch is detectable.
        table->learn(ip, {0x02, 0, 0, 0, static_cast<uint8_t>(ip), static_cast<uint8_t>(round)});
      }
    }
  });
  uint64_t hits = 0;
  for (int i = 0; i < 200000; ++i) {
    const uint32_t ip = 1 + (i % 64);
    NeighbourTable::Mac mac{};
    if (table->lookup(ip, &mac)) {
      ++hits;
      ASSERT_EQ(mac[4], ip);
    }
  }
  stop = true;
  writer.join();
  EXPECT_GT(hits, 0u);
}

}  // namespace
}  // namespace sbc::dp
