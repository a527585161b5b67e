// A new call's setup, step by step: limits, who calls, a valid INVITE, the route, the offer,
// toll fraud and admission, the call record, its media, our INVITE. A step that refuses the
// INVITE answers it (statelessly: no call exists yet) and returns nothing; what earlier steps
// took (admission, media ports) are leases, so a later refusal gives them back by dropping them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_media.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/b2bua/reliable_provisionals.h"
#include "controlplane/b2bua/session_timers.h"
#include "controlplane/b2bua/trunk_failover.h"

namespace sbc::cp {

class CallSetup {
 public:
  // Retry-After (seconds) of the 503 a new call gets when the call table is full.
  static constexpr uint32_t kCapacityRetryAfter = 5;
  // Longest user part / display name copied from the caller into our INVITE; longer ones are
  // refused up front (414 / 400) so what we build stays well inside the parser limits.
  static constexpr size_t kMaxUserLength = 256;
  static constexpr size_t kMaxDisplayNameLength = 256;

  CallSetup(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown,
            CallMedia& media, SessionTimers& timers, ReliableProvisionals& provisionals,
            TrunkFailover& failover);

  // `previous`: the ended call whose Call-ID the INVITE reuses, if it is still in the table.
  void new_call(const SipPeer& from, const sip::Message& invite, const Call* previous = nullptr);
  // A call adopted from an earlier sbcd holds `id`: new calls take later ones.
  void reserve_id(uint64_t id) { next_call_id_ = std::max(next_call_id_, id + 1); }
  // New calls refused because the call table was full.
  [[nodiscard]] uint64_t refused_at_capacity() const { return refused_at_capacity_; }

 private:
  // Who places a new call: the trunk it comes from, the authenticated user, or "zone:NAME".
  struct Caller {
    std::string account;
    std::string user;  // authenticated user; "" otherwise
  };

  bool within_limits(const SipPeer& from, const sip::Message& invite);  // Max-Forwards, capacity
  // nullopt when the INVITE has been answered (challenged or refused).
  std::optional<Caller> identify_caller(const SipPeer& from, const sip::Message& invite);
  bool valid_invite(const SipPeer& from, const sip::Message& invite);  // Request-URI, From
  std::optional<CallOffer> take_offer(const SipPeer& from, const sip::Message& invite,
                                      const Route& route);
  // Each side's media policy: its zone's, with its trunk's settings over it (a caller from a
  // trunk, a callee that is one).
  [[nodiscard]] std::array<MediaPolicy, 2> media_policies(const SipPeer& from,
                                                          const Route& route) const;
  // Each side's dialog policy (session timer, 100rel): its zone's, a trunk's over it.
  [[nodiscard]] std::array<DialogPolicy, 2> dialog_policies(const SipPeer& from,
                                                            const Route& route) const;
  template <typename Policy, typename Override>
  [[nodiscard]] std::array<Policy, 2> side_policies(const SipPeer& from, const Route& route,
                                                    Policy ZoneConfig::*zone_policy,
                                                    Override TrunkConfig::*trunk_policy) const;
  // The route's alternates a call to a trunk may fail over to, by name: on the callee's zone,
  // with its media and dialog policy (our offer and INVITE go to them as they are).
  [[nodiscard]] std::vector<std::string> failover_trunks(const SipPeer& from,
                                                         const Route& route) const;
  // Toll fraud (calls to a trunk: `callee_user` becomes the number the rules judged), then
  // admission control.
  std::optional<AdmissionLease> admit(const SipPeer& from, const sip::Message& invite,
                                      const Caller& caller, const Route& route,
                                      std::string& callee_user);
  // The call and its caller leg; the callee leg's dialog (its parties: send_invite).
  CallPtr build_call(const SipPeer& from, const sip::Message& invite, const Caller& caller,
                     const Route& route, CallerIdentity identity, const Call* previous);
  // The caller answering a challenge we passed to it (trunk_challenge.h) retries on its dialog
  // (RFC 3261 §22.2: same Call-ID and tag, the next CSeq); our callee leg `b` does the same
  // toward the trunk, for a server that ties its nonce to the dialog. `previous`: the challenged
  // call if still in the table, else its ended-call record is looked up.
  void continue_challenged(const SipPeer& from, std::string_view caller_call_id,
                           const Call* previous, Leg& b) const;
  // An INVITE with Replaces (RFC 3891, dialog_replaces.h): the Replaces (and Require: replaces,
  // when the caller required it) our INVITE carries, in `headers`. false when refused (answered).
  bool take_replaces(const SipPeer& from, const sip::Message& invite, const Route& route,
                     std::vector<std::pair<sip::HeaderId, std::string>>& headers);
  void send_invite(const CallPtr& call, const Route& route, uint32_t max_forwards,
                   std::string offer,
                   std::vector<std::pair<sip::HeaderId, std::string>> extra = {});
  void ring_timeout(uint64_t id);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
  CallMedia& media_;
  SessionTimers& timers_;
  ReliableProvisionals& provisionals_;
  TrunkFailover& failover_;
  uint64_t next_call_id_;
  uint64_t refused_at_capacity_ = 0;
};

}  // namespace sbc::cp
