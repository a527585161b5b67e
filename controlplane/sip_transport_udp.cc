#include "controlplane/sip_transport_udp.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

namespace sbc::cp {

UdpSipTransport::UdpSipTransport(boost::asio::io_context& io, size_t zones, Receiver receiver)
    : io_(io), receiver_(std::move(receiver)) {
  for (size_t i = 0; i < zones; ++i) sockets_.push_back(std::make_unique<Socket>(io_));
}

std::expected<void, std::string> UdpSipTransport::bind(size_t zone, const std::string& address,
                                                       uint16_t port) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) return std::unexpected(fmt::format("{}: bad address: {}", address, ec.message()));
  auto& s = sockets_.at(zone)->socket;
  const Endpoint endpoint(ip, port);
  s.open(endpoint.protocol(), ec);
  if (!ec) s.bind(endpoint, ec);
  if (ec) {
    s.close();
    return std::unexpected(
        fmt::format("cannot bind SIP to {}:{}: {}", address, port, ec.message()));
  }
  receive(zone);
  return {};
}

bool UdpSipTransport::bound(size_t zone) const {
  return sockets_.at(zone)->socket.is_open();
}

void UdpSipTransport::close() {
  for (auto& s : sockets_) {
    boost::system::error_code ignored;
    s->socket.close(ignored);
  }
}

void UdpSipTransport::receive(size_t zone) {
  Socket& s = *sockets_[zone];
  s.socket.async_receive_from(boost::asio::buffer(s.buffer), s.from,
                              [this, zone](const boost::system::error_code& ec, size_t size) {
                                if (ec == boost::asio::error::operation_aborted) return;
                                Socket& sock = *sockets_[zone];
                                if (!ec) {
                                  SipPeer from;
                                  from.zone = zone;
                                  from.remote = sock.from;
                                  from.local = sock.socket.local_endpoint();
                                  receiver_(from, std::string(sock.buffer.data(), size));
                                } else {
                                  // ICMP errors from earlier sends surface here; keep reading.
                                  spdlog::debug("sip: receive on zone {}: {}", zone, ec.message());
                                }
                                if (sock.socket.is_open()) receive(zone);
                              });
}

std::optional<Endpoint> UdpSipTransport::local_endpoint(size_t zone, Transport transport) const {
  const auto& s = sockets_.at(zone)->socket;
  if (transport != Transport::kUdp || !s.is_open()) return std::nullopt;
  boost::system::error_code ec;
  Endpoint local = s.local_endpoint(ec);
  if (ec) return std::nullopt;
  return local;
}

void UdpSipTransport::send(const SipPeer& peer, std::string_view data) {
  const size_t zone = peer.zone;
  const Endpoint& to = peer.remote;
  auto& s = sockets_.at(zone)->socket;
  if (!s.is_open()) {
    // Per message and driven by what peers send: debug only (the unbound zone is logged once
    // at error level when binding fails).
    spdlog::debug("sip: zone {} has no socket; dropping a message to {}", zone,
                  to.address().to_string());
    return;
  }
  boost::system::error_code ec;
  // Datagram sockets rarely block; a full buffer loses this copy and retransmission covers it.
  s.send_to(boost::asio::buffer(data.data(), data.size()), to, 0, ec);
  if (ec)
    spdlog::debug("sip: send to {}:{}: {}", to.address().to_string(), to.port(), ec.message());
}

}  // namespace sbc::cp
