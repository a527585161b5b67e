// The session table's index: where the SBC receives a stream (StreamKey) -> its StreamState.
// One writer (the control thread), lock-free readers (the relay workers).
//
// Written by hand rather than on rte_hash because a media packet's lookup is the first of its
// dependent cache misses, and with a million sessions every one of them goes to DRAM: rte_hash
// reads two buckets and then its key store (three lines on three pages) and compares the key
// through memcmp, where this index keeps the keys and records inline in one cache line, so a
// lookup is one line (one page walk) and three 8-byte compares. The relay prefetches a burst's
// buckets before it compares any (lookup).
//
// Open addressing over 64-byte buckets of three slots. A key goes to the first bucket from its
// home (its CRC) with a free slot; each bucket counts the keys that went past it (`overflow`), so
// a lookup stops at the first bucket past which no key went: a miss costs one line as a rule. The
// table is sized for at most half its slots in use.
//
// A removed key's slot is retired, not freed: a worker may have read the key and be about to read
// the record. It is freed (reclaim) only after every worker has passed a quiescent state, so a
// reader never sees a slot reused under it.
#pragma once

#include <rte_rcu_qsbr.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <expected>
#include <string>

namespace sbc::dp {

struct StreamKey;
struct StreamState;

class StreamIndex {
 public:
  // Room for `max_keys` keys at once, retired ones included, on NUMA socket `socket_id`.
  static std::expected<StreamIndex, std::string> create(uint32_t max_keys, int socket_id);
  StreamIndex() = default;
  StreamIndex(StreamIndex&& other) noexcept;
  StreamIndex& operator=(StreamIndex&& other) noexcept;
  StreamIndex(const StreamIndex&) = delete;
  StreamIndex& operator=(const StreamIndex&) = delete;
  ~StreamIndex();

  // Workers: the records of `n` keys (at most 64) in `found`, and a mask of the hits.
  uint64_t lookup(const StreamKey* keys, uint32_t n, StreamState** found) const;

  // Control thread.
  [[nodiscard]] StreamState* find(const StreamKey& key) const;
  // False when no slot is free within the probe limit (the table is far past its size).
  bool insert(const StreamKey& key, StreamState* record);
  // Retires `key`'s slot; its grace period starts with the next token of `qsbr`.
  void remove(const StreamKey& key, rte_rcu_qsbr* qsbr);
  // Frees the retired slots whose grace period is over; returns how many still wait.
  size_t reclaim(rte_rcu_qsbr* qsbr);
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] uint32_t buckets() const { return mask_ + 1; }

 private:
  static constexpr size_t kSlots = 3;
  struct alignas(64) Bucket {
    std::array<std::atomic<uint64_t>, kSlots> keys;  // kEmpty, kRetired or a key
    std::array<std::atomic<StreamState*>, kSlots> records;
    std::atomic<uint32_t> overflow;  // keys whose probe went past this bucket
  };
  static_assert(sizeof(Bucket) == 64);
  static constexpr uint64_t kEmpty = 0;
  // No key is all ones: StreamKey's pad byte is 0.
  static constexpr uint64_t kRetired = ~uint64_t{0};
  // An insert past this many buckets from home fails (at half load it takes a handful).
  static constexpr uint32_t kMaxProbe = 256;

  struct Slot {
    uint32_t bucket = 0;
    uint32_t slot = 0;
  };
  struct RetiredSlot {
    uint64_t token = 0;
    Slot where;
  };

  static uint64_t word_of(const StreamKey& key);
  [[nodiscard]] uint32_t home_of(uint64_t word) const;
  // The slot holding `word`, or none.
  [[nodiscard]] bool locate(uint64_t word, Slot* where) const;
  void release();

  Bucket* buckets_ = nullptr;
  uint32_t mask_ = 0;
  size_t size_ = 0;
  std::deque<RetiredSlot> retired_;
};

}  // namespace sbc::dp
