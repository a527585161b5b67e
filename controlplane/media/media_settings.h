// Media settings: [media].
#pragma once

#include <cstdint>

namespace sbc::cp {

struct MediaConfig {
  uint16_t port_min = 20000;
  uint16_t port_max = 29999;
  uint32_t timeout_s = 60;  // 0: never
  uint32_t latch_window_ms = 2000;
  uint32_t max_packet_rate = 0;  // packets/s per stream a session may receive; 0: no ceiling
  bool operator==(const MediaConfig&) const = default;
};

}  // namespace sbc::cp
