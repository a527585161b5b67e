// The B2BUA's responses: those the callee sends to our INVITE (relayed to the caller) and those we
// send to the caller's INVITE (retransmitted until its ACK).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "controlplane/b2bua/b2bua.h"
#include "controlplane/b2bua/b2bua_internal.h"
#include "controlplane/sip/builder.h"

namespace sbc::cp {

using sip::Method;

namespace {

// Route set of a dialog from a response's Record-Route, as the UAC uses it: reversed (§12.1.2).
std::vector<std::string> uac_route_set(const sip::Message& msg) {
  std::vector<std::string> routes;
  if (auto rr = msg.record_routes(); rr) {
    for (auto it = rr->rbegin(); it != rr->rend(); ++it)
      routes.push_back(fmt::format("<{}>", it->uri_text));
  }
  return routes;
}

std::string first_contact(const sip::Message& msg) {
  auto contacts = msg.contacts();
  if (!contacts || contacts->entries.empty()) return {};
  return std::string(contacts->entries.front().uri_text);
}

}  // namespace

std::string ack_branch(std::string_view invite_branch, std::string_view to_tag) {
  return fmt::format("{}.{:x}", invite_branch, std::hash<std::string_view>{}(to_tag)&0xffffffffu);
}

// `id`: the client transaction the layer matched, 0 for a 2xx to an INVITE whose transaction is
// gone (the layer passes no other stray). A matched response belongs to the transaction's owner
// whatever its Call-ID or To say: dropping it would leave the call waiting for it forever.
void B2bua::handle_response(TransactionId id, uint64_t owner, const SipPeer& from,
                            const sip::Message& msg) {
  if (id != 0) {
    CallPtr call = calls_.find(owner);
    if (!call) {
      // Our BYE to a late 2xx's dialog (owner 0), or a call that is over: only a 2xx to its
      // INVITE (retransmitted, or from another fork) still needs something, an ACK (below).
      auto cseq = msg.cseq();
      const int code = msg.status_code();
      if (owner == 0 || !cseq || cseq->method != Method::kInvite || code < 200 || code >= 300) {
        return;
      }
    } else {
      handle_call_response(call, id, msg);
      return;
    }
  }
  const size_t zone = from.zone;
  auto call_id = msg.call_id();
  if (!call_id || !msg.cseq() || !msg.top_via() || !msg.to()) {
    metrics_.sip_dropped(SipDropReason::kBadResponse);
    return;
  }
  // A 2xx to an INVITE whose transaction is gone: a callee's retransmission or another fork.
  if (CallPtr call = calls_.find_callee_dialog(*call_id);
      call && call->legs[kCallee].peer.zone == zone) {
    invite_response(call, id, msg);
    return;
  }
  if (EndedCall* ended = ended_.find_callee(*call_id, scheduler_.now());
      ended != nullptr && ended->callee_peer.zone == zone) {
    ended_answer(*ended, msg);
    return;
  }
  metrics_.sip_dropped(SipDropReason::kStrayResponse);
}

// A response in one of a live call's client transactions.
void B2bua::handle_call_response(const CallPtr& call, TransactionId id, const sip::Message& msg) {
  Leg& b = call->legs[kCallee];
  auto cseq = msg.cseq();  // the layer matched on branch and CSeq method: both are there
  if (cseq && cseq->method == Method::kInvite) {
    auto call_id = msg.call_id();
    if (!call_id || *call_id != b.call_id || !msg.to()) {
      metrics_.sip_dropped(SipDropReason::kBadResponse);
      if (b.invite_tx != id || msg.status_code() < 200) return;
      // Its final response closes our INVITE, usable or not: the call cannot go on.
      spdlog::warn("call {}: malformed final response {} from the callee", call->id,
                   msg.status_code());
      close_invite(*call);
      fail_call(call, 502, CallResult::kFailed);  // its end stops the ring timer
      return;
    }
    invite_response(call, id, msg);
    return;
  }
  if (msg.status_code() >= 200) stop_transaction(*call, id);
}

void B2bua::invite_response(const CallPtr& call, TransactionId id, const sip::Message& msg) {
  Leg& b = call->legs[kCallee];
  const int code = msg.status_code();
  if (msg.top_via()->branch != call->callee_invite_branch) {
    metrics_.sip_dropped(SipDropReason::kStrayResponse);
    return;
  }
  if (b.invite_tx != id) {
    // The INVITE's final response is in (or we gave up on it): a 2xx again, retransmitted or from
    // another fork, is ACKed (RFC 6026); one after we gave up ends its dialog.
    if (code >= 200 && code < 300) {
      if (call->callee_answered && msg.to()->tag() != b.remote_tag) {
        forked_answer(call, msg);
      } else if (!call->callee_ack.empty()) {
        transport_.send(b.peer, call->callee_ack);
      } else if (!call->callee_answered) {
        callee_answered(call, msg);
      }
    }
    return;
  }
  if (code < 200) {
    // CANCEL may follow any provisional, 100 Trying included (§9.1).
    call->callee_provisional = true;
    if (call->cancel_pending && !call->cancel_sent) send_cancel(call);
    if (code == 100) return;
    learn_callee_dialog(*call, msg);
    if (call->final_status != 0) return;
    std::string body;
    if (!sdp_of(msg).empty()) {
      relay_answer(call, msg);
      if (call->state == CallState::kEnded) return;
      body = call->caller_answer_sdp;
    }
    respond_caller(call, code, msg.reason_phrase(), std::move(body));
    return;
  }
  close_invite(*call);
  call->ring_timer.cancel();
  if (code >= 300) {
    final_failure(call, msg);
  } else {
    callee_answered(call, msg);
  }
}

void B2bua::final_failure(const CallPtr& call, const sip::Message& msg) {
  const int code = msg.status_code();  // the client transaction has ACKed it (§17.1.1.3)
  if (call->final_status != 0 || call->state == CallState::kEnded) return;
  spdlog::info("call {}: callee answered {} {}", call->id, code, msg.reason_phrase());
  if (code == 401 || code == 407) {
    // The challenge is for credentials of ours (the trunk's), not the caller's: relaying it would
    // only make the caller retry with credentials the callee never sees.
    metrics_.callee_auth_challenge();
    respond_caller(call, 503, "Service Unavailable (callee requires authentication)", {},
                   {{"Reason", fmt::format("SIP;cause={};text=\"{}\"", code,
                                           sip::default_reason_phrase(code))},
                    {"Warning", "399 sbc \"the callee requires authentication\""}});
    end_call(call, CallResult::kFailed, 503);
    return;
  }
  // 3xx keeps its code but never the callee's Contact (topology): a UAC treats a 3xx without
  // Contact as a failure (§8.1.3.4), and the code still tells the caller (and the CDR) what
  // happened; recursing on the redirect inside sbcd is not supported.
  respond_caller(call, code, msg.reason_phrase());
  const CallResult result = code == 486 || code == 600 ? CallResult::kBusy : CallResult::kFailed;
  end_call(call, result, code);
}

void B2bua::callee_answered(const CallPtr& call, const sip::Message& msg) {
  learn_callee_dialog(*call, msg);
  call->callee_answered = true;
  if (call->final_status != 0 || call->state == CallState::kEnded) {
    // The caller gave up meanwhile (the 2xx crossed our CANCEL, or a timeout): confirm, hang up.
    hang_up_callee(call);
    return;
  }
  if (!sdp_of(msg).empty()) {
    relay_answer(call, msg);
    if (call->state == CallState::kEnded) return;
  } else if (call->media.programmed()) {
    program_session(call);  // the early answer's media, now with the media timeout armed
  }
  if (call->caller_answer_sdp.empty()) {
    spdlog::warn("call {}: 2xx from the callee without an SDP answer", call->id);
    hang_up_callee(call);
    respond_caller(call, 502, "Bad Gateway (no SDP answer)");
    end_call(call, CallResult::kFailed, 502);
    return;
  }
  call->state = CallState::kAnswered;
  call->answer_time = scheduler_.wall_now();
  spdlog::info("call {}: answered", call->id);
  respond_caller(call, msg.status_code(), msg.reason_phrase(), call->caller_answer_sdp);
  start_duration_limit(call);
}

// Remote tag, target and route set of the callee's (early) dialog from a 101-299 response.
void B2bua::learn_callee_dialog(Call& call, const sip::Message& msg) {
  Leg& b = call.legs[kCallee];
  if (auto to = msg.to(); to && !to->tag().empty()) b.remote_tag = std::string(to->tag());
  if (std::string contact = first_contact(msg); !contact.empty()) b.remote_target = contact;
  if (auto routes = uac_route_set(msg); !routes.empty()) b.route_set = std::move(routes);
}

// An SDP answer from the callee (183 or 2xx): learn its media, rewrite it for the caller and
// program the dataplane at once so early media flows. An answer whose o= is unchanged is the same
// description (RFC 3264 §8): the caller gets the answer it already has, with the same version.
void B2bua::relay_answer(const CallPtr& call, const sip::Message& msg) {
  auto sdp = SdpBody::parse(sdp_of(msg));  // the one parse of this answer
  std::expected<AudioEndpoint, std::string> audio;
  if (sdp) audio = usable_audio(sdp->description());
  if (!sdp || !audio) {
    spdlog::warn("call {}: unusable SDP answer from the callee", call->id);
    if (msg.status_code() >= 200) {
      hang_up_callee(call);
      respond_caller(call, 502, "Bad Gateway (bad SDP answer)");
      end_call(call, CallResult::kFailed, 502);
    }
    return;
  }
  std::string origin = sdp->origin();
  if (!call->caller_answer_sdp.empty() && origin == call->callee_answer_origin) {
    if (msg.status_code() >= 200) program_session(call);  // arms the media timeout
    return;
  }
  call->media.set_remote(kCallee, *audio);
  auto rewritten = call->media.anchor(kCaller, *sdp, *audio);
  if (!rewritten) return;
  call->caller_answer_sdp = std::move(*rewritten);
  call->callee_answer_origin = std::move(origin);
  program_session(call);
}

B2bua::InviteOrigin B2bua::invite_origin(const Call& call) {
  const Leg& b = call.legs[kCallee];
  return {b.peer,
          b.call_id,
          b.local_party,
          b.local_tag,
          b.remote_party,
          call.callee_invite_uri,
          call.callee_invite_branch,
          call.callee_invite_cseq};
}

B2bua::InviteOrigin B2bua::invite_origin(const EndedCall& e) {
  return {e.callee_peer,         e.callee_call_id,    e.callee_local_party,   e.callee_tag,
          e.callee_remote_party, e.callee_invite_uri, e.callee_invite_branch, e.callee_invite_cseq};
}

// The ACK of a 2xx on its own dialog (§13.2.2.4): its To tag, its Contact as Request-URI, its
// Record-Route as route set, our INVITE's CSeq. Sent where our INVITE went (the trunk or target),
// like every request of the call.
void B2bua::ack_dialog(const InviteOrigin& o, const sip::Message& msg) {
  sip::RequestSpec spec;
  spec.method = Method::kAck;
  spec.request_uri = first_contact(msg);
  if (spec.request_uri.empty()) spec.request_uri = std::string(o.invite_uri);
  set_via(spec, o.peer);
  spec.branch = ack_branch(o.invite_branch, msg.to()->tag());
  spec.from = std::string(o.local_party);
  spec.from_tag = std::string(o.local_tag);
  spec.to = std::string(o.remote_party);
  spec.to_tag = std::string(msg.to()->tag());
  spec.call_id = std::string(o.call_id);
  spec.cseq = o.cseq;
  spec.routes = uac_route_set(msg);
  transport_.send(o.peer, sip::make_request(spec).build());
}

void B2bua::bye_dialog(const InviteOrigin& o, const sip::Message& msg) {
  sip::RequestSpec spec;
  spec.method = Method::kBye;
  spec.request_uri = first_contact(msg);
  if (spec.request_uri.empty()) spec.request_uri = std::string(o.invite_uri);
  set_via(spec, o.peer);
  spec.branch = ids_.branch();
  spec.from = std::string(o.local_party);
  spec.from_tag = std::string(o.local_tag);
  spec.to = std::string(o.remote_party);
  spec.to_tag = std::string(msg.to()->tag());
  spec.call_id = std::string(o.call_id);
  spec.cseq = o.cseq + 1;  // the dialog's first request after the INVITE
  spec.routes = uac_route_set(msg);
  // No call owns it (owner 0): its response and errors are of no interest.
  if (auto bye = layer_.send_request(o.peer, sip::build_request(spec), 0); !bye) {
    spdlog::warn("sip: BYE to dialog {} of {} not sent: {}", msg.to()->tag(), o.call_id,
                 to_string(bye.error()));
  }
}

// Forking (§13.2.2.4): the first 2xx is the call; every other dialog is confirmed with its own
// ACK and ended with a BYE. Their tags are remembered (bounded) so a retransmitted 2xx gets its
// ACK again, not another BYE; beyond the bound a retransmission is BYE'd again (harmless: 481).
void B2bua::forked_answer(const CallPtr& call, const sip::Message& msg) {
  const InviteOrigin origin = invite_origin(*call);
  ack_dialog(origin, msg);
  const std::string_view tag = msg.to()->tag();
  auto& forks = call->callee_forks;
  if (std::ranges::find(forks, tag) != forks.end()) return;  // retransmitted: our ACK was lost
  if (forks.size() < EndedCall::kMaxDialogs) forks.emplace_back(tag);
  spdlog::info("call {}: 2xx from another fork (dialog {}): ACK and BYE", call->id, tag);
  bye_dialog(origin, msg);
}

// A 2xx for a call that is over: the one it confirmed again (our ACK was lost), or a dialog it
// never confirmed (it crossed our CANCEL, or another fork answered late): ACK, then BYE once.
void B2bua::ended_answer(EndedCall& ended, const sip::Message& msg) {
  if (msg.top_via()->branch != ended.callee_invite_branch) {
    metrics_.sip_dropped(SipDropReason::kStrayResponse);
    return;
  }
  const InviteOrigin origin = invite_origin(ended);
  ack_dialog(origin, msg);
  const std::string_view tag = msg.to()->tag();
  auto& dialogs = ended.callee_dialogs;
  if (std::ranges::find(dialogs, tag) != dialogs.end()) return;
  if (dialogs.size() < EndedCall::kMaxDialogs) dialogs.emplace_back(tag);
  spdlog::info("sip: late 2xx for ended call {} (dialog {}): ACK and BYE", ended.id, tag);
  bye_dialog(origin, msg);
}

// --- responses to the caller --------------------------------------------------------------------

void B2bua::respond_caller(const CallPtr& call, int code, std::string_view reason, std::string body,
                           const ExtraHeaders& extra) {
  const Leg& a = call->legs[kCaller];
  auto response = sip::make_response(*call->caller_invite, code, reason,
                                     code > 100 ? std::string_view(a.local_tag) : "");
  if (code > 100 && code < 300) {
    // Dialog-creating responses carry the request's Record-Route, in order (§12.1.1).
    for (const auto& h : call->caller_invite->headers()) {
      if (h.id == sip::HeaderId::kRecordRoute) {
        response.add(sip::HeaderId::kRecordRoute, std::string(h.value));
      }
    }
    response.add(sip::HeaderId::kContact, contact(a.peer, a.sips));
  }
  if (code >= 200 && code < 300) response.add(sip::HeaderId::kAllow, std::string(kAllow));
  for (const auto& [name, value] : extra) response.add(name, value);
  if (!body.empty()) response.body("application/sdp", std::move(body));
  call->last_response = layer_.respond(a.peer.zone, *call->caller_invite, std::move(response));
  if (code < 200) return;
  call->final_status = code;
  // A non-2xx final is retransmitted by the server transaction until the ACK (§17.2.1); a 2xx
  // by us, until the ACK reaches the dialog (§13.3.1.4).
  if (code >= 300 || call->last_response.empty()) return;
  call->response_interval = timers_.t1;
  call->response_deadline = scheduler_.now() + 64 * timers_.t1;
  call->response_timer = Timer(scheduler_, call->response_interval,
                               [this, id = call->id] { retransmit_response(id); });
}

void B2bua::retransmit_response(uint64_t call_id) {
  CallPtr call = calls_.find(call_id);
  if (!call) return;
  if (scheduler_.now() >= call->response_deadline) {
    if (call->caller_acked) return;
    // No ACK for our 2xx (§13.3.1.4): the dialog must end; the caller's BYE may go now (§15).
    const bool bye_pending = std::exchange(call->caller_bye_pending, false);
    if (call->state == CallState::kAnswered) {
      spdlog::warn("call {}: no ACK from the caller; hanging up", call->id);
      send_bye(call, kCaller);
      hang_up_callee(call);
      end_call(call, CallResult::kFailed, 408);
    } else if (bye_pending) {
      send_bye(call, kCaller);  // the call ended meanwhile; its BYE waited for this
    }
    return;
  }
  const Leg& a = call->legs[kCaller];
  transport_.send(a.peer, call->last_response);
  call->response_interval = std::min(call->response_interval * 2, timers_.t2);
  const auto until_deadline =
      std::chrono::ceil<std::chrono::milliseconds>(call->response_deadline - scheduler_.now());
  call->response_timer = Timer(scheduler_, std::min(call->response_interval, until_deadline),
                               [this, call_id] { retransmit_response(call_id); });
}

}  // namespace sbc::cp
