// An address and port as configured, parsed once at load.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>

namespace sbc::cp {

// An IPv4 address and port as configured ("192.0.2.10:5060"), held parsed.
struct HostPort {
  boost::asio::ip::address host;
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

}  // namespace sbc::cp
