// SecurityMetrics on its own registry: every fixed label value exists at 0 from the first scrape
// (so rate() and alerts work at once), each call moves exactly its own series, gauges are set
// (not added to).
#include "controlplane/security/security_metrics.h"

#include <gtest/gtest.h>

#include <array>
#include <span>
#include <vector>

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
  // Open-ended label sets (codes, accounts) appear with their first use only.
  EXPECT_FALSE(exists("sbc_register_responses_total", {}));
  EXPECT_FALSE(exists("sbc_account_calls_total", {}));
}

TEST_F(SecurityMetricsTest, CountersMoveOnlyTheirOwnSeries) {
  metrics_.dropped(SecurityDropReason::kAcl);
  metrics_.dropped(SecurityDropReason::kAcl);
  metrics_.offence(Offence::kScanner);
  metrics_.ban_added(BanReason::kManual);
  metrics_.auth_challenge("INVITE");
  metrics_.auth_success("REGISTER");
  metrics_.auth_failure(AuthFailure::kWrongResponse);
  metrics_.fraud_refused(FraudRule::kCallsPerHour);
  metrics_.media_address_refused(MediaAddressRefusal::kLoopback);
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "acl"}}), 2);
  EXPECT_EQ(value("sbc_security_dropped_total", {{"reason", "banned"}}), 0);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "scanner"}}), 1);
  EXPECT_EQ(value("sbc_security_offences_total", {{"offence", "malformed"}}), 0);
  EXPECT_EQ(value("sbc_security_bans_total", {{"reason", "manual"}}), 1);
  EXPECT_EQ(value("sbc_security_bans_total", {{"reason", "scanner"}}), 0);
  EXPECT_EQ(value("sbc_auth_challenges_total", {{"method", "INVITE"}}), 1);
  EXPECT_EQ(value("sbc_auth_challenges_total", {{"method", "REGISTER"}}), 0);
  EXPECT_EQ(value("sbc_auth_successes_total", {{"method", "REGISTER"}}), 1);
  EXPECT_EQ(value("sbc_auth_failures_total", {{"reason", "wrong_response"}}), 1);
  EXPECT_EQ(value("sbc_auth_failures_total", {{"reason", "replay"}}), 0);
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
  metrics_.cac_refused(AdmissionScope::kTrunk, AdmissionLimit::kMaxCalls);
  metrics_.cac_refused(AdmissionScope::kTrunk, AdmissionLimit::kMaxCps);
  metrics_.cac_refused(AdmissionScope::kTrunk, AdmissionLimit::kMaxCps);
  EXPECT_EQ(value("sbc_cac_refused_total", {{"scope", "trunk"}, {"limit", "max_calls"}}), 1);
  EXPECT_EQ(value("sbc_cac_refused_total", {{"scope", "trunk"}, {"limit", "max_cps"}}), 2);
  // Scopes are kinds (global, trunk, user), not names: pre-created, and not moved by a trunk.
  EXPECT_EQ(value("sbc_cac_refused_total", {{"scope", "user"}, {"limit", "max_calls"}}), 0);
  EXPECT_EQ(value("sbc_cac_refused_total", {{"scope", "user"}, {"limit", "max_cps"}}), 0);
}

// For each reason family: every enum value renders with its name at 0 before any event, and one
// event moves exactly its own series (checked on a fresh registry per value).
template <typename Enum, typename Count>
void expect_each_counted_alone(std::string_view family, std::string_view label,
                               std::span<const Enum> values, Count count) {
  const auto at = [&](prometheus::Registry& registry, Enum e) {
    return sample(registry, family, {{std::string(label), std::string(to_string(e))}}).value_or(-1);
  };
  {
    prometheus::Registry registry;
    SecurityMetrics metrics(registry);
    for (Enum e : values) EXPECT_EQ(at(registry, e), 0) << family << " " << to_string(e);
  }
  for (Enum counted : values) {
    prometheus::Registry registry;
    SecurityMetrics metrics(registry);
    count(metrics, counted);
    for (Enum e : values) {
      EXPECT_EQ(at(registry, e), e == counted ? 1 : 0)
          << family << " " << to_string(e) << " after one " << to_string(counted);
    }
  }
}

template <typename Enum, size_t N>
std::array<Enum, N> all_of_enum() {
  std::array<Enum, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<Enum>(i);
  return out;
}

TEST(SecurityMetricsReasonsTest, EveryReasonIsPreCreatedAndCountedAlone) {
  // The names are the label values deploy/ alerts and tests/integration read.
  EXPECT_EQ(to_string(SecurityDropReason::kAcl), "acl");
  EXPECT_EQ(to_string(SecurityDropReason::kBanned), "banned");
  EXPECT_EQ(to_string(SecurityDropReason::kRateLimited), "rate_limited");
  EXPECT_EQ(to_string(SecurityDropReason::kScanner), "scanner");
  EXPECT_EQ(to_string(SecurityDropReason::kConnectionRate), "connection_rate");
  EXPECT_EQ(to_string(Offence::kAuthFailure), "auth_failure");
  EXPECT_EQ(to_string(Offence::kRateExceeded), "rate");
  const auto drops = all_of_enum<SecurityDropReason, kSecurityDropReasonCount>();
  expect_each_counted_alone<SecurityDropReason>(
      "sbc_security_dropped_total", "reason", drops,
      [](SecurityMetrics& m, SecurityDropReason r) { m.dropped(r); });
  const auto offences = all_of_enum<Offence, static_cast<size_t>(Offence::kCount)>();
  expect_each_counted_alone<Offence>("sbc_security_offences_total", "offence", offences,
                                     [](SecurityMetrics& m, Offence o) { m.offence(o); });
  const auto bans = all_of_enum<BanReason, kBanReasonCount>();
  expect_each_counted_alone<BanReason>("sbc_security_bans_total", "reason", bans,
                                       [](SecurityMetrics& m, BanReason r) { m.ban_added(r); });
  // An offence's ban carries the offence's name; a manual ban is "manual".
  for (Offence o : offences) EXPECT_EQ(to_string(ban_reason(o)), to_string(o));
  EXPECT_EQ(to_string(BanReason::kManual), "manual");
  EXPECT_EQ(parse_ban_reason("rate"), BanReason::kRateExceeded);
  EXPECT_EQ(parse_ban_reason("manual"), BanReason::kManual);
  EXPECT_EQ(parse_ban_reason("bogus"), std::nullopt);
  const auto rules = all_of_enum<FraudRule, kFraudRuleCount>();
  expect_each_counted_alone<FraudRule>("sbc_fraud_refused_total", "rule", rules,
                                       [](SecurityMetrics& m, FraudRule r) { m.fraud_refused(r); });
  expect_each_counted_alone<MediaAddressRefusal>(
      "sbc_sdp_address_refused_total", "reason", kMediaAddressRefusals,
      [](SecurityMetrics& m, MediaAddressRefusal r) { m.media_address_refused(r); });
  // Only the failures counted as offences are counted at all (no_credentials, stale and
  // bad_nonce are met by clients following the protocol).
  std::vector<AuthFailure> offending;
  for (AuthFailure f : kAllAuthFailures) {
    if (is_offence(f)) offending.push_back(f);
  }
  EXPECT_EQ(offending.size(), std::size(kAllAuthFailures) - 3);
  expect_each_counted_alone<AuthFailure>(
      "sbc_auth_failures_total", "reason", offending,
      [](SecurityMetrics& m, AuthFailure f) { m.auth_failure(f); });
}

TEST(SecurityMetricsReasonsTest, EveryAdmissionScopeAndLimitIsPreCreatedAndCountedAlone) {
  const auto scopes = all_of_enum<AdmissionScope, kAdmissionScopeCount>();
  const auto limits = all_of_enum<AdmissionLimit, kAdmissionLimitCount>();
  const auto at = [](prometheus::Registry& registry, AdmissionScope s, AdmissionLimit l) {
    return sample(registry, "sbc_cac_refused_total",
                  {{"scope", std::string(to_string(s))}, {"limit", std::string(to_string(l))}})
        .value_or(-1);
  };
  for (AdmissionScope scope : scopes) {
    for (AdmissionLimit limit : limits) {
      prometheus::Registry registry;
      SecurityMetrics metrics(registry);
      for (AdmissionScope s : scopes) {
        for (AdmissionLimit l : limits) EXPECT_EQ(at(registry, s, l), 0);
      }
      metrics.cac_refused(scope, limit);
      for (AdmissionScope s : scopes) {
        for (AdmissionLimit l : limits) {
          EXPECT_EQ(at(registry, s, l), s == scope && l == limit ? 1 : 0)
              << to_string(s) << "/" << to_string(l);
        }
      }
    }
  }
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
