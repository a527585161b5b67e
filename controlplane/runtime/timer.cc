#include "controlplane/runtime/timer.h"

#include <utility>

namespace sbc::cp {

Timer::Timer(Scheduler& scheduler, std::chrono::milliseconds delay, std::function<void()> fn)
    : pending_(std::make_shared<Pending>(Pending{&scheduler})) {
  pending_->id = scheduler.schedule(delay, [pending = pending_, fn = std::move(fn)] {
    pending->id = 0;  // fired: the handle is disarmed before `fn` may re-arm or destroy it
    fn();
  });
}

Timer& Timer::operator=(Timer&& other) noexcept {
  if (this != &other) {
    cancel();
    pending_ = std::move(other.pending_);
  }
  return *this;
}

void Timer::cancel() {
  if (!pending_) return;
  if (pending_->id != 0) pending_->scheduler->cancel(pending_->id);
  pending_.reset();
}

}  // namespace sbc::cp
