#include "controlplane/observability/metrics.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <string>
#include <vector>

#include "tests/unit/controlplane/registry_probe.h"

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
  stats.transcoded_sessions = 1;
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
  EXPECT_NE(text.find("sbc_dataplane_transcoded_sessions 1"), std::string::npos) << text;
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
  metrics.sip_dropped(sip::ParseError::kBadStartLine);
  const std::string text = render(metrics.registry().Collect());
  EXPECT_NE(text.find("sbc_calls_active 1"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_calls_total{result=\"busy\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_calls_total{result=\"answered\"} 0"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_requests_total{method=\"INVITE\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_requests_total{method=\"other\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_responses_total{class=\"4xx\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_sip_dropped_total{reason=\"bad_start_line\"} 1"), std::string::npos);
}

// Every reason of sbc_sip_dropped_total (sbcd's own and every parse error) exists at 0 before
// the first drop, so rate() works from the first scrape; one drop moves exactly its own series.
std::vector<std::string> sip_drop_names() {
  std::vector<std::string> names;
  for (size_t r = 0; r < kSipDropReasonCount; ++r) {
    names.emplace_back(to_string(static_cast<SipDropReason>(r)));
  }
  for (size_t e = 0; e <= static_cast<size_t>(sip::ParseError::kLast); ++e) {
    names.emplace_back(sip::to_string(static_cast<sip::ParseError>(e)));
  }
  return names;
}

void expect_only(Metrics& metrics, std::string_view counted) {
  for (const std::string& name : sip_drop_names()) {
    EXPECT_EQ(testing::sample(metrics.registry(), "sbc_sip_dropped_total", {{"reason", name}})
                  .value_or(-1),
              name == counted ? 1 : 0)
        << name << " after one " << counted;
  }
}

TEST(MetricsTest, SipDropReasonsArePreCreatedAndCountedOneByOne) {
  // The names are the label values dashboards, alerts and integration tests read.
  EXPECT_EQ(to_string(SipDropReason::kUnanswerable), "unanswerable");
  EXPECT_EQ(to_string(SipDropReason::kBadVia), "bad_via");
  EXPECT_EQ(to_string(SipDropReason::kUnknownTrunkSource), "unknown_trunk_source");
  EXPECT_EQ(to_string(SipDropReason::kSourceNotAllowed), "source_not_allowed");
  {
    Metrics metrics;
    const std::string text = render(metrics.registry().Collect());
    for (const std::string& name : sip_drop_names()) {
      EXPECT_NE(text.find(fmt::format("sbc_sip_dropped_total{{reason=\"{}\"}} 0", name)),
                std::string::npos)
          << name;
    }
  }
  for (size_t r = 0; r < kSipDropReasonCount; ++r) {
    Metrics metrics;
    metrics.sip_dropped(static_cast<SipDropReason>(r));
    expect_only(metrics, to_string(static_cast<SipDropReason>(r)));
  }
  for (size_t e = 0; e <= static_cast<size_t>(sip::ParseError::kLast); ++e) {
    // "bad_via" is both a parse error and a transaction-layer reason: one series, counted by both.
    const auto error = static_cast<sip::ParseError>(e);
    if (error == sip::ParseError::kBadVia) continue;
    Metrics metrics;
    metrics.sip_dropped(error);
    expect_only(metrics, sip::to_string(error));
  }
  Metrics metrics;
  metrics.sip_dropped(sip::ParseError::kBadVia);
  metrics.sip_dropped(SipDropReason::kBadVia);
  EXPECT_EQ(testing::sample(metrics.registry(), "sbc_sip_dropped_total", {{"reason", "bad_via"}})
                .value_or(-1),
            2);
}

TEST(MetricsTest, CallQualityHistogramsPerDirection) {
  Metrics metrics;
  DirectionQuality q;
  q.expected = 100;
  q.loss_percent = 2;
  q.jitter_ms = 15;
  q.mos = 4.1;
  metrics.call_quality(0, q);
  metrics.call_quality(1, DirectionQuality{});  // no RTP that way: not observed
  const std::string text = render(metrics.registry().Collect());
  EXPECT_NE(text.find("sbc_call_mos_count{direction=\"caller_to_callee\"} 1"), std::string::npos);
  EXPECT_NE(text.find("sbc_call_mos_bucket{direction=\"caller_to_callee\",le=\"4.2\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_call_mos_bucket{direction=\"caller_to_callee\",le=\"4\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_call_jitter_ms_sum{direction=\"caller_to_callee\"} 15"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_call_loss_percent_count{direction=\"caller_to_callee\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sbc_call_mos_count{direction=\"callee_to_caller\"} 0"), std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
