// Re-programs a (re)connected dataplane with sbcd's state: live media sessions, bans, trusted
// sources and the clean-up of sessions no call owns. A restarted dataplane has none of it.
//
// Batched and paced: entries go in Batch messages (api::Batch, up to `batch_items` entries and the
// negotiated message size each; a batch of one is sent as the plain request), with at most
// `window` batches in flight at once, refilled as replies arrive. A full table (50,000 sessions
// and 65,536 sources) is a few hundred messages, never meets the client's limit on pending
// requests, and the requests of calls set up meanwhile, sent straight to the client, wait behind
// at most `window` batches. Entries are built when their turn comes, from the state of that
// moment: a call that ended or a ban that was lifted in the meantime sends nothing. Lanes drain in
// order: sessions first (media is what users hear), then bans, then trusted sources, then
// clean-up. Each entry gets its own result (BatchReply): one refused entry fails only itself.
//
// A batch the client answers kOverloaded is sent again after a back-off (never reported to its
// owners: a live call is not torn down because the resync met a busy client); one that timed out
// is sent again up to kMaxTimeouts times per entry. A refusal by the dataplane, or an entry given
// up, is counted as failed and reported to its owner. When the connection goes away the resync is
// abandoned: the next connection starts over.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/dataplane_client.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/runtime/timer.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
}  // namespace prometheus

namespace sbc::cp {

class DataplaneResync {
 public:
  // Drained in this order.
  enum class Lane : uint8_t { kSessions, kBans, kTrusted, kCleanup };
  static constexpr size_t kLanes = 4;
  // Batches of the resync in flight at once: far below UnixDataplaneClient::kMaxPending (room for
  // live calls), enough to keep the dataplane busy while sbcd builds the next batch, and small
  // enough that the dataplane's replies never fill its socket buffer.
  static constexpr size_t kDefaultWindow = 4;
  // Entries per batch (also bounded by the negotiated message size). 1: no batching, every entry
  // its own request (as before protocol version 4; tools/bench/resync_bench compares both).
  static constexpr size_t kDefaultBatchItems = api::kMaxBatchItems;
  static constexpr std::chrono::milliseconds kMinBackoff{10};
  static constexpr std::chrono::milliseconds kMaxBackoff{1000};
  static constexpr uint32_t kMaxTimeouts = 3;

  struct Request {
    api::Message message;
    // Runs once with the final reply (after retries), unless the connection went away first.
    // May be empty.
    DataplaneClient::ReplyHandler on_reply;
  };
  // Builds entry `index` of a batch when its turn comes; nullopt: nothing to send any more.
  using Build = std::function<std::optional<Request>(size_t index)>;

  struct Progress {
    bool running = false;
    uint64_t resyncs = 0;    // begun (one per dataplane connection)
    uint64_t completed = 0;  // drained to the last entry
    size_t pending = 0;      // entries not answered yet: queued, in flight or waiting for a retry
    size_t in_flight = 0;    // entries sent and not answered yet
    uint64_t sent = 0;       // entries sent, retries included
    uint64_t batches = 0;    // messages sent for them (a Batch, or a plain request for one entry)
    uint64_t skipped = 0;    // entries with nothing to send any more by their turn
    uint64_t retried = 0;    // overloaded or timed out, sent again
    uint64_t failed = 0;     // refused by the dataplane, or given up
    std::chrono::milliseconds last_duration{0};  // of the last completed resync
  };

  // `registry`: where the sbc_dataplane_resync_* metrics go (none when null).
  DataplaneResync(DataplaneClient& dataplane, Scheduler& scheduler,
                  prometheus::Registry* registry = nullptr, size_t window = kDefaultWindow,
                  size_t batch_items = kDefaultBatchItems);
  ~DataplaneResync();
  DataplaneResync(const DataplaneResync&) = delete;
  DataplaneResync& operator=(const DataplaneResync&) = delete;

  // The connection came up: a new resync begins. Entries added until run() are only queued, so
  // the lanes' order holds from the first request.
  void begin();
  void run();
  // The connection went away: the queued entries are dropped and replies still due are ignored.
  void abort();
  // Queues `count` entries (`what` names them in logs), built one at a time by `build`.
  void add(Lane lane, std::string_view what, size_t count, Build build);

  [[nodiscard]] const Progress& progress() const { return progress_; }
  [[nodiscard]] size_t window() const { return window_; }  // batches
  [[nodiscard]] size_t batch_items() const { return batch_items_; }
  [[nodiscard]] size_t batches_in_flight() const { return batches_in_flight_; }

 private:
  struct Batch {
    std::string what;
    size_t count = 0;
    size_t next = 0;
    Build build;
  };
  struct Outstanding {
    Request request;
    uint32_t timeouts = 0;
  };
  struct Gauges;

  void pump();
  std::optional<Outstanding> take();
  // The next entries to send together (empty when there is nothing to send), with their items.
  std::vector<Outstanding> take_batch(std::vector<api::BatchItem>& items);
  void send(std::vector<Outstanding> entries, std::vector<api::BatchItem> items);
  void answered(std::vector<Outstanding> entries, DataplaneClient::Reply reply);
  // The round trip failed: a lost connection drops the entries (the next one starts over), an
  // overloaded dataplane or a timeout sends them again, other errors are their answer.
  void failed(std::vector<Outstanding> entries, DataplaneError error);
  // Overloaded: all are sent again first, in their order, after a back-off.
  void retry_overloaded(std::vector<Outstanding> entries);
  // Timed out: sent again up to kMaxTimeouts times each, then answered kTimeout.
  void retry_timed_out(std::vector<Outstanding> entries);
  // The reply to a Batch: one result per entry, or one Result for all; anything else is
  // kBadReply for each.
  void answered_batch(std::vector<Outstanding> entries, api::Message reply);
  void answered_one(Outstanding entry, DataplaneClient::Reply reply);
  void back_off();
  void maybe_finish();
  void publish();

  DataplaneClient& dataplane_;
  Scheduler& scheduler_;
  size_t window_;
  size_t batch_items_;
  size_t batches_in_flight_ = 0;
  std::array<std::deque<Batch>, kLanes> lanes_;
  std::deque<Outstanding> retries_;  // sent again before anything new
  size_t queued_ = 0;                // entries in lanes_ not built yet
  bool collecting_ = false;          // between begin() and run()
  bool paused_ = false;              // backing off
  Timer backoff_timer_;
  std::chrono::milliseconds backoff_ = kMinBackoff;
  uint64_t generation_ = 0;  // bumps on abort(): replies of an abandoned resync are ignored
  Scheduler::Clock::time_point started_{};
  Progress progress_;
  Progress at_begin_;  // progress_ when the current resync began (for its log line)
  std::unique_ptr<Gauges> metrics_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // replies after destruction: ignored
};

[[nodiscard]] std::string_view to_string(DataplaneResync::Lane lane);

}  // namespace sbc::cp
