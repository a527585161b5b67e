#include "controlplane/observability/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace sbc::cp {
namespace {

std::string render(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

TEST(MetricsTest, DataplaneCountersAreMirrored) {
  DataplaneCollector collector;
  std::string text = render(collector.Collect());
  EXPECT_NE(text.find("sbc_dataplane_up 0"), std::string::npos) << text;
  EXPECT_EQ(text.find("sbc_dataplane_sessions"), std::string::npos);

  api::StatsReply stats;
  stats.active_sessions = 2;
  api::PortStats port;
  port.name = "access";
  port.rx_packets = 42;
  port.tx_bytes = 4200;
  stats.ports.push_back(port);
  stats.drops.push_back({"source_mismatch", 7});
  stats.events.push_back({"latch_learned", 3});
  collector.update(true, &stats);
  text = render(collector.Collect());
  EXPECT_NE(text.find("sbc_dataplane_up 1"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_dataplane_sessions 2"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_dataplane_rx_packets_total{port=\"access\"} 42"), std::string::npos);
  EXPECT_NE(text.find("sbc_dataplane_tx_bytes_total{port=\"access\"} 4200"), std::string::npos);
  EXPECT_NE(text.find("sbc_dataplane_drops_total{reason=\"source_mismatch\"} 7"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_dataplane_events_total{event=\"latch_learned\"} 3"), std::string::npos)
      << text;
  // While the dataplane is down nothing of its last snapshot is exported: it would look live.
  collector.update(false, nullptr);
  text = render(collector.Collect());
  EXPECT_NE(text.find("sbc_dataplane_up 0"), std::string::npos);
  EXPECT_EQ(text.find("sbc_dataplane_sessions"), std::string::npos) << text;
  EXPECT_EQ(text.find("sbc_dataplane_rx_packets_total"), std::string::npos) << text;
  // Reconnected but no fresh snapshot yet: still nothing stale.
  collector.update(true, nullptr);
  text = render(collector.Collect());
  EXPECT_NE(text.find("sbc_dataplane_up 1"), std::string::npos);
  EXPECT_EQ(text.find("sbc_dataplane_sessions"), std::string::npos) << text;
}

TEST(MetricsTest, CallAndSipCounters) {
  Metrics metrics;
  metrics.call_started();
  metrics.call_started();
  metrics.call_ended(CallResult::kBusy);
  metrics.sip_request_received("INVITE");
  metrics.sip_request_received("FOO");
  metrics.sip_response_received(486);
  metrics.sip_response_received(99);  // out of range: ignored
  metrics.sip_dropped("bad_start_line");
  const std::string text = render(metrics.registry().Collect());
  EXPECT_NE(text.find("sbc_calls_active 1"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_calls_total{result=\"busy\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_calls_total{result=\"answered\"} 0"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_requests_total{method=\"INVITE\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_requests_total{method=\"other\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_responses_total{class=\"4xx\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_dropped_total{reason=\"bad_start_line\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
