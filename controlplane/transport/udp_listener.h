// One SIP UDP socket (a zone may have several, on different addresses or ports).
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

class UdpListener {
 public:
  static constexpr size_t kMaxDatagram = 65535;
  // A received datagram that is not a keep-alive.
  using Receiver =
      std::function<void(const Endpoint& from, const Endpoint& local, std::string data)>;
  // A datagram of only CR/LF bytes (a keep-alive): not parsed, only counted.
  using KeepAlive = std::function<void()>;

  UdpListener(boost::asio::io_context& io, Receiver receiver, KeepAlive keepalive);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds and starts receiving; port 0 picks one. The error names the address and why.
  std::expected<Endpoint, std::string> bind(const boost::asio::ip::address& address, uint16_t port);
  // The same for an address in text (tests); a bad one is an error.
  std::expected<Endpoint, std::string> bind(const std::string& address, uint16_t port);
  // False (and the reason logged at debug) when the kernel refused the datagram.
  bool send(const Endpoint& to, std::string_view data);
  [[nodiscard]] const Endpoint& local() const { return local_; }
  void close();

 private:
  void receive();

  boost::asio::ip::udp::socket socket_;
  Receiver receiver_;
  KeepAlive keepalive_;
  Endpoint local_;
  Endpoint from_;
  std::array<char, kMaxDatagram> buffer_{};
};

}  // namespace sbc::cp
