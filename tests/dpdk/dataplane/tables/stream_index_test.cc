// The session table's index (stream_index.h): every key found through collision chains, misses
// stop early, a removed key's slot is reused only after every reader passed a quiescent state, and
// a reader racing the writer only ever gets the record of the key it asked for.
#include "dataplane/tables/stream_index.h"

#include <memory>
#include <thread>

#include "dataplane/tables/session_table.h"
#include "tests/dpdk/dataplane/tables/test_qsbr.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

StreamKey key_of(uint32_t n) {
  StreamKey key;
  key.ip_be = rte_cpu_to_be_32(0xc0000200u + (n >> 16));  // 192.0.2.x
  key.udp_port_be = rte_cpu_to_be_16(static_cast<uint16_t>(n));
  key.port_index = static_cast<uint8_t>(n % 3);
  return key;
}

class StreamIndexTest : public ::testing::Test {
 protected:
  // The smallest index: 64 buckets of 3 slots.
  static StreamIndex small() {
    auto index = StreamIndex::create(16, SOCKET_ID_ANY);
    EXPECT_TRUE(index.has_value()) << index.error();
    return std::move(*index);
  }

  TestQsbr qsbr_;
  std::unique_ptr<StreamState[]> records_ = std::make_unique<StreamState[]>(256);
};

TEST_F(StreamIndexTest, FindsEveryKeyThroughItsCollisionChainAndMissesTheRest) {
  StreamIndex index = small();
  ASSERT_EQ(index.buckets(), 64u);
  // 160 keys in 192 slots: most homes overflow into the next buckets.
  constexpr uint32_t kKeys = 160;
  for (uint32_t n = 0; n < kKeys; ++n) ASSERT_TRUE(index.insert(key_of(n), &records_[n])) << n;
  EXPECT_EQ(index.size(), kKeys);
  for (uint32_t n = 0; n < kKeys; ++n) EXPECT_EQ(index.find(key_of(n)), &records_[n]) << n;
  for (uint32_t n = kKeys; n < kKeys + 50; ++n) EXPECT_EQ(index.find(key_of(n)), nullptr) << n;

  // Bulk: hits and misses interleaved, at most 64 keys per call.
  StreamKey keys[64];
  StreamState* found[64];
  for (uint32_t i = 0; i < 64; ++i) keys[i] = key_of(i % 2 == 0 ? i : kKeys + i);
  const uint64_t hits = index.lookup(keys, 64, found);
  for (uint32_t i = 0; i < 64; ++i) {
    EXPECT_EQ((hits >> i) & 1, i % 2 == 0 ? 1u : 0u) << i;
    EXPECT_EQ(found[i], i % 2 == 0 ? &records_[i] : nullptr) << i;
  }

  // Removing every other key keeps the rest reachable past the holes.
  for (uint32_t n = 0; n < kKeys; n += 2) index.remove(key_of(n), qsbr_.get());
  EXPECT_EQ(index.size(), kKeys / 2);
  for (uint32_t n = 0; n < kKeys; ++n) {
    EXPECT_EQ(index.find(key_of(n)), n % 2 == 0 ? nullptr : &records_[n]) << n;
  }
  qsbr_.quiescent();
  EXPECT_EQ(index.reclaim(qsbr_.get()), 0u);
  // The freed slots take new keys, and the survivors are still found.
  for (uint32_t n = 0; n < kKeys; n += 2) ASSERT_TRUE(index.insert(key_of(n), &records_[n])) << n;
  for (uint32_t n = 0; n < kKeys; ++n) EXPECT_EQ(index.find(key_of(n)), &records_[n]) << n;
}

TEST_F(StreamIndexTest, ARemovedSlotWaitsForTheReaders) {
  StreamIndex index = small();
  const uint32_t slots = index.buckets() * 3;
  for (uint32_t n = 0; n < slots; ++n) ASSERT_TRUE(index.insert(key_of(n), &records_[n])) << n;
  EXPECT_FALSE(index.insert(key_of(slots), &records_[slots]));  // full
  index.remove(key_of(7), qsbr_.get());
  EXPECT_EQ(index.find(key_of(7)), nullptr);                    // gone for lookups at once...
  EXPECT_FALSE(index.insert(key_of(slots), &records_[slots]));  // ...its slot held for the reader
  EXPECT_EQ(index.reclaim(qsbr_.get()), 1u);
  qsbr_.quiescent();
  EXPECT_EQ(index.reclaim(qsbr_.get()), 0u);
  EXPECT_TRUE(index.insert(key_of(slots), &records_[slots]));  // the reader moved on
  EXPECT_EQ(index.find(key_of(slots)), &records_[slots]);
}

TEST_F(StreamIndexTest, RefusesKeysItCannotHoldAndSizesItCannotAllocate) {
  StreamIndex index = small();
  EXPECT_FALSE(index.insert(StreamKey{}, &records_[0]));  // all zero: the empty slot's value
  auto huge = StreamIndex::create(UINT32_MAX, SOCKET_ID_ANY);
  ASSERT_FALSE(huge.has_value());
  EXPECT_TRUE(huge.error().starts_with("stream index: ")) << huge.error();
}

// A reader looking up while the writer removes, reclaims and re-inserts keys in other slots gets
// either nothing or the record of the key it asked for, never another key's.
TEST_F(StreamIndexTest, AReaderRacingTheWriterNeverGetsAnotherKeysRecord) {
  StreamIndex index = small();
  constexpr uint32_t kKeys = 120;
  for (uint32_t n = 0; n < kKeys; ++n) ASSERT_TRUE(index.insert(key_of(n), &records_[n]));
  std::atomic<bool> done{false};
  std::atomic<uint32_t> wrong{0};
  uint32_t rounds = 0;
  std::thread reader([&] {
    StreamKey keys[40];
    StreamState* found[40];
    while (!done.load(std::memory_order_acquire)) {
      for (uint32_t base = 0; base < kKeys; base += 40) {
        for (uint32_t i = 0; i < 40; ++i) keys[i] = key_of(base + i);
        const uint64_t hits = index.lookup(keys, 40, found);
        for (uint32_t i = 0; i < 40; ++i) {
          if ((hits >> i & 1) != 0 && found[i] != &records_[base + i]) wrong.fetch_add(1);
        }
      }
      qsbr_.quiescent();
      ++rounds;
    }
  });
  // Bounded: a fixed number of writer steps.
  for (uint32_t step = 0; step < 20000; ++step) {
    const uint32_t n = (step * 37) % kKeys;
    index.remove(key_of(n), qsbr_.get());
    index.reclaim(qsbr_.get());
    index.insert(key_of(n), &records_[n]);
  }
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(rounds, 0u);
}

}  // namespace
}  // namespace sbc::dp::test
