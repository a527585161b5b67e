// SIP over UDP on kernel sockets, one socket per zone (bound to the zone's sip_address:sip_port).
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/sip_transport.h"

namespace sbc::cp {

class UdpSipTransport final : public SipTransport {
 public:
  using Receiver = std::function<void(const SipPeer& from, std::string data)>;
  static constexpr size_t kMaxDatagram = 65535;

  UdpSipTransport(boost::asio::io_context& io, size_t zones, Receiver receiver);

  // Binds the zone's socket; the error names the address and why.
  std::expected<void, std::string> bind(size_t zone, const std::string& address, uint16_t port);
  [[nodiscard]] bool bound(size_t zone) const;
  void close();

  void send(const SipPeer& to, std::string_view data) override;
  [[nodiscard]] std::optional<Endpoint> local_endpoint(size_t zone,
                                                       Transport transport) const override;

 private:
  struct Socket {
    explicit Socket(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::udp::socket socket;
    Endpoint from;
    std::array<char, kMaxDatagram> buffer{};
  };
  void receive(size_t zone);

  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  Receiver receiver_;
};

}  // namespace sbc::cp
