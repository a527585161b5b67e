// Every SIP listener and connection of sbcd behind one SipTransport: per zone any number of UDP
// sockets and TCP/TLS acceptors, plus the TCP/TLS connections accepted or opened, with connection
// limits (inbound and outbound pools apart, per remote address for inbound). Received messages go
// to one receiver callback.
//
// Single-threaded: everything runs on the io_context the manager was given.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "controlplane/transport/connection_limit.h"
#include "controlplane/transport/sip_transport.h"
#include "controlplane/transport/stream_connection.h"
#include "controlplane/transport/tls_context.h"
#include "controlplane/transport/transport_metrics.h"
#include "controlplane/transport/transport_settings.h"
#include "controlplane/transport/udp_listener.h"

namespace sbc::cp {

struct TransportSettings {
  StreamSettings stream;
  // TCP + TLS, applied to inbound and to outbound connections separately: peers connecting to us
  // can never use up the slots sbcd needs to reach its trunks.
  size_t max_connections = 1024;
  size_t max_connections_per_address = 32;  // inbound only

  [[nodiscard]] static TransportSettings from_config(const SipConfig& sip);
};

class TransportManager final : public SipTransport {
 public:
  // One UDP datagram, or one message framed from a TCP/TLS stream (B2bua::on_message).
  using Receiver = std::function<void(const SipPeer& from, std::string message)>;
  // A message toward `to` was lost: no route to send it (no listener, no TLS, a connection limit),
  // the connection could not be opened, or it closed with bytes still queued. Called from the
  // event loop, never from inside send(), so the caller's state is consistent (RFC 3261 §17.1.4:
  // the transaction layer reports it to the TU at once instead of waiting for Timer B/F).
  using FailureHandler = std::function<void(const SipPeer& to)>;

  TransportManager(boost::asio::io_context& io, size_t zones, TransportSettings settings,
                   TransportMetrics& metrics, Receiver receiver);
  ~TransportManager() override;
  TransportManager(const TransportManager&) = delete;
  TransportManager& operator=(const TransportManager&) = delete;

  // Builds the TLS contexts (needed before a TLS listener or an outbound TLS connection). The
  // error names the [tls] option.
  std::expected<void, std::string> configure_tls(const TlsConfig& config);
  // Binds one listener of `zone`; port 0 picks one. Returns the bound endpoint; the error names the
  // address and why.
  std::expected<Endpoint, std::string> listen(size_t zone, Transport transport,
                                              const boost::asio::ip::address& address,
                                              uint16_t port);
  // The same for an address in text (tests); a bad one is an error.
  std::expected<Endpoint, std::string> listen(size_t zone, Transport transport,
                                              const std::string& address, uint16_t port);
  // Closes every listener and connection.
  void close();
  // A reload added zones: indices up to `count` - 1 can listen from now on.
  void add_zones(size_t count);
  // Closes zone `zone`'s listeners (a zone a reload removed, once no call uses it); its open
  // connections end on their idle timeout. The zone may listen again later.
  void close_zone(size_t zone);
  void set_failure_handler(FailureHandler handler) { failure_ = std::move(handler); }
  // Asked for every inbound TCP/TLS connection before anything is read from it (before the TLS
  // handshake too): false closes it at once. The filter counts what it refuses (ACL, bans).
  using AcceptFilter = std::function<bool(size_t zone, const Endpoint& remote)>;
  void set_accept_filter(AcceptFilter filter) { accept_filter_ = std::move(filter); }
  // Told of every inbound TLS connection whose handshake failed or timed out (an offence).
  using TlsFailureHandler = std::function<void(size_t zone, const Endpoint& remote)>;
  void set_tls_failure_handler(TlsFailureHandler handler) { tls_failure_ = std::move(handler); }

  void send(const SipPeer& to, std::string_view data) override;
  [[nodiscard]] std::optional<Endpoint> local_endpoint(size_t zone,
                                                       Transport transport) const override;
  // Open (or opening) TCP/TLS connections.
  [[nodiscard]] size_t connections() const { return connections_.size(); }
  [[nodiscard]] size_t connections(Transport transport) const;

 private:
  friend class StreamConnection;  // reports messages, keep-alives and its end
  struct Acceptor {
    Acceptor(boost::asio::io_context& io, size_t zone, Transport transport)
        : acceptor(io), retry(io), zone(zone), transport(transport) {}
    boost::asio::ip::tcp::acceptor acceptor;
    boost::asio::steady_timer retry;  // after an accept error (e.g. out of descriptors)
    size_t zone;
    Transport transport;
    Endpoint local;
  };
  struct Zone {
    std::vector<std::unique_ptr<UdpListener>> udp;
    std::vector<std::unique_ptr<Acceptor>> stream;  // TCP and TLS, in bind order
  };
  using RemoteKey = std::tuple<size_t, Transport, Endpoint>;

  std::expected<Endpoint, std::string> listen_stream(size_t zone, Transport transport,
                                                     const boost::asio::ip::address& ip,
                                                     uint16_t port);
  void accept(Acceptor& acceptor);
  void accepted(Acceptor& acceptor, boost::asio::ip::tcp::socket socket);
  // Which limit a new connection to/from `remote` would break; nullopt when none.
  [[nodiscard]] std::optional<ConnectionLimit> limit_hit(const Endpoint& remote,
                                                         bool inbound) const;
  void add(const std::shared_ptr<StreamConnection>& connection);
  void send_stream(const SipPeer& to, std::string_view data);
  [[nodiscard]] StreamConnection* find(const SipPeer& to) const;
  [[nodiscard]] const Acceptor* first_acceptor(size_t zone, Transport transport) const;
  // The listener an outbound connection is reported on (and whose address it leaves from).
  [[nodiscard]] std::optional<Endpoint> outbound_local(size_t zone, Transport transport) const;
  void connection_message(StreamConnection& connection, std::string message);
  void connection_keepalive(StreamConnection& connection);
  // `unsent`: bytes were still queued (or never got a connection).
  void connection_closed(StreamConnection& connection, CloseReason reason, bool unsent);
  // Reports a lost message to the failure handler from the event loop.
  void report_failure(const SipPeer& to);

  boost::asio::io_context& io_;
  TransportSettings settings_;
  TransportMetrics& metrics_;
  Receiver receiver_;
  AcceptFilter accept_filter_;
  TlsFailureHandler tls_failure_;
  FailureHandler failure_;
  // Expires with the manager: failure reports posted to the loop check it before running.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::vector<Zone> zones_;
  std::vector<Zone> closed_;  // close_zone()'s listeners: their pending handlers may still run
  TlsContexts tls_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<StreamConnection>> connections_;
  std::multimap<RemoteKey, uint64_t> by_remote_;
  std::map<boost::asio::ip::address, size_t> per_address_;  // inbound connections
  size_t inbound_ = 0;
  size_t outbound_ = 0;
};

}  // namespace sbc::cp
