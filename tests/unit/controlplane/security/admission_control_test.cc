#include "controlplane/security/admission_control.h"

#include <gtest/gtest.h>

#include "controlplane/config/config.h"

namespace sbc::cp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = AdmissionControl::TimePoint;

Config limits_config() {
  Config c;
  c.security.limits = {10, 0};
  TrunkConfig t1;
  t1.name = "carrier1";
  t1.limits = {2, 0};
  TrunkConfig t2;
  t2.name = "carrier2";
  t2.limits = {0, 3};
  TrunkConfig t3;
  t3.name = "open";
  c.trunks = {t1, t2, t3};
  UserConfig alice;
  alice.name = "alice";
  alice.limits = {1, 0};
  UserConfig bob;
  bob.name = "bob";
  bob.limits = {0, 1};
  c.users = {alice, bob};
  return c;
}

class AdmissionControlTest : public ::testing::Test {
 protected:
  AdmissionControl cac_{limits_config().security_view()};
  TimePoint t0_ = TimePoint{} + seconds(500);
};

TEST_F(AdmissionControlTest, DefaultConfigAdmitsEverything) {
  AdmissionControl open{Config{}.security_view()};
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(open.admit({"", ""}, t0_).has_value());
  }
  EXPECT_EQ(open.active("global", ""), 10000u);
}

TEST_F(AdmissionControlTest, TrunkMaxCalls) {
  auto a = cac_.admit({"carrier1", ""}, t0_);
  auto b = cac_.admit({"carrier1", ""}, t0_);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->trunk, "carrier1");
  EXPECT_EQ(a->user, "");
  auto c = cac_.admit({"carrier1", ""}, t0_);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, 503);
  EXPECT_EQ(to_string(c.error().scope), "trunk");
  EXPECT_EQ(to_string(c.error().limit), "max_calls");
  EXPECT_EQ(c.error().retry_after, AdmissionControl::kMaxCallsRetryAfter);
  EXPECT_EQ(c.error().reason, "Service Unavailable (trunk carrier1 at max_calls 2)");
  EXPECT_EQ(cac_.active("trunk", "carrier1"), 2u);
  EXPECT_EQ(cac_.active("global", ""), 2u);
  // Another trunk is not affected; releasing makes room.
  EXPECT_TRUE(cac_.admit({"open", ""}, t0_).has_value());
  cac_.release(*a);
  EXPECT_EQ(cac_.active("trunk", "carrier1"), 1u);
  EXPECT_TRUE(cac_.admit({"carrier1", ""}, t0_).has_value());
}

TEST_F(AdmissionControlTest, UserMaxCallsIsBusy) {
  auto a = cac_.admit({"", "alice"}, t0_);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->user, "alice");
  auto b = cac_.admit({"open", "alice"}, t0_);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code, 486);
  EXPECT_EQ(to_string(b.error().scope), "user");
  EXPECT_EQ(to_string(b.error().limit), "max_calls");
  EXPECT_FALSE(b.error().retry_after.has_value());
  EXPECT_EQ(b.error().reason, "Busy Here (user alice at max_calls 1)");
  // Nothing was counted for the refused call, in any scope.
  EXPECT_EQ(cac_.active("trunk", "open"), 0u);
  EXPECT_EQ(cac_.active("global", ""), 1u);
  EXPECT_EQ(cac_.active("user", "alice"), 1u);
}

TEST_F(AdmissionControlTest, GlobalLimitComesFirst) {
  std::vector<AdmissionTicket> tickets;
  for (int i = 0; i < 10; ++i) tickets.push_back(cac_.admit({"open", ""}, t0_).value());
  auto r = cac_.admit({"carrier1", "alice"}, t0_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(to_string(r.error().scope), "global");
  EXPECT_EQ(r.error().reason, "Service Unavailable (global at max_calls 10)");
  for (const auto& t : tickets) cac_.release(t);
  EXPECT_EQ(cac_.active("global", ""), 0u);
  EXPECT_EQ(cac_.active("trunk", "open"), 0u);
}

TEST_F(AdmissionControlTest, TrunkCpsSlidingSecond) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cac_.admit({"carrier2", ""}, t0_ + milliseconds(100 * i)).has_value()) << i;
  }
  auto r = cac_.admit({"carrier2", ""}, t0_ + milliseconds(300));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(to_string(r.error().scope), "trunk");
  EXPECT_EQ(to_string(r.error().limit), "max_cps");
  EXPECT_EQ(r.error().retry_after, 1u);  // 700 ms until the first call leaves the window
  EXPECT_EQ(r.error().reason, "Service Unavailable (trunk carrier2 at max_cps 3)");
  EXPECT_FALSE(cac_.admit({"carrier2", ""}, t0_ + milliseconds(999)).has_value());
  EXPECT_TRUE(cac_.admit({"carrier2", ""}, t0_ + milliseconds(1000)).has_value());
  // Window now holds 100, 200 and 1000 ms: the next slot frees at 1100 ms.
  EXPECT_FALSE(cac_.admit({"carrier2", ""}, t0_ + milliseconds(1050)).has_value());
  EXPECT_TRUE(cac_.admit({"carrier2", ""}, t0_ + milliseconds(1100)).has_value());
  // The rate limit is not a concurrency limit: active keeps counting.
  EXPECT_EQ(cac_.active("trunk", "carrier2"), 5u);
}

TEST_F(AdmissionControlTest, UserCpsIs503) {
  ASSERT_TRUE(cac_.admit({"", "bob"}, t0_).has_value());
  auto r = cac_.admit({"", "bob"}, t0_ + milliseconds(10));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(to_string(r.error().scope), "user");
  EXPECT_EQ(to_string(r.error().limit), "max_cps");
  EXPECT_EQ(r.error().retry_after, 1u);
  EXPECT_TRUE(cac_.admit({"", "bob"}, t0_ + seconds(1)).has_value());
}

TEST_F(AdmissionControlTest, RetryAfterRoundsUp) {
  Config c;
  c.security.limits = {0, 2};
  AdmissionControl cac(c.security_view());
  ASSERT_TRUE(cac.admit({}, t0_).has_value());
  ASSERT_TRUE(cac.admit({}, t0_).has_value());
  auto r = cac.admit({}, t0_ + milliseconds(1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().retry_after, 1u);
  EXPECT_EQ(to_string(r.error().scope), "global");
}

TEST_F(AdmissionControlTest, UnknownNamesAreNeitherLimitedNorCounted) {
  auto t = cac_.admit({"nosuchtrunk", "mallory"}, t0_);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->trunk, "");
  EXPECT_EQ(t->user, "");
  EXPECT_EQ(cac_.active("trunk", "nosuchtrunk"), 0u);
  EXPECT_EQ(cac_.active("user", "mallory"), 0u);
  EXPECT_EQ(cac_.active("nonsense", "alice"), 0u);
  EXPECT_EQ(cac_.active("global", ""), 1u);
}

TEST_F(AdmissionControlTest, ReleaseSaturatesAtZero) {
  auto t = cac_.admit({"carrier1", "alice"}, t0_).value();
  cac_.release(t);
  cac_.release(t);
  EXPECT_EQ(cac_.active("global", ""), 0u);
  EXPECT_EQ(cac_.active("trunk", "carrier1"), 0u);
  EXPECT_EQ(cac_.active("user", "alice"), 0u);
  EXPECT_TRUE(cac_.admit({"carrier1", "alice"}, t0_).has_value());
}

TEST_F(AdmissionControlTest, LeaseUncountsTheCallOnceWhenItGoes) {
  {
    AdmissionLease lease(cac_, cac_.admit({"carrier1", "alice"}, t0_).value());
    EXPECT_TRUE(lease.counted());
    AdmissionLease moved = std::move(lease);
    EXPECT_FALSE(lease.counted());  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_EQ(moved.ticket().trunk, "carrier1");
    EXPECT_EQ(cac_.active("trunk", "carrier1"), 1u);
  }
  EXPECT_EQ(cac_.active("trunk", "carrier1"), 0u);
  EXPECT_EQ(cac_.active("user", "alice"), 0u);
  // A stored ticket counts nothing until readmitted.
  { AdmissionLease stored(AdmissionTicket{"carrier1", "alice"}); }
  EXPECT_EQ(cac_.active("global", ""), 0u);
}

}  // namespace
}  // namespace sbc::cp
