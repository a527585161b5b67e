// A held media port pair (RTP, RTCP = RTP + 1) of one dataplane port: released to its
// MediaPortAllocator when the lease goes. Move-only; the allocator must outlive its leases.
#pragma once

#include <cstdint>
#include <expected>

#include "controlplane/media/media_ports.h"

namespace sbc::cp {

class PortLease {
 public:
  PortLease() = default;  // holds nothing
  // A free pair of `dataplane_port` (MediaPortAllocator::allocate).
  static std::expected<PortLease, MediaPortError> allocate(MediaPortAllocator& ports,
                                                           uint8_t dataplane_port);
  // A given pair (MediaPortAllocator::claim): the ports of a session kept across a restart.
  static std::expected<PortLease, MediaPortError> claim(MediaPortAllocator& ports,
                                                        uint8_t dataplane_port, uint16_t rtp_port);

  PortLease(PortLease&& other) noexcept;
  PortLease& operator=(PortLease&& other) noexcept;
  PortLease(const PortLease&) = delete;
  PortLease& operator=(const PortLease&) = delete;
  ~PortLease() { reset(); }

  void reset();  // releases the pair now (nothing when none is held)
  [[nodiscard]] bool held() const { return ports_ != nullptr; }
  [[nodiscard]] uint8_t dataplane_port() const { return dataplane_port_; }
  [[nodiscard]] uint16_t rtp_port() const { return rtp_port_; }  // 0 when none is held

 private:
  PortLease(MediaPortAllocator& ports, uint8_t dataplane_port, uint16_t rtp_port)
      : ports_(&ports), dataplane_port_(dataplane_port), rtp_port_(rtp_port) {}

  MediaPortAllocator* ports_ = nullptr;
  uint8_t dataplane_port_ = 0;
  uint16_t rtp_port_ = 0;
};

}  // namespace sbc::cp
