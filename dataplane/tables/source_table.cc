#include "dataplane/tables/source_table.h"

#include <fmt/core.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <algorithm>

#include "dataplane/tables/concurrent_hash.h"

namespace sbc::dp {

std::optional<SourceKey> source_key_of(const api::Address& address) {
  switch (address.family) {
    case api::AddressFamily::kIpv4: {
      uint32_t ip_be = 0;
      std::memcpy(&ip_be, address.bytes.data(), 4);
      return source_key_v4(ip_be);
    }
    case api::AddressFamily::kIpv6: return source_key_v6(address.bytes.data());
    case api::AddressFamily::kNone: break;
  }
  return std::nullopt;
}

std::expected<std::unique_ptr<SourceTable>, std::string> SourceTable::create(
    const std::string& name, uint32_t max_sources, rte_rcu_qsbr* qsbr, uint64_t tsc_hz,
    int socket_id) {
  std::unique_ptr<SourceTable> table(new SourceTable());
  table->max_sources_ = max_sources;
  table->tsc_hz_ = tsc_hz;

  auto hash = make_concurrent_hash(name, hash_entries(max_sources), sizeof(SourceKey), qsbr,
                                   socket_id, "source table");
  if (!hash) return std::unexpected(hash.error());
  table->hash_ = *hash;
  return table;
}

uint32_t SourceTable::hash_entries(uint32_t max_sources) {
  // A flush followed by a full re-push inside one grace period needs twice the entries.
  return max_sources + std::max<uint32_t>(256, max_sources);
}

SourceTable::~SourceTable() {
  if (hash_) rte_hash_free(hash_);
}

uint64_t SourceTable::expiry_of(uint32_t duration_ms, uint64_t now_tsc) const {
  if (duration_ms == 0) return 0;
  // Split so that duration_ms * tsc_hz cannot overflow 64 bits.
  const uint64_t ticks =
      uint64_t{duration_ms} / 1000 * tsc_hz_ + uint64_t{duration_ms} % 1000 * tsc_hz_ / 1000;
  const uint64_t expiry = now_tsc + std::max<uint64_t>(ticks, 1);
  return std::min(expiry, SourceEntry::kMaxExpiryTsc);
}

api::Result SourceTable::add(const api::SourceAdd& add, uint64_t now_tsc) {
  const std::optional<SourceKey> key = source_key_of(add.address);
  if (!key) return {api::Status::kInvalid, "source address is unset"};
  if (add.cls != api::SourceClass::kBanned && add.cls != api::SourceClass::kTrusted) {
    return {api::Status::kInvalid,
            fmt::format("source class {} is unknown", static_cast<int>(add.cls))};
  }
  const SourceEntry entry{add.cls, expiry_of(add.duration_ms, now_tsc)};

  auto it = entries_.find(*key);
  if (it == entries_.end() && entries_.size() >= max_sources_) {
    expire(now_tsc);  // lapsed entries make room before the table counts as full
    if (entries_.size() >= max_sources_) {
      return {api::Status::kNoResources,
              fmt::format("source table full ({} sources)", max_sources_)};
    }
  }
  // An existing key's data word is replaced by one atomic store: readers see the old entry or
  // the new one, never a mix.
  void* data = reinterpret_cast<void*>(static_cast<uintptr_t>(entry.pack()));
  if (const int rc = rte_hash_add_key_data(hash_, &*key, data); rc != 0) {
    return {api::Status::kNoResources, fmt::format("source table: {}", rte_strerror(-rc))};
  }
  if (it != entries_.end()) {
    --counts_[static_cast<size_t>(it->second.cls)];
    if (it->second.expiry_tsc != 0) expiries_.erase({it->second.expiry_tsc, *key});
    it->second = entry;
  } else {
    entries_.emplace(*key, entry);
    count_.store(static_cast<uint32_t>(entries_.size()), std::memory_order_release);
  }
  ++counts_[static_cast<size_t>(entry.cls)];
  if (entry.expiry_tsc != 0) expiries_.insert({entry.expiry_tsc, *key});
  return {};
}

void SourceTable::erase(std::map<SourceKey, SourceEntry>::iterator it) {
  rte_hash_del_key(hash_, &it->first);  // the slot is recycled after a grace period
  --counts_[static_cast<size_t>(it->second.cls)];
  if (it->second.expiry_tsc != 0) expiries_.erase({it->second.expiry_tsc, it->first});
  entries_.erase(it);
  count_.store(static_cast<uint32_t>(entries_.size()), std::memory_order_release);
}

api::Status SourceTable::remove(const api::Address& address, uint64_t now_tsc) {
  const std::optional<SourceKey> key = source_key_of(address);
  if (!key) return api::Status::kInvalid;
  auto it = entries_.find(*key);
  if (it == entries_.end()) return api::Status::kNotFound;
  const bool live = it->second.live(now_tsc);
  erase(it);
  return live ? api::Status::kOk : api::Status::kNotFound;
}

void SourceTable::flush() {
  while (!entries_.empty()) erase(entries_.begin());
}

size_t SourceTable::expire(uint64_t now_tsc) {
  size_t removed = 0;
  while (!expiries_.empty() && expiries_.begin()->first <= now_tsc) {
    erase(entries_.find(expiries_.begin()->second));
    ++removed;
  }
  return removed;
}

std::optional<SourceEntry> SourceTable::find(const api::Address& address, uint64_t now_tsc) const {
  const std::optional<SourceKey> key = source_key_of(address);
  if (!key) return std::nullopt;
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &*key, &data) < 0) return std::nullopt;
  const SourceEntry entry = SourceEntry::unpack(reinterpret_cast<uintptr_t>(data));
  if (!entry.live(now_tsc)) return std::nullopt;
  return entry;
}

uint32_t SourceTable::count(api::SourceClass cls, uint64_t now_tsc) const {
  const auto index = static_cast<size_t>(cls);
  if (index >= counts_.size()) return 0;
  uint32_t lapsed = 0;
  for (auto it = expiries_.begin(); it != expiries_.end() && it->first <= now_tsc; ++it) {
    if (entries_.at(it->second).cls == cls) ++lapsed;
  }
  return counts_[index] - lapsed;
}

}  // namespace sbc::dp
