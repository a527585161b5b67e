// One timed measurement of sbc-bench: worker (or library) time only.
#pragma once

#include <cstdint>

namespace sbc::dp::bench {

// TSC cycles spent inside the timed step, and the packets it handled.
struct Result {
  uint64_t packets = 0;
  uint64_t cycles = 0;
  double hz = 1;
  [[nodiscard]] double mpps() const { return packets / (cycles / hz) / 1e6; }
  [[nodiscard]] double ns_per_packet() const { return cycles / hz * 1e9 / packets; }
  [[nodiscard]] double cycles_per_packet() const { return static_cast<double>(cycles) / packets; }
};

// The fastest of two results (the lower cost per packet): on a shared or virtual machine a round
// can lose the core or the memory bus to a neighbour, never gain.
inline Result fastest(const Result& a, const Result& b) {
  return a.packets == 0 || b.cycles_per_packet() < a.cycles_per_packet() ? b : a;
}

}  // namespace sbc::dp::bench
