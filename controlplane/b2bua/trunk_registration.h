// Outbound registration to carriers: a trunk with `register = yes` keeps a binding at its
// registrar (RFC 3261 §10), as Asterisk's `register =>` and Kamailio's uac_reg do. The REGISTER
// goes to the trunk's address from its zone's SIP address: To/From sip:username@domain (domain:
// the trunk's fromdomain, else its host), Contact sip:username@our-address, the same Call-ID and
// increasing CSeq for every refresh (§10.2.4). A 401/407 is answered with the trunk's
// credentials (digest_client.h: MD5 or SHA-256, once more for a stale nonce); 423 takes the
// registrar's Min-Expires. The binding is refreshed at 90 % of the expiry the registrar granted;
// a failure (timeout, transport error, credentials refused, any other final) is retried after 30
// s, doubling up to 10 minutes, or after a 503's Retry-After.
//
// The state of each trunk's registration is in `show trunks` and sbc_trunk_registered{trunk}.
//
// Single-threaded, part of the B2BUA: REGISTERs are client transactions of its layer with no call
// as owner, and B2bua hands their responses and errors here first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/runtime/timer.h"

namespace sbc::cp {

enum class RegistrationState : uint8_t {
  kOff,          // the trunk does not register
  kRegistering,  // a REGISTER is in flight, no binding yet
  kRegistered,   // bound until expires_at (refreshed before)
  kFailed,       // the last attempt failed; retried after a backoff
};
[[nodiscard]] std::string_view to_string(RegistrationState state);

struct RegistrationStatus {
  RegistrationState state = RegistrationState::kOff;
  std::optional<std::chrono::system_clock::time_point> expires_at;  // of the current binding
  uint32_t granted_s = 0;
  std::string last_failure;  // "timeout", "403 Forbidden", "credentials refused (401)", ...
  std::optional<std::chrono::system_clock::time_point> last_failure_at;
  uint32_t failures_in_row = 0;
};

class TrunkRegistration {
 public:
  static constexpr std::chrono::seconds kFirstRetry{30};
  static constexpr std::chrono::seconds kMaxRetry{600};
  // One answer to a challenge, plus one for a stale nonce (as TrunkChallenge).
  static constexpr uint8_t kMaxAnswers = 2;

  TrunkRegistration(B2buaContext& ctx, CallSignalling& signalling);

  // (Re)starts the registrations of the running configuration's trunks: at start and after a
  // reload (the trunks were indexed again). A trunk the reload did not change keeps its binding,
  // its refresh time and its REGISTER in flight; the first REGISTER of any other (new, changed,
  // or not registered) leaves within a second, one in flight for it is forgotten.
  void restart();
  // Client transaction `id`'s response or failure: true when it was a REGISTER of ours.
  bool response(TransactionId id, const sip::Message& msg);
  bool transaction_error(TransactionId id, TransactionError error);

  // Trunk `trunk`'s (index) registration; kOff for one that does not register.
  [[nodiscard]] const RegistrationStatus& status(size_t trunk) const;

 private:
  struct Binding {
    std::string call_id;  // kept for every refresh (§10.2.4)
    std::string from_tag;
    uint32_t cseq = 0;
    uint32_t expires = 0;  // asked for: register_expires, or a 423's Min-Expires
    uint8_t auth_answers = 0;
    std::optional<TransactionId> pending;
    std::string contact_host;                // our address in the Contact we registered
    SipTarget target;                        // where the last REGISTER went
    Timer next;                              // the next REGISTER: a refresh or a retry
    Scheduler::Clock::time_point next_at{};  // when `next` fires
    RegistrationStatus status;
  };

  void send(size_t trunk, const sip::Message* challenge);
  void registered(size_t trunk, const sip::Message& msg);
  void failed(size_t trunk, std::string reason, std::optional<std::chrono::seconds> retry_after);
  // The last REGISTER's target failed as a server does (no response, transport error, 503):
  // held when the trunk has others (router.h hold_target), and the REGISTER goes again at once
  // to the next (RFC 3263 §4.3); otherwise a failure with backoff.
  void server_failed(size_t trunk, std::string reason,
                     std::optional<std::chrono::seconds> retry_after);
  void schedule(size_t trunk, std::chrono::milliseconds delay);
  // The expiry the registrar granted trunk `trunk`'s Contact: its ;expires, else Expires, else
  // what we asked for.
  [[nodiscard]] uint32_t granted(size_t trunk, const sip::Message& msg) const;

  B2buaContext& ctx_;
  CallSignalling& signalling_;
  std::vector<Binding> bindings_;   // by trunk index
  std::vector<TrunkConfig> known_;  // by trunk index: the trunks bindings_ were made for
  std::unordered_map<TransactionId, size_t> pending_;
  RegistrationStatus off_;
};

}  // namespace sbc::cp
