// A timer owned like any other resource: the Timer handle holds one pending Scheduler timer and
// cancels it when it goes away, is re-armed or is cancelled; a fired or cancelled timer is
// disarmed. Move-only: a moved-from handle holds nothing and cancels nothing.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "controlplane/runtime/scheduler.h"

namespace sbc::cp {

class Timer {
 public:
  Timer() = default;
  // Arms `fn` to run once after `delay` on `scheduler`, which must outlive the handle.
  Timer(Scheduler& scheduler, std::chrono::milliseconds delay, std::function<void()> fn);
  Timer(Timer&& other) noexcept = default;
  // Cancels what this handle held, then takes over `other`'s timer.
  Timer& operator=(Timer&& other) noexcept;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { cancel(); }

  // Stops the timer if it is still pending; a no-op when disarmed (also from its own callback).
  void cancel();
  // Pending: armed and neither fired nor cancelled. False while its own callback runs.
  [[nodiscard]] bool armed() const { return pending_ && pending_->id != 0; }

 private:
  // Shared with the scheduled callback, which clears `id` when it fires, so the handle knows its
  // timer is gone wherever the handle has moved to.
  struct Pending {
    Scheduler* scheduler;
    Scheduler::TimerId id = 0;
  };
  std::shared_ptr<Pending> pending_;
};

}  // namespace sbc::cp
