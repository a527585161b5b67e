// The rte_hash of the source table (the session table has its own index, stream_index.h): one
// writer (the control thread), lock-free readers (the workers), and key slots freed by a delete
// recycled through `qsbr` only once every worker has passed a quiescent state, so a reader never
// sees a slot reused under it.
#pragma once

#include <fmt/core.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>

#include <expected>
#include <string>
#include <string_view>

namespace sbc::dp {

// `what` names the table in errors ("session table").
inline std::expected<rte_hash*, std::string> make_concurrent_hash(const std::string& name,
                                                                  uint32_t entries,
                                                                  uint32_t key_len,
                                                                  rte_rcu_qsbr* qsbr, int socket_id,
                                                                  std::string_view what) {
  // The extendable bucket table makes every entry fit whatever the cuckoo collisions, so a
  // table refuses an entry only when `entries` slots are taken.
  rte_hash_parameters params{};
  params.name = name.c_str();
  params.entries = entries;
  params.key_len = key_len;
  params.hash_func = rte_hash_crc;
  params.socket_id = socket_id;
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* hash = rte_hash_create(&params);
  if (hash == nullptr) {
    return std::unexpected(
        fmt::format("{}: rte_hash_create({} entries): {}", what, entries, rte_strerror(rte_errno)));
  }
  rte_hash_rcu_config rcu{};
  rcu.v = qsbr;
  rcu.mode = RTE_HASH_QSBR_MODE_DQ;  // key slots recycled after a grace period, never blocking
  if (rte_hash_rcu_qsbr_add(hash, &rcu) != 0) {
    const int error = rte_errno;
    rte_hash_free(hash);
    return std::unexpected(fmt::format("{}: rte_hash_rcu_qsbr_add: {}", what, rte_strerror(error)));
  }
  return hash;
}

}  // namespace sbc::dp
