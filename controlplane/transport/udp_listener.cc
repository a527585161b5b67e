#include "controlplane/transport/udp_listener.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/sip/keepalive.h"

namespace sbc::cp {

UdpListener::UdpListener(boost::asio::io_context& io, Receiver receiver, KeepAlive keepalive)
    : socket_(io), receiver_(std::move(receiver)), keepalive_(std::move(keepalive)) {}

std::expected<Endpoint, std::string> UdpListener::bind(const std::string& address, uint16_t port) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) return std::unexpected(fmt::format("{}: bad address: {}", address, ec.message()));
  return bind(ip, port);
}

std::expected<Endpoint, std::string> UdpListener::bind(const boost::asio::ip::address& address,
                                                       uint16_t port) {
  boost::system::error_code ec;
  const Endpoint endpoint(address, port);
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (!ec) local_ = socket_.local_endpoint(ec);
  if (ec) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    return std::unexpected(
        fmt::format("cannot bind SIP udp to {}:{}: {}", address.to_string(), port, ec.message()));
  }
  receive();
  return local_;
}

void UdpListener::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpListener::receive() {
  socket_.async_receive_from(boost::asio::buffer(buffer_), from_,
                             [this](const boost::system::error_code& ec, size_t size) {
                               if (ec == boost::asio::error::operation_aborted) return;
                               if (!ec) {
                                 const std::string_view data(buffer_.data(), size);
                                 if (sip::is_keepalive(data)) {
                                   keepalive_();
                                 } else {
                                   receiver_(from_, local_, std::string(data));
                                 }
                               } else {
                                 // ICMP errors from earlier sends surface here; keep reading.
                                 spdlog::debug("sip: udp receive on {}:{}: {}",
                                               local_.address().to_string(), local_.port(),
                                               ec.message());
                               }
                               if (socket_.is_open()) receive();
                             });
}

bool UdpListener::send(const Endpoint& to, std::string_view data) {
  boost::system::error_code ec;
  // Datagram sockets rarely block; a full buffer loses this copy and retransmission covers it.
  socket_.send_to(boost::asio::buffer(data.data(), data.size()), to, 0, ec);
  if (ec) {
    spdlog::debug("sip: udp send to {}:{}: {}", to.address().to_string(), to.port(), ec.message());
    return false;
  }
  return true;
}

}  // namespace sbc::cp
