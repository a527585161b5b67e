// Media port allocator: even RTP ports (RTCP = RTP + 1) from the [media] range, one pool per
// dataplane port, O(1) allocate and release.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <memory>
#include <string_view>
#include <vector>

namespace sbc::cp {

enum class MediaPortError : uint8_t {
  kExhausted,     // every pair of this dataplane port is in use
  kNotAllocated,  // release of a port that is not in use (or outside the range)
};
std::string_view to_string(MediaPortError error);

class MediaPortAllocator {
 public:
  // port_min even, port_max >= port_min + 1 (validated by the config).
  MediaPortAllocator(uint16_t port_min, uint16_t port_max);

  // An even RTP port on `dataplane_port`; the least recently released one first, so a port's
  // stale packets from a previous call have the longest time to drain.
  std::expected<uint16_t, MediaPortError> allocate(uint8_t dataplane_port);
  std::expected<void, MediaPortError> release(uint8_t dataplane_port, uint16_t rtp_port);
  // Takes a given pair out of the free pool: the ports of a call adopted after a restart.
  // kNotAllocated: outside the range or odd; kExhausted: already in use.
  std::expected<void, MediaPortError> claim(uint8_t dataplane_port, uint16_t rtp_port);

  [[nodiscard]] size_t capacity() const { return pairs_; }
  [[nodiscard]] size_t in_use(uint8_t dataplane_port) const;

 private:
  // A FIFO ring of free pair indices plus an in-use flag per pair (catches double release).
  struct Pool {
    std::vector<uint16_t> ring;
    std::vector<bool> used;
    std::vector<uint16_t> slot;  // ring position of each free pair (claim)
    size_t head = 0;
    size_t free_count = 0;
  };
  Pool& pool(uint8_t dataplane_port);

  uint16_t port_min_;
  size_t pairs_;
  std::array<std::unique_ptr<Pool>, 256> pools_{};  // created on first use
};

}  // namespace sbc::cp
