// The media session table: rte_hash keyed by where the SBC receives a stream, read lock-free by the
// workers, written only by the control thread.
//
// Key (port index, local IPv4, local UDP port) -> StreamState* (which names its session, leg and
// kind). A session has 2 legs x (RTP, RTCP) = 4 keys. Records are retired through rte_rcu_qsbr: a
// Session (or a replaced SessionConfig) is freed only after every worker reported a quiescent
// state, and the hash's own key slots go through the hash's integrated RCU defer queue.
#pragma once

#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "api/control_protocol.h"
#include "dataplane/fastpath/counters.h"
#include "dataplane/media/srtp_library.h"
#include "dataplane/media/stream_quality.h"
#include "dataplane/tables/session_srtp.h"

namespace sbc::dp {

inline constexpr uint64_t kMinStreamPolicerBurst = 10;  // packets

enum class StreamKind : uint8_t { kRtp = 0, kRtcp = 1 };

struct StreamKey {
  uint32_t ip_be = 0;
  uint16_t udp_port_be = 0;
  uint8_t port_index = 0;
  uint8_t pad = 0;  // keys are hashed and compared as bytes
};
static_assert(sizeof(StreamKey) == 8);

// Immutable snapshot of one leg as signalled; replaced as a whole on upsert.
struct LegConfig {
  uint8_t port = 0;
  uint32_t local_ip_be = 0;
  uint16_t local_rtp_port = 0;    // host order
  uint32_t remote_ip_be = 0;      // 0: not signalled
  uint16_t remote_rtp_port = 0;   // host order; 0: not signalled
  uint16_t remote_rtcp_port = 0;  // host order; resolved (explicit or rtp + 1); 0: not signalled
  uint32_t signalling_ip_be = 0;  // 0: unknown
  uint16_t generation = 1;        // bumped when the signalled peer changes: old latches lapse
};

struct SessionConfig {
  std::array<LegConfig, 2> legs;
  uint64_t latch_window_tsc = 0;
  // Per-stream policer (SessionAdd.max_packet_rate), GCRA: one packet per packet_interval_tsc,
  // bursts of policer_burst packets (rate / 5, at least 10). interval 0: no ceiling.
  uint64_t packet_interval_tsc = 0;
  uint64_t policer_tolerance_tsc = 0;  // (burst - 1) * interval
  // SRTP/SRTCP contexts (session_srtp.h); null: plain RTP both ways. Retired with this config, so
  // a replaced context outlives every worker's use of it.
  std::unique_ptr<const SessionSrtp> srtp;
};

// A latched source packed in one word so that readers on other workers see it whole:
// ip (32) | port (16, host order) | generation (16). Generation 0 never matches: "not latched".
struct Latch {
  uint32_t ip_be = 0;
  uint16_t port = 0;
  uint16_t generation = 0;
  static Latch unpack(uint64_t w) {
    return {static_cast<uint32_t>(w >> 32), static_cast<uint16_t>(w >> 16),
            static_cast<uint16_t>(w)};
  }
  [[nodiscard]] uint64_t pack() const {
    return (uint64_t{ip_be} << 32) | (uint64_t{port} << 16) | generation;
  }
};

struct Session;

// Records live in hugepage memory on the workers' NUMA socket (rte_zmalloc_socket), still owned
// RAII-style: RtePtr destroys and rte_free()s.
struct RteDelete {
  template <typename T>
  void operator()(T* p) const {
    if (!p) return;
    p->~T();
    rte_free(const_cast<std::remove_const_t<T>*>(p));
  }
};
template <typename T>
using RtePtr = std::unique_ptr<T, RteDelete>;
template <typename T>
RtePtr<T> make_rte(const char* type, int socket_id) {
  void* memory = rte_zmalloc_socket(type, sizeof(T),
                                    std::max<size_t>(alignof(T), RTE_CACHE_LINE_SIZE), socket_id);
  return RtePtr<T>(memory ? new (memory) T() : nullptr);
}

// Per-stream state, on two cache lines so the workers do not false-share:
// - line 1, written by the worker owning the stream's port on every packet (read only by the
//   control thread for stats);
// - line 2, read-mostly: `latch` is read per packet by the worker relaying the other direction
//   (it is this stream's destination) and written by the owner only when the latch is taken or
//   moves; the identity never changes after publication.
struct alignas(64) StreamState {
  alignas(64) Counter64 packets;
  Counter64 bytes;  // UDP payload bytes
  Counter64 dropped;
  Counter64 last_rx_tsc;        // 0: nothing accepted yet
  uint64_t policer_tat = 0;     // GCRA theoretical arrival time; the owner's alone (no reader)
  alignas(64) Counter64 latch;  // Latch::pack()
  Counter64 latch_first_tsc;
  Session* session = nullptr;
  uint8_t leg = 0;
  StreamKind kind = StreamKind::kRtp;
  StreamQuality quality;  // lines 3-4: RTP/RTCP quality, written by the owner per packet
};
static_assert(sizeof(StreamState) == 256);
static_assert(offsetof(StreamState, latch) == 64);
static_assert(offsetof(StreamState, quality) == 128);

struct Session {
  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { RteDelete{}(config.load(std::memory_order_relaxed)); }  // owns its current config

  uint64_t id = 0;
  std::atomic<const SessionConfig*> config{nullptr};
  std::array<std::array<StreamState, 2>, 2> streams;  // [leg][kind]
  // Cold: written by a stream's worker only when it drops an SRTP packet (kept across upserts).
  std::array<std::array<SrtpStreamCounters, 2>, 2> srtp_counters;  // [leg][kind]
  // Control thread only.
  api::SessionAdd spec;
  uint64_t created_tsc = 0;       // media-timeout baseline: creation or last upsert
  bool timeout_reported = false;  // an event reached at least one client
};

struct PortAddress {
  uint32_t ip_be = 0;
};

class SessionTable {
 public:
  // workers: number of reader threads (qsbr thread ids 0..workers-1).
  static std::expected<std::unique_ptr<SessionTable>, std::string> create(
      const std::string& name, uint32_t max_sessions, uint32_t workers,
      std::span<const PortAddress> ports, uint64_t tsc_hz, int socket_id,
      const SrtpLibrary* srtp = nullptr);  // null: sessions with SRTP are refused (kUnsupported)
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // Workers.
  [[nodiscard]] const rte_hash* hash() const { return hash_; }
  [[nodiscard]] rte_rcu_qsbr* qsbr() const { return qsbr_; }

  // Control thread.
  api::Result upsert(const api::SessionAdd& add, uint64_t now_tsc);
  api::Status remove(uint64_t session_id);
  // Frees retired records whose grace period is over; returns how many are still waiting.
  size_t reclaim();
  [[nodiscard]] size_t size() const { return sessions_.size(); }
  [[nodiscard]] uint32_t capacity() const { return max_sessions_; }
  [[nodiscard]] Session* find(uint64_t session_id) const;
  [[nodiscard]] const std::map<uint64_t, RtePtr<Session>>& sessions() const { return sessions_; }
  // Key slots in the hash: 4 per session plus room for keys waiting in the RCU defer queue.
  [[nodiscard]] static uint32_t hash_entries(uint32_t max_sessions);

 private:
  SessionTable() = default;
  api::Result validate(const api::SessionAdd& add) const;
  RtePtr<SessionConfig> make_config(const api::SessionAdd& add,
                                    const SessionConfig* previous) const;
  // The SRTP snapshot for `add` (keeps unchanged or "keep" contexts of `session`, if any) in
  // `config`; fills `add`'s kept keys.
  api::Result attach_srtp(SessionConfig& config, api::SessionAdd& add,
                          const Session* session) const;
  static StreamKey key_of(const LegConfig& leg, StreamKind kind);
  using StreamKeys = std::array<StreamKey, 4>;  // [leg * 2 + kind]

  // The steps of upsert. An existing session keeps its local addresses and gets a new config
  // (the old one retired); a new one is built, its streams bound to their keys (kConflict when
  // a key is taken), then published: its keys added to the hash, the workers can find it.
  api::Result update(Session& session, const api::SessionAdd& add, uint64_t now_tsc);
  api::Result insert(const api::SessionAdd& add, uint64_t now_tsc);
  api::Result bind_streams(Session& session, const SessionConfig& config, StreamKeys& keys) const;
  api::Result publish(RtePtr<Session> session, const StreamKeys& keys);
  void retire(RtePtr<Session> session, RtePtr<const SessionConfig> config);

  struct Retired {
    uint64_t token = 0;
    RtePtr<Session> session;
    RtePtr<const SessionConfig> config;
  };

  rte_hash* hash_ = nullptr;
  rte_rcu_qsbr* qsbr_ = nullptr;
  uint32_t max_sessions_ = 0;
  uint64_t tsc_hz_ = 0;
  int socket_id_ = 0;
  const SrtpLibrary* srtp_ = nullptr;
  std::vector<PortAddress> ports_;
  std::map<uint64_t, RtePtr<Session>> sessions_;  // ordered: dump cursors are ids
  std::deque<Retired> retired_;
};

}  // namespace sbc::dp
