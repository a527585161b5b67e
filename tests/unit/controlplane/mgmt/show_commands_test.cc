#include "controlplane/mgmt/show_commands.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/fakes.h"

namespace sbc::cp {
namespace {

TEST(ShowCommandsTest, DataplaneWithAndWithoutStats) {
  testing::FakeDataplane dataplane;
  std::optional<api::StatsReply> stats;
  CommandOutput before = show_dataplane(dataplane, stats);
  EXPECT_EQ(before.data["connected"], true);
  EXPECT_EQ(before.data["ports"].size(), 2u);
  EXPECT_TRUE(before.data["sessions"].is_null());
  EXPECT_NE(before.text.find("no statistics yet"), std::string::npos);

  api::StatsReply reply;
  reply.active_sessions = 3;
  api::PortStats port;
  port.index = 1;
  port.name = "trunk";
  port.rx_packets = 1234;
  port.media_packets = 99;
  reply.ports.push_back(port);
  reply.drops.push_back({"source_mismatch", 5});
  stats = reply;
  CommandOutput after = show_dataplane(dataplane, stats);
  EXPECT_EQ(after.data["sessions"], 3);
  EXPECT_EQ(after.data["ports"][1]["rx_packets"], 1234);
  EXPECT_EQ(after.data["ports"][1]["media_packets"], 99);
  EXPECT_FALSE(after.data["ports"][0].contains("rx_packets"));
  EXPECT_EQ(after.data["drops"]["source_mismatch"], 5);
  EXPECT_NE(after.text.find("198.51.100.1/0"), std::string::npos);
  EXPECT_NE(after.text.find("1234"), std::string::npos);
}

TEST(ShowCommandsTest, CallQualityPerDirection) {
  std::string line;
  EXPECT_TRUE(call_quality_view(std::nullopt, line).is_null());
  EXPECT_TRUE(line.empty());

  api::StatsReply stats;
  stats.legs.resize(2);
  auto& a = stats.legs[kCaller].rtp.quality;
  a.expected = 1000;
  a.lost = 20;
  a.jitter = 160;  // 20 ms at 8 kHz
  a.clock_hz = 8000;
  stats.legs[kCallee].rtcp.quality.rtt_us = 80'000;
  const nlohmann::json q = call_quality_view(stats, line);
  EXPECT_EQ(q["a_to_b"]["lost"], 20);
  EXPECT_DOUBLE_EQ(q["a_to_b"]["loss_percent"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(q["a_to_b"]["jitter_ms"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(q["a_to_b"]["rtt_ms"].get<double>(), 80.0);
  EXPECT_LT(q["a_to_b"]["mos"].get<double>(), 4.2);
  EXPECT_TRUE(q["b_to_a"].is_null());
  EXPECT_NE(line.find("A->B: loss 2.0% jitter 20.0 ms rtt 80 ms MOS"), std::string::npos) << line;
  EXPECT_EQ(line.find("B->A"), std::string::npos);
}

TEST(ShowCommandsTest, RegisteredCommandsDispatch) {
  testing::FakeDataplane dataplane;
  dataplane.connected_ = false;
  std::optional<api::StatsReply> stats;
  testing::FakeScheduler clock;
  auto config = parse_config(
      "[zone.a]\ndataplane_port = access\nsip_address = 192.0.2.1\nallow_open_access = yes\n"
      "[zone.t]\ndataplane_port = trunk\nsip_address = 198.51.100.1\n"
      "[trunk.x]\nzone = t\nhost = 198.51.100.10\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  testing::FakeTransport transport;
  MediaPortAllocator ports(20000, 20099);
  Metrics metrics;
  SecurityMetrics security_metrics(metrics.registry());
  EdgeSecurity security(config->security_view(), clock, dataplane, security_metrics);
  Registrar registrar(config->registrar);
  B2bua b2bua(*config, clock, transport, dataplane, ports, metrics, security, registrar, nullptr);
  CommandTable table;
  register_show_commands(table, b2bua, dataplane, stats, clock);
  const std::vector<std::string> calls = {"show", "calls"};
  auto result = table.dispatch(calls);
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_TRUE(result->data["calls"].empty());
  EXPECT_NE(result->text.find("0 active call(s)"), std::string::npos);
  const std::vector<std::string> dp = {"show", "dataplane"};
  auto shown = table.dispatch(dp);
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->data["connected"], false);
  const std::vector<std::string> extra = {"show", "calls", "now"};
  EXPECT_FALSE(table.dispatch(extra).has_value());
}

}  // namespace
}  // namespace sbc::cp
