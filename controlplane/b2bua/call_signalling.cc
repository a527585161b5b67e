#include "controlplane/b2bua/call_signalling.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/b2bua/b2bua_internal.h"

namespace sbc::cp {

using sip::Method;

InviteOrigin InviteOrigin::of(const Call& call) {
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

InviteOrigin InviteOrigin::of(const EndedCall& e) {
  return {e.callee_peer,         e.callee_call_id,    e.callee_local_party,   e.callee_tag,
          e.callee_remote_party, e.callee_invite_uri, e.callee_invite_branch, e.callee_invite_cseq};
}

// --- where we send from ---------------------------------------------------------------------

Endpoint CallSignalling::local_endpoint(const SipPeer& peer) const {
  if (!peer.local.address().is_unspecified()) return peer.local;
  if (auto local = ctx_.transport.local_endpoint(peer.zone, peer.transport)) return *local;
  return Endpoint(ctx_.router.zone_address(peer.zone).value_or(boost::asio::ip::address()),
                  ctx_.config.zones[peer.zone].sip_port);
}

void CallSignalling::set_via(sip::RequestSpec& spec, const SipPeer& peer) const {
  const Endpoint local = local_endpoint(peer);
  spec.via_transport = std::string(via_token(peer.transport));
  spec.via_host = local.address().to_string();
  spec.via_port = local.port();
}

std::string CallSignalling::contact(const SipPeer& peer, bool sips, std::string_view user) const {
  const Endpoint local = local_endpoint(peer);
  const std::string at = user.empty() ? std::string() : fmt::format("{}@", user);
  if (sips && peer.transport == Transport::kTls) {
    return fmt::format("<sips:{}{}:{}>", at, local.address().to_string(), local.port());
  }
  if (peer.transport == Transport::kUdp) {
    return fmt::format("<sip:{}{}:{}>", at, local.address().to_string(), local.port());
  }
  return fmt::format("<sip:{}{}:{};transport={}>", at, local.address().to_string(), local.port(),
                     to_string(peer.transport));
}

// --- responses --------------------------------------------------------------------------------

void CallSignalling::reply(const SipPeer& peer, const sip::Message& request, int code,
                           std::string_view reason, std::string_view to_tag,
                           std::string_view server) {
  std::string tag(to_tag);
  if (tag.empty() && code > 100 && request.to() && request.to()->tag().empty()) {
    tag = ctx_.ids.tag();
  }
  auto response = sip::make_response(request, code, reason, tag);
  if (!server.empty()) response.add(sip::HeaderId::kServer, std::string(server));
  ctx_.layer.respond(peer.zone, request, std::move(response));
}

void CallSignalling::respond_caller(const CallPtr& call, int code, std::string_view reason,
                                    std::string body, const ExtraHeaders& extra) {
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
  if (!a.user_agent.empty()) response.add(sip::HeaderId::kServer, a.user_agent);
  for (const auto& [name, value] : extra) response.add(name, value);
  if (!body.empty()) response.body("application/sdp", std::move(body));
  call->last_response = ctx_.layer.respond(a.peer.zone, *call->caller_invite, std::move(response));
  if (code < 200) return;
  call->final_status = code;
  call->caller_provisionals.stop();
  // A non-2xx final is retransmitted by the server transaction until the ACK (§17.2.1); a 2xx
  // by us, until the ACK reaches the dialog (§13.3.1.4).
  if (code >= 300 || call->last_response.empty()) return;
  call->response_interval = ctx_.timers.t1;
  call->response_deadline = ctx_.scheduler.now() + 64 * ctx_.timers.t1;
  call->response_timer = Timer(ctx_.scheduler, call->response_interval,
                               [this, id = call->id] { retransmit_response(id); });
}

void CallSignalling::retransmit_response(uint64_t call_id) {
  CallPtr call = ctx_.calls.find(call_id);
  if (!call) return;
  if (ctx_.scheduler.now() >= call->response_deadline) {
    if (!call->caller_acked) unacked_(call);
    return;
  }
  const Leg& a = call->legs[kCaller];
  ctx_.transport.send(a.peer, call->last_response);
  call->response_interval = std::min(call->response_interval * 2, ctx_.timers.t2);
  const auto until_deadline =
      std::chrono::ceil<std::chrono::milliseconds>(call->response_deadline - ctx_.scheduler.now());
  call->response_timer = Timer(ctx_.scheduler, std::min(call->response_interval, until_deadline),
                               [this, call_id] { retransmit_response(call_id); });
}

// --- requests on a call's legs ----------------------------------------------------------------

sip::RequestSpec CallSignalling::dialog_request(const Leg& leg, Method method) const {
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
  if (!leg.user_agent.empty()) spec.headers.emplace_back(sip::HeaderId::kUserAgent, leg.user_agent);
  return spec;
}

sip::OutgoingRequest CallSignalling::invite_twin(const Call& call, Method method,
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

sip::RequestSpec CallSignalling::new_invite(const Leg& leg, std::string offer) const {
  sip::RequestSpec spec;
  spec.method = Method::kInvite;
  spec.request_uri = leg.remote_target;
  set_via(spec, leg.peer);
  spec.branch = ctx_.ids.branch();
  spec.from = leg.local_party;
  spec.from_tag = leg.local_tag;
  spec.to = leg.remote_party;
  spec.call_id = leg.call_id;
  spec.cseq = leg.local_cseq;
  spec.contact = contact(leg.peer);
  spec.headers.emplace_back(sip::HeaderId::kAllow, std::string(kAllow));
  spec.content_type = "application/sdp";
  spec.body = std::move(offer);
  return spec;
}

bool CallSignalling::send_invite(const CallPtr& call, sip::RequestSpec spec) {
  call->callee_invite_uri = spec.request_uri;
  call->callee_invite_branch = spec.branch;
  call->callee_invite_cseq = spec.cseq;
  return start_transaction(call, kCallee, sip::build_request(spec));
}

void CallSignalling::send_callee_ack(const CallPtr& call) {
  const Leg& b = call->legs[kCallee];
  sip::RequestSpec spec = dialog_request(b, Method::kAck);
  spec.branch = ack_branch(call->callee_invite_branch, b.remote_tag);
  spec.cseq = call->callee_invite_cseq;
  call->callee_ack = sip::make_request(spec).build();
  ctx_.transport.send(b.peer, call->callee_ack);
}

void CallSignalling::send_bye(const CallPtr& call, Side side) {
  Leg& leg = call->legs[side];
  sip::RequestSpec spec = dialog_request(leg, Method::kBye);
  spec.branch = ctx_.ids.branch();
  spec.cseq = ++leg.local_cseq;
  start_transaction(call, side, sip::build_request(spec));
}

void CallSignalling::send_cancel(const CallPtr& call) {
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
  call->invite_wait_timer =
      Timer(ctx_.scheduler, 64 * ctx_.timers.t1, [this, id = call->id] { abandon_invite(id); });
}

void CallSignalling::abandon_invite(uint64_t id) {
  CallPtr call = ctx_.calls.find(id);
  if (!call) return;
  Call& c = *call;
  if (!c.legs[kCallee].invite_tx) return;
  spdlog::info("call {}: no final response to the cancelled INVITE", id);
  ctx_.layer.abandon(*c.legs[kCallee].invite_tx);
  close_invite(c);
  c.invite_abandoned = true;
}

// The ACK of a 2xx on its own dialog (§13.2.2.4): its To tag, its Contact as Request-URI, its
// Record-Route as route set, our INVITE's CSeq. Sent where our INVITE went (the trunk or target),
// like every request of the call.
void CallSignalling::ack_dialog(const InviteOrigin& o, const sip::Message& msg) {
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
  ctx_.transport.send(o.peer, sip::make_request(spec).build());
}

void CallSignalling::bye_dialog(const InviteOrigin& o, const sip::Message& msg) {
  sip::RequestSpec spec;
  spec.method = Method::kBye;
  spec.request_uri = first_contact(msg);
  if (spec.request_uri.empty()) spec.request_uri = std::string(o.invite_uri);
  set_via(spec, o.peer);
  spec.branch = ctx_.ids.branch();
  spec.from = std::string(o.local_party);
  spec.from_tag = std::string(o.local_tag);
  spec.to = std::string(o.remote_party);
  spec.to_tag = std::string(msg.to()->tag());
  spec.call_id = std::string(o.call_id);
  spec.cseq = o.cseq + 1;  // the dialog's first request after the INVITE
  spec.routes = uac_route_set(msg);
  // No call owns it (owner 0): its response and errors are of no interest.
  if (auto bye = ctx_.layer.send_request(o.peer, sip::build_request(spec), 0); !bye) {
    spdlog::warn("sip: BYE to dialog {} of {} not sent: {}", msg.to()->tag(), o.call_id,
                 to_string(bye.error()));
  }
}

void CallSignalling::cancel_invite(const InviteOrigin& o) {
  sip::RequestSpec spec;
  spec.method = Method::kCancel;
  spec.request_uri = std::string(o.invite_uri);
  set_via(spec, o.peer);
  spec.branch = std::string(o.invite_branch);
  spec.from = std::string(o.local_party);
  spec.from_tag = std::string(o.local_tag);
  spec.to = std::string(o.remote_party);
  spec.call_id = std::string(o.call_id);
  spec.cseq = o.cseq;
  if (auto cancel = ctx_.layer.send_request(o.peer, sip::build_request(spec), 0); !cancel) {
    spdlog::warn("sip: CANCEL of {} not sent: {}", o.call_id, to_string(cancel.error()));
  }
}

// --- mid-call -----------------------------------------------------------------------------------

std::optional<std::pair<TransactionId, uint32_t>> CallSignalling::send_in_dialog(
    const CallPtr& call, Side side, Method method, const ExtraHeaders& extra,
    std::string content_type, std::string body) {
  Leg& leg = call->legs[side];
  sip::RequestSpec spec = dialog_request(leg, method);
  spec.branch = ctx_.ids.branch();
  spec.cseq = ++leg.local_cseq;
  // Target refreshes carry our Contact, and so do requests that create or serve a subscription
  // (REFER, RFC 3515 §2.4.1; SUBSCRIBE, NOTIFY, RFC 6665 §4.1.2.1, §4.2.2): the peer's NOTIFYs
  // come to it.
  if (method == Method::kInvite || method == Method::kUpdate || method == Method::kRefer ||
      method == Method::kNotify || method == Method::kSubscribe) {
    spec.contact = contact(leg.peer, leg.sips);
    spec.headers.emplace_back(sip::HeaderId::kAllow, std::string(kAllow));
  }
  sip::MessageBuilder builder = sip::make_request(spec);
  for (const auto& [name, value] : extra) builder.add(name, value);
  if (!body.empty()) builder.body(std::move(content_type), std::move(body));
  sip::OutgoingRequest request = sip::build_request(spec);
  request.bytes = builder.build();
  auto id = ctx_.layer.send_request(leg.peer, std::move(request), call->id);
  if (!id) {
    spdlog::error("call {}: {} not sent: {}", call->id, sip::method_name(method),
                  to_string(id.error()));
    return std::nullopt;
  }
  return std::pair{*id, spec.cseq};
}

void CallSignalling::send_reinvite_ack(Call& call, Side side, uint32_t cseq, std::string body) {
  const Leg& leg = call.legs[side];
  sip::RequestSpec spec = dialog_request(leg, Method::kAck);
  spec.branch = ctx_.ids.branch();
  spec.cseq = cseq;
  if (!body.empty()) {
    spec.content_type = "application/sdp";
    spec.body = std::move(body);
  }
  call.reinvite_ack[side] = sip::make_request(spec).build();
  call.reinvite_ack_cseq[side] = cseq;
  ctx_.transport.send(leg.peer, call.reinvite_ack[side]);
}

std::string CallSignalling::respond_in_dialog(const Call& call, Side side, const SipPeer& peer,
                                              const sip::Message& request, int code,
                                              std::string_view reason, const ExtraHeaders& extra,
                                              std::string content_type, std::string body) {
  const Leg& leg = call.legs[side];
  auto response = sip::make_response(request, code, reason, leg.local_tag);
  const Method method = request.method();
  if (code >= 200 && code < 300 &&
      (method == Method::kInvite || method == Method::kUpdate || method == Method::kSubscribe)) {
    response.add(sip::HeaderId::kContact, contact(leg.peer, leg.sips));
    response.add(sip::HeaderId::kAllow, std::string(kAllow));
  }
  if (!leg.user_agent.empty()) response.add(sip::HeaderId::kServer, leg.user_agent);
  for (const auto& [name, value] : extra) response.add(name, value);
  if (!body.empty()) response.body(std::move(content_type), std::move(body));
  return ctx_.layer.respond(peer.zone, request, std::move(response));
}

void CallSignalling::close_invite(Call& call) {
  call.legs[kCallee].invite_tx.reset();
  call.invite_wait_timer.cancel();
}

bool CallSignalling::start_transaction(const CallPtr& call, Side side,
                                       sip::OutgoingRequest request) {
  Leg& leg = call->legs[side];
  const Method method = request.method;
  auto id = ctx_.layer.send_request(leg.peer, std::move(request), call->id);
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

void CallSignalling::stop_transaction(Call& call, TransactionId id) {
  for (Leg& leg : call.legs) std::erase(leg.requests, id);
}

}  // namespace sbc::cp
