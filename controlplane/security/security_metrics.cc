#include "controlplane/security/security_metrics.h"

#include <fmt/core.h>

#include <string>

namespace sbc::cp {
namespace {

prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& registry, const char* name,
                                                 const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& registry, const char* name,
                                             const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

std::string label(std::string_view value) {
  return std::string(value);
}

}  // namespace

SecurityMetrics::SecurityMetrics(prometheus::Registry& registry)
    : dropped_(counter(registry, "sbc_security_dropped_total",
                       "SIP messages dropped silently by the edge security, by reason")),
      offences_(counter(registry, "sbc_security_offences_total",
                        "Offences counted against source addresses, by kind")),
      bans_(counter(registry, "sbc_security_bans_total", "Source addresses banned, by reason")),
      bans_active_(
          gauge(registry, "sbc_security_bans_active", "Source addresses banned now").Add({})),
      auth_challenges_(counter(registry, "sbc_auth_challenges_total",
                               "Digest challenges sent (401/407), by method")),
      auth_failures_(
          counter(registry, "sbc_auth_failures_total", "Digest credentials refused, by reason")),
      auth_successes_(counter(registry, "sbc_auth_successes_total",
                              "Requests authenticated by digest, by method")),
      registrations_(
          gauge(registry, "sbc_registrations_active", "Registrar bindings not expired").Add({})),
      register_responses_(counter(registry, "sbc_register_responses_total",
                                  "Final responses to REGISTER requests, by status code")),
      cac_refused_(counter(registry, "sbc_cac_refused_total",
                           "Calls refused by admission control, by scope and limit")),
      fraud_refused_(counter(registry, "sbc_fraud_refused_total",
                             "Calls refused by the toll-fraud guard, by rule")),
      media_address_refused_(counter(registry, "sbc_sdp_address_refused_total",
                                     "SDP offers and answers refused for a connection address "
                                     "that is not routable unicast, by reason")),
      account_calls_(
          counter(registry, "sbc_account_calls_total", "Calls placed toward trunks, by account")),
      account_last_minute_(gauge(registry, "sbc_account_calls_last_minute",
                                 "Calls placed by an account in the last 60 s")),
      account_last_hour_(gauge(registry, "sbc_account_calls_last_hour",
                               "Calls placed by an account in the last hour")) {
  // Every fixed label value exists from the first scrape, so rate() and alerts work at once.
  for (size_t r = 0; r < drops_.size(); ++r) {
    drops_[r] = &dropped_.Add({{"reason", label(kSecurityDropReasonNames[r])}});
  }
  for (size_t o = 0; o < offence_counts_.size(); ++o) {
    const std::string name = label(to_string(static_cast<Offence>(o)));
    offence_counts_[o] = &offences_.Add({{"offence", name}});
  }
  for (size_t r = 0; r < ban_counts_.size(); ++r) {
    ban_counts_[r] = &bans_.Add({{"reason", label(kBanReasonNames[r])}});
  }
  for (AuthFailure f : kAllAuthFailures) {
    if (is_offence(f)) auth_failures_.Add({{"reason", label(to_string(f))}});
  }
  for (std::string_view scope : kAdmissionScopeNames) {
    for (std::string_view limit : kAdmissionLimitNames) {
      cac_refused_.Add({{"scope", label(scope)}, {"limit", label(limit)}});
    }
  }
  for (const char* method : {"REGISTER", "INVITE"}) {
    auth_challenges_.Add({{"method", method}});
    auth_successes_.Add({{"method", method}});
  }
  for (std::string_view rule : kFraudRuleNames) fraud_refused_.Add({{"rule", label(rule)}});
  for (MediaAddressRefusal r : kMediaAddressRefusals) {
    media_address_refused_.Add({{"reason", label(to_string(r))}});
  }
}

void SecurityMetrics::dropped(SecurityDropReason reason) {
  drops_[static_cast<size_t>(reason)]->Increment();
}

void SecurityMetrics::offence(Offence offence) {
  offence_counts_[static_cast<size_t>(offence)]->Increment();
}

void SecurityMetrics::ban_added(BanReason reason) {
  ban_counts_[static_cast<size_t>(reason)]->Increment();
}

void SecurityMetrics::bans_active(size_t count) {
  bans_active_.Set(static_cast<double>(count));
}

void SecurityMetrics::auth_challenge(std::string_view method) {
  auth_challenges_.Add({{"method", label(method)}}).Increment();
}

void SecurityMetrics::auth_failure(AuthFailure reason) {
  auth_failures_.Add({{"reason", label(to_string(reason))}}).Increment();
}

void SecurityMetrics::auth_success(std::string_view method) {
  auth_successes_.Add({{"method", label(method)}}).Increment();
}

void SecurityMetrics::registrations_active(size_t count) {
  registrations_.Set(static_cast<double>(count));
}

void SecurityMetrics::register_answered(int code) {
  register_responses_.Add({{"code", fmt::format("{}", code)}}).Increment();
}

void SecurityMetrics::cac_refused(AdmissionScope scope, AdmissionLimit limit) {
  cac_refused_.Add({{"scope", label(to_string(scope))}, {"limit", label(to_string(limit))}})
      .Increment();
}

void SecurityMetrics::fraud_refused(FraudRule rule) {
  fraud_refused_.Add({{"rule", label(to_string(rule))}}).Increment();
}

void SecurityMetrics::media_address_refused(MediaAddressRefusal reason) {
  media_address_refused_.Add({{"reason", label(to_string(reason))}}).Increment();
}

void SecurityMetrics::account_call(std::string_view account) {
  account_calls_.Add({{"account", label(account)}}).Increment();
}

void SecurityMetrics::account_rate(std::string_view account, uint32_t last_minute,
                                   uint32_t last_hour) {
  account_last_minute_.Add({{"account", label(account)}}).Set(last_minute);
  account_last_hour_.Add({{"account", label(account)}}).Set(last_hour);
}

}  // namespace sbc::cp
