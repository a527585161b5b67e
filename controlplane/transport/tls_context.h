// OpenSSL 3 contexts for SIP over TLS, built once from [tls]: a server context for every TLS
// listener and a client context for the connections sbcd opens.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <expected>
#include <memory>
#include <string>

#include "controlplane/transport/transport_settings.h"

namespace sbc::cp {

struct TlsContexts {
  // Null when [tls] has no certificate (no TLS listener is possible then).
  std::shared_ptr<boost::asio::ssl::context> server;
  std::shared_ptr<boost::asio::ssl::context> client;
};

// Loads certificate, key and CA files and applies versions, ciphers and groups. The error names
// the option and carries OpenSSL's reason ("tls.groups: 'X9' rejected: ...").
[[nodiscard]] std::expected<TlsContexts, std::string> make_tls_contexts(const TlsConfig& config);

// OpenSSL's queued errors as one line (and clears the queue).
[[nodiscard]] std::string openssl_errors();

}  // namespace sbc::cp
