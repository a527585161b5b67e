#include "controlplane/b2bua/answer_relay.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "controlplane/b2bua/b2bua_internal.h"

namespace sbc::cp {

void AnswerRelay::call_response(const CallPtr& call, TransactionId id, const sip::Message& msg) {
  Leg& b = call->legs[kCallee];
  auto cseq = msg.cseq();  // the layer matched on branch and CSeq method: both are there
  if (!cseq || cseq->method != sip::Method::kInvite) {
    if (msg.status_code() >= 200) signalling_.stop_transaction(*call, id);
    return;
  }
  auto call_id = msg.call_id();
  if (!call_id || *call_id != b.call_id || !msg.to()) {
    ctx_.metrics.sip_dropped(SipDropReason::kBadResponse);
    if (b.invite_tx != id || msg.status_code() < 200) return;
    // Its final response closes our INVITE, usable or not: the call cannot go on.
    spdlog::warn("call {}: malformed final response {} from the callee", call->id,
                 msg.status_code());
    signalling_.close_invite(*call);
    teardown_.fail_call(call, 502, CallResult::kFailed);  // its end stops the ring timer
    return;
  }
  invite_response(call, id, msg);
}

void AnswerRelay::invite_response(const CallPtr& call, TransactionId id, const sip::Message& msg) {
  const int code = msg.status_code();
  if (msg.top_via()->branch != call->callee_invite_branch) {
    if (code < 200 || code >= 300 || !abandoned_answer(call, msg)) {
      ctx_.metrics.sip_dropped(SipDropReason::kStrayResponse);
    }
    return;
  }
  if (call->legs[kCallee].invite_tx != id) {
    // The INVITE's final response is in (or we gave up on it): a 2xx again, retransmitted or from
    // another fork, is ACKed (RFC 6026); one after we gave up ends its dialog.
    if (code >= 200 && code < 300) late_answer(call, msg);
    return;
  }
  TrunkFailover::responded(*call);
  if (code < 200) {
    provisional(call, msg);
    return;
  }
  // A carrier's challenge, answered with its trunk's credentials: the same INVITE again, and the
  // ringing goes on under the same ring timer.
  if ((code == 401 || code == 407) && challenge_.answer(call, msg)) return;
  // A trunk failing the call: the next trunk takes it, the caller rings on.
  if (code >= 300 && failover_.failed(call, msg)) return;
  signalling_.close_invite(*call);
  call->ring_timer.cancel();
  call->callee_invite_spec.reset();  // answered or failed: never sent again
  if (code >= 300) {
    final_failure(call, msg);
  } else {
    callee_answered(call, msg);
  }
}

void AnswerRelay::late_answer(const CallPtr& call, const sip::Message& msg) {
  const Leg& b = call->legs[kCallee];
  if (call->callee_answered && msg.to()->tag() != b.remote_tag) {
    forked_answer(call, msg);
  } else if (!call->callee_ack.empty()) {
    ctx_.transport.send(b.peer, call->callee_ack);
  } else if (!call->callee_answered) {
    callee_answered(call, msg);
  }
}

void AnswerRelay::provisional(const CallPtr& call, const sip::Message& msg) {
  const int code = msg.status_code();
  // CANCEL may follow any provisional, 100 Trying included (§9.1).
  call->callee_provisional = true;
  if (call->cancel_pending && !call->cancel_sent) signalling_.send_cancel(call);
  if (code == 100) return;
  learn_callee_dialog(*call, msg);
  // Forking: each early dialog (To tag) is kept with its answer; its 2xx may carry none.
  EarlyDialog* dialog = msg.to()->tag().empty()
                            ? nullptr
                            : ReliableProvisionals::early_dialog(*call, msg.to()->tag());
  // A reliable one is PRACKed on its early dialog even when the caller is gone meanwhile.
  if (!provisionals_.callee_provisional(call, msg) || call->final_status != 0) return;
  std::string body;
  if (const std::string_view answer = sdp_of(msg); !answer.empty()) {
    relay_answer(call, msg, answer);
    if (call->state == CallState::kEnded) return;
    body = call->caller_answer_sdp;
    if (dialog != nullptr) dialog->answer = std::string(answer);
  }
  provisionals_.respond_caller(call, code, msg.reason_phrase(), std::move(body));
}

void AnswerRelay::final_failure(const CallPtr& call, const sip::Message& msg) {
  const int code = msg.status_code();  // the client transaction has ACKed it (§17.1.1.3)
  if (call->final_status != 0 || call->state == CallState::kEnded) return;
  spdlog::info("call {}: callee answered {} {}", call->id, code, msg.reason_phrase());
  if ((code == 401 || code == 407) && passes_caller_credentials(ctx_.config, *call)) {
    // A relayed phone calling through its registrar: the challenge is its own to answer, on a
    // new INVITE that brings its credentials (trunk_challenge.h).
    std::vector<std::pair<std::string, std::string>> challenges;
    for (const auto& h : msg.headers()) {
      if (h.id == sip::HeaderId::kWwwAuthenticate || h.id == sip::HeaderId::kProxyAuthenticate) {
        challenges.emplace_back(std::string(h.name), std::string(h.value));
      }
    }
    signalling_.respond_caller(call, code, msg.reason_phrase(), {}, challenges);
    call->challenge_passed = true;
    teardown_.end_call(call, CallResult::kFailed, code);
    return;
  }
  if (code == 401 || code == 407) {
    // The challenge is for credentials of ours (the trunk's), not the caller's: relaying it would
    // only make the caller retry with credentials the callee never sees.
    ctx_.metrics.callee_auth_challenge();
    signalling_.respond_caller(
        call, 503, "Service Unavailable (callee requires authentication)", {},
        {{"Reason",
          fmt::format("SIP;cause={};text=\"{}\"", code, sip::default_reason_phrase(code))},
         {"Warning", "399 sbc \"the callee requires authentication\""}});
    teardown_.end_call(call, CallResult::kFailed, 503);
    return;
  }
  // 3xx keeps its code but never the callee's Contact (topology): a UAC treats a 3xx without
  // Contact as a failure (§8.1.3.4), and the code still tells the caller (and the CDR) what
  // happened; recursing on the redirect inside sbcd is not supported.
  signalling_.respond_caller(call, code, msg.reason_phrase());
  const CallResult result = code == 486 || code == 600 ? CallResult::kBusy : CallResult::kFailed;
  teardown_.end_call(call, result, code);
}

void AnswerRelay::callee_answered(const CallPtr& call, const sip::Message& msg) {
  learn_callee_dialog(*call, msg);
  call->callee_answered = true;
  timers_.negotiate_callee(*call, msg);
  if (call->final_status != 0 || call->state == CallState::kEnded) {
    // The caller gave up meanwhile (the 2xx crossed our CANCEL, or a timeout): confirm, hang up.
    teardown_.hang_up_callee(call);
    return;
  }
  const EarlyDialog* early = ReliableProvisionals::find_early_dialog(*call, msg.to()->tag());
  if (early != nullptr && early->answer.empty()) early = nullptr;
  if (const std::string_view answer = sdp_of(msg); !answer.empty()) {
    relay_answer(call, msg, answer);
    if (call->state == CallState::kEnded) return;
  } else if (early != nullptr) {
    // The answer of the dialog that won, from its 18x: when another fork's early media was the
    // latest, the media moves to this one.
    const std::string answer = early->answer;
    relay_answer(call, msg, answer);
    if (call->state == CallState::kEnded) return;
  } else if (call->media.programmed() && !call->media.transcoded()) {
    media_.program_session(call);  // the early answer's media, now with the media timeout armed
  }
  if (call->caller_answer_sdp.empty()) {
    spdlog::warn("call {}: 2xx from the callee without an SDP answer", call->id);
    teardown_.hang_up_callee(call);
    signalling_.respond_caller(call, 502, "Bad Gateway (no SDP answer)");
    teardown_.end_call(call, CallResult::kFailed, 502);
    return;
  }
  if (call->media.transcoded()) {
    // A transcoded call needs a transcoding lcore with room: the caller's 2xx waits for the
    // dataplane to accept the session; refused, the caller gets 503 and the callee a BYE.
    media_.program_session(
        call, [this, call, code = msg.status_code(), reason = std::string(msg.reason_phrase())] {
          if (call->state != CallState::kEnded && call->state != CallState::kAnswered) {
            answer_caller(call, code, reason);
          }
        });
    return;
  }
  answer_caller(call, msg.status_code(), msg.reason_phrase());
}

void AnswerRelay::answer_caller(const CallPtr& call, int code, std::string_view reason) {
  // RFC 3262 §3: not before the caller PRACKed the 18x that carried our answer.
  if (provisionals_.answer_waits(call, code, reason)) return;
  call->state = CallState::kAnswered;
  call->answer_time = ctx_.scheduler.wall_now();
  spdlog::info("call {}: answered", call->id);
  // An answer the caller already has from a PRACKed 18x (and maybe changed since by an early
  // UPDATE) is not repeated in the 2xx.
  signalling_.respond_caller(
      call, code, reason,
      ReliableProvisionals::answered_early(*call) ? std::string() : call->caller_answer_sdp,
      timers_.answer_headers(*call, kCaller));
  dialogs_.start_duration_limit(call);
  timers_.arm(call);
}

void AnswerRelay::release_answer(const CallPtr& call) {
  auto held = std::exchange(call->caller_provisionals.held_answer, std::nullopt);
  if (!held || call->state != CallState::kCalling || call->final_status != 0) return;
  answer_caller(call, held->first, held->second);
}

// Remote tag, target and route set of the callee's (early) dialog from a 101-299 response.
void AnswerRelay::learn_callee_dialog(Call& call, const sip::Message& msg) {
  Leg& b = call.legs[kCallee];
  if (auto to = msg.to(); to && !to->tag().empty()) b.remote_tag = std::string(to->tag());
  if (std::string contact = first_contact(msg); !contact.empty()) b.remote_target = contact;
  if (auto routes = uac_route_set(msg); !routes.empty()) b.route_set = std::move(routes);
}

// An SDP answer from the callee (183 or 2xx): learn its media, rewrite it for the caller and
// program the dataplane at once so early media flows. An answer whose o= is unchanged is the same
// description (RFC 3264 §8): the caller gets the answer it already has, with the same version.
void AnswerRelay::relay_answer(const CallPtr& call, const sip::Message& msg,
                               std::string_view text) {
  auto sdp = SdpBody::parse(text);  // the one parse of this answer; the call keeps it
  std::expected<AudioEndpoint, std::string> audio;
  if (sdp) audio = media_.usable_audio(sdp->description());
  if (!sdp || !audio) {
    spdlog::warn("call {}: unusable SDP answer from the callee", call->id);
    if (msg.status_code() >= 200) {
      teardown_.hang_up_callee(call);
      signalling_.respond_caller(call, 502, "Bad Gateway (bad SDP answer)");
      teardown_.end_call(call, CallResult::kFailed, 502);
    }
    return;
  }
  // A final answer of a transcoded call is programmed by callee_answered (its 2xx waits).
  if (call->callee_answer && sdp->origin() == call->callee_answer->origin()) {
    if (msg.status_code() >= 200 && !call->media.transcoded()) media_.program_session(call);
    return;
  }
  if (auto accepted = media_.accept_answer(*call, sdp->description().media[audio->media_index]);
      !accepted) {
    refuse_answer(call, msg, accepted.error());
    return;
  }
  call->media.set_remote(kCallee, *audio);
  call->described[kCallee] = ReceivedSdp{*sdp, *audio, false};
  auto rewritten = call->media.anchor(kCaller, *sdp, *audio);
  if (!rewritten) return;
  call->caller_answer_sdp = std::move(*rewritten);
  call->callee_answer = std::move(*sdp);
  if (msg.status_code() < 200 || !call->media.transcoded()) media_.program_session(call);
}

// An answer whose media we cannot serve (its profile or keys match nothing we offered): never an
// answered call without media. An early answer is not relayed (the final one is checked again);
// a 2xx ends the callee's dialog (ACK, BYE) and the caller gets 488 with a Warning.
void AnswerRelay::refuse_answer(const CallPtr& call, const sip::Message& msg,
                                MediaRefusal refusal) {
  if (msg.status_code() < 200) return;
  call->media_refusal = refusal;  // in its CDR
  teardown_.hang_up_callee(call);
  signalling_.respond_caller(
      call, response_code(refusal), "Not Acceptable Here", {},
      {{"Warning", fmt::format("{} sbc \"{}\"", warning_code(refusal), warning_text(refusal))}});
  teardown_.end_call(call, CallResult::kFailed, response_code(refusal));
}

// A silent trunk we left answers after all: its dialog is confirmed and ended at once (the call
// is the next trunk's), so the carrier bills nothing for it.
bool AnswerRelay::abandoned_answer(const CallPtr& call, const sip::Message& msg) {
  auto& left = call->abandoned_invites;
  auto it = std::ranges::find(left, msg.top_via()->branch, &AbandonedInvite::branch);
  if (it == left.end()) return false;
  const Leg& b = call->legs[kCallee];
  const InviteOrigin origin{it->peer,         b.call_id, it->local_party, b.local_tag,
                            it->remote_party, it->uri,   it->branch,      it->cseq};
  signalling_.ack_dialog(origin, msg);
  if (it->answered) return true;  // retransmitted: our ACK was lost
  it->answered = true;
  spdlog::info("call {}: late 2xx from a trunk left for being silent: ACK and BYE", call->id);
  signalling_.bye_dialog(origin, msg);
  return true;
}

// Forking (§13.2.2.4): the first 2xx is the call; every other dialog is confirmed with its own
// ACK and ended with a BYE. Their tags are remembered (bounded) so a retransmitted 2xx gets its
// ACK again, not another BYE; beyond the bound a retransmission is BYE'd again (harmless: 481).
void AnswerRelay::forked_answer(const CallPtr& call, const sip::Message& msg) {
  const InviteOrigin origin = InviteOrigin::of(*call);
  signalling_.ack_dialog(origin, msg);
  const std::string_view tag = msg.to()->tag();
  auto& forks = call->callee_forks;
  if (std::ranges::find(forks, tag) != forks.end()) return;  // retransmitted: our ACK was lost
  if (forks.size() < EndedCall::kMaxDialogs) forks.emplace_back(tag);
  spdlog::info("call {}: 2xx from another fork (dialog {}): ACK and BYE", call->id, tag);
  signalling_.bye_dialog(origin, msg);
}

}  // namespace sbc::cp
