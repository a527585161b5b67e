#include "controlplane/media/port_lease.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace sbc::cp {

std::expected<PortLease, MediaPortError> PortLease::allocate(MediaPortAllocator& ports,
                                                             uint8_t dataplane_port) {
  auto port = ports.allocate(dataplane_port);
  if (!port) return std::unexpected(port.error());
  return PortLease(ports, dataplane_port, *port);
}

std::expected<PortLease, MediaPortError> PortLease::claim(MediaPortAllocator& ports,
                                                          uint8_t dataplane_port,
                                                          uint16_t rtp_port) {
  if (auto taken = ports.claim(dataplane_port, rtp_port); !taken) {
    return std::unexpected(taken.error());
  }
  return PortLease(ports, dataplane_port, rtp_port);
}

PortLease::PortLease(PortLease&& other) noexcept
    : ports_(std::exchange(other.ports_, nullptr)),
      dataplane_port_(other.dataplane_port_),
      rtp_port_(std::exchange(other.rtp_port_, 0)) {}

PortLease& PortLease::operator=(PortLease&& other) noexcept {
  if (this != &other) {
    reset();
    ports_ = std::exchange(other.ports_, nullptr);
    dataplane_port_ = other.dataplane_port_;
    rtp_port_ = std::exchange(other.rtp_port_, 0);
  }
  return *this;
}

void PortLease::reset() {
  if (ports_ == nullptr) return;
  if (auto released = ports_->release(dataplane_port_, rtp_port_); !released) {
    spdlog::error("media port {}: {}", rtp_port_, to_string(released.error()));  // a bug
  }
  ports_ = nullptr;
  rtp_port_ = 0;
}

}  // namespace sbc::cp
