// A sliding-window event count in fixed memory: the window is split into kSlots slots; the count
// covers the current slot and the kSlots - 1 before it, so it forgets an event between
// (kSlots - 1) and kSlots slot lengths after it happened. Slot numbers come from the caller
// (time since the clock's epoch divided by the slot length) and must not go backwards.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace sbc::cp {

template <size_t kSlots>
class WindowCounter {
 public:
  void add(int64_t slot, uint32_t n = 1) {
    advance(slot);
    uint32_t& c = counts_[index(head_)];
    c = n > std::numeric_limits<uint32_t>::max() - c ? std::numeric_limits<uint32_t>::max() : c + n;
  }
  [[nodiscard]] uint32_t total(int64_t slot) const {
    if (head_ == kNever || slot - head_ >= static_cast<int64_t>(kSlots)) return 0;
    uint64_t sum = 0;
    // Slots (slot - kSlots, head_] are inside the window; head_ <= slot.
    const int64_t first =
        std::max(head_ - static_cast<int64_t>(kSlots) + 1, slot - static_cast<int64_t>(kSlots) + 1);
    for (int64_t s = first; s <= head_; ++s) sum += counts_[index(s)];
    return static_cast<uint32_t>(std::min<uint64_t>(sum, std::numeric_limits<uint32_t>::max()));
  }
  void clear() {
    counts_.fill(0);
    head_ = kNever;
  }

 private:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::min();
  static size_t index(int64_t slot) {
    const int64_t m = slot % static_cast<int64_t>(kSlots);
    return static_cast<size_t>(m < 0 ? m + static_cast<int64_t>(kSlots) : m);
  }
  void advance(int64_t slot) {
    if (head_ != kNever && slot <= head_) return;  // same slot (or a clock that went back)
    if (head_ == kNever || slot - head_ >= static_cast<int64_t>(kSlots)) {
      counts_.fill(0);
    } else {
      for (int64_t s = head_ + 1; s <= slot; ++s) counts_[index(s)] = 0;
    }
    head_ = slot;
  }

  std::array<uint32_t, kSlots> counts_{};
  int64_t head_ = kNever;
};

}  // namespace sbc::cp
