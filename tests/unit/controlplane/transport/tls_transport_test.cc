// SIP over TLS between two TransportManagers (or a hand-made OpenSSL client) on 127.0.0.1, with a
// PKI generated for the test.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <memory>
#include <vector>

#include "controlplane/transport/tls_context.h"
#include "controlplane/transport/transport_manager.h"
#include "tests/unit/controlplane/transport/loopback.h"
#include "tests/unit/controlplane/transport/test_pki.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;
using testing::has_metric;
using testing::run_until;
using testing::sip_message;

class TlsTransportTest : public ::testing::Test {
 protected:
  TlsConfig server_config() const {
    TlsConfig c;
    c.certificate = pki_.server.certificate;
    c.private_key = pki_.server.private_key;
    c.ca_file = pki_.ca_file;
    return c;
  }
  // sbcd's side as a TLS client: its own certificate only when `with_certificate`.
  TlsConfig client_config(bool with_certificate) const {
    TlsConfig c;
    if (with_certificate) {
      c.certificate = pki_.client.certificate;
      c.private_key = pki_.client.private_key;
    }
    c.ca_file = pki_.ca_file;
    return c;
  }
  struct Side {
    testing::TestMetrics metrics;
    testing::Received received;
    std::unique_ptr<TransportManager> manager;
    Endpoint local;
  };
  // A manager with a TLS listener on 127.0.0.1:<any> when the config has a certificate, else a
  // TCP listener (an outbound TLS connection leaves from the zone's address).
  void start(Side& side, const TlsConfig& config, TransportSettings settings = {}) {
    side.manager = std::make_unique<TransportManager>(io_, 1, settings, side.metrics,
                                                      side.received.receiver());
    auto tls = side.manager->configure_tls(config);
    ASSERT_TRUE(tls.has_value()) << tls.error();
    const Transport listener = config.certificate.empty() ? Transport::kTcp : Transport::kTls;
    auto bound = side.manager->listen(0, listener, "127.0.0.1", 0);
    ASSERT_TRUE(bound.has_value()) << bound.error();
    side.local = *bound;
  }
  void send(Side& from, const Side& to, const std::string& message,
            const std::string& server_name = {}) {
    SipPeer peer;
    peer.transport = Transport::kTls;
    peer.remote = to.local;
    peer.server_name = server_name;
    from.manager->send(peer, message);
  }

  testing::TestPki pki_;
  boost::asio::io_context io_;
  Side server_;
  Side client_;
};

TEST_F(TlsTransportTest, MessagesBothWays) {
  start(server_, server_config());
  start(client_, client_config(true));
  send(client_, server_, sip_message(1));
  ASSERT_TRUE(run_until(io_, [&] { return server_.received.messages.size() == 1; }));
  const SipPeer from = server_.received.messages[0].first;
  EXPECT_EQ(from.transport, Transport::kTls);
  EXPECT_EQ(server_.received.messages[0].second, sip_message(1));
  server_.manager->send(from, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(run_until(io_, [&] { return client_.received.messages.size() == 1; }));
  EXPECT_EQ(client_.received.messages[0].first.transport, Transport::kTls);
  EXPECT_EQ(client_.manager->connections(Transport::kTls), 1u);
  EXPECT_TRUE(has_metric(server_.metrics, "sbc_sip_connections{transport=\"tls\"} 1"));
}

TEST_F(TlsTransportTest, Tls12ClientIsRefusedByA13Server) {
  TlsConfig config = server_config();
  config.min_version = TlsVersion::k13;
  start(server_, config);
  // Issue 8: a failed inbound handshake is reported (sbcd counts it as an offence).
  std::vector<Endpoint> failed;
  server_.manager->set_tls_failure_handler([&](size_t zone, const Endpoint& remote) {
    EXPECT_EQ(zone, 0u);
    failed.push_back(remote);
  });
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(boost::asio::ssl::verify_none);
  boost::asio::ssl::stream<tcp::socket> client(io_, ctx);
  client.next_layer().connect(testing::to_tcp(server_.local));
  bool done = false;
  boost::system::error_code result;
  client.async_handshake(boost::asio::ssl::stream_base::client,
                         [&](const boost::system::error_code& ec) {
                           result = ec;
                           done = true;
                         });
  ASSERT_TRUE(run_until(io_, [&] { return done; }));
  EXPECT_TRUE(result.failed());
  ASSERT_TRUE(run_until(io_, [&] { return server_.manager->connections() == 0; }));
  EXPECT_TRUE(
      has_metric(server_.metrics, "sbc_sip_tls_handshake_failures_total{direction=\"inbound\"} 1"));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].address(), boost::asio::ip::make_address("127.0.0.1"));
  // The same client without the cap gets through.
  start(client_, client_config(false));
  send(client_, server_, sip_message(1));
  EXPECT_TRUE(run_until(io_, [&] { return server_.received.messages.size() == 1; }));
}

TEST_F(TlsTransportTest, NoCommonGroupFailsTheHandshake) {
  TlsConfig config = server_config();
  config.groups = "P-384";
  start(server_, config);
  TlsConfig client = client_config(false);
  client.groups = "X25519";
  start(client_, client);
  send(client_, server_, sip_message(1));
  ASSERT_TRUE(run_until(io_, [&] { return client_.manager->connections() == 0; }));
  EXPECT_TRUE(has_metric(client_.metrics,
                         "sbc_sip_tls_handshake_failures_total{direction=\"outbound\"} 1"));
  EXPECT_TRUE(run_until(io_, [&] { return server_.manager->connections() == 0; }));
  EXPECT_TRUE(server_.received.messages.empty());
}

TEST_F(TlsTransportTest, VerifyClientNeedsACertificate) {
  TlsConfig config = server_config();
  config.verify_client = true;
  start(server_, config);
  start(client_, client_config(false));
  send(client_, server_, sip_message(1));
  ASSERT_TRUE(run_until(io_, [&] {
    return has_metric(server_.metrics,
                      "sbc_sip_tls_handshake_failures_total{direction=\"inbound\"} 1");
  }));
  testing::run_for(io_, 50ms);
  EXPECT_TRUE(server_.received.messages.empty());

  Side with_cert;
  start(with_cert, client_config(true));
  send(with_cert, server_, sip_message(2));
  ASSERT_TRUE(run_until(io_, [&] { return server_.received.messages.size() == 1; }));
  EXPECT_EQ(server_.received.messages[0].second, sip_message(2));
}

TEST_F(TlsTransportTest, ServerCertificateIsVerified) {
  start(server_, server_config());
  TlsConfig client = client_config(false);
  client.ca_file = pki_.other_ca_file;  // does not sign the server's certificate
  start(client_, client);
  send(client_, server_, sip_message(1));
  ASSERT_TRUE(run_until(io_, [&] {
    return has_metric(client_.metrics,
                      "sbc_sip_tls_handshake_failures_total{direction=\"outbound\"} 1");
  }));
  EXPECT_TRUE(server_.received.messages.empty());
  // verify_server = false accepts it.
  Side lenient;
  client.verify_server = false;
  start(lenient, client);
  send(lenient, server_, sip_message(2));
  EXPECT_TRUE(run_until(io_, [&] { return server_.received.messages.size() == 1; }));
}

// A certificate that chains to the trusted CA is not enough: it must name the address dialled.
TEST_F(TlsTransportTest, ServerCertificateMustNameTheAddress) {
  server_.manager = std::make_unique<TransportManager>(io_, 1, TransportSettings{}, server_.metrics,
                                                       server_.received.receiver());
  ASSERT_TRUE(server_.manager->configure_tls(server_config()).has_value());
  auto bound = server_.manager->listen(0, Transport::kTls, "127.0.0.2", 0);  // SAN is 127.0.0.1
  ASSERT_TRUE(bound.has_value()) << bound.error();
  server_.local = *bound;
  start(client_, client_config(false));
  send(client_, server_, sip_message(1));
  ASSERT_TRUE(run_until(io_, [&] {
    return has_metric(client_.metrics,
                      "sbc_sip_tls_handshake_failures_total{direction=\"outbound\"} 1");
  }));
  EXPECT_TRUE(server_.received.messages.empty());
  // The same server at the address its certificate names is accepted.
  Side right;
  start(right, server_config());
  send(client_, right, sip_message(2));
  EXPECT_TRUE(run_until(io_, [&] { return right.received.messages.size() == 1; }));
}

// A trunk known by DNS name: its certificate must carry that name (RFC 5922), whatever address
// the name led to.
TEST_F(TlsTransportTest, ServerCertificateMustNameTheTrunksDomain) {
  start(server_, server_config());
  start(client_, client_config(false));
  send(client_, server_, sip_message(1), "other.carrier.test");
  ASSERT_TRUE(run_until(io_, [&] {
    return has_metric(client_.metrics,
                      "sbc_sip_tls_handshake_failures_total{direction=\"outbound\"} 1");
  }));
  EXPECT_TRUE(server_.received.messages.empty());
  Side named;
  start(named, client_config(false));
  send(named, server_, sip_message(2), "sip.carrier.test");
  EXPECT_TRUE(run_until(io_, [&] { return server_.received.messages.size() == 1; }));
}

TEST_F(TlsTransportTest, SilentClientHitsTheHandshakeTimeout) {
  TransportSettings settings;
  settings.stream.handshake_timeout = 100ms;
  start(server_, server_config(), settings);
  tcp::socket client(io_);
  client.connect(testing::to_tcp(server_.local));
  ASSERT_TRUE(run_until(io_, [&] { return server_.manager->connections() == 1; }));
  ASSERT_TRUE(run_until(io_, [&] { return server_.manager->connections() == 0; }));
  EXPECT_TRUE(has_metric(
      server_.metrics,
      "sbc_sip_connections_closed_total{reason=\"handshake_timeout\",transport=\"tls\"} 1"));
  EXPECT_TRUE(
      has_metric(server_.metrics, "sbc_sip_tls_handshake_failures_total{direction=\"inbound\"} 1"));
}

TEST_F(TlsTransportTest, ConfigErrorsNameTheOption) {
  auto error_of = [](const TlsConfig& c) {
    auto r = make_tls_contexts(c);
    EXPECT_FALSE(r.has_value());
    return r ? std::string() : r.error();
  };
  EXPECT_TRUE(make_tls_contexts(server_config()).has_value());
  TlsConfig c = server_config();
  c.certificate = (pki_.dir / "missing.crt").string();
  EXPECT_NE(error_of(c).find("tls.certificate"), std::string::npos);
  c = server_config();
  c.private_key = pki_.client.private_key;  // not the certificate's key
  EXPECT_NE(error_of(c).find("tls.private_key"), std::string::npos);
  c = server_config();
  c.ca_file = (pki_.dir / "missing_ca.crt").string();
  EXPECT_NE(error_of(c).find("tls.ca_file"), std::string::npos);
  c = server_config();
  c.ciphers = "NO-SUCH-CIPHER";
  EXPECT_NE(error_of(c).find("tls.ciphers"), std::string::npos);
  c = server_config();
  c.ciphersuites = "TLS_NOPE_SHA256";
  EXPECT_NE(error_of(c).find("tls.ciphersuites"), std::string::npos);
  c = server_config();
  c.groups = "X25519:X9";
  EXPECT_NE(error_of(c).find("tls.groups"), std::string::npos);
  c = server_config();
  c.certificate = pki_.server.private_key;  // a key is not a certificate
  EXPECT_NE(error_of(c).find("tls.certificate"), std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
