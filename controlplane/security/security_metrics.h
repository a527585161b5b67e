// Prometheus families of the edge security functions: ACL and ban drops, offences, bans, digest
// authentication, the registrar, call admission control and the toll-fraud guard. Label values
// are bounded: fixed reason sets, configured trunk/user/zone names.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string_view>

namespace sbc::cp {

class SecurityMetrics {
 public:
  explicit SecurityMetrics(prometheus::Registry& registry);

  // A SIP message dropped before parsing or without an answer: "acl", "banned", "rate_limited",
  // "scanner"; or a TCP/TLS connection closed on accept: "acl", "banned", "connection_rate".
  void dropped(std::string_view reason);
  void offence(std::string_view offence);
  void ban_added(std::string_view reason);
  void bans_active(size_t count);
  void auth_challenge(std::string_view method);
  void auth_failure(std::string_view reason);
  void auth_success(std::string_view method);
  void registrations_active(size_t count);
  void register_answered(int code);
  void cac_refused(std::string_view scope, std::string_view limit);
  void fraud_refused(std::string_view rule);
  // An SDP offer or answer refused for its connection address (to_string(MediaAddressRefusal)).
  void media_address_refused(std::string_view reason);
  // Calls placed by an account (a configured user, or "zone:NAME") and its rate over the last
  // minute: an alert compares the two (deploy/prometheus/alerts.yml).
  void account_call(std::string_view account);
  void account_rate(std::string_view account, uint32_t last_minute, uint32_t last_hour);

 private:
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& offences_;
  prometheus::Family<prometheus::Counter>& bans_;
  prometheus::Gauge& bans_active_;
  prometheus::Family<prometheus::Counter>& auth_challenges_;
  prometheus::Family<prometheus::Counter>& auth_failures_;
  prometheus::Family<prometheus::Counter>& auth_successes_;
  prometheus::Gauge& registrations_;
  prometheus::Family<prometheus::Counter>& register_responses_;
  prometheus::Family<prometheus::Counter>& cac_refused_;
  prometheus::Family<prometheus::Counter>& fraud_refused_;
  prometheus::Family<prometheus::Counter>& media_address_refused_;
  prometheus::Family<prometheus::Counter>& account_calls_;
  prometheus::Family<prometheus::Gauge>& account_last_minute_;
  prometheus::Family<prometheus::Gauge>& account_last_hour_;
};

}  // namespace sbc::cp
