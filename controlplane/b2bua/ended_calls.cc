#include "controlplane/b2bua/ended_calls.h"

#include <utility>

namespace sbc::cp {

void EndedCalls::add(EndedCall call, Retention retention, Scheduler::Clock::time_point now) {
  expire(now);
  if (capacity_ == 0) {
    ++evicted_;
    return;
  }
  while (size() >= capacity_) pop_oldest(now);
  auto& queue = queues_[retention == Retention::kLinger ? 0 : 1];
  EndedCall& stored = queue.emplace_back(std::move(call));
  // A newer record takes over a key (a caller reusing a Call-ID); the older one keeps its own
  // expiry and, when it goes, leaves the newer one's index entry alone. The entry is made anew so
  // its key views the newer record's string: the older record's dies with it.
  const auto index = [&stored](auto& map, const std::string& key) {
    if (key.empty()) return;
    map.erase(std::string_view(key));
    map.emplace(std::string_view(key), &stored);
  };
  index(by_caller_, stored.caller_key);
  index(by_callee_, stored.callee_call_id);
}

EndedCall* EndedCalls::find_caller(std::string_view caller_key, Scheduler::Clock::time_point now) {
  auto it = by_caller_.find(caller_key);
  return it == by_caller_.end() || it->second->expires <= now ? nullptr : it->second;
}

EndedCall* EndedCalls::find_callee(std::string_view call_id, Scheduler::Clock::time_point now) {
  auto it = by_callee_.find(call_id);
  return it == by_callee_.end() || it->second->expires <= now ? nullptr : it->second;
}

void EndedCalls::expire(Scheduler::Clock::time_point now) {
  for (auto& queue : queues_) {
    while (!queue.empty() && queue.front().expires <= now) pop(queue);
  }
}

void EndedCalls::set_capacity(size_t capacity, Scheduler::Clock::time_point now) {
  capacity_ = capacity;
  expire(now);
  while (size() > capacity_) pop_oldest(now);
}

// Of the two queue fronts (each the oldest of its class), the one that expires first goes.
void EndedCalls::pop_oldest(Scheduler::Clock::time_point now) {
  auto& linger = queues_[0];
  auto& lasting = queues_[1];
  auto& victim =
      lasting.empty() || (!linger.empty() && linger.front().expires <= lasting.front().expires)
          ? linger
          : lasting;
  if (victim.front().expires > now) ++evicted_;
  pop(victim);
}

void EndedCalls::pop(std::deque<EndedCall>& queue) {
  EndedCall& gone = queue.front();
  if (auto it = by_caller_.find(gone.caller_key); it != by_caller_.end() && it->second == &gone) {
    by_caller_.erase(it);
  }
  if (auto it = by_callee_.find(gone.callee_call_id);
      it != by_callee_.end() && it->second == &gone) {
    by_callee_.erase(it);
  }
  queue.pop_front();
}

}  // namespace sbc::cp
