// Whether each trunk can take calls, from its qualify pings (b2bua/trunk_qualify.h sends them and
// reports each verdict here). Hysteresis as Kamailio's dispatcher and Asterisk's qualify have it:
// a trunk goes down after `qualify_failures` failed pings in a row and comes back after
// `qualify_successes` answered ones in a row; its first answer marks a trunk never judged up at
// once. A trunk without qualify is never judged: always available. The router skips a down
// trunk (router.h); `show trunks` and the sbc_trunk_* metrics show the state, the last ping's
// latency and the last failure.
//
// A trunk that answers a call's INVITE with 503 and Retry-After is also held out of routing for
// that long (RFC 3261 §21.5.4; b2bua/trunk_failover.h), whatever its qualify state.
//
// Single-threaded, like the router that owns it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/routing/trunk_settings.h"

namespace sbc::cp {

enum class TrunkState : uint8_t {
  kUnmonitored,  // qualify off: taken to be up
  kUnknown,      // qualified, no verdict yet: available
  kUp,
  kDown,  // skipped by routing
};
[[nodiscard]] std::string_view to_string(TrunkState state);

struct TrunkStatus {
  TrunkState state = TrunkState::kUnmonitored;
  std::optional<std::chrono::milliseconds> latency;  // of the last answered ping
  std::string last_failure;                          // "timeout", "503 Service Unavailable", ...
  std::optional<std::chrono::system_clock::time_point> last_failure_at;
  std::optional<std::chrono::system_clock::time_point> changed_at;  // the last up/down change
  uint32_t failures_in_row = 0;
  uint32_t answers_in_row = 0;
  uint64_t pings_answered = 0;
  uint64_t pings_failed = 0;
  // Until when a 503's Retry-After holds the trunk out of routing.
  std::optional<std::chrono::steady_clock::time_point> held_until;
};

class TrunkHealth {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using SteadyTime = std::chrono::steady_clock::time_point;
  // The longest a Retry-After holds a trunk: a carrier's misconfigured hour-long value should
  // not take it out for a day.
  static constexpr std::chrono::seconds kMaxHold{3600};

  // `trunks` is the running configuration's, reassigned in place by a reload (then
  // reconfigure()).
  explicit TrunkHealth(const std::vector<TrunkConfig>& trunks);

  // A ping to trunk `trunk` (index into the trunks) was answered after `latency` (any final
  // response but 408 and 5xx: the carrier is there, even if it refuses OPTIONS). True when this
  // changed the trunk's state.
  bool answered(size_t trunk, std::chrono::milliseconds latency, WallTime now);
  // A ping failed: `reason` is "timeout", "transport error" or the response's status line.
  bool failed(size_t trunk, std::string reason, WallTime now);

  // A call's INVITE got 503 with Retry-After `retry_after` from the trunk: no new calls to it
  // until then (at most kMaxHold).
  void hold(size_t trunk, std::chrono::seconds retry_after, SteadyTime now);

  // Its qualify pings leave the trunk up (or it has none): it is not down.
  [[nodiscard]] bool available(size_t trunk) const {
    return trunk >= status_.size() || status_[trunk].state != TrunkState::kDown;
  }
  // Held by a Retry-After at `now`.
  [[nodiscard]] bool held(size_t trunk, SteadyTime now) const {
    return trunk < status_.size() && status_[trunk].held_until && now < *status_[trunk].held_until;
  }
  // Routing may send a new call to the trunk at `now`: not down, not held.
  [[nodiscard]] bool routable(size_t trunk, SteadyTime now) const {
    return available(trunk) && !held(trunk, now);
  }
  [[nodiscard]] const TrunkStatus& status(size_t trunk) const { return status_.at(trunk); }
  [[nodiscard]] size_t size() const { return status_.size(); }

  // The trunks were reassigned: a trunk keeps its status when its name, address, transport and
  // qualify settings stayed; anything else starts again (unknown, or unmonitored without qualify).
  void reconfigure();

 private:
  struct Known {
    TrunkConfig config;
    TrunkStatus status;
  };
  [[nodiscard]] static TrunkStatus initial(const TrunkConfig& trunk);
  void change(size_t trunk, TrunkState state, WallTime now);

  const std::vector<TrunkConfig>& trunks_;
  std::vector<Known> known_;         // what reconfigure() compares with, by index
  std::vector<TrunkStatus> status_;  // by trunk index
};

}  // namespace sbc::cp
