// The requests the B2BUA originates on either leg: INVITE, CANCEL and BYE in client transactions
// of the TransactionLayer (which retransmits them and ACKs non-2xx finals), the ACK of a 2xx
// directly (it is the dialog's, not a transaction's, §13.2.2.4).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/b2bua/b2bua.h"
#include "controlplane/b2bua/b2bua_internal.h"
#include "controlplane/sip/builder.h"

namespace sbc::cp {

using sip::Method;

sip::RequestSpec B2bua::dialog_request(const Leg& leg, Method method) const {
  sip::RequestSpec spec;
  spec.method = method;
  spec.request_uri = leg.remote_target;
  set_via(spec, leg.peer);
  spec.from = leg.local_party;
  spec.from_tag = leg.local_tag;
  spec.to = leg.remote_party;
  spec.to_tag = leg.remote_tag;
  spec.call_id = leg.call_id;
  spec.routes = leg.route_set;
  return spec;
}

sip::OutgoingRequest B2bua::invite_twin(const Call& call, Method method,
                                        std::string_view to_tag) const {
  // Same branch as our INVITE (§9.1): its Request-URI, branch and CSeq.
  sip::RequestSpec spec = dialog_request(call.legs[kCallee], method);
  spec.request_uri = call.callee_invite_uri;
  spec.branch = call.callee_invite_branch;
  spec.to_tag = std::string(to_tag);
  spec.cseq = call.callee_invite_cseq;
  spec.routes.clear();
  return sip::build_request(spec);
}

void B2bua::send_callee_ack(const CallPtr& call) {
  const Leg& b = call->legs[kCallee];
  sip::RequestSpec spec = dialog_request(b, Method::kAck);
  spec.branch = ack_branch(call->callee_invite_branch, b.remote_tag);
  spec.cseq = call->callee_invite_cseq;
  call->callee_ack = sip::make_request(spec).build();
  transport_.send(b.peer, call->callee_ack);
}

void B2bua::send_bye(const CallPtr& call, Side side) {
  Leg& leg = call->legs[side];
  sip::RequestSpec spec = dialog_request(leg, Method::kBye);
  spec.branch = ids_.branch();
  spec.cseq = ++leg.local_cseq;
  start_transaction(call, side, sip::build_request(spec));
}

// CANCEL may only follow a provisional response (RFC 3261 §9.1); until then it is held back.
void B2bua::send_cancel(const CallPtr& call) {
  Leg& b = call->legs[kCallee];
  if (!b.invite_tx || call->cancel_sent) return;  // final response already in: nothing to cancel
  if (!call->callee_provisional) {
    call->cancel_pending = true;
    return;
  }
  call->cancel_sent = true;
  start_transaction(call, kCallee, invite_twin(*call, Method::kCancel, {}));
  // Like Timer C: a callee that never sends the INVITE's final response (normally 487) does not
  // keep the call forever.
  call->invite_wait_timer = Timer(scheduler_, 64 * timers_.t1, [this, id = call->id] {
    CallPtr call = calls_.find(id);
    if (!call) return;
    Call& c = *call;
    if (!c.legs[kCallee].invite_tx) return;
    spdlog::info("call {}: no final response to the cancelled INVITE", id);
    layer_.abandon(*c.legs[kCallee].invite_tx);
    close_invite(c);
    c.invite_abandoned = true;
  });
}

void B2bua::close_invite(Call& call) {
  call.legs[kCallee].invite_tx.reset();
  call.invite_wait_timer.cancel();
}

bool B2bua::start_transaction(const CallPtr& call, Side side, sip::OutgoingRequest request) {
  Leg& leg = call->legs[side];
  const Method method = request.method;
  auto id = layer_.send_request(leg.peer, std::move(request), call->id);
  if (!id) {
    spdlog::error("call {}: {} not sent: {}", call->id, sip::method_name(method),
                  to_string(id.error()));
    return false;
  }
  if (method == Method::kInvite) {
    leg.invite_tx = *id;
  } else {
    leg.requests.push_back(*id);
  }
  return true;
}

void B2bua::stop_transaction(Call& call, TransactionId id) {
  for (Leg& leg : call.legs) std::erase(leg.requests, id);
}

// Timer B / F or an unreachable hop. Our INVITE failing ends a call still ringing (408 for a
// timeout, 503 for a transport failure as §8.1.3.1 says); a BYE or CANCEL failing only ends its
// transaction.
void B2bua::on_transaction_error(TransactionId id, uint64_t owner, TransactionError error) {
  CallPtr call = calls_.find(owner);
  if (!call) return;
  if (call->legs[kCallee].invite_tx != id) {
    stop_transaction(*call, id);
    return;
  }
  close_invite(*call);
  if (call->state != CallState::kCalling) return;
  const int code = error == TransactionError::kTimeout ? 408 : 503;
  spdlog::info("call {}: no response from the callee ({})", call->id, to_string(error));
  if (call->final_status == 0) respond_caller(call, code);
  end_call(call, CallResult::kFailed, code);
}

}  // namespace sbc::cp
