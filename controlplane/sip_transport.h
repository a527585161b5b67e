// Where the B2BUA's SIP bytes go: one UDP socket per zone in sbcd, a recorder in unit tests.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <string_view>

namespace sbc::cp {

using Endpoint = boost::asio::ip::udp::endpoint;

class SipTransport {
 public:
  virtual ~SipTransport() = default;
  // Sends one datagram from zone `zone`'s SIP socket. Failures are logged, never thrown: SIP over
  // UDP recovers by retransmission.
  virtual void send(size_t zone, const Endpoint& to, std::string_view data) = 0;
};

}  // namespace sbc::cp
