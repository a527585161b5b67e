#include "controlplane/b2bua/call_dialogs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "controlplane/transaction/response_via.h"

namespace sbc::cp {

using sip::Method;

bool CallDialogs::caller_request(const CallPtr& call, const SipPeer& from,
                                 const sip::Message& msg) {
  Leg& a = call->legs[kCaller];
  // A TCP/TLS caller may have reconnected: what we send it next goes on its newest connection.
  // (Same host: a.peer holds the sent-by port, a new connection another ephemeral one.)
  if (is_stream(from.transport) && from.zone == a.peer.zone && from.transport == a.peer.transport &&
      from.remote.address() == a.peer.remote.address()) {
    a.peer.connection = from.connection;
  }
  const SipPeer to = response_target(from, *msg.top_via());
  switch (msg.method()) {
    case Method::kInvite:
      if (msg.to()->tag().empty()) return repeated_invite(call, from, msg);
      mid_call_.request(call, kCaller, to, msg);
      return true;
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kMessage:
    case Method::kNotify:
    case Method::kSubscribe:
    case Method::kRefer:
    case Method::kOptions: mid_call_.request(call, kCaller, to, msg); return true;
    case Method::kAck:
      if (!mid_call_.ack(call, kCaller, msg)) handle_ack(call, msg);
      return true;
    case Method::kCancel: handle_cancel(call, from, msg); return true;
    case Method::kPrack: provisionals_.prack(call, to, msg); return true;
    case Method::kBye: handle_bye(call, kCaller, to, msg); return true;
    default: signalling_.reply(to, msg, 501, {}, a.local_tag, a.user_agent); return true;
  }
}

bool CallDialogs::repeated_invite(const CallPtr& call, const SipPeer& from,
                                  const sip::Message& msg) {
  const auto& first = *call->caller_invite;
  const bool same_request =
      msg.from()->tag() == first.from()->tag() && msg.cseq()->number == first.cseq()->number;
  if (msg.top_via()->branch == call->caller_invite_branch ||
      (same_request && call->state != CallState::kEnded)) {
    // A retransmission that outlived its server transaction (which absorbs them until 64*T1
    // after our final response), or the same request arriving by another path: a merged request
    // (§8.2.2.2, RFC 6026 §7.1), refused without a dialog tag.
    ctx_.responder.reject(from, msg, 482);
    return true;
  }
  if (call->state != CallState::kEnded) {
    // Another INVITE outside the call's dialog with its Call-ID (a new branch and CSeq): a loop
    // or a UA reusing the Call-ID; a re-INVITE carries the dialog's To tag.
    signalling_.reply(response_target(from, *msg.top_via()), msg, 482, {},
                      call->legs[kCaller].local_tag);
    return true;
  }
  // A new INVITE reusing an ended call's Call-ID (e.g. the retry after a 503): a new call. The
  // old dialog is over for good: our 2xx stops, the BYE it held goes now (it would otherwise wait
  // for an ACK that can no longer reach this call), and the old call goes on its own schedule,
  // unreachable by this Call-ID.
  call->response_timer.cancel();
  if (std::exchange(call->caller_bye_pending, false)) signalling_.send_bye(call, kCaller);
  ctx_.calls.forget_caller_dialog(*call);
  return false;
}

void CallDialogs::callee_request(const CallPtr& call, const SipPeer& from,
                                 const sip::Message& msg) {
  const Leg& b = call->legs[kCallee];
  // The callee's requests are answered at the trunk/target address we use for it (a trunk's
  // requests are already known to come from its host), over TCP/TLS on their connection.
  const SipPeer to = is_stream(from.transport) ? from : b.peer;
  switch (msg.method()) {
    case Method::kAck:
      mid_call_.ack(call, kCallee, msg);  // of our 2xx to its re-INVITE; nothing else is ACKed
      return;
    case Method::kBye: handle_bye(call, kCallee, to, msg); return;
    case Method::kInvite:
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kMessage:
    case Method::kNotify:
    case Method::kSubscribe:
    case Method::kRefer:
    case Method::kOptions: mid_call_.request(call, kCallee, to, msg); return;
    case Method::kCancel: signalling_.reply(to, msg, 481, {}, b.local_tag, b.user_agent); return;
    default: signalling_.reply(to, msg, 501, {}, b.local_tag, b.user_agent); return;
  }
}

void CallDialogs::handle_ack(const CallPtr& call, const sip::Message& ack) {
  if (call->final_status == 0) return;  // nothing to acknowledge yet
  // An ACK for a 2xx must carry our To-tag; one that does not must not stop the 2xx's
  // retransmissions. (A non-2xx ACK has it too: our final responses always carry our tag.)
  if (ack.to()->tag() != call->legs[kCaller].local_tag) return;
  call->response_timer.cancel();
  if (call->final_status >= 300 || call->caller_acked) return;
  call->caller_acked = true;
  if (call->state == CallState::kAnswered) {
    call->state = CallState::kConfirmed;
    signalling_.send_callee_ack(call);
    records_.persist(*call);
  }
  if (call->caller_bye_pending) {
    call->caller_bye_pending = false;
    signalling_.send_bye(call, kCaller);
  }
}

void CallDialogs::handle_cancel(const CallPtr& call, const SipPeer& from,
                                const sip::Message& cancel) {
  const Leg& a = call->legs[kCaller];
  const SipPeer to = response_target(from, *cancel.top_via());
  if (cancel.top_via()->branch != call->caller_invite_branch) {
    signalling_.reply(to, cancel, 481, {}, a.local_tag, a.user_agent);
    return;
  }
  signalling_.reply(to, cancel, 200, {}, a.local_tag, a.user_agent);
  if (call->final_status != 0) return;  // too late: the INVITE already has its final response
  spdlog::info("call {}: cancelled by the caller", call->id);
  signalling_.respond_caller(call, 487);
  signalling_.send_cancel(call);
  teardown_.end_call(call, CallResult::kCancelled, 487);
}

void CallDialogs::handle_bye(const CallPtr& call, Side side, const SipPeer& to,
                             const sip::Message& bye) {
  if (transfer_.transferor_bye(call, side, to, bye)) return;
  const Leg& leg = call->legs[side];
  const bool established = side == kCaller ? call->final_status >= 200 && call->final_status < 300
                                           : call->callee_answered;
  if (!established || bye.to()->tag() != leg.local_tag) {
    signalling_.reply(to, bye, 481, {}, leg.local_tag, leg.user_agent);
    return;
  }
  if (side == kCallee && !bye.from()->tag().empty() && bye.from()->tag() != leg.remote_tag) {
    // Another fork's dialog: over already if we ACKed and BYE'd its 2xx, else not ours. (A BYE
    // without a From tag, RFC 2543 style, is taken for the call's dialog.)
    const bool fork =
        std::ranges::find(call->callee_forks, bye.from()->tag()) != call->callee_forks.end();
    signalling_.reply(to, bye, fork ? 200 : 481, {}, leg.local_tag, leg.user_agent);
    return;
  }
  signalling_.reply(to, bye, 200, {}, leg.local_tag, leg.user_agent);
  if (call->state == CallState::kEnded) return;  // a retransmitted BYE
  spdlog::info("call {}: {} hung up", call->id, side == kCaller ? "caller" : "callee");
  if (side == kCaller) {
    // A BYE proves the caller has our 2xx (its ACK may be lost): stop retransmitting it.
    call->response_timer.cancel();
    call->caller_acked = true;
    teardown_.hang_up_callee(call);
  } else {
    // The callee may hang up before the caller's ACK let us ACK its 2xx: ACK it now (§13.2.2.4).
    if (call->callee_ack.empty()) signalling_.send_callee_ack(call);
    call->callee_bye_sent = true;  // its dialog is over: nothing more to send it
    teardown_.hang_up_caller(call);
  }
  teardown_.end_call(call, CallResult::kAnswered, 200);
}

void CallDialogs::start_duration_limit(const CallPtr& call, std::chrono::milliseconds elapsed) {
  const uint32_t limit_s = ctx_.config.max_call_duration_s;
  if (limit_s == 0) return;
  const auto left = std::max(std::chrono::milliseconds(std::chrono::seconds(limit_s)) - elapsed,
                             std::chrono::milliseconds(0));
  call->duration_timer = Timer(ctx_.scheduler, left, [this, id = call->id] {
    CallPtr call = ctx_.calls.find(id);
    if (!call || call->state == CallState::kEnded) return;
    spdlog::info("call {}: max_call_duration ({} s) reached; hanging up", id,
                 ctx_.config.max_call_duration_s);
    teardown_.fail_call(call, 200, CallResult::kMaxDuration);
  });
}

// --- ended calls --------------------------------------------------------------------------------

bool CallDialogs::ended_request(const SipPeer& from, const sip::Message& msg) {
  const auto now = ctx_.scheduler.now();
  const std::string_view call_id = *msg.call_id();
  Side side = kCallee;
  EndedCall* ended = ctx_.ended.find_callee(call_id, now);
  if (ended == nullptr || ended->callee_peer.zone != from.zone) {
    side = kCaller;
    ended = ctx_.ended.find_caller(CallTable::caller_key(from.zone, call_id), now);
  }
  if (ended == nullptr) return false;
  switch (msg.method()) {
    case Method::kInvite:
      if (side == kCaller && msg.to()->tag().empty() &&
          msg.top_via()->branch == ended->caller_branch) {
        ctx_.responder.reject(from, msg, 482);  // a retransmission that outlived its transaction
        return true;
      }
      return false;  // a new call reusing the Call-ID, or a re-INVITE of a dialog that is over
    case Method::kBye: {
      // A BYE that crossed ours, or a retransmission that outlived its server transaction.
      const std::string& tag = side == kCaller ? ended->caller_tag : ended->callee_tag;
      const std::string_view their_tag = msg.from()->tag();
      const auto& dialogs = ended->callee_dialogs;
      const bool dialog =
          side == kCaller
              ? ended->caller_dialog
              : (their_tag.empty() ? !dialogs.empty()
                                   : std::ranges::find(dialogs, their_tag) != dialogs.end());
      signalling_.reply(from, msg, dialog && msg.to()->tag() == tag ? 200 : 481, {}, tag);
      return true;
    }
    default: return false;
  }
}

// A 2xx for a call that is over: the one it confirmed again (our ACK was lost), or a dialog it
// never confirmed (it crossed our CANCEL, or another fork answered late): ACK, then BYE once.
void CallDialogs::ended_answer(EndedCall& ended, const sip::Message& msg) {
  if (msg.top_via()->branch != ended.callee_invite_branch) {
    abandoned_answer(ended, msg);
    return;
  }
  const InviteOrigin origin = InviteOrigin::of(ended);
  signalling_.ack_dialog(origin, msg);
  const std::string_view tag = msg.to()->tag();
  auto& dialogs = ended.callee_dialogs;
  if (std::ranges::find(dialogs, tag) != dialogs.end()) return;
  if (dialogs.size() < EndedCall::kMaxDialogs) dialogs.emplace_back(tag);
  spdlog::info("sip: late 2xx for ended call {} (dialog {}): ACK and BYE", ended.id, tag);
  signalling_.bye_dialog(origin, msg);
}

// A silent trunk the call left answers after the call ended: its dialog is confirmed and ended
// at once, as while the call lasted (AnswerRelay::abandoned_answer), so it bills nothing.
void CallDialogs::abandoned_answer(EndedCall& ended, const sip::Message& msg) {
  auto it = std::ranges::find(ended.abandoned, msg.top_via()->branch, &AbandonedInvite::branch);
  if (it == ended.abandoned.end()) {
    ctx_.metrics.sip_dropped(SipDropReason::kStrayResponse);
    return;
  }
  const InviteOrigin origin{
      it->peer, ended.callee_call_id, it->local_party, ended.callee_tag, it->remote_party,
      it->uri,  it->branch,           it->cseq};
  signalling_.ack_dialog(origin, msg);
  if (it->answered) return;  // retransmitted: our ACK was lost
  it->answered = true;
  spdlog::info("sip: late 2xx for ended call {} from a trunk it left: ACK and BYE", ended.id);
  signalling_.bye_dialog(origin, msg);
}

}  // namespace sbc::cp
