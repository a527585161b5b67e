// SecurityMetrics on its own registry: every fixed label value exists at 0 from the first scrape
// (so rate() and alerts work at once), each call moves exactly its own series, gauges are set
// (not added to).
#include "controlplane/security/security_metrics.h"

#include <gtest/gtest.h>

#include "controlplane/security/media_address_policy.h"
#include "tests/unit/controlplane/registry_probe.h"

namespace sbc::cp::testing {
namespace {

class SecurityMetricsTest : public ::testing::Test {
 protected:
  double value(std::string_view name, const std::map<std::string, std::string>& labels = {}) {
    const auto found = sample(registry_, name, labels);
    EXPECT_TRUE(found.has_value()) << name;
    return found.value_or(-1);
  }
  bool exists(std::string_view name, const std::map<std::string, std::string>& labels) {
    return sample(registry_, name, labels).has_value();
  }
  prometheus::Registry registry_;
  SecurityMetrics metrics_{registry_};
};

TEST_F(SecurityMetricsTest, FixedLabelsArePreCreatedAtZero) {
  for (const char* reason : {"acl", "banned", "rate_limited", "scanner", "connection_rate"}) {
    EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", reason}}), 0) << reason;
  }
  for (const char* offence :
       {"auth_failure", "malformed", "scanner", "rate", "tls_failure", "connection_rate"}) {
    EXPECT_EQ(value("sbc_security_offences_total", {{"offence", offence}}), 0) << offence;
    EXPECT_EQ(value("sbc_security_bans_total", {{"reason", offence}}), 0) << offence;
  }
  EXPECT_EQ(value("sbc_security_bans_total", {{"reason", "manual"}}), 0);
  for (const char* method : {"REGISTER", "INVITE"}) {
    EXPECT_EQ(value("sbc_auth_challenges_total", {{"method", method}}), 0);
    EXPECT_EQ(value("sbc_auth_successes_total", {{"method", method}}), 0);
  }
  for (const char* rule :
       {"blocked_prefix", "not_a_number", "calls_per_minute", "calls_per_hour"}) {
    EXPECT_EQ(value("sbc_fraud_refused_total", {{"rule", rule}}), 0) << rule;
  }
  for (MediaAddressRefusal r : kMediaAddressRefusals) {
    EXPECT_EQ(value("sbc_sdp_address_refused_total", {{"reason", std::string(to_string(r))}}), 0);
  }
  EXPECT_EQ(value("sbc_security_bans_active"), 0);
  EXPECT_EQ(value("sbc_registrations_active"), 0);
  // Open-ended label sets (codes, scopes, accounts) appear with their first use only.
  EXPECT_FALSE(exists("sbc_register_responses_total", {}));
  EXPECT_FALSE(exists("sbc_account_calls_total", {}));
}

TEST_F(SecurityMetricsTest, CountersMoveOnlyTheirOwnSeries) {
  metrics_.dropped("acl");
  metrics_.dropped("acl");
  metrics_.offence("scanner");
  metrics_.ban_added("manual");
  metrics_.auth_challenge("INVITE");
  metrics_.auth_success("REGISTER");
  metrics_.auth_failure("wrong_password");
  metrics_.fraud_refused("calls_per_hour");
  metrics_.media_address_refused("loopback");
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "acl"}}), 2);
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "banned"}}), 0);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "scanner"}}), 1);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "malformed"}}), 0);
  EXPECT_EQ(value("sbc_security_bans_total", {{"reason", "manual"}}), 1);
  EXPECT_EQ(value("sbc_security_bans_total", {{"reason", "scanner"}}), 0);
  EXPECT_EQ(value("sbc_auth_challenges_total", {{"method", "INVITE"}}), 1);
  EXPECT_EQ(value("sbc_auth_challenges_total", {{"method", "REGISTER"}}), 0);
  EXPECT_EQ(value("sbc_auth_successes_total", {{"method", "REGISTER"}}), 1);
  EXPECT_EQ(value("sbc_auth_failures_total", {{"reason", "wrong_password"}}), 1);
  EXPECT_EQ(value("sbc_fraud_refused_total", {{"rule", "calls_per_hour"}}), 1);
  EXPECT_EQ(value("sbc_sdp_address_refused_total", {{"reason", "loopback"}}), 1);
  EXPECT_EQ(value("sbc_sdp_address_refused_total", {{"reason", "multicast"}}), 0);
}

TEST_F(SecurityMetricsTest, RegisterResponsesAndAdmissionAreLabelledByTheirValues) {
  metrics_.register_answered(200);
  metrics_.register_answered(401);
  metrics_.register_answered(401);
  EXPECT_EQ(value("sbc_register_responses_total", {{"code", "200"}}), 1);
  EXPECT_EQ(value("sbc_register_responses_total", {{"code", "401"}}), 2);
  metrics_.cac_refused("trunk", "max_calls");
  metrics_.cac_refused("trunk", "max_cps");
  metrics_.cac_refused("trunk", "max_cps");
  EXPECT_EQ(value("sbc_cac_refused_total", {{"scope", "trunk"}, {"limit", "max_calls"}}), 1);
  EXPECT_EQ(value("sbc_cac_refused_total", {{"scope", "trunk"}, {"limit", "max_cps"}}), 2);
  EXPECT_FALSE(exists("sbc_cac_refused_total", {{"scope", "user"}}));
}

TEST_F(SecurityMetricsTest, GaugesAreSetNotAccumulated) {
  metrics_.bans_active(5);
  metrics_.bans_active(3);
  EXPECT_EQ(value("sbc_security_bans_active"), 3);
  metrics_.registrations_active(7);
  metrics_.registrations_active(0);
  EXPECT_EQ(value("sbc_registrations_active"), 0);
  metrics_.account_call("alice");
  metrics_.account_call("alice");
  metrics_.account_call("zone:access");
  EXPECT_EQ(value("sbc_account_calls_total", {{"account", "alice"}}), 2);
  EXPECT_EQ(value("sbc_account_calls_total", {{"account", "zone:access"}}), 1);
  metrics_.account_rate("alice", 4, 40);
  metrics_.account_rate("alice", 2, 41);
  EXPECT_EQ(value("sbc_account_calls_last_minute", {{"account", "alice"}}), 2);
  EXPECT_EQ(value("sbc_account_calls_last_hour", {{"account", "alice"}}), 41);
}

}  // namespace
}  // namespace sbc::cp::testing
