// Failover of one call between trunks: our INVITE to a trunk that fails it goes on to the next
// trunk of the call's route (router.h: the route's alternates, kept on the call by name) before
// the caller sees any final response. The caller's dialog is with us and never changes: it only
// rings a little longer, under the same ring timer.
//
// A trunk fails a call with no response at all within its failover_timeout_ms (our INVITE is
// abandoned: no CANCEL before a provisional, RFC 3261 §9.1), a transaction timeout or transport
// error, 408, any 5xx, or a 4xx/6xx of its failover_codes (trunk_settings.h). A trunk known by a
// name with several targets (SRV servers, addresses) first tries its next target.
//
// A server failure (no response, a transaction timeout or transport error, 503) also holds what
// failed out of routing, whether or not the call fails over: on a trunk with several targets
// that target (for a 503's Retry-After, else 30 s; trunk_targets.h), so the next calls
// start at the next one; on a trunk with one, the trunk, only for a 503's Retry-After
// (trunk_health.h; its qualify pings judge whether it is there at all).
//
// The next attempt is our INVITE as built, with the same offer (an alternate shares the zone and
// the callee-side media and dialog policy of the first trunk: call_setup.cc), on the same Call-ID
// and From tag with the next CSeq and a new branch, toward the new trunk: its Request-URI, To
// host, fromuser/fromdomain and our Contact for its transport. The call is admitted again on
// the new trunk's limits; an alternate that is down, held or full is skipped.
//
// Not once the callee's early media was relayed (an SDP answer in an 18x: the caller's media
// already follows that trunk), nor once the caller cancelled: the failure then goes to the
// caller as it came. Each failed trunk is listed in the CDR (trunk_attempts) and counted in
// sbc_trunk_failovers_total{trunk,reason}.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"

namespace sbc::cp {

class TrunkFailover {
 public:
  TrunkFailover(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown)
      : ctx_(ctx), signalling_(signalling), teardown_(teardown) {}

  // Our INVITE went to the call's trunk: while another target or trunk is left to try, the trunk
  // has its failover_timeout_ms to respond.
  void sent(const CallPtr& call);
  // Any response of the trunk to our INVITE: it is there.
  static void responded(Call& call) { call.failover_timer.cancel(); }
  // The trunk's final failure `msg` to our INVITE: true when the call went on to another trunk
  // (or, when our INVITE could not even go there, failed with 503). A 503 holds the target (or
  // the trunk) either way.
  bool failed(const CallPtr& call, const sip::Message& msg);
  // Our INVITE's transaction failed (Timer B, transport): true when the call went on, as above.
  bool failed(const CallPtr& call, TransactionError error);

 private:
  void no_response(uint64_t id);
  // The current trunk failed the call (`attempt`): the trunk's next target (a name's next SRV
  // target or address), else the next trunk takes it (`attempt` is recorded, its failover
  // counted). False, with nothing changed, when none can.
  bool fail_over(const CallPtr& call, TrunkAttempt attempt, TrunkFailoverReason reason);
  // Our INVITE, sent again to trunk `trunk` (index) along `route`. False when it was not sent.
  bool send_to(const CallPtr& call, size_t trunk, const Route& route);
  [[nodiscard]] const TrunkConfig* trunk_of(const Call& call) const;
  // The route to the current trunk's next target: neither tried by this call nor held; nullopt
  // when it has none (or is an address).
  [[nodiscard]] std::optional<Route> next_target(const Call& call) const;
  // The call's current target failed as a server does: held as the file comment says;
  // `retry_after`: a 503's.
  void hold(const Call& call, std::optional<std::chrono::seconds> retry_after);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
};

}  // namespace sbc::cp
