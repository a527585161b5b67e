#include "controlplane/transport/tls_context.h"

#include <fmt/core.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>

namespace sbc::cp {
namespace {

namespace ssl = boost::asio::ssl;

std::expected<void, std::string> readable(std::string_view option, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return std::unexpected(fmt::format("{}: {}: no such file", option, path));
  }
  return {};
}

std::expected<void, std::string> apply_common(ssl::context& ctx, const TlsConfig& config) {
  SSL_CTX* native = ctx.native_handle();
  const int min = config.min_version == TlsVersion::k13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(native, min) != 1) {
    return std::unexpected("tls.min_version: " + openssl_errors());
  }
  // Renegotiation and compression only ever served attacks (CRIME, renegotiation DoS).
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!config.ciphers.empty() && SSL_CTX_set_cipher_list(native, config.ciphers.c_str()) != 1) {
    return std::unexpected(
        fmt::format("tls.ciphers: '{}' selects no cipher: {}", config.ciphers, openssl_errors()));
  }
  if (!config.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(native, config.ciphersuites.c_str()) != 1) {
    return std::unexpected(
        fmt::format("tls.ciphersuites: '{}' rejected: {}", config.ciphersuites, openssl_errors()));
  }
  if (!config.groups.empty() && SSL_CTX_set1_groups_list(native, config.groups.c_str()) != 1) {
    return std::unexpected(
        fmt::format("tls.groups: '{}' rejected: {}", config.groups, openssl_errors()));
  }
  if (!config.certificate.empty()) {
    if (auto r = readable("tls.certificate", config.certificate); !r) return r;
    if (auto r = readable("tls.private_key", config.private_key); !r) return r;
    if (SSL_CTX_use_certificate_chain_file(native, config.certificate.c_str()) != 1) {
      return std::unexpected(
          fmt::format("tls.certificate: {}: {}", config.certificate, openssl_errors()));
    }
    if (SSL_CTX_use_PrivateKey_file(native, config.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return std::unexpected(
          fmt::format("tls.private_key: {}: {}", config.private_key, openssl_errors()));
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      return std::unexpected(fmt::format("tls.private_key: {} does not match tls.certificate: {}",
                                         config.private_key, openssl_errors()));
    }
  }
  if (!config.ca_file.empty()) {
    if (auto r = readable("tls.ca_file", config.ca_file); !r) return r;
    if (SSL_CTX_load_verify_locations(native, config.ca_file.c_str(), nullptr) != 1) {
      return std::unexpected(fmt::format("tls.ca_file: {}: {}", config.ca_file, openssl_errors()));
    }
  }
  return {};
}

}  // namespace

std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::expected<TlsContexts, std::string> make_tls_contexts(const TlsConfig& config) {
  ERR_clear_error();
  TlsContexts out;
  try {
    auto client = std::make_shared<ssl::context>(ssl::context::tls_client);
    if (auto r = apply_common(*client, config); !r) return std::unexpected(r.error());
    if (config.verify_server) {
      // Without ca_file the system's trust store decides. Trunks are configured by IP address:
      // each connection checks that address against the certificate's IP SANs (StreamConnection).
      if (config.ca_file.empty() &&
          SSL_CTX_set_default_verify_paths(client->native_handle()) != 1) {
        return std::unexpected("tls.verify_server: no tls.ca_file and no system trust store: " +
                               openssl_errors());
      }
      client->set_verify_mode(ssl::verify_peer);
    } else {
      client->set_verify_mode(ssl::verify_none);
    }
    out.client = std::move(client);
    if (!config.certificate.empty()) {
      auto server = std::make_shared<ssl::context>(ssl::context::tls_server);
      if (auto r = apply_common(*server, config); !r) return std::unexpected(r.error());
      SSL_CTX_set_options(server->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
      // Without a session id context OpenSSL fails every resumption attempt when client
      // certificates are verified ("session id context uninitialized"), killing the handshake.
      static constexpr unsigned char kSessionContext[] = "sbc-sip";
      SSL_CTX_set_session_id_context(server->native_handle(), kSessionContext,
                                     sizeof(kSessionContext) - 1);
      server->set_verify_mode(config.verify_client
                                  ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                  : ssl::verify_none);
      if (config.verify_client) {
        // Tell clients which CAs we accept (some pick their certificate by it).
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.ca_file.c_str())) {
          SSL_CTX_set_client_CA_list(server->native_handle(), names);
        }
      }
      out.server = std::move(server);
    }
  } catch (const boost::system::system_error& e) {
    return std::unexpected(fmt::format("tls: cannot create an OpenSSL context: {}", e.what()));
  }
  return out;
}

}  // namespace sbc::cp
