#include "controlplane/transport/transport_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace sbc::cp {
namespace {

std::string render(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

TEST(TransportMetricsTest, CountsByTransportAndReason) {
  prometheus::Registry registry;
  TransportMetrics metrics(registry);
  std::string text = render(registry.Collect());
  // Bounded label values exist before the first event.
  EXPECT_NE(text.find("sbc_sip_connections{transport=\"tls\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_sip_tls_handshake_failures_total{direction=\"outbound\"} 0"),
            std::string::npos);
  metrics.sip_connection_opened(Transport::kTcp, true);
  metrics.sip_connection_opened(Transport::kTcp, false);
  metrics.sip_connection_opened(Transport::kTls, true);
  metrics.sip_connection_closed(Transport::kTls, "handshake_failed");
  metrics.sip_tls_handshake_failed(true);
  metrics.sip_connection_refused(Transport::kTcp, "max_connections");
  metrics.sip_keepalive(Transport::kUdp);
  metrics.sip_send_failed(Transport::kUdp, "no_listener");
  text = render(registry.Collect());
  EXPECT_NE(text.find("sbc_sip_connections{transport=\"tcp\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_sip_connections{transport=\"tls\"} 0"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_connections_accepted_total{transport=\"tcp\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_sip_connections_initiated_total{transport=\"tcp\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_sip_connections_closed_total{reason=\"handshake_failed\","
                      "transport=\"tls\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_sip_tls_handshake_failures_total{direction=\"inbound\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_sip_connections_refused_total{reason=\"max_connections\","
                      "transport=\"tcp\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_sip_keepalives_total{transport=\"udp\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_send_failures_total{reason=\"no_listener\",transport=\"udp\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
