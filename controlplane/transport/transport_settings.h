// Transport settings: listeners, [sip] connection limits and [tls].
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

// One SIP listener of a zone: a UDP socket, or a TCP/TLS acceptor.
struct ListenerConfig {
  Transport transport = Transport::kUdp;
  // The zone's sip_address or the listen entry's; unset: the dataplane port's (after Hello).
  std::optional<boost::asio::ip::address> address;
  uint16_t port = 0;
  bool operator==(const ListenerConfig&) const = default;
};

// [sip]: stream (TCP and TLS) connection limits.
struct SipConfig {
  uint32_t tcp_idle_timeout_s = 600;          // a connection with no traffic this long is closed
  uint32_t max_connections = 1024;            // TCP + TLS, inbound and outbound, all zones
  uint32_t max_connections_per_address = 32;  // per remote IP
  bool operator==(const SipConfig&) const = default;
};

enum class TlsVersion : uint8_t { k12, k13 };

// [tls]: one server context for every TLS listener and one client context for outbound TLS.
struct TlsConfig {
  std::string certificate;  // PEM, leaf first (chain allowed)
  std::string private_key;  // PEM
  std::string ca_file;      // verifies client certificates and the servers we connect to
  TlsVersion min_version = TlsVersion::k12;
  std::string ciphers;       // TLS <= 1.2 cipher list, OpenSSL syntax; empty: OpenSSL default
  std::string ciphersuites;  // TLS 1.3 ciphersuites; empty: OpenSSL default
  std::string groups;        // key-exchange groups in preference order; empty: OpenSSL default
  bool verify_client = false;
  bool verify_server = true;
  bool operator==(const TlsConfig&) const = default;
};

// "1.2" / "1.3", as in tls.min_version.
[[nodiscard]] constexpr std::string_view to_string(TlsVersion version) {
  return version == TlsVersion::k13 ? "1.3" : "1.2";
}

}  // namespace sbc::cp
