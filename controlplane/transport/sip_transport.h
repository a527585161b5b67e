// Where the B2BUA's SIP bytes come from and go to: UDP, TCP and TLS listeners per zone in sbcd
// (controlplane/transport/), a recorder in unit tests.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbc::cp {

// An address and port, whatever the transport (Asio's UDP endpoint type is used as the value type).
using Endpoint = boost::asio::ip::udp::endpoint;

enum class Transport : uint8_t { kUdp, kTcp, kTls };

// "UDP", "TCP", "TLS": the Via transport token (RFC 3261 §20.42).
[[nodiscard]] std::string_view via_token(Transport transport);
// "udp", "tcp", "tls": config values, URI ;transport= values, logs and metric labels.
[[nodiscard]] std::string_view to_string(Transport transport);
// Case-insensitive "udp" / "tcp" / "tls"; nullopt for anything else (sctp, ws, ...).
[[nodiscard]] std::optional<Transport> parse_transport(std::string_view text);
[[nodiscard]] constexpr bool is_stream(Transport t) {
  return t != Transport::kUdp;
}

// One side of a SIP hop as the transport layer sees it.
//   Received: the zone and listener it arrived on (local), the packet's source (remote) and, for
//   TCP/TLS, the connection it arrived on.
//   To send: responses go back to the same listener and connection (RFC 3261 §18.2.2); new
//   requests name the zone, transport and remote, leave connection 0 (the transport reuses an open
//   connection to remote or opens one) and local unset (the zone's first listener of that
//   transport).
struct SipPeer {
  size_t zone = 0;
  Transport transport = Transport::kUdp;
  Endpoint remote;
  Endpoint local;           // our listener's address and port; unspecified: the zone's default
  uint64_t connection = 0;  // TCP/TLS connection id; 0: any connection to remote, or a new one
  // A peer known by DNS name (a trunk's host): the name a new TLS connection asks for (SNI) and
  // its certificate must carry (RFC 5922); "": the certificate must carry the address.
  std::string server_name;

  // Same zone, transport and remote (the connection may differ: a peer may reconnect).
  [[nodiscard]] bool same_hop(const SipPeer& other) const {
    return zone == other.zone && transport == other.transport && remote == other.remote;
  }
};

class SipTransport {
 public:
  virtual ~SipTransport() = default;
  // Sends one message. Failures are logged and counted, never thrown: over UDP SIP recovers by
  // retransmission; over TCP/TLS a failed connection makes the transaction time out (Timer B/F).
  virtual void send(const SipPeer& to, std::string_view data) = 0;
  // The listener new requests on `zone` over `transport` leave from (its address and port go into
  // Via and Contact); nullopt when the zone has no such listener (yet).
  [[nodiscard]] virtual std::optional<Endpoint> local_endpoint(size_t zone,
                                                               Transport transport) const = 0;
};

}  // namespace sbc::cp
