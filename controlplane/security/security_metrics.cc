#include "controlplane/security/security_metrics.h"

#include <fmt/core.h>

#include <string>

#include "controlplane/security/media_address_policy.h"

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
  for (const char* reason : {"acl", "banned", "rate_limited", "scanner", "connection_rate"})
    dropped_.Add({{"reason", reason}});
  for (const char* offence :
       {"auth_failure", "malformed", "scanner", "rate", "tls_failure", "connection_rate"}) {
    offences_.Add({{"offence", offence}});
    bans_.Add({{"reason", offence}});
  }
  bans_.Add({{"reason", "manual"}});
  for (const char* method : {"REGISTER", "INVITE"}) {
    auth_challenges_.Add({{"method", method}});
    auth_successes_.Add({{"method", method}});
  }
  for (const char* rule :
       {"blocked_prefix", "not_a_number", "calls_per_minute", "calls_per_hour"}) {
    fraud_refused_.Add({{"rule", rule}});
  }
  for (MediaAddressRefusal r : kMediaAddressRefusals) {
    media_address_refused_.Add({{"reason", label(to_string(r))}});
  }
}

void SecurityMetrics::dropped(std::string_view reason) {
  dropped_.Add({{"reason", label(reason)}}).Increment();
}

void SecurityMetrics::offence(std::string_view offence) {
  offences_.Add({{"offence", label(offence)}}).Increment();
}

void SecurityMetrics::ban_added(std::string_view reason) {
  bans_.Add({{"reason", label(reason)}}).Increment();
}

void SecurityMetrics::bans_active(size_t count) {
  bans_active_.Set(static_cast<double>(count));
}

void SecurityMetrics::auth_challenge(std::string_view method) {
  auth_challenges_.Add({{"method", label(method)}}).Increment();
}

void SecurityMetrics::auth_failure(std::string_view reason) {
  auth_failures_.Add({{"reason", label(reason)}}).Increment();
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

void SecurityMetrics::cac_refused(std::string_view scope, std::string_view limit) {
  cac_refused_.Add({{"scope", label(scope)}, {"limit", label(limit)}}).Increment();
}

void SecurityMetrics::fraud_refused(std::string_view rule) {
  fraud_refused_.Add({{"rule", label(rule)}}).Increment();
}

void SecurityMetrics::media_address_refused(std::string_view reason) {
  media_address_refused_.Add({{"reason", label(reason)}}).Increment();
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
