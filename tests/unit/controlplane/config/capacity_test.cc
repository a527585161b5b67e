// Table sizes (capacity.h) and the ended-call store (ended_calls.h).
#include "controlplane/config/capacity.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTwoPorts = R"(
[media]
port_min = 20000
port_max = 20999
[zone.access]
allow_open_access = yes
dataplane_port = access
sip_address = 192.0.2.1
default_target = 192.0.2.10:5060
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
)";

Config config_of(std::string text) {
  auto config = parse_config(text);
  EXPECT_TRUE(config.has_value()) << config.error();
  return config ? *config : Config{};
}

TEST(CapacityTest, CallsFollowTheMediaPortsAndTheDataplane) {
  Config two = config_of(kTwoPorts);
  EXPECT_EQ(media_call_capacity(two), 500u);  // 500 pairs on each of two dataplane ports
  std::string shared_text = kTwoPorts;
  shared_text.replace(shared_text.find("dataplane_port = trunk"), 22, "dataplane_port = access");
  Config shared = config_of(shared_text);
  EXPECT_EQ(media_call_capacity(shared), 250u);  // both legs on one port

  CapacityLimits before_hello = resolve_capacity(two, 0);
  EXPECT_EQ(before_hello.calls, 500u);
  EXPECT_EQ(before_hello.calls_source, "media ports");
  CapacityLimits small_dataplane = resolve_capacity(two, 100);
  EXPECT_EQ(small_dataplane.calls, 100u);
  EXPECT_EQ(small_dataplane.calls_source, "dataplane max_sessions");
  EXPECT_EQ(small_dataplane.transactions, kMinDerivedTransactions);
  EXPECT_EQ(small_dataplane.ended_calls, kMinDerivedEndedCalls);
  EXPECT_EQ(resolve_capacity(two, 1'000'000).calls, 500u);

  two.capacity = {300, 1'000'000, 20'000};
  CapacityLimits configured = resolve_capacity(two, 100);
  EXPECT_EQ(configured.calls, 300u);
  EXPECT_EQ(configured.calls_source, "configured");
  EXPECT_EQ(configured.transactions, 1'000'000u);
  EXPECT_EQ(configured.ended_calls, 20'000u);
}

}  // namespace
}  // namespace sbc::cp
