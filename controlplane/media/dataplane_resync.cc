#include "controlplane/media/dataplane_resync.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace sbc::cp {

std::string_view to_string(DataplaneResync::Lane lane) {
  switch (lane) {
    case DataplaneResync::Lane::kSessions: return "sessions";
    case DataplaneResync::Lane::kBans: return "bans";
    case DataplaneResync::Lane::kTrusted: return "trusted";
    case DataplaneResync::Lane::kCleanup: return "cleanup";
  }
  return "unknown";
}

struct DataplaneResync::Gauges {
  explicit Gauges(prometheus::Registry& registry)
      : running(prometheus::BuildGauge()
                    .Name("sbc_dataplane_resync_running")
                    .Help("1 while sbcd re-programs a (re)connected dataplane")
                    .Register(registry)
                    .Add({})),
        pending(prometheus::BuildGauge()
                    .Name("sbc_dataplane_resync_pending")
                    .Help("Entries (sessions, bans, trusted sources) still to re-program")
                    .Register(registry)
                    .Add({})),
        in_flight(prometheus::BuildGauge()
                      .Name("sbc_dataplane_resync_in_flight")
                      .Help("Resync entries sent and not answered yet")
                      .Register(registry)
                      .Add({})),
        last_duration(prometheus::BuildGauge()
                          .Name("sbc_dataplane_resync_last_duration_seconds")
                          .Help("How long the last completed resync took")
                          .Register(registry)
                          .Add({})),
        messages(prometheus::BuildCounter()
                     .Name("sbc_dataplane_resync_messages_total")
                     .Help("Control messages the resyncs sent: Batch messages, and single "
                           "requests for entries a Batch cannot carry")
                     .Register(registry)
                     .Add({})),
        resyncs(prometheus::BuildCounter()
                    .Name("sbc_dataplane_resyncs_total")
                    .Help("Resyncs begun (one per dataplane connection)")
                    .Register(registry)
                    .Add({})),
        requests(prometheus::BuildCounter()
                     .Name("sbc_dataplane_resync_requests_total")
                     .Help("Resync entries by outcome: ok, failed (refused or given up), retried "
                           "(overloaded or timed out, sent again), skipped (nothing to send any "
                           "more)")
                     .Register(registry)),
        ok(requests.Add({{"result", "ok"}})),
        failed(requests.Add({{"result", "failed"}})),
        retried(requests.Add({{"result", "retried"}})),
        skipped(requests.Add({{"result", "skipped"}})) {}

  prometheus::Gauge& running;
  prometheus::Gauge& pending;
  prometheus::Gauge& in_flight;
  prometheus::Gauge& last_duration;
  prometheus::Counter& messages;
  prometheus::Counter& resyncs;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Counter& ok;
  prometheus::Counter& failed;
  prometheus::Counter& retried;
  prometheus::Counter& skipped;
};

DataplaneResync::DataplaneResync(DataplaneClient& dataplane, Scheduler& scheduler,
                                 prometheus::Registry* registry, size_t window, size_t batch_items)
    : dataplane_(dataplane),
      scheduler_(scheduler),
      window_(std::max<size_t>(window, 1)),
      batch_items_(std::clamp<size_t>(batch_items, 1, api::kMaxBatchItems)) {
  if (registry != nullptr) metrics_ = std::make_unique<Gauges>(*registry);
}

DataplaneResync::~DataplaneResync() = default;

void DataplaneResync::begin() {
  if (progress_.running) abort();
  collecting_ = true;
  started_ = scheduler_.now();
  progress_.running = true;
  ++progress_.resyncs;
  at_begin_ = progress_;
  if (metrics_) metrics_->resyncs.Increment();
  publish();
}

void DataplaneResync::run() {
  collecting_ = false;
  size_t per_lane[kLanes] = {};
  for (size_t l = 0; l < kLanes; ++l) {
    for (const Batch& b : lanes_[l]) per_lane[l] += b.count;
  }
  spdlog::info(
      "dataplane: resync of {} sessions, {} bans, {} trusted sources ({} batches of up to {} in "
      "flight at most)",
      per_lane[0], per_lane[1], per_lane[2], window_, batch_items_);
  pump();
}

void DataplaneResync::abort() {
  ++generation_;
  for (auto& lane : lanes_) lane.clear();
  retries_.clear();
  queued_ = 0;
  collecting_ = false;
  paused_ = false;
  backoff_timer_.cancel();
  backoff_ = kMinBackoff;
  if (progress_.running && progress_.pending > 0) {
    spdlog::warn("dataplane: resync abandoned with {} entries left (connection lost)",
                 progress_.pending);
  }
  progress_.running = false;
  progress_.in_flight = 0;
  batches_in_flight_ = 0;
  publish();
}

void DataplaneResync::add(Lane lane, std::string_view what, size_t count, Build build) {
  if (count == 0) return;
  if (!progress_.running) {
    // Work found after the resync completed (a later page of the session dump): it extends it.
    progress_.running = true;
    started_ = scheduler_.now();
    at_begin_ = progress_;
  }
  lanes_[static_cast<size_t>(lane)].push_back(Batch{std::string(what), count, 0, std::move(build)});
  queued_ += count;
  publish();
  if (!collecting_) pump();
}

void DataplaneResync::pump() {
  if (!collecting_ && !paused_ && dataplane_.connected()) {
    while (batches_in_flight_ < window_) {
      std::vector<api::BatchItem> items;
      std::vector<Outstanding> entries = take_batch(items);
      if (entries.empty()) break;
      send(std::move(entries), std::move(items));
    }
  }
  publish();
  maybe_finish();
}

std::optional<DataplaneResync::Outstanding> DataplaneResync::take() {
  if (!retries_.empty()) {
    Outstanding entry = std::move(retries_.front());
    retries_.pop_front();
    return entry;
  }
  for (auto& lane : lanes_) {
    while (!lane.empty()) {
      Batch& batch = lane.front();
      if (batch.next >= batch.count) {
        lane.pop_front();
        continue;
      }
      const size_t index = batch.next++;
      --queued_;
      std::optional<Request> request = batch.build(index);
      if (request) return Outstanding{std::move(*request), 0};
      ++progress_.skipped;
      if (metrics_) metrics_->skipped.Increment();
    }
  }
  return std::nullopt;
}

std::vector<DataplaneResync::Outstanding> DataplaneResync::take_batch(
    std::vector<api::BatchItem>& items) {
  const size_t limit = std::min<size_t>(dataplane_.max_message_size(), api::kMaxMessageSize);
  size_t size = api::kBatchOverhead;
  std::vector<Outstanding> entries;
  while (entries.size() < batch_items_) {
    std::optional<Outstanding> next = take();
    if (!next) break;
    std::optional<api::BatchItem> item = api::to_batch_item(next->request.message);
    const size_t item_size = item ? api::batch_item_size(*item) : 0;
    if (!entries.empty() && (!item || size + item_size > limit)) {
      retries_.push_front(std::move(*next));  // first of the next batch
      break;
    }
    entries.push_back(std::move(*next));
    if (!item) break;  // sent on its own, as the plain request
    size += item_size;
    items.push_back(std::move(*item));
  }
  return entries;
}

void DataplaneResync::send(std::vector<Outstanding> entries, std::vector<api::BatchItem> items) {
  ++batches_in_flight_;
  ++progress_.batches;
  if (metrics_) metrics_->messages.Increment();
  progress_.in_flight += entries.size();
  progress_.sent += entries.size();
  // One entry goes as the plain request: what a dataplane answers for it is exactly that reply.
  api::Message message = entries.size() == 1 ? entries.front().request.message
                                             : api::Message{api::Batch{std::move(items)}};
  dataplane_.request(std::move(message),
                     [this, alive = std::weak_ptr<char>(alive_), generation = generation_,
                      entries = std::move(entries)](DataplaneClient::Reply reply) mutable {
                       if (alive.expired() || generation != generation_) return;
                       --batches_in_flight_;
                       progress_.in_flight -= entries.size();
                       answered(std::move(entries), std::move(reply));
                       pump();
                     });
}

void DataplaneResync::answered(std::vector<Outstanding> entries, DataplaneClient::Reply reply) {
  if (!reply) {
    failed(std::move(entries), reply.error());
    return;
  }
  if (entries.size() == 1) {
    answered_one(std::move(entries.front()), std::move(reply));
    return;
  }
  backoff_ = kMinBackoff;
  answered_batch(std::move(entries), std::move(*reply));
}

void DataplaneResync::failed(std::vector<Outstanding> entries, DataplaneError error) {
  switch (error) {
    case DataplaneError::kNotConnected:
    case DataplaneError::kDisconnected:
      // The connection is going away: abort() follows and the next connection starts over.
      return;
    case DataplaneError::kOverloaded: retry_overloaded(std::move(entries)); return;
    case DataplaneError::kTimeout: retry_timed_out(std::move(entries)); return;
    case DataplaneError::kEncode:
    case DataplaneError::kBadReply: break;
  }
  for (Outstanding& entry : entries) answered_one(std::move(entry), std::unexpected(error));
}

void DataplaneResync::retry_overloaded(std::vector<Outstanding> entries) {
  progress_.retried += entries.size();
  if (metrics_) metrics_->retried.Increment(static_cast<double>(entries.size()));
  // Sent again first, in their order.
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    retries_.push_front(std::move(*it));
  }
  back_off();
}

void DataplaneResync::retry_timed_out(std::vector<Outstanding> entries) {
  bool again = false;
  for (Outstanding& entry : entries) {
    if (++entry.timeouts <= kMaxTimeouts) {
      ++progress_.retried;
      if (metrics_) metrics_->retried.Increment();
      retries_.push_back(std::move(entry));
      again = true;
    } else {
      answered_one(std::move(entry), std::unexpected(DataplaneError::kTimeout));
    }
  }
  if (again) back_off();
}

void DataplaneResync::answered_batch(std::vector<Outstanding> entries, api::Message reply) {
  if (auto* batch = std::get_if<api::BatchReply>(&reply);
      batch != nullptr && batch->results.size() == entries.size()) {
    for (size_t i = 0; i < entries.size(); ++i) {
      answered_one(std::move(entries[i]), api::Message{std::move(batch->results[i])});
    }
    return;
  }
  if (const auto* result = std::get_if<api::Result>(&reply)) {
    // The batch as a whole was refused: that answer is every entry's.
    for (Outstanding& entry : entries) answered_one(std::move(entry), api::Message{*result});
    return;
  }
  spdlog::warn("dataplane: resync batch of {} answered with {}", entries.size(),
               api::to_string(api::type_of(reply)));
  for (Outstanding& entry : entries) {
    answered_one(std::move(entry), std::unexpected(DataplaneError::kBadReply));
  }
}

void DataplaneResync::answered_one(Outstanding entry, DataplaneClient::Reply reply) {
  if (!reply) {
    ++progress_.failed;
    if (metrics_) metrics_->failed.Increment();
    spdlog::warn("dataplane: resync {} failed: {}",
                 api::to_string(api::type_of(entry.request.message)), to_string(reply.error()));
  } else {
    const auto* result = std::get_if<api::Result>(&*reply);
    // kNotFound answers a delete of something the dataplane does not have: done as well.
    if (result != nullptr && result->status != api::Status::kOk &&
        result->status != api::Status::kNotFound) {
      ++progress_.failed;
      if (metrics_) metrics_->failed.Increment();
    } else {
      if (metrics_) metrics_->ok.Increment();
    }
    backoff_ = kMinBackoff;
  }
  if (entry.request.on_reply) entry.request.on_reply(std::move(reply));
}

void DataplaneResync::back_off() {
  if (paused_) return;
  paused_ = true;
  backoff_timer_ = Timer(scheduler_, backoff_, [this] {
    paused_ = false;
    pump();
  });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void DataplaneResync::maybe_finish() {
  if (!progress_.running || collecting_ || progress_.in_flight > 0 || !retries_.empty() ||
      queued_ > 0) {
    return;
  }
  for (auto& lane : lanes_) lane.clear();
  progress_.running = false;
  ++progress_.completed;
  progress_.last_duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(scheduler_.now() - started_);
  spdlog::info(
      "dataplane: resync done in {} ms ({} sent in {} messages, {} retried, {} failed, {} "
      "skipped)",
      progress_.last_duration.count(), progress_.sent - at_begin_.sent,
      progress_.batches - at_begin_.batches, progress_.retried - at_begin_.retried,
      progress_.failed - at_begin_.failed, progress_.skipped - at_begin_.skipped);
  publish();
}

void DataplaneResync::publish() {
  progress_.pending = queued_ + retries_.size() + progress_.in_flight;
  if (!metrics_) return;
  metrics_->running.Set(progress_.running ? 1 : 0);
  metrics_->pending.Set(static_cast<double>(progress_.pending));
  metrics_->in_flight.Set(static_cast<double>(progress_.in_flight));
  metrics_->last_duration.Set(static_cast<double>(progress_.last_duration.count()) / 1000.0);
}

}  // namespace sbc::cp
