// Helpers for transport tests on 127.0.0.1: driving the io_context until something happened (with
// a bound), a raw client socket, a SIP message and metric lookups.
#pragma once

#include <prometheus/text_serializer.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/transport/transport_manager.h"
#include "controlplane/transport/transport_metrics.h"

namespace sbc::cp::testing {

// Runs the loop until `done()` or `limit` passed; returns done().
template <typename Done>
bool run_until(boost::asio::io_context& io, Done done,
               std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return done();
}

// Runs the loop for `span` regardless (to show that something does NOT happen).
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds span) {
  run_until(
      io, [] { return false; }, span);
}

inline std::string sip_message(int n, std::string_view body = {}) {
  return "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK" +
         std::to_string(n) + "\r\nCall-ID: " + std::to_string(n) +
         "\r\nCSeq: 1 OPTIONS\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// The transport's families on a registry of their own, as sbcd registers them on its one.
struct TestMetrics {
  prometheus::Registry registry;
  TransportMetrics transport{registry};
  operator TransportMetrics&() { return transport; }  // NOLINT: passed where a manager wants it
};

// Prometheus text of every metric; tests look for whole lines.
inline std::string metrics_text(TestMetrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry.Collect());
}
inline bool has_metric(TestMetrics& metrics, const std::string& line) {
  return metrics_text(metrics).find(line + "\n") != std::string::npos;
}

// What a manager delivered to its receiver.
struct Received {
  std::vector<std::pair<SipPeer, std::string>> messages;
  TransportManager::Receiver receiver() {
    return [this](const SipPeer& from, std::string data) {
      messages.emplace_back(from, std::move(data));
    };
  }
};

// Reads whatever the raw client socket has, without blocking.
inline std::string read_available(boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const size_t n = socket.available(ec);
  if (ec || n == 0) return {};
  std::string out(n, '\0');
  boost::asio::read(socket, boost::asio::buffer(out), ec);
  return out;
}

// True once the peer closed the raw socket (EOF or reset).
inline bool peer_closed(boost::asio::ip::tcp::socket& socket) {
  socket.non_blocking(true);
  char c;
  boost::system::error_code ec;
  socket.receive(boost::asio::buffer(&c, 1), boost::asio::socket_base::message_peek, ec);
  return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
}

inline Endpoint to_endpoint(const boost::asio::ip::tcp::endpoint& e) {
  return {e.address(), e.port()};
}
inline boost::asio::ip::tcp::endpoint to_tcp(const Endpoint& e) {
  return {e.address(), e.port()};
}

}  // namespace sbc::cp::testing
