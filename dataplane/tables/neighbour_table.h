// Next-hop MACs of one port, snooped from ARP, each with the time it was last confirmed.
//
// Fixed size (no allocation after start), lock-free. Exactly one writer per table: the worker that
// polls the port where the ARP arrives. Any worker may read (relay toward this port). Each entry is
// a seqlock: a reader retries a bounded number of times and otherwise treats the entry as unknown,
// so a reader never blocks and never sees an IP paired with another host's MAC.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>

namespace sbc::dp {

class NeighbourTable {
 public:
  static constexpr uint32_t kBuckets = 256;
  static constexpr uint32_t kWays = 4;  // 1024 neighbours per port; LRU-ish round-robin eviction

  using Mac = std::array<uint8_t, 6>;

  // ip_be: IPv4 address in network byte order (as in the packet); 0 is never stored.
  // `updated_tsc` (optional) receives when the entry was last confirmed by ARP.
  bool lookup(uint32_t ip_be, Mac* mac, uint64_t* updated_tsc = nullptr) const {
    if (ip_be == 0) return false;  // empty slots hold 0
    const Bucket& bucket = buckets_[bucket_of(ip_be)];
    for (const Entry& e : bucket.ways) {
      for (int attempt = 0; attempt < 4; ++attempt) {
        const uint32_t s1 = e.seq.load(std::memory_order_acquire);
        if (s1 & 1) continue;  // writer in progress
        const uint32_t ip = e.ip.load(std::memory_order_relaxed);
        const uint64_t packed = e.mac.load(std::memory_order_relaxed);
        const uint64_t updated = e.updated_tsc.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (e.seq.load(std::memory_order_relaxed) != s1) continue;
        if (ip != ip_be) break;
        std::memcpy(mac->data(), &packed, 6);
        if (updated_tsc) *updated_tsc = updated;
        return true;
      }
    }
    return false;
  }

  // Single writer only. Creates or updates the entry (evicting round-robin in a full bucket).
  // Returns true when the table changed (new neighbour or new MAC); always stamps `now_tsc`.
  bool learn(uint32_t ip_be, const Mac& mac, uint64_t now_tsc) {
    return write(ip_be, mac, now_tsc, true);
  }
  // Single writer only. Like learn() but only for an IP already present: ARP we did not ask for
  // and that is not addressed to us may refresh a neighbour, never plant a new one.
  bool refresh(uint32_t ip_be, const Mac& mac, uint64_t now_tsc) {
    return write(ip_be, mac, now_tsc, false);
  }

  static uint32_t bucket_of(uint32_t ip_be) {
    const uint32_t h =
        ip_be * 0x9e3779b1u;  // Fibonacci hashing: spreads consecutive host addresses
    return (h >> 24) % kBuckets;
  }

 private:
  struct Entry {
    std::atomic<uint32_t> seq{0};
    std::atomic<uint32_t> ip{0};
    std::atomic<uint64_t> mac{0};
    std::atomic<uint64_t> updated_tsc{0};
  };
  struct alignas(64) Bucket {
    std::array<Entry, kWays> ways;
    uint32_t next_victim = 0;  // writer-only
  };

  bool write(uint32_t ip_be, const Mac& mac, uint64_t now_tsc, bool may_create) {
    if (ip_be == 0) return false;
    uint64_t packed = 0;
    std::memcpy(&packed, mac.data(), 6);
    Bucket& bucket = buckets_[bucket_of(ip_be)];
    Entry* target = nullptr;
    bool present = false;
    for (Entry& e : bucket.ways) {  // the writer reads its own stores: relaxed is enough
      if (e.ip.load(std::memory_order_relaxed) == ip_be) {
        target = &e;
        present = true;
        break;
      }
      if (!target && e.ip.load(std::memory_order_relaxed) == 0) target = &e;
    }
    if (!present && !may_create) return false;
    if (present && target->mac.load(std::memory_order_relaxed) == packed) {
      // Same pair: only the age changes; a reader may pair it with either stamp, both true.
      target->updated_tsc.store(now_tsc, std::memory_order_relaxed);
      return false;
    }
    if (!target) {
      target = &bucket.ways[bucket.next_victim];
      bucket.next_victim = (bucket.next_victim + 1) % kWays;
    }
    const uint32_t s = target->seq.load(std::memory_order_relaxed);
    target->seq.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    target->ip.store(ip_be, std::memory_order_relaxed);
    target->mac.store(packed, std::memory_order_relaxed);
    target->updated_tsc.store(now_tsc, std::memory_order_relaxed);
    target->seq.store(s + 2, std::memory_order_release);
    return true;
  }

  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace sbc::dp
