#include "controlplane/transport/transport_manager.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace sbc::cp {
namespace {

using boost::asio::ip::tcp;

constexpr std::chrono::milliseconds kAcceptRetry{100};

std::string describe(const Endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

}  // namespace

TransportSettings TransportSettings::from_config(const SipConfig& sip) {
  TransportSettings s;
  s.stream.idle_timeout = std::chrono::seconds(sip.tcp_idle_timeout_s);
  s.max_connections = sip.max_connections;
  s.max_connections_per_address = sip.max_connections_per_address;
  return s;
}

TransportManager::TransportManager(boost::asio::io_context& io, size_t zones,
                                   TransportSettings settings, TransportMetrics& metrics,
                                   Receiver receiver)
    : io_(io),
      settings_(std::move(settings)),
      metrics_(metrics),
      receiver_(std::move(receiver)),
      zones_(zones) {}

TransportManager::~TransportManager() {
  close();
}

std::expected<void, std::string> TransportManager::configure_tls(const TlsConfig& config) {
  auto contexts = make_tls_contexts(config);
  if (!contexts) return std::unexpected(contexts.error());
  tls_ = std::move(*contexts);
  return {};
}

std::expected<Endpoint, std::string> TransportManager::listen(size_t zone, Transport transport,
                                                              const std::string& address,
                                                              uint16_t port) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) return std::unexpected(fmt::format("{}: bad address: {}", address, ec.message()));
  return listen(zone, transport, ip, port);
}

std::expected<Endpoint, std::string> TransportManager::listen(size_t zone, Transport transport,
                                                              const boost::asio::ip::address& ip,
                                                              uint16_t port) {
  if (transport == Transport::kUdp) {
    auto listener = std::make_unique<UdpListener>(
        io_,
        [this, zone](const Endpoint& from, const Endpoint& local, std::string data) {
          SipPeer peer;
          peer.zone = zone;
          peer.transport = Transport::kUdp;
          peer.remote = from;
          peer.local = local;
          receiver_(peer, std::move(data));
        },
        [this] { metrics_.sip_keepalive(Transport::kUdp); });
    auto bound = listener->bind(ip, port);
    if (!bound) return std::unexpected(bound.error());
    zones_.at(zone).udp.push_back(std::move(listener));
    return *bound;
  }
  return listen_stream(zone, transport, ip, port);
}

std::expected<Endpoint, std::string> TransportManager::listen_stream(
    size_t zone, Transport transport, const boost::asio::ip::address& ip, uint16_t port) {
  if (transport == Transport::kTls && !tls_.server) {
    return std::unexpected(
        fmt::format("cannot listen for tls on {}:{}: no tls.certificate", ip.to_string(), port));
  }
  auto acceptor = std::make_unique<Acceptor>(io_, zone, transport);
  const tcp::endpoint endpoint(ip, port);
  boost::system::error_code ec;
  acceptor->acceptor.open(endpoint.protocol(), ec);
  // A restarted sbcd must bind while connections of the previous one sit in TIME_WAIT.
  if (!ec) acceptor->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->acceptor.bind(endpoint, ec);
  if (!ec) acceptor->acceptor.listen(tcp::acceptor::max_listen_connections, ec);
  tcp::endpoint local;
  if (!ec) local = acceptor->acceptor.local_endpoint(ec);
  if (ec) {
    return std::unexpected(fmt::format("cannot bind SIP {} to {}:{}: {}", to_string(transport),
                                       ip.to_string(), port, ec.message()));
  }
  acceptor->local = Endpoint(local.address(), local.port());
  Acceptor& a = *acceptor;
  zones_.at(zone).stream.push_back(std::move(acceptor));
  accept(a);
  return a.local;
}

void TransportManager::accept(Acceptor& a) {
  a.acceptor.async_accept([this, &a](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !a.acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: retry shortly rather than spin on the error.
      spdlog::debug("sip: {} accept on {}: {}", to_string(a.transport), describe(a.local),
                    ec.message());
      a.retry.expires_after(kAcceptRetry);
      a.retry.async_wait([this, &a](const boost::system::error_code& error) {
        if (!error && a.acceptor.is_open()) accept(a);
      });
      return;
    }
    accepted(a, std::move(socket));
    accept(a);
  });
}

void TransportManager::accepted(Acceptor& a, tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint from = socket.remote_endpoint(ec);
  if (ec) return;  // already reset by the peer
  const Endpoint remote(from.address(), from.port());
  if (accept_filter_ && !accept_filter_(a.zone, remote)) {
    socket.close(ec);
    return;
  }
  if (const std::optional<ConnectionLimit> limit = limit_hit(remote, true)) {
    spdlog::debug("sip: {} connection from {} refused: {}", to_string(a.transport),
                  describe(remote), to_string(*limit));
    metrics_.sip_connection_refused(a.transport, *limit);
    socket.close(ec);
    return;
  }
  auto* tls = a.transport == Transport::kTls ? tls_.server.get() : nullptr;
  auto connection = std::make_shared<StreamConnection>(
      *this, settings_.stream, next_id_++, a.zone, true, std::move(socket), tls, remote, a.local);
  add(connection);
  connection->start_accepted();
}

std::optional<ConnectionLimit> TransportManager::limit_hit(const Endpoint& remote,
                                                           bool inbound) const {
  if ((inbound ? inbound_ : outbound_) >= settings_.max_connections) {
    return ConnectionLimit::kMaxConnections;
  }
  if (!inbound) return std::nullopt;  // our own trunks and peers: bounded by max_connections alone
  const auto it = per_address_.find(remote.address());
  if (it != per_address_.end() && it->second >= settings_.max_connections_per_address) {
    return ConnectionLimit::kMaxConnectionsPerAddress;
  }
  return std::nullopt;
}

void TransportManager::add(const std::shared_ptr<StreamConnection>& connection) {
  connections_.emplace(connection->id(), connection);
  by_remote_.emplace(RemoteKey{connection->zone(), connection->transport(), connection->remote()},
                     connection->id());
  if (connection->inbound()) {
    ++inbound_;
    ++per_address_[connection->remote().address()];
  } else {
    ++outbound_;
  }
  metrics_.sip_connection_opened(connection->transport(), connection->inbound());
}

void TransportManager::close() {
  for (Zone& zone : zones_) {
    for (auto& udp : zone.udp) udp->close();
    for (auto& a : zone.stream) {
      boost::system::error_code ignored;
      a->acceptor.close(ignored);
      a->retry.cancel();
    }
  }
  // Detached connections no longer call back; account for them here.
  auto connections = std::move(connections_);
  connections_.clear();
  by_remote_.clear();
  per_address_.clear();
  inbound_ = 0;
  outbound_ = 0;
  for (auto& [id, connection] : connections) {
    metrics_.sip_connection_closed(connection->transport(), CloseReason::kShutdown);
    connection->detach();
  }
}

void TransportManager::add_zones(size_t count) {
  if (count > zones_.size()) zones_.resize(count);
}

void TransportManager::close_zone(size_t zone) {
  if (zone >= zones_.size()) return;
  Zone& z = zones_[zone];
  for (auto& udp : z.udp) udp->close();
  for (auto& a : z.stream) {
    boost::system::error_code ignored;
    a->acceptor.close(ignored);
    a->retry.cancel();
  }
  closed_.push_back(std::move(z));
  z = Zone{};
}

std::optional<Endpoint> TransportManager::local_endpoint(size_t zone, Transport transport) const {
  if (zone >= zones_.size()) return std::nullopt;
  if (transport == Transport::kUdp) {
    const auto& udp = zones_[zone].udp;
    if (udp.empty()) return std::nullopt;
    return udp.front()->local();
  }
  if (const Acceptor* a = first_acceptor(zone, transport)) return a->local;
  return std::nullopt;
}

size_t TransportManager::connections(Transport transport) const {
  return static_cast<size_t>(std::ranges::count_if(
      connections_, [&](const auto& kv) { return kv.second->transport() == transport; }));
}

const TransportManager::Acceptor* TransportManager::first_acceptor(size_t zone,
                                                                   Transport transport) const {
  for (const auto& a : zones_.at(zone).stream) {
    if (a->transport == transport) return a.get();
  }
  return nullptr;
}

void TransportManager::send(const SipPeer& to, std::string_view data) {
  if (to.zone >= zones_.size()) return;
  if (is_stream(to.transport)) {
    send_stream(to, data);
    return;
  }
  const auto& udp = zones_[to.zone].udp;
  if (udp.empty()) {
    // Per message and driven by what peers send: debug only (a listener that failed to bind is
    // logged once at error level).
    spdlog::debug("sip: zone {} has no udp listener; dropping a message to {}", to.zone,
                  describe(to.remote));
    metrics_.sip_send_failed(Transport::kUdp, SendFailure::kNoListener);
    report_failure(to);
    return;
  }
  UdpListener* from = udp.front().get();
  for (const auto& l : udp) {
    if (l->local() == to.local) from = l.get();
  }
  if (!from->send(to.remote, data)) metrics_.sip_send_failed(Transport::kUdp, SendFailure::kError);
}

StreamConnection* TransportManager::find(const SipPeer& to) const {
  if (to.connection != 0) {
    const auto it = connections_.find(to.connection);
    if (it != connections_.end() && !it->second->closed() &&
        it->second->transport() == to.transport) {
      return it->second.get();
    }
  }
  // RFC 3261 §18.2.2 / §18.1.1: reuse a connection to the same remote (the newest one).
  StreamConnection* found = nullptr;
  const auto [begin, end] = by_remote_.equal_range(RemoteKey{to.zone, to.transport, to.remote});
  for (auto it = begin; it != end; ++it) {
    const auto c = connections_.find(it->second);
    if (c != connections_.end() && !c->second->closed() &&
        (found == nullptr || c->second->id() > found->id())) {
      found = c->second.get();
    }
  }
  return found;
}

void TransportManager::send_stream(const SipPeer& to, std::string_view data) {
  if (StreamConnection* connection = find(to)) {
    if (!connection->send(data)) {
      metrics_.sip_send_failed(to.transport, SendFailure::kConnectionClosed);
      report_failure(to);
    }
    return;
  }
  const std::optional<Endpoint> local = outbound_local(to.zone, to.transport);
  boost::asio::ssl::context* tls = nullptr;
  if (to.transport == Transport::kTls) {
    tls = tls_.client.get();
    if (tls == nullptr) {
      spdlog::debug("sip: no [tls] configured; dropping a message to {}", describe(to.remote));
      metrics_.sip_send_failed(to.transport, SendFailure::kNoTls);
      report_failure(to);
      return;
    }
  }
  if (!local) {
    spdlog::debug("sip: zone {} has no {} listener; dropping a message to {}", to.zone,
                  to_string(to.transport), describe(to.remote));
    metrics_.sip_send_failed(to.transport, SendFailure::kNoListener);
    report_failure(to);
    return;
  }
  if (const std::optional<ConnectionLimit> limit = limit_hit(to.remote, false)) {
    spdlog::debug("sip: no new {} connection to {}: {}", to_string(to.transport),
                  describe(to.remote), to_string(*limit));
    metrics_.sip_connection_refused(to.transport, *limit);
    metrics_.sip_send_failed(to.transport, SendFailure::kLimit);
    report_failure(to);
    return;
  }
  auto connection =
      std::make_shared<StreamConnection>(*this, settings_.stream, next_id_++, to.zone, false,
                                         tcp::socket(io_), tls, to.remote, *local);
  add(connection);
  if (!connection->send(data)) {  // queued until connected; refused only past max_send_queue
    metrics_.sip_send_failed(to.transport, SendFailure::kConnectionClosed);
    report_failure(to);
    return;
  }
  connection->start_connect(local->address(), to.server_name);
}

std::optional<Endpoint> TransportManager::outbound_local(size_t zone, Transport transport) const {
  if (const Acceptor* a = first_acceptor(zone, transport)) return a->local;
  // A zone may reach TLS servers without accepting TLS itself (no certificate): leave from its
  // other listener's address.
  const Zone& z = zones_.at(zone);
  if (!z.stream.empty()) return z.stream.front()->local;
  if (!z.udp.empty()) return z.udp.front()->local();
  return std::nullopt;
}

void TransportManager::connection_message(StreamConnection& connection, std::string message) {
  receiver_(connection.peer(), std::move(message));
}

void TransportManager::connection_keepalive(StreamConnection& connection) {
  metrics_.sip_keepalive(connection.transport());
}

void TransportManager::report_failure(const SipPeer& to) {
  if (!failure_) return;
  boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_), to] {
    if (alive.expired() || !failure_) return;
    failure_(to);
  });
}

void TransportManager::connection_closed(StreamConnection& connection, CloseReason reason,
                                         bool unsent) {
  const auto it = connections_.find(connection.id());
  if (it == connections_.end()) return;
  const auto [begin, end] = by_remote_.equal_range(
      RemoteKey{connection.zone(), connection.transport(), connection.remote()});
  for (auto r = begin; r != end; ++r) {
    if (r->second == connection.id()) {
      by_remote_.erase(r);
      break;
    }
  }
  if (connection.inbound()) {
    --inbound_;
    const auto count = per_address_.find(connection.remote().address());
    if (count != per_address_.end() && --count->second == 0) per_address_.erase(count);
  } else {
    --outbound_;
  }
  if (reason == CloseReason::kHandshakeFailed || reason == CloseReason::kHandshakeTimeout) {
    metrics_.sip_tls_handshake_failed(connection.inbound());
    if (connection.inbound() && connection.transport() == Transport::kTls && tls_failure_) {
      tls_failure_(connection.zone(), connection.remote());
    }
  }
  metrics_.sip_connection_closed(connection.transport(), reason);
  const bool never_opened = reason == CloseReason::kConnectFailed ||
                            reason == CloseReason::kHandshakeFailed ||
                            reason == CloseReason::kHandshakeTimeout;
  if (unsent || (!connection.inbound() && never_opened)) report_failure(connection.peer());
  connections_.erase(it);  // the connection keeps itself alive until its handler returns
}

}  // namespace sbc::cp
