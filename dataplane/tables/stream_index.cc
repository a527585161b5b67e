#include "dataplane/tables/stream_index.h"

#include <fmt/core.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include <bit>
#include <cstring>
#include <new>
#include <utility>

#include "dataplane/tables/session_table.h"

namespace sbc::dp {

std::expected<StreamIndex, std::string> StreamIndex::create(uint32_t max_keys, int socket_id) {
  // At most half the slots in use; a power of two so the home is a mask of the hash.
  const uint64_t wanted = (uint64_t{max_keys} * 2 + kSlots - 1) / kSlots;
  const uint64_t buckets = std::bit_ceil(std::max<uint64_t>(wanted, 64));
  if (buckets > (uint64_t{1} << 31)) {
    return std::unexpected(fmt::format("stream index: {} keys is too many", max_keys));
  }
  void* memory = rte_zmalloc_socket("sbc_stream_index", buckets * sizeof(Bucket),
                                    RTE_CACHE_LINE_SIZE, socket_id);
  if (memory == nullptr) {
    return std::unexpected(fmt::format("stream index: cannot allocate {} buckets ({} MiB)", buckets,
                                       buckets * sizeof(Bucket) >> 20));
  }
  StreamIndex index;
  // Every bucket begins empty (kEmpty is 0).
  index.buckets_ = static_cast<Bucket*>(memory);
  for (uint64_t b = 0; b < buckets; ++b) new (&index.buckets_[b]) Bucket();
  index.mask_ = static_cast<uint32_t>(buckets - 1);
  return index;
}

StreamIndex::StreamIndex(StreamIndex&& other) noexcept
    : buckets_(std::exchange(other.buckets_, nullptr)),
      mask_(std::exchange(other.mask_, 0)),
      size_(std::exchange(other.size_, 0)),
      retired_(std::move(other.retired_)) {}

StreamIndex& StreamIndex::operator=(StreamIndex&& other) noexcept {
  if (this != &other) {
    release();
    buckets_ = std::exchange(other.buckets_, nullptr);
    mask_ = std::exchange(other.mask_, 0);
    size_ = std::exchange(other.size_, 0);
    retired_ = std::move(other.retired_);
  }
  return *this;
}

StreamIndex::~StreamIndex() {
  release();
}

void StreamIndex::release() {
  // Bucket is trivially destructible (atomics of scalars): the memory goes back as it is.
  rte_free(buckets_);
  buckets_ = nullptr;
}

uint64_t StreamIndex::word_of(const StreamKey& key) {
  return std::bit_cast<uint64_t>(key);
}

uint32_t StreamIndex::home_of(uint64_t word) const {
  return rte_hash_crc_8byte(word, 0) & mask_;
}

uint64_t StreamIndex::lookup(const StreamKey* keys, uint32_t n, StreamState** found) const {
  uint64_t words[64];
  uint32_t homes[64];
  // Every home bucket is requested before any is read, so the burst's misses overlap.
  for (uint32_t i = 0; i < n; ++i) {
    words[i] = word_of(keys[i]);
    homes[i] = home_of(words[i]);
    rte_prefetch0(&buckets_[homes[i]]);
  }
  uint64_t hits = 0;
  for (uint32_t i = 0; i < n; ++i) {
    found[i] = nullptr;
    uint32_t b = homes[i];
    for (uint32_t probe = 0; probe <= kMaxProbe; ++probe, b = (b + 1) & mask_) {
      const Bucket& bucket = buckets_[b];
      bool hit = false;
      for (size_t s = 0; s < kSlots; ++s) {
        // Acquire: the record was stored before its key (insert).
        if (bucket.keys[s].load(std::memory_order_acquire) == words[i]) {
          found[i] = bucket.records[s].load(std::memory_order_relaxed);
          hit = true;
          break;
        }
      }
      if (hit) {
        hits |= uint64_t{1} << i;
        break;
      }
      if (bucket.overflow.load(std::memory_order_acquire) == 0) break;
    }
  }
  return hits;
}

bool StreamIndex::locate(uint64_t word, Slot* where) const {
  uint32_t b = home_of(word);
  for (uint32_t probe = 0; probe <= kMaxProbe; ++probe, b = (b + 1) & mask_) {
    const Bucket& bucket = buckets_[b];
    for (uint32_t s = 0; s < kSlots; ++s) {
      if (bucket.keys[s].load(std::memory_order_relaxed) == word) {
        *where = {b, s};
        return true;
      }
    }
    if (bucket.overflow.load(std::memory_order_relaxed) == 0) return false;
  }
  return false;
}

StreamState* StreamIndex::find(const StreamKey& key) const {
  Slot where;
  if (!locate(word_of(key), &where)) return nullptr;
  return buckets_[where.bucket].records[where.slot].load(std::memory_order_relaxed);
}

bool StreamIndex::insert(const StreamKey& key, StreamState* record) {
  const uint64_t word = word_of(key);
  if (word == kEmpty || word == kRetired) return false;
  const uint32_t home = home_of(word);
  uint32_t b = home;
  for (uint32_t probe = 0; probe <= kMaxProbe; ++probe, b = (b + 1) & mask_) {
    Bucket& bucket = buckets_[b];
    for (auto& slot_key : bucket.keys) {
      if (slot_key.load(std::memory_order_relaxed) != kEmpty) continue;
      // The buckets it passes say so before the key can be found, and the record is stored
      // before its key (release): a reader that sees the key sees the record.
      for (uint32_t p = home; p != b; p = (p + 1) & mask_) {
        buckets_[p].overflow.fetch_add(1, std::memory_order_release);
      }
      const auto s = static_cast<size_t>(&slot_key - bucket.keys.data());
      bucket.records[s].store(record, std::memory_order_relaxed);
      slot_key.store(word, std::memory_order_release);
      ++size_;
      return true;
    }
  }
  return false;
}

void StreamIndex::remove(const StreamKey& key, rte_rcu_qsbr* qsbr) {
  const uint64_t word = word_of(key);
  Slot where;
  if (!locate(word, &where)) return;
  // Unreachable first, then the buckets it went past no longer count it; the slot waits for the
  // readers that may have found it.
  buckets_[where.bucket].keys[where.slot].store(kRetired, std::memory_order_release);
  for (uint32_t p = home_of(word); p != where.bucket; p = (p + 1) & mask_) {
    buckets_[p].overflow.fetch_sub(1, std::memory_order_release);
  }
  --size_;
  retired_.push_back({rte_rcu_qsbr_start(qsbr), where});
}

size_t StreamIndex::reclaim(rte_rcu_qsbr* qsbr) {
  // Tokens grow monotonically: the slots past their grace period are a prefix.
  while (!retired_.empty() && rte_rcu_qsbr_check(qsbr, retired_.front().token, false) == 1) {
    const Slot where = retired_.front().where;
    Bucket& bucket = buckets_[where.bucket];
    bucket.records[where.slot].store(nullptr, std::memory_order_relaxed);
    bucket.keys[where.slot].store(kEmpty, std::memory_order_release);
    retired_.pop_front();
  }
  return retired_.size();
}

}  // namespace sbc::dp
