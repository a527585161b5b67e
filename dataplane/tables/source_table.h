// The source table: banned and trusted source addresses (IPv4 and IPv6) pushed by sbcd.
//
// rte_hash keyed by (family, 16 address bytes), read lock-free by the workers for every punt
// candidate, written only by the control thread: the session table's discipline. The value of a
// key is not a pointer but the entry itself packed into the hash's data word (class + expiry),
// so an update is one atomic store and there is no record to retire; deleted key slots go
// through the hash's integrated RCU defer queue on the session table's rte_rcu_qsbr (the workers
// already report quiescence on it once per loop).
//
// Expiry is checked by the reader (an expired entry reads as absent) and swept by the control
// thread (expire()), so a ban with a duration lapses on time even if sbcd is gone.
#pragma once

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include <array>
#include <atomic>
#include <compare>
#include <cstdint>
#include <cstring>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "api/control_protocol.h"

namespace sbc::dp {

struct SourceKey {
  uint8_t family = 0;  // api::AddressFamily: 4 or 6
  std::array<uint8_t, 3> pad{};
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 in the first 4 bytes, the rest zero
  auto operator<=>(const SourceKey&) const = default;
};
static_assert(sizeof(SourceKey) == 20, "keys are hashed and compared as bytes");

inline SourceKey source_key_v4(uint32_t ip_be) {
  SourceKey key;
  key.family = static_cast<uint8_t>(api::AddressFamily::kIpv4);
  std::memcpy(key.bytes.data(), &ip_be, 4);
  return key;
}

// From the 16 address bytes of an IPv6 header. A v4-mapped address (::ffff:a.b.c.d) is the same
// host as a.b.c.d, so it gets the IPv4 key.
inline SourceKey source_key_v6(const uint8_t* address) {
  static constexpr std::array<uint8_t, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address, kMapped.data(), kMapped.size()) == 0) {
    uint32_t ip_be = 0;
    std::memcpy(&ip_be, address + 12, 4);
    return source_key_v4(ip_be);
  }
  SourceKey key;
  key.family = static_cast<uint8_t>(api::AddressFamily::kIpv6);
  std::memcpy(key.bytes.data(), address, 16);
  return key;
}

// nullopt for an unset address.
std::optional<SourceKey> source_key_of(const api::Address& address);

// A key's value, packed into the hash's data word: expiry_tsc << 2 | class (never 0).
struct SourceEntry {
  static constexpr uint64_t kMaxExpiryTsc = (uint64_t{1} << 62) - 1;  // ~29 years at 5 GHz

  api::SourceClass cls = api::SourceClass::kBanned;
  uint64_t expiry_tsc = 0;  // 0: none

  [[nodiscard]] uint64_t pack() const { return (expiry_tsc << 2) | static_cast<uint64_t>(cls); }
  static SourceEntry unpack(uint64_t word) {
    return {static_cast<api::SourceClass>(word & 3), word >> 2};
  }
  [[nodiscard]] bool live(uint64_t now_tsc) const {
    return expiry_tsc == 0 || now_tsc < expiry_tsc;
  }
};

class SourceTable {
 public:
  // `qsbr`: the RCU variable the workers report quiescence on (the session table's).
  static std::expected<std::unique_ptr<SourceTable>, std::string> create(const std::string& name,
                                                                         uint32_t max_sources,
                                                                         rte_rcu_qsbr* qsbr,
                                                                         uint64_t tsc_hz,
                                                                         int socket_id);
  ~SourceTable();
  SourceTable(const SourceTable&) = delete;
  SourceTable& operator=(const SourceTable&) = delete;

  // Workers.
  [[nodiscard]] const rte_hash* hash() const { return hash_; }
  // True when no key is in the hash: the workers skip the lookup altogether.
  [[nodiscard]] bool empty() const { return count_.load(std::memory_order_relaxed) == 0; }

  // Control thread. add() replaces an existing entry (class and expiry); kNoResources when
  // max_sources live entries are held and the address is new.
  api::Result add(const api::SourceAdd& add, uint64_t now_tsc);
  // kNotFound when absent or expired.
  api::Status remove(const api::Address& address, uint64_t now_tsc);
  void flush();
  // Removes entries whose expiry has passed; returns how many.
  size_t expire(uint64_t now_tsc);
  // The entry as a worker would see it at `now_tsc` (nullopt: absent or expired).
  [[nodiscard]] std::optional<SourceEntry> find(const api::Address& address,
                                                uint64_t now_tsc) const;
  // Live entries of one class at `now_tsc` (expired ones not swept yet are not counted).
  [[nodiscard]] uint32_t count(api::SourceClass cls, uint64_t now_tsc) const;
  [[nodiscard]] size_t size() const { return entries_.size(); }
  [[nodiscard]] uint32_t capacity() const { return max_sources_; }
  // Key slots in the hash: max_sources plus room for deleted keys still in their grace period.
  [[nodiscard]] static uint32_t hash_entries(uint32_t max_sources);

 private:
  SourceTable() = default;
  void erase(std::map<SourceKey, SourceEntry>::iterator it);
  uint64_t expiry_of(uint32_t duration_ms, uint64_t now_tsc) const;

  rte_hash* hash_ = nullptr;
  uint32_t max_sources_ = 0;
  uint64_t tsc_hz_ = 0;
  // Control thread's view of the hash, and the entries with an expiry ordered by it.
  std::map<SourceKey, SourceEntry> entries_;
  std::set<std::pair<uint64_t, SourceKey>> expiries_;
  std::array<uint32_t, 3> counts_{};  // by api::SourceClass value
  // Read by every worker per burst; on its own cache line, written on add/delete only.
  alignas(64) std::atomic<uint32_t> count_{0};
};

}  // namespace sbc::dp
