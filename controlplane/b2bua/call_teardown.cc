#include "controlplane/b2bua/call_teardown.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "controlplane/b2bua/call_cdr.h"

namespace sbc::cp {

void CallTeardown::hang_up_callee(const CallPtr& call) {
  if (!call->callee_answered) {
    signalling_.send_cancel(call);
    return;
  }
  if (call->callee_bye_sent) return;
  if (call->callee_ack.empty()) signalling_.send_callee_ack(call);
  call->callee_bye_sent = true;
  signalling_.send_bye(call, kCallee);
}

void CallTeardown::hang_up_caller(const CallPtr& call) {
  if (call->final_status < 200 || call->final_status >= 300) return;  // no dialog with the caller
  if (!call->caller_acked) {
    // Our 2xx keeps being retransmitted; the BYE follows its ACK or its timeout.
    call->caller_bye_pending = true;
    return;
  }
  signalling_.send_bye(call, kCaller);
}

void CallTeardown::fail_call(const CallPtr& call, int code, CallResult result) {
  if (call->state == CallState::kEnded) return;
  if (call->final_status == 0) {
    signalling_.respond_caller(call, code);
  } else {
    hang_up_caller(call);
  }
  hang_up_callee(call);
  end_call(call, result, code);
}

void CallTeardown::record_refused_offer(uint64_t id, const sip::Message& invite,
                                        MediaRefusal refusal) {
  ctx_.metrics.call_started();
  ctx_.metrics.call_ended(CallResult::kFailed);
  records_.write_cdr(refused_offer_record(id, invite, refusal, ctx_.scheduler.wall_now()));
}

void CallTeardown::caller_never_acked(const CallPtr& call) {
  const bool bye_pending = std::exchange(call->caller_bye_pending, false);
  if (call->state == CallState::kAnswered) {
    spdlog::warn("call {}: no ACK from the caller; hanging up", call->id);
    signalling_.send_bye(call, kCaller);
    hang_up_callee(call);
    end_call(call, CallResult::kFailed, 408);
  } else if (bye_pending) {
    signalling_.send_bye(call, kCaller);  // the call ended meanwhile; its BYE waited for this
  }
}

// Our 2xx to a caller that has not ACKed keeps being retransmitted after the end: the caller's
// BYE waits for that ACK (§15). Other final responses are retransmitted until their ACK as well.
void CallTeardown::end_call(const CallPtr& call, CallResult result, int code) {
  if (call->state == CallState::kEnded) return;
  ctx_.calls.end(*call);
  call->result = result;
  call->result_code = code;
  call->admission.reset();  // uncounted now
  call->end_time = ctx_.scheduler.wall_now();
  call->ring_timer.cancel();
  call->duration_timer.cancel();
  ctx_.metrics.call_ended(result);
  spdlog::info("call {}: ended ({}, {})", call->id, to_string(result), code);
  records_.note_ended(*call);
  teardown_media(call);
  // The Call goes as soon as nothing is owed on its transactions; an EndedCall record absorbs
  // what may still arrive after that.
  call->linger_timer =
      Timer(ctx_.scheduler, ctx_.timers.t1, [this, id = call->id] { erase_call(id); });
}

// Counters first (they die with the session), then the CDR, then the delete. A session's media
// ports are free again only once the dataplane no longer has it: a reused port would collide.
void CallTeardown::teardown_media(const CallPtr& call) {
  ctx_.retired.retire(call->media, [this, call](std::optional<api::StatsReply> stats) {
    if (stats) call->media_stats = std::move(*stats);
    observe_call_quality(ctx_.metrics, *call);
    records_.write_cdr(*call);
  });
}

void CallTeardown::erase_call(uint64_t id) {
  const CallPtr call = ctx_.calls.find(id);
  if (!call) return;
  // Still owed something by a transaction (a final response to our INVITE, our BYE's answer, the
  // caller's ACK before our BYE): all of them are bounded by their own timers, so wait for them.
  // A transaction the layer no longer knows is over, whether or not its end reached us.
  Leg& b = call->legs[kCallee];
  TransactionLayer& layer = ctx_.layer;
  if (b.invite_tx && layer.client(*b.invite_tx) == nullptr) signalling_.close_invite(*call);
  for (Leg& leg : call->legs) {
    std::erase_if(leg.requests, [&layer](TransactionId tx) { return layer.client(tx) == nullptr; });
  }
  // A BYE held for the caller's ACK waits only while our 2xx is still retransmitted (its timer
  // ends in the BYE or the ACK comes): nothing else may keep the call.
  const bool bye_pending = call->caller_bye_pending && call->response_timer.armed();
  const bool busy =
      b.invite_tx || bye_pending || !call->legs[kCaller].requests.empty() || !b.requests.empty();
  if (busy) {
    call->linger_timer = Timer(ctx_.scheduler, ctx_.timers.t2, [this, id] { erase_call(id); });
    return;
  }
  remember(*call);
  ctx_.calls.erase(id);
}

void CallTeardown::remember(const Call& call) {
  const Leg& a = call.legs[kCaller];
  const Leg& b = call.legs[kCallee];
  EndedCall e;
  e.id = call.id;
  e.caller_key = CallTable::caller_key(a.peer.zone, a.call_id);
  e.caller_branch = call.caller_invite_branch;
  e.caller_tag = a.local_tag;
  e.caller_dialog = call.final_status >= 200 && call.final_status < 300;
  e.callee_peer = b.peer;
  e.callee_call_id = b.call_id;
  e.callee_tag = b.local_tag;
  e.callee_local_party = b.local_party;
  e.callee_remote_party = b.remote_party;
  e.callee_invite_uri = call.callee_invite_uri;
  e.callee_invite_branch = call.callee_invite_branch;
  e.callee_invite_cseq = call.callee_invite_cseq;
  e.challenge_passed = call.challenge_passed;
  if (call.callee_answered) e.callee_dialogs.push_back(b.remote_tag);
  for (const std::string& tag : call.callee_forks) {
    if (e.callee_dialogs.size() < EndedCall::kMaxDialogs) e.callee_dialogs.push_back(tag);
  }
  for (const AbandonedInvite& left : call.abandoned_invites) {
    if (!left.answered) e.abandoned.push_back(left);
  }
  // An INVITE abandoned without a final response (after our CANCEL, or to a silent trunk) may
  // still be answered while a proxy keeps its branch: remembered as long as a call may ring.
  const bool abandoned = call.invite_abandoned || !e.abandoned.empty();
  const auto now = ctx_.scheduler.now();
  e.expires = now + (abandoned ? ctx_.timers.ring_timeout : ctx_.timers.linger);
  ctx_.ended.add(std::move(e),
                 abandoned ? EndedCalls::Retention::kLong : EndedCalls::Retention::kLinger, now);
}

}  // namespace sbc::cp
