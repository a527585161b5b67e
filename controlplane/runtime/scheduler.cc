#include "controlplane/runtime/scheduler.h"

namespace sbc::cp {

AsioScheduler::~AsioScheduler() {
  for (auto& [id, timer] : timers_) timer->cancel();
}

Scheduler::TimerId AsioScheduler::schedule(std::chrono::milliseconds delay,
                                           std::function<void()> fn) {
  const TimerId id = next_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, delay);
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    // A timer cancelled after it expired but before this handler ran still completes without an
    // error: the missing entry is what says it was cancelled.
    if (ec || timers_.erase(id) == 0) return;
    fn();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void AsioScheduler::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

}  // namespace sbc::cp
