// Table sizes (capacity.h) and the ended-call store (ended_calls.h).
#include "controlplane/config/capacity.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

using testing::parsed;

TEST(CapacityTest, CallsFollowTheMediaPortsAndTheDataplane) {
  Config two = parsed(testing::kTwoPortConfig);
  EXPECT_EQ(media_call_capacity(two), 500u);  // 500 pairs on each of two dataplane ports
  std::string shared_text = testing::kTwoPortConfig;
  shared_text.replace(shared_text.find("dataplane_port = trunk"), 22, "dataplane_port = access");
  Config shared = parsed(shared_text);
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
