// The media session table: indexed by where the SBC receives a stream (stream_index.h), read
// lock-free by the workers, written only by the control thread.
//
// Key (port index, local IPv4, local UDP port) -> StreamState* (which names its session, leg and
// kind). A session has 2 legs x (RTP, RTCP) = 4 keys. Records are retired through rte_rcu_qsbr: a
// Session (or a replaced SessionConfig) is freed only after every worker reported a quiescent
// state, and so do the index's slots.
//
// Transcoding lcores hold references too: a relay worker hands a packet of a transcoded direction
// over with its stream and config, and the transcoder uses them when it dequeues the job. So with
// transcoders a record is freed in two steps: after the workers' grace period no new job can name
// it (every job naming it is in a ring); then a barrier job goes into every transcoder's ring
// (they are FIFO), and once each transcoder has passed it, every job naming the record is done.
#pragma once

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

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
#include "dataplane/tables/session_transcode.h"
#include "dataplane/tables/stream_index.h"

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
  bool forward_rtp = true;        // RTP arriving on this leg goes to the other (api::LegSpec)
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
  // Transcoding and payload-type rewriting (session_transcode.h); null: relayed as it is.
  std::unique_ptr<const SessionTranscode> transcode;
};

// The relay prefetches a config as two cache lines (relay.h, process_wire_burst).
static_assert(sizeof(SessionConfig) <= 2 * 64);

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
// - line 1, written by the stream's owner on every packet (read only by the control thread for
//   stats). The owner is the relay worker that first received an acceptable packet of the stream
//   (`worker` claimed once, never moved): RSS keeps a flow on one queue, and whatever reaches
//   another worker (a second source, a rollover) is handed to the owner, so the stream's state,
//   latch and SRTP contexts have a single writer;
// - line 2, read-mostly: the identity never changes after publication; `latch` is written by the
//   owner only when the latch is taken or moves, and then copied into the other leg's
//   `peer_latch`, which its worker reads per packet as its destination.
struct alignas(64) StreamState {
  alignas(64) Counter64 packets;
  Counter64 bytes;  // UDP payload bytes
  Counter64 dropped;
  Counter64 last_rx_tsc;            // 0: nothing accepted yet
  uint64_t policer_tat = 0;         // GCRA theoretical arrival time; the owner's alone (no reader)
  std::atomic<uint16_t> worker{0};  // the owner's id + 1; 0: not claimed yet
  alignas(64) Counter64 latch;      // Latch::pack()
  Counter64 latch_first_tsc;
  // The other leg's latch of the same kind (this stream's destination), copied here by that
  // stream's owner whenever it latches, so a packet finds where it goes on its own stream's line.
  Counter64 peer_latch;
  Session* session = nullptr;
  // The session's config (Session::config), copied here so that a packet reaches it from the
  // line it reads anyway, without a dependent miss on the session's own line.
  std::atomic<const SessionConfig*> config{nullptr};
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

  // The control thread replaces a config here and in every stream at once (`order`: release
  // once the session is published, so a worker sees the config whole).
  void set_config(const SessionConfig* replacement, std::memory_order order) {
    config.store(replacement, order);
    for (auto& leg : streams) {
      for (StreamState& stream : leg) stream.config.store(replacement, order);
    }
  }

  uint64_t id = 0;
  std::atomic<const SessionConfig*> config{nullptr};  // owned; the streams hold copies
  std::array<std::array<StreamState, 2>, 2> streams;  // [leg][kind]
  // Cold: written by a stream's worker only when it drops an SRTP packet (kept across upserts).
  std::array<std::array<SrtpStreamCounters, 2>, 2> srtp_counters;  // [leg][kind]
  uint8_t transcoder = 0;  // the transcoding lcore of its transcoded directions (for life)
  // Control thread only.
  api::SessionAdd spec;
  uint64_t created_tsc = 0;       // media-timeout baseline: creation or last upsert
  bool timeout_reported = false;  // an event reached at least one client
};

// A packet of a transcoded direction on its way from a relay worker to a transcoding lcore: the
// frame (its UDP payload in the clear, UDP length set), the stream it arrived on and the config
// the worker decided with. Both outlive the job (session_table.h). A job without a frame is the
// session table's barrier number `barrier`.
struct TranscodeJob {
  rte_mbuf* m = nullptr;
  StreamState* stream = nullptr;
  const SessionConfig* config = nullptr;
  uint64_t barrier = 0;
};
static_assert(sizeof(TranscodeJob) % 4 == 0, "rte_ring element size");

// A port's local addresses as the table checks a leg's: its own, and its media addresses.
struct PortAddress {
  uint32_t ip_be = 0;
  Ipv4Range media;  // host order; first 0: none
};

// Transcoding lcores and what each can carry (in codec_weight units: kCostPerG711Call per
// PCMU<->PCMA call). None: a session that needs transcoding is refused (kUnsupported).
struct TranscodingLimits {
  uint32_t lcores = 0;
  uint32_t capacity = 0;  // per lcore
  uint32_t ring_size = 4096;
};

class SessionTable {
 public:
  // workers: number of reader threads (qsbr thread ids 0..workers-1). The table creates the
  // transcoders' job rings (transcode_ring) of `ring_size` jobs each.
  static std::expected<std::unique_ptr<SessionTable>, std::string> create(
      const std::string& name, uint32_t max_sessions, uint32_t workers,
      std::span<const PortAddress> ports, uint64_t tsc_hz, int socket_id,
      const SrtpLibrary* srtp = nullptr,  // null: sessions with SRTP are refused (kUnsupported)
      TranscodingLimits transcoding = {});
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // Workers.
  [[nodiscard]] const StreamIndex* index() const { return &index_; }
  [[nodiscard]] rte_rcu_qsbr* qsbr() const { return qsbr_; }
  // Transcoding lcore `t`'s job ring, and the last barrier it passed (it stores, the table reads).
  [[nodiscard]] rte_ring* transcode_ring(uint32_t t) const { return transcoders_[t].ring; }
  [[nodiscard]] std::atomic<uint64_t>* barrier_passed(uint32_t t) const {
    return transcoders_[t].passed.get();
  }

  // Control thread.
  api::Result upsert(const api::SessionAdd& add, uint64_t now_tsc);
  api::Status remove(uint64_t session_id);
  // Frees retired records (and index slots) whose grace period is over; returns how many records
  // are still waiting.
  size_t reclaim();
  [[nodiscard]] size_t size() const { return sessions_.size(); }
  [[nodiscard]] uint32_t capacity() const { return max_sessions_; }
  // Sessions with a direction that changes codec (on a transcoding lcore or by G.711's byte
  // conversion in the relay worker) now, and how many PCMU<->PCMA calls every transcoding lcore
  // together could carry (HelloReply.max_transcoded_sessions).
  [[nodiscard]] uint32_t transcoded_sessions() const { return transcoded_sessions_; }
  [[nodiscard]] uint32_t max_transcoded_sessions() const {
    return transcoding_.lcores * (transcoding_.capacity / kCostPerG711Call);
  }
  // Load of transcoding lcore `t` (codec_weight units).
  [[nodiscard]] uint32_t transcoder_load(uint32_t t) const { return transcoder_load_[t]; }
  [[nodiscard]] Session* find(uint64_t session_id) const;
  [[nodiscard]] const std::map<uint64_t, RtePtr<Session>>& sessions() const { return sessions_; }
  // Key slots in the index: 4 per session plus room for retired keys waiting for their grace
  // period.
  [[nodiscard]] static uint32_t index_keys(uint32_t max_sessions);

 private:
  SessionTable() = default;
  api::Result validate(const api::SessionAdd& add) const;
  RtePtr<SessionConfig> make_config(const api::SessionAdd& add,
                                    const SessionConfig* previous) const;
  // The SRTP snapshot for `add` (keeps unchanged or "keep" contexts of `session`, if any) in
  // `config`; fills `add`'s kept keys.
  api::Result attach_srtp(SessionConfig& config, api::SessionAdd& add,
                          const Session* session) const;
  // The transcoding snapshot for `add` in `config`, and the transcoding lcore that will carry it
  // in `transcoder` (the session's own when it has one): kNoResources when none has room.
  api::Result attach_transcode(SessionConfig& config, const api::SessionAdd& add,
                               const Session* session, uint8_t& transcoder) const;
  // The accounting of a session whose config goes from `before` to `after` (either null).
  void account(const SessionConfig* before, const SessionConfig* after, uint8_t transcoder);
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
    uint64_t barrier = 0;  // 0: the workers' grace period is not over yet
    RtePtr<Session> session;
    RtePtr<const SessionConfig> config;
  };
  struct TranscoderLink {
    rte_ring* ring = nullptr;
    std::unique_ptr<std::atomic<uint64_t>> passed;
    uint64_t sent = 0;  // the last barrier in its ring
  };
  // Barriers into every ring for the retired records past the workers' grace period.
  void send_barriers();

  StreamIndex index_;
  rte_rcu_qsbr* qsbr_ = nullptr;
  TranscodingLimits transcoding_;
  std::vector<TranscoderLink> transcoders_;
  uint64_t barriers_issued_ = 0;
  size_t retired_past_workers_ = 0;  // retired_[0, this) have their barrier
  std::vector<uint32_t> transcoder_load_;
  uint32_t transcoded_sessions_ = 0;
  uint32_t max_sessions_ = 0;
  uint64_t tsc_hz_ = 0;
  int socket_id_ = 0;
  const SrtpLibrary* srtp_ = nullptr;
  std::vector<PortAddress> ports_;
  std::map<uint64_t, RtePtr<Session>> sessions_;  // ordered: dump cursors are ids
  std::deque<Retired> retired_;
};

}  // namespace sbc::dp
