// An address and port as configured, in text form.
#pragma once

#include <cstdint>
#include <string>

namespace sbc::cp {

// An IPv4 address and UDP port in text form as configured ("192.0.2.10:5060").
struct HostPort {
  std::string host;
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

}  // namespace sbc::cp
