// Session timers (RFC 4028), negotiated per leg as a B2BUA does: each dialog has its own interval
// and refresher, by its side's policy (zone session_expires and min_se, a trunk's over its
// zone's, [sbcd]'s by default). Our INVITE toward the callee asks for its side's session_expires
// (and Min-SE); the caller's request is honoured (lowered to ours, never below its Min-SE), and one
// below our Min-SE gets 422. When we refresh a leg (the peer chose us, or does not support
// timers) an UPDATE without a body goes at half the interval; a peer that refuses UPDATE (405,
// 501) is no longer refreshed. When the peer refreshes and no refresh (a re-INVITE or UPDATE
// through the call, which refreshes both dialogs) arrives before the interval runs out
// (minus min(32 s, a third)), the call ends with a BYE both ways and the CDR result
// session_expired; so does a refresh that times out or finds its dialog gone (408, 481).
#pragma once

#include <optional>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/transaction/transaction_user.h"

namespace sbc::cp {

class SessionTimers {
 public:
  SessionTimers(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown)
      : ctx_(ctx), signalling_(signalling), teardown_(teardown) {}

  // The caller's INVITE asks for a shorter session than our Min-SE: the Min-SE its retry must
  // meet (422, RFC 4028 §8.1); nullopt when it is fine.
  [[nodiscard]] static std::optional<uint32_t> too_brief(const sip::Message& invite,
                                                         const DialogPolicy& policy);
  // `side`'s leg timer from a request it sent us: the caller's INVITE (armed once the call is
  // answered), or a re-INVITE or UPDATE, which negotiates it again (§9) as we answer it.
  void negotiate_request(Call& call, Side side, const sip::Message& request) const;
  // Our INVITE toward the callee: Supported: timer, Session-Expires, Min-SE.
  static void offer(const DialogPolicy& policy, sip::RequestSpec& spec);
  // The callee leg's timer from its 2xx (none in it: we refresh it alone, §7.2).
  void negotiate_callee(Call& call, const sip::Message& ok) const;
  // What a 2xx to `side`'s INVITE or UPDATE carries (the call's answer or a refresh):
  // Session-Expires with its refresher, Require: timer when that is the peer.
  [[nodiscard]] CallSignalling::ExtraHeaders answer_headers(const Call& call, Side side) const;
  // What a re-INVITE or UPDATE we send `side` carries.
  [[nodiscard]] CallSignalling::ExtraHeaders request_headers(const Call& call, Side side) const;
  // (Re)starts both legs' timers: the call is answered, or a refresh went through.
  void arm(const CallPtr& call);
  // A call adopted after an sbcd restart (b2bua_persist.cc), its legs' timers as stored. When the
  // last refresh came was lost with the old sbcd, so a leg we refresh is refreshed before its peer
  // could expire the session even if that refresh was just due when sbcd stopped; the others get a
  // whole interval.
  void adopt(const CallPtr& call);
  // A response to, or the failure of, one of our refreshes: true when it was one.
  bool response(const CallPtr& call, TransactionId id, const sip::Message& msg);
  bool transaction_error(const CallPtr& call, TransactionId id, TransactionError error);

 private:
  void arm(const CallPtr& call, Side side);
  void refresh(uint64_t call_id, Side side);
  void expired(uint64_t call_id, Side side);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
};

}  // namespace sbc::cp
