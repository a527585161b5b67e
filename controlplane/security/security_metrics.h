// Prometheus families of the edge security functions: ACL and ban drops, offences, bans, digest
// authentication, the registrar, call admission control and the toll-fraud guard. Label values
// are bounded: fixed reason sets, configured trunk/user/zone names.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "controlplane/security/admission_control.h"
#include "controlplane/security/ban_reason.h"
#include "controlplane/security/digest_authenticator.h"
#include "controlplane/security/fraud_guard.h"
#include "controlplane/security/media_address_policy.h"
#include "controlplane/security/security_drop_reason.h"
#include "controlplane/security/source_guard.h"

namespace sbc::cp {

class SecurityMetrics {
 public:
  explicit SecurityMetrics(prometheus::Registry& registry);

  // A SIP message dropped before parsing or without an answer (acl, banned, rate_limited,
  // scanner), or a TCP/TLS connection closed on accept (acl, banned, connection_rate).
  void dropped(SecurityDropReason reason);
  void offence(Offence offence);
  void ban_added(BanReason reason);
  void bans_active(size_t count);
  void auth_challenge(std::string_view method);
  // Credentials refused as an offence (is_offence(): the ones a client following the protocol
  // never sends); each such reason has a series from the first scrape.
  void auth_failure(AuthFailure reason);
  void auth_success(std::string_view method);
  void registrations_active(size_t count);
  void register_answered(int code);
  void cac_refused(AdmissionScope scope, AdmissionLimit limit);
  void fraud_refused(FraudRule rule);
  // An SDP offer or answer refused for its connection address.
  void media_address_refused(MediaAddressRefusal reason);
  // Calls placed by an account (a configured user, or "zone:NAME") and its rate over the last
  // minute: an alert compares the two (deploy/prometheus/alerts.yml).
  void account_call(std::string_view account);
  void account_rate(std::string_view account, uint32_t last_minute, uint32_t last_hour);

 private:
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& offences_;
  // The series of dropped_ and offences_, made once: a flood costs no label lookup.
  std::array<prometheus::Counter*, kSecurityDropReasonCount> drops_{};
  std::array<prometheus::Counter*, static_cast<size_t>(Offence::kCount)> offence_counts_{};
  prometheus::Family<prometheus::Counter>& bans_;
  std::array<prometheus::Counter*, kBanReasonCount> ban_counts_{};
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
