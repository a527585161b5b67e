// Configuration reload: the plan (zone indexes kept, options that need a restart) and the one
// validation path for --check-config and reload.
#include "controlplane/config/config_reload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp::testing {
namespace {

// --- the plan ------------------------------------------------------------------------------------

TEST(ReloadPlanTest, ZonesKeepTheirIndexNewOnesAreAppendedRemovedOnesRetired) {
  const Config running = parsed(kConfig);  // access (0), carrier (1)
  // "backbone" sorts before both; "carrier" is gone, its trunk moves to "backbone".
  Config next = parsed(R"(
[zone.access]
allow_open_access = yes
dataplane_port = access
sip_address = 192.0.2.1
default_target = 192.0.2.10:5060
[zone.backbone]
dataplane_port = trunk
sip_address = 198.51.100.2
[trunk.carrier2]
zone = backbone
host = 198.51.100.20
)");
  ASSERT_EQ(next.zones.front().name, "access");
  const ReloadPlan plan = plan_reload(running, std::move(next));
  ASSERT_EQ(plan.config.zones.size(), 3u);
  EXPECT_EQ(plan.config.zones[kAccess].name, "access");
  EXPECT_FALSE(plan.config.zones[kAccess].retired);
  EXPECT_EQ(plan.config.zones[kCarrier].name, "carrier");
  EXPECT_TRUE(plan.config.zones[kCarrier].retired);
  EXPECT_EQ(plan.config.zones[2].name, "backbone");
  EXPECT_EQ(plan.config.find_zone("carrier"), nullptr);
  EXPECT_EQ(plan.config.access_zone().name, "access");
  EXPECT_EQ(plan.summary.zones_added, 1u);
  EXPECT_EQ(plan.summary.zones_retired, 1u);
  EXPECT_TRUE(has(plan.summary.changes, "zone.carrier: removed"));
  EXPECT_TRUE(has(plan.summary.changes, "zone.backbone: added"));
  EXPECT_TRUE(has(plan.summary.changes, "trunk.carrier1: removed"));
  EXPECT_TRUE(has(plan.summary.changes, "trunk.carrier2: added"));
  EXPECT_TRUE(has(plan.summary.changes, "media"));  // the timeouts went back to their defaults

  // The zone comes back at its old index.
  const ReloadPlan back = plan_reload(plan.config, parsed(kConfig));
  ASSERT_EQ(back.config.zones.size(), 3u);
  EXPECT_EQ(back.config.zones[kCarrier].name, "carrier");
  EXPECT_FALSE(back.config.zones[kCarrier].retired);
  EXPECT_TRUE(back.config.zones[2].retired);
  EXPECT_TRUE(has(back.summary.changes, "zone.carrier: added"));
}

TEST(ReloadPlanTest, OptionsThatCannotChangeAtRuntimeKeepTheirValueAndAreReported) {
  const Config running = parsed(kConfig);
  Config next = parsed(kConfig);
  next.mgmt_socket = "/tmp/elsewhere.sock";
  next.max_call_duration_s = 60;
  next.media.port_min = 30000;
  next.media.timeout_s = 5;
  next.zones[kAccess].sip_port = 5070;
  next.zones[kAccess].listeners.front().port = 5070;
  const ReloadPlan plan = plan_reload(running, std::move(next));
  EXPECT_TRUE(has(plan.summary.needs_restart, "sbcd.mgmt_socket"));
  EXPECT_TRUE(has(plan.summary.needs_restart, "media.port_min"));
  EXPECT_TRUE(has(plan.summary.needs_restart, "zone.access.sip_port"));
  EXPECT_TRUE(has(plan.summary.needs_restart, "zone.access.listen"));
  EXPECT_EQ(plan.config.mgmt_socket, running.mgmt_socket);
  EXPECT_EQ(plan.config.media.port_min, running.media.port_min);
  EXPECT_EQ(plan.config.zones[kAccess].sip_port, 5060);
  EXPECT_EQ(plan.config.zones[kAccess].listeners, running.zones[kAccess].listeners);
  // What can change, did.
  EXPECT_EQ(plan.config.media.timeout_s, 5u);
  EXPECT_EQ(plan.config.max_call_duration_s, 60u);
  EXPECT_TRUE(has(plan.summary.changes, "sbcd.max_call_duration"));
  EXPECT_TRUE(plan.summary.warnings.empty());
  // An unchanged file changes nothing.
  const ReloadPlan same = plan_reload(running, parsed(kConfig));
  EXPECT_TRUE(same.summary.changes.empty());
  EXPECT_TRUE(same.summary.needs_restart.empty());
}

TEST(ReloadPlanTest, AdmissionKeepsCountingARemovedTrunksCallsUntilTheyEnd) {
  Config config = parsed(std::string(kConfig) + "[trunk.carrier1]\nmax_calls = 1\n");
  AdmissionControl admission(config.security_view());
  const auto now = AdmissionControl::TimePoint{} + 10s;
  auto ticket = admission.admit({"carrier1", ""}, now);
  ASSERT_TRUE(ticket.has_value());
  config.trunks.front().name = "carrier2";
  admission.reconfigure(config.security_view());
  EXPECT_EQ(admission.active("trunk", "carrier1"), 1u);
  EXPECT_EQ(admission.active("global", ""), 1u);
  EXPECT_TRUE(admission.admit({"carrier2", ""}, now).has_value());   // a new counter
  EXPECT_FALSE(admission.admit({"carrier2", ""}, now).has_value());  // at its max_calls 1
  admission.release(*ticket);
  EXPECT_EQ(admission.active("trunk", "carrier1"), 0u);
  EXPECT_EQ(admission.active("global", ""), 1u);
}

// --- one validation path -------------------------------------------------------------------------

TEST_F(ConfigFileTest, CheckConfigFileNamesTheOption) {
  write(std::string(kConfig) + "[media]\nmax_packet_rate = soon\n");
  auto checked = check_config_file(path_);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().find("media.max_packet_rate"), std::string::npos) << checked.error();
  // The TLS files are judged by OpenSSL on the same path.
  write(std::string(kConfig) + "[tls]\ncertificate = " + (dir_ / "missing.pem").string() +
        "\nprivate_key = " + (dir_ / "missing.key").string() + "\n");
  checked = check_config_file(path_);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().find("tls."), std::string::npos) << checked.error();
  write(kConfig);
  EXPECT_TRUE(check_config_file(path_).has_value());
}

}  // namespace
}  // namespace sbc::cp::testing
