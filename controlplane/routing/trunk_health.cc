#include "controlplane/routing/trunk_health.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sbc::cp {

std::string_view to_string(TrunkState state) {
  switch (state) {
    case TrunkState::kUnmonitored: return "unmonitored";
    case TrunkState::kUnknown: return "unknown";
    case TrunkState::kUp: return "up";
    case TrunkState::kDown: return "down";
  }
  return "unknown";
}

TrunkHealth::TrunkHealth(const std::vector<TrunkConfig>& trunks) : trunks_(trunks) {
  reconfigure();
}

TrunkStatus TrunkHealth::initial(const TrunkConfig& trunk) {
  TrunkStatus status;
  status.state = trunk.qualify.enabled() ? TrunkState::kUnknown : TrunkState::kUnmonitored;
  return status;
}

void TrunkHealth::reconfigure() {
  std::vector<Known> previous = std::move(known_);
  for (size_t i = 0; i < status_.size() && i < previous.size(); ++i) {
    previous[i].status = status_[i];
  }
  known_.clear();
  status_.clear();
  for (const TrunkConfig& trunk : trunks_) {
    TrunkStatus status = initial(trunk);
    for (const Known& old : previous) {
      const TrunkConfig& c = old.config;
      if (c.name == trunk.name && c.host == trunk.host && c.port == trunk.port &&
          c.transport == trunk.transport && c.qualify == trunk.qualify) {
        status = old.status;
      }
    }
    known_.push_back({trunk, status});
    status_.push_back(status);
  }
}

void TrunkHealth::change(size_t trunk, TrunkState state, WallTime now) {
  TrunkStatus& s = status_[trunk];
  if (state == TrunkState::kDown) {
    spdlog::warn("trunk {}: down after {} failed pings ({})", trunks_[trunk].name,
                 s.failures_in_row, s.last_failure);
  } else {
    spdlog::info("trunk {}: up ({} ms)", trunks_[trunk].name, s.latency ? s.latency->count() : 0);
  }
  s.state = state;
  s.changed_at = now;
}

void TrunkHealth::hold(size_t trunk, std::chrono::seconds retry_after, SteadyTime now) {
  if (trunk >= status_.size()) return;
  const std::chrono::seconds hold = std::min(retry_after, kMaxHold);
  spdlog::warn("trunk {}: held out of routing for {} s (503 with Retry-After: {})",
               trunks_[trunk].name, hold.count(), retry_after.count());
  status_[trunk].held_until = now + hold;
}

bool TrunkHealth::answered(size_t trunk, std::chrono::milliseconds latency, WallTime now) {
  if (trunk >= status_.size()) return false;
  TrunkStatus& s = status_[trunk];
  s.latency = latency;
  ++s.pings_answered;
  ++s.answers_in_row;
  s.failures_in_row = 0;
  const bool up =
      s.state == TrunkState::kUnknown ||
      (s.state == TrunkState::kDown && s.answers_in_row >= trunks_[trunk].qualify.successes);
  if (up) change(trunk, TrunkState::kUp, now);
  return up;
}

bool TrunkHealth::failed(size_t trunk, std::string reason, WallTime now) {
  if (trunk >= status_.size()) return false;
  TrunkStatus& s = status_[trunk];
  s.last_failure = std::move(reason);
  s.last_failure_at = now;
  ++s.pings_failed;
  ++s.failures_in_row;
  s.answers_in_row = 0;
  const bool down = (s.state == TrunkState::kUnknown || s.state == TrunkState::kUp) &&
                    s.failures_in_row >= trunks_[trunk].qualify.failures;
  if (down) change(trunk, TrunkState::kDown, now);
  return down;
}

}  // namespace sbc::cp
