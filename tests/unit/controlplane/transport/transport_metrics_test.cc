#include "controlplane/transport/transport_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/unit/controlplane/registry_probe.h"

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
  metrics.sip_connection_closed(Transport::kTls, CloseReason::kHandshakeFailed);
  metrics.sip_tls_handshake_failed(true);
  metrics.sip_connection_refused(Transport::kTcp, ConnectionLimit::kMaxConnections);
  metrics.sip_keepalive(Transport::kUdp);
  metrics.sip_send_failed(Transport::kUdp, SendFailure::kNoListener);
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

// One family whose reason label comes from an enum: its transports and reason names.
struct ReasonFamily {
  const char* name;
  std::vector<Transport> transports;
  std::vector<std::string> reasons;
  std::function<void(TransportMetrics&, Transport, size_t)> count;  // one event of reason i
};

std::vector<ReasonFamily> reason_families() {
  std::vector<std::string> closes;
  for (CloseReason r : kAllCloseReasons) closes.emplace_back(to_string(r));
  return {
      {"sbc_sip_connections_closed_total",
       {Transport::kTcp, Transport::kTls},
       closes,
       [](TransportMetrics& m, Transport t, size_t i) {
         m.sip_connection_opened(t, true);
         m.sip_connection_closed(t, kAllCloseReasons[i]);
       }},
      {"sbc_sip_connections_refused_total",
       {Transport::kTcp, Transport::kTls},
       {kConnectionLimitNames.begin(), kConnectionLimitNames.end()},
       [](TransportMetrics& m, Transport t, size_t i) {
         m.sip_connection_refused(t, static_cast<ConnectionLimit>(i));
       }},
      {"sbc_sip_send_failures_total",
       {Transport::kUdp, Transport::kTcp, Transport::kTls},
       {kSendFailureNames.begin(), kSendFailureNames.end()},
       [](TransportMetrics& m, Transport t, size_t i) {
         m.sip_send_failed(t, static_cast<SendFailure>(i));
       }},
  };
}

double at(const prometheus::Registry& registry, const char* family, Transport t,
          const std::string& reason) {
  return testing::sample(registry, family,
                         {{"transport", std::string(to_string(t))}, {"reason", reason}})
      .value_or(-1);
}

// Every transport x reason of each family exists at 0 before any event (rate() works from the
// first scrape), and one event moves exactly its own series.
TEST(TransportMetricsTest, EveryReasonIsPreCreatedAndCountedAlone) {
  // The names are the label values dashboards and tests/integration read.
  EXPECT_EQ(to_string(ConnectionLimit::kMaxConnections), "max_connections");
  EXPECT_EQ(to_string(ConnectionLimit::kMaxConnectionsPerAddress), "max_connections_per_address");
  EXPECT_EQ(to_string(SendFailure::kNoListener), "no_listener");
  EXPECT_EQ(to_string(SendFailure::kConnectionClosed), "connection_closed");
  EXPECT_EQ(to_string(CloseReason::kHandshakeFailed), "handshake_failed");
  ASSERT_EQ(std::size(kAllCloseReasons), 11u);
  for (const ReasonFamily& f : reason_families()) {
    {
      prometheus::Registry registry;
      TransportMetrics metrics(registry);
      for (Transport t : f.transports) {
        for (const std::string& r : f.reasons) {
          EXPECT_EQ(at(registry, f.name, t, r), 0) << f.name << " " << to_string(t) << " " << r;
        }
      }
    }
    for (Transport counted_transport : f.transports) {
      for (size_t counted = 0; counted < f.reasons.size(); ++counted) {
        prometheus::Registry registry;
        TransportMetrics metrics(registry);
        f.count(metrics, counted_transport, counted);
        for (Transport t : f.transports) {
          for (size_t r = 0; r < f.reasons.size(); ++r) {
            EXPECT_EQ(at(registry, f.name, t, f.reasons[r]),
                      t == counted_transport && r == counted ? 1 : 0)
                << f.name << " " << to_string(t) << " " << f.reasons[r] << " after one "
                << f.reasons[counted];
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace sbc::cp
