#include "controlplane/media/media_ports.h"

namespace sbc::cp {

std::string_view to_string(MediaPortError error) {
  switch (error) {
    case MediaPortError::kExhausted: return "media port range exhausted";
    case MediaPortError::kNotAllocated: return "media port not allocated";
  }
  return "unknown";
}

MediaPortAllocator::MediaPortAllocator(uint16_t port_min, uint16_t port_max)
    : port_min_(port_min), pairs_((static_cast<size_t>(port_max) + 1 - port_min) / 2) {}

MediaPortAllocator::Pool& MediaPortAllocator::pool(uint8_t dataplane_port) {
  auto& slot = pools_[dataplane_port];
  if (!slot) {
    slot = std::make_unique<Pool>();
    slot->ring.resize(pairs_);
    slot->used.assign(pairs_, false);
    slot->slot.resize(pairs_);
    for (size_t i = 0; i < pairs_; ++i) slot->ring[i] = slot->slot[i] = static_cast<uint16_t>(i);
    slot->free_count = pairs_;
  }
  return *slot;
}

std::expected<uint16_t, MediaPortError> MediaPortAllocator::allocate(uint8_t dataplane_port) {
  Pool& p = pool(dataplane_port);
  if (p.free_count == 0) return std::unexpected(MediaPortError::kExhausted);
  const uint16_t pair = p.ring[p.head];
  p.head = (p.head + 1) % pairs_;
  --p.free_count;
  p.used[pair] = true;
  return static_cast<uint16_t>(port_min_ + 2 * pair);
}

std::expected<void, MediaPortError> MediaPortAllocator::release(uint8_t dataplane_port,
                                                                uint16_t rtp_port) {
  if (rtp_port < port_min_ || (rtp_port - port_min_) % 2 != 0) {
    return std::unexpected(MediaPortError::kNotAllocated);
  }
  const size_t pair = (rtp_port - port_min_) / 2;
  if (pair >= pairs_ || !pools_[dataplane_port])
    return std::unexpected(MediaPortError::kNotAllocated);
  Pool& p = *pools_[dataplane_port];
  if (!p.used[pair]) return std::unexpected(MediaPortError::kNotAllocated);
  p.used[pair] = false;
  const size_t at = (p.head + p.free_count) % pairs_;
  p.ring[at] = static_cast<uint16_t>(pair);
  p.slot[pair] = static_cast<uint16_t>(at);
  ++p.free_count;
  return {};
}

std::expected<void, MediaPortError> MediaPortAllocator::claim(uint8_t dataplane_port,
                                                              uint16_t rtp_port) {
  if (rtp_port < port_min_ || (rtp_port - port_min_) % 2 != 0) {
    return std::unexpected(MediaPortError::kNotAllocated);
  }
  const size_t pair = (rtp_port - port_min_) / 2;
  if (pair >= pairs_) return std::unexpected(MediaPortError::kNotAllocated);
  Pool& p = pool(dataplane_port);
  if (p.used[pair]) return std::unexpected(MediaPortError::kExhausted);
  // Swap the pair to the head of the free ring, then take it as allocate() would.
  const size_t at = p.slot[pair];
  const uint16_t head_pair = p.ring[p.head];
  p.ring[at] = head_pair;
  p.slot[head_pair] = static_cast<uint16_t>(at);
  p.ring[p.head] = static_cast<uint16_t>(pair);
  p.head = (p.head + 1) % pairs_;
  --p.free_count;
  p.used[pair] = true;
  return {};
}

size_t MediaPortAllocator::in_use(uint8_t dataplane_port) const {
  const auto& slot = pools_[dataplane_port];
  return slot ? pairs_ - slot->free_count : 0;
}

}  // namespace sbc::cp
