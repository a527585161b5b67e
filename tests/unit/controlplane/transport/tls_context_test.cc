// make_tls_contexts() read back from the OpenSSL contexts it builds, without a handshake: which
// contexts exist, protocol floor, hardening options, verification modes, the client CA list,
// cipher selection; and openssl_errors(). The handshakes these settings lead to are in
// tls_transport_test.
#include "controlplane/transport/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <set>
#include <string>

#include "tests/unit/controlplane/transport/test_pki.h"

namespace sbc::cp {
namespace {

class TlsContextTest : public ::testing::Test {
 protected:
  TlsConfig server_config() const {
    TlsConfig c;
    c.certificate = pki_.server.certificate;
    c.private_key = pki_.server.private_key;
    c.ca_file = pki_.ca_file;
    return c;
  }
  static TlsContexts make(const TlsConfig& config) {
    auto made = make_tls_contexts(config);
    EXPECT_TRUE(made.has_value()) << made.error();
    return made.value_or(TlsContexts{});
  }
  static std::set<std::string> ciphers(SSL_CTX* ctx) {
    std::set<std::string> out;
    STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
      out.insert(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)));
    }
    return out;
  }
  testing::TestPki pki_;
};

TEST_F(TlsContextTest, WithoutACertificateOnlyTheClientContextExists) {
  TlsConfig c;
  c.ca_file = pki_.ca_file;
  const TlsContexts contexts = make(c);
  EXPECT_EQ(contexts.server, nullptr);
  ASSERT_NE(contexts.client, nullptr);
  SSL_CTX* client = contexts.client->native_handle();
  EXPECT_EQ(SSL_CTX_get_verify_mode(client), SSL_VERIFY_PEER);
  EXPECT_EQ(SSL_CTX_get0_certificate(client), nullptr);
  c.verify_server = false;
  EXPECT_EQ(SSL_CTX_get_verify_mode(make(c).client->native_handle()), SSL_VERIFY_NONE);
}

TEST_F(TlsContextTest, BothContextsAreHardenedAndHoldTheCertificate) {
  const TlsContexts contexts = make(server_config());
  ASSERT_NE(contexts.server, nullptr);
  ASSERT_NE(contexts.client, nullptr);
  for (SSL_CTX* ctx : {contexts.server->native_handle(), contexts.client->native_handle()}) {
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION, 0u);
    EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION, 0u);
    // The certificate doubles as the client certificate toward peers that ask for one.
    EXPECT_NE(SSL_CTX_get0_certificate(ctx), nullptr);
  }
  SSL_CTX* server = contexts.server->native_handle();
  EXPECT_NE(SSL_CTX_get_options(server) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  EXPECT_EQ(SSL_CTX_get_options(contexts.client->native_handle()) & SSL_OP_CIPHER_SERVER_PREFERENCE,
            0u);
  EXPECT_EQ(SSL_CTX_get_verify_mode(server), SSL_VERIFY_NONE);
  EXPECT_LE(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(server)), 0);  // none (-1: no list)
}

TEST_F(TlsContextTest, VerifyClientRequiresACertificateAndAnnouncesTheCa) {
  TlsConfig c = server_config();
  c.verify_client = true;
  const TlsContexts contexts = make(c);
  SSL_CTX* server = contexts.server->native_handle();
  EXPECT_EQ(SSL_CTX_get_verify_mode(server), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_EQ(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(server)), 1);
}

TEST_F(TlsContextTest, VersionFloorAndCipherSelectionAreApplied) {
  TlsConfig c = server_config();
  c.min_version = TlsVersion::k13;
  c.ciphersuites = "TLS_AES_256_GCM_SHA384";
  c.groups = "X25519:P-256";
  const TlsContexts contexts = make(c);
  SSL_CTX* server = contexts.server->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(server), TLS1_3_VERSION);
  const auto suites = ciphers(server);
  EXPECT_TRUE(suites.contains("TLS_AES_256_GCM_SHA384"));
  EXPECT_FALSE(suites.contains("TLS_AES_128_GCM_SHA256"));
  c = server_config();
  c.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  const auto tls12 = ciphers(make(c).server->native_handle());
  EXPECT_TRUE(tls12.contains("ECDHE-ECDSA-AES128-GCM-SHA256"));
  EXPECT_FALSE(tls12.contains("ECDHE-ECDSA-AES256-GCM-SHA384"));
}

TEST_F(TlsContextTest, MissingFilesAreNamedWithTheirOption) {
  TlsConfig c = server_config();
  c.private_key = (pki_.dir / "absent.key").string();
  auto made = make_tls_contexts(c);
  ASSERT_FALSE(made.has_value());
  EXPECT_EQ(made.error(), "tls.private_key: " + c.private_key + ": no such file");
  c = server_config();
  c.ca_file = pki_.dir.string();  // a directory is no CA file
  made = make_tls_contexts(c);
  ASSERT_FALSE(made.has_value());
  EXPECT_EQ(made.error(), "tls.ca_file: " + c.ca_file + ": no such file");
  // A failed build leaves no OpenSSL error behind for the next caller.
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpensslErrorsTest, JoinsTheQueueAndEmptiesIt) {
  ERR_clear_error();
  EXPECT_EQ(openssl_errors(), "unknown OpenSSL error");
  ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH);
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_VALUE);
  const std::string text = openssl_errors();
  EXPECT_NE(text.find("no cipher match"), std::string::npos) << text;
  EXPECT_NE(text.find("; "), std::string::npos) << text;
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_EQ(openssl_errors(), "unknown OpenSSL error");
}

}  // namespace
}  // namespace sbc::cp
