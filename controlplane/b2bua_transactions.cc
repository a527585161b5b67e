// The B2BUA's client transactions: requests it originates on either leg (INVITE, CANCEL, ACK,
// BYE) and their retransmission over UDP (RFC 3261 §17.1).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/b2bua.h"
#include "sip/builder.h"

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

std::string B2bua::invite_twin(const Call& call, Method method, std::string_view to_tag) const {
  // Same transaction as our INVITE (§9.1, §17.1.1.3): its Request-URI, branch, CSeq and routes.
  sip::RequestSpec spec = dialog_request(call.legs[kCallee], method);
  spec.request_uri = call.callee_invite_uri;
  spec.branch = call.callee_invite_branch;
  spec.to_tag = std::string(to_tag);
  spec.cseq = call.callee_invite_cseq;
  spec.routes.clear();
  return sip::make_request(spec).build();
}

void B2bua::send_callee_ack(const CallPtr& call) {
  const Leg& b = call->legs[kCallee];
  sip::RequestSpec spec = dialog_request(b, Method::kAck);
  spec.branch = ids_.branch();
  spec.cseq = call->callee_invite_cseq;
  call->callee_ack = sip::make_request(spec).build();
  transport_.send(b.peer, call->callee_ack);
}

void B2bua::send_bye(const CallPtr& call, Side side) {
  Leg& leg = call->legs[side];
  sip::RequestSpec spec = dialog_request(leg, Method::kBye);
  spec.branch = ids_.branch();
  spec.cseq = ++leg.local_cseq;
  start_transaction(call, side, Method::kBye, spec.branch, sip::make_request(spec).build());
}

// CANCEL may only follow a provisional response (RFC 3261 §9.1); until then it is held back.
void B2bua::send_cancel(const CallPtr& call) {
  Leg& b = call->legs[kCallee];
  if (!b.invite || call->cancel_sent) return;  // final response already in: nothing to cancel
  if (!call->callee_provisional) {
    call->cancel_pending = true;
    return;
  }
  call->cancel_sent = true;
  start_transaction(call, kCallee, Method::kCancel, call->callee_invite_branch,
                    invite_twin(*call, Method::kCancel, {}));
  // Like Timer C: a callee that never sends the INVITE's final response (normally 487) does not
  // keep the call forever.
  scheduler_.cancel(b.invite->timer);
  b.invite->timer = scheduler_.schedule(64 * timers_.t1, [this, id = call->id] {
    auto it = calls_.find(id);
    if (it == calls_.end() || !it->second->legs[kCallee].invite) return;
    it->second->legs[kCallee].invite->timer = 0;
    spdlog::info("call {}: no final response to the cancelled INVITE", id);
    close_invite(*it->second);
  });
}

void B2bua::close_invite(Call& call) {
  auto& invite = call.legs[kCallee].invite;
  if (!invite) return;
  scheduler_.cancel(invite->timer);
  invite.reset();
}

void B2bua::start_transaction(const CallPtr& call, Side side, Method method, std::string branch,
                              std::string bytes) {
  Leg& leg = call->legs[side];
  transport_.send(leg.peer, bytes);
  ClientTransaction tx;
  tx.method = method;
  tx.branch = branch;
  tx.bytes = std::move(bytes);
  tx.interval = timers_.t1;
  tx.deadline = scheduler_.now() + 64 * timers_.t1;
  tx.timer = scheduler_.schedule(tx.interval, [this, id = call->id, side, method, branch] {
    retransmit(id, side, method, branch);
  });
  if (method == Method::kInvite) {
    leg.invite = std::move(tx);
  } else {
    leg.requests.push_back(std::move(tx));
  }
}

// Timer A/E: resend with the interval doubled (capped at T2 except for INVITE); Timer B/F: give up.
// A CANCEL shares its INVITE's branch, so a transaction is known by method and branch.
void B2bua::retransmit(uint64_t call_id, Side side, Method method, const std::string& branch) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  CallPtr call = it->second;
  Leg& leg = call->legs[side];
  ClientTransaction* tx = nullptr;
  const bool is_invite = method == Method::kInvite;
  if (is_invite) {
    if (leg.invite && leg.invite->branch == branch) tx = &*leg.invite;
  } else {
    for (auto& r : leg.requests) {
      if (r.branch == branch && r.method == method) tx = &r;
    }
  }
  if (tx == nullptr) return;
  tx->timer = 0;
  if (scheduler_.now() >= tx->deadline) {
    if (!is_invite) {
      stop_transaction(*call, side, branch);
      return;
    }
    close_invite(*call);
    if (call->state == CallState::kCalling) {
      spdlog::info("call {}: no response from the callee", call->id);
      if (call->final_status == 0) respond_caller(call, 408);
      end_call(call, CallResult::kFailed, 408);
    }
    return;
  }
  // Timers A/E retransmit over UDP only; over TCP/TLS only Timer B/F runs (§17.1.1.2).
  if (!is_stream(leg.peer.transport)) transport_.send(leg.peer, tx->bytes);
  tx->interval = is_invite ? tx->interval * 2 : std::min(tx->interval * 2, timers_.t2);
  // Timer B/F fires at its deadline even when the next retransmission would come later.
  const auto until_deadline =
      std::chrono::ceil<std::chrono::milliseconds>(tx->deadline - scheduler_.now());
  tx->timer = scheduler_.schedule(
      std::min(tx->interval, until_deadline),
      [this, call_id, side, method, branch] { retransmit(call_id, side, method, branch); });
}

void B2bua::stop_transaction(Call& call, Side side, std::string_view branch) {
  Leg& leg = call.legs[side];
  // A CANCEL shares its INVITE's branch; the CANCEL's final response ends only the CANCEL.
  std::erase_if(leg.requests, [&](ClientTransaction& tx) {
    if (tx.branch != branch) return false;
    scheduler_.cancel(tx.timer);
    return true;
  });
}

}  // namespace sbc::cp
