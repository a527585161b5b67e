#include "controlplane/b2bua/call_transfer.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "controlplane/b2bua/b2bua_internal.h"
#include "controlplane/b2bua/call_normalization.h"
#include "controlplane/b2bua/refer_target.h"
#include "controlplane/b2bua/trunk_challenge.h"
#include "controlplane/security/digest_client.h"
#include "controlplane/sip/name_addr.h"

namespace sbc::cp {

using sip::Method;

namespace {

// A description offered to a new peer asks for media both ways, whatever hold the transferee's
// last exchange with the transferor left (RFC 3264 §5.1): the hold was theirs.
std::string sendrecv(std::string sdp) {
  for (std::string_view held : {"a=sendonly", "a=recvonly", "a=inactive"}) {
    for (size_t at = sdp.find(held); at != std::string::npos; at = sdp.find(held, at)) {
      const bool line_start = at == 0 || sdp[at - 1] == '\n';
      const size_t end = at + held.size();
      if (line_start && (end == sdp.size() || sdp[end] == '\r' || sdp[end] == '\n')) {
        sdp.replace(at, held.size(), "a=sendrecv");
      }
      at = end;
    }
  }
  return sdp;
}

std::string_view reason_or_default(const sip::Message& msg) {
  return msg.reason_phrase().empty() ? sip::default_reason_phrase(msg.status_code())
                                     : msg.reason_phrase();
}

}  // namespace

bool CallTransfer::refer(const CallPtr& call, Side side, const SipPeer& reply_to,
                         const sip::Message& msg) {
  auto target = parse_refer_to(msg.header(sip::HeaderId::kReferTo));
  if (target && target->replaces) return false;  // attended: the parties join each other
  const Side transferee = other(side);
  if (!call->described[transferee]) {
    spdlog::info("call {}: REFER relayed: the transferee's description is not known here",
                 call->id);
    return false;
  }
  if (!target) {
    signalling_.respond_in_dialog(*call, side, reply_to, msg, target.error().code,
                                  target.error().reason);
    return true;
  }
  if (call->state != CallState::kConfirmed || call->transfer || call->offer_in_progress) {
    signalling_.respond_in_dialog(*call, side, reply_to, msg, 491, {});
    return true;
  }
  auto placed = place(call, side, target->user, msg.cseq()->number);
  if (!placed) {
    spdlog::info("call {}: REFER from the {} refused: {} {}", call->id, side_name(side),
                 placed.error().first, placed.error().second);
    signalling_.respond_in_dialog(*call, side, reply_to, msg, placed.error().first,
                                  placed.error().second);
    return true;
  }
  signalling_.respond_in_dialog(*call, side, reply_to, msg, 202, {});
  notify(call, 100, "Trying", false);
  return true;
}

std::expected<CallTransfer::Target, CallTransfer::Refusal> CallTransfer::target(
    const Call& call, Side transferor, std::string_view user) const {
  const Side transferee = other(transferor);
  // Where the transferee's own INVITE to the target would go (refer = relay sends it that way).
  auto route = ctx_.router.route(call.legs[transferee].peer, user, ctx_.scheduler.now());
  if (!route) return std::unexpected(Refusal{route.error().code, route.error().reason});
  Target target{.route = std::move(*route), .identity = {}};
  CallerIdentity& identity = target.identity;
  if (transferee == kCaller) {
    identity = call.identity;
  } else {
    identity.calling = call.legs[kCallee].user;
  }
  identity.called = target.route.called_user.empty() ? std::string(user) : target.route.called_user;
  if (target.route.kind == RouteKind::kTrunk) {
    // The transfer is the transferor's doing: its side's account is judged.
    const std::string account =
        transferor == kCaller ? call.account
        : call.callee_trunk.empty()
            ? fmt::format("zone:{}", ctx_.config.zones[call.legs[kCallee].peer.zone].name)
            : call.callee_trunk;
    auto fraud = ctx_.security.check_fraud(account, identity.called);
    if (!fraud) return std::unexpected(Refusal{fraud.error().code, fraud.error().reason});
    identity.called = std::move(*fraud);
  }
  return target;
}

std::expected<std::string, CallTransfer::Refusal> CallTransfer::offer_toward(
    Call& call, const Route& route, Transfer& transfer) const {
  // Media on the target's side: the transferor's pair when the target is on its dataplane port,
  // else a pair leased on the target's port (the leg moves to it when the target answers).
  const api::PortInfo* port =
      ctx_.dataplane.find_port(ctx_.config.zones[route.peer.zone].dataplane_port);
  if (port == nullptr || !port->address.is_set()) return std::unexpected(Refusal{503, {}});
  const MediaLeg& media = call.media.leg(transfer.transferor);
  if (port->index != media.dataplane_port) {
    auto lease = PortLease::allocate(ctx_.ports, port->index);
    if (!lease) return std::unexpected(Refusal{503, {}});
    transfer.lease = std::move(*lease);
    transfer.lease_address = port->address;
  }
  // The transferee's latest description, anchored on our address on the target's side.
  const ReceivedSdp& described = *call.described[other(transfer.transferor)];
  auto offer = transfer.lease.held()
                   ? call.media.anchor_at(transfer.transferor, described.sdp, described.audio,
                                          transfer.lease_address, transfer.lease.rtp_port())
                   : call.media.anchor_at(transfer.transferor, described.sdp, described.audio,
                                          media.local, media.local_port);
  if (!offer) return std::unexpected(Refusal{500, {}});
  return sendrecv(std::move(*offer));
}

NamedHeaders CallTransfer::address_target(const Target& target, Leg& leg) const {
  const Route& route = target.route;
  const NormalizationPolicy policy = callee_normalization(ctx_, route);
  const CalleeIdentity out = write_callee_identity(policy, target.identity, {}, route.from_host);
  leg.peer = route.peer;
  leg.signalling_source = route.peer.remote;
  leg.call_id = ctx_.ids.call_id();
  leg.local_tag = ctx_.ids.tag();
  leg.local_cseq = 1;
  leg.user = target.identity.called;
  leg.user_agent = policy.user_agent;
  leg.local_party = out.anonymous && route.from_user.empty()
                        ? sip::format_name_addr(out.display, kAnonymousUri)
                        : sip::format_name_addr(out.display, route.from_uri(out.calling));
  leg.remote_party = sip::format_name_addr("", route.to_uri(out.called));
  leg.remote_target = route.request_uri(out.request_user);
  return out.headers;
}

std::expected<void, CallTransfer::Refusal> CallTransfer::place(const CallPtr& call, Side transferor,
                                                               std::string_view user,
                                                               uint32_t refer_cseq) {
  auto target = this->target(*call, transferor, user);
  if (!target) return std::unexpected(target.error());
  Transfer transfer;
  transfer.transferor = transferor;
  transfer.refer_cseq = refer_cseq;
  auto offer = offer_toward(*call, target->route, transfer);
  if (!offer) return std::unexpected(offer.error());
  const Leg& leg = transfer.leg;
  auto named_headers = address_target(*target, transfer.leg);
  if (target->route.kind == RouteKind::kTrunk && target->route.trunk) {
    transfer.target_trunk = ctx_.config.trunks[*target->route.trunk].name;
    auto lease = ctx_.security.admit_call({transfer.target_trunk, {}});
    if (!lease) return std::unexpected(Refusal{lease.error().code, lease.error().reason});
    transfer.admission = std::move(*lease);
  }
  sip::RequestSpec spec = signalling_.new_invite(leg, std::move(*offer));
  spec.named_headers = std::move(named_headers);
  if (!send_invite(*call, transfer, std::move(spec))) return std::unexpected(Refusal{503, {}});
  spdlog::info("call {}: the {} transfers the {} to {} ({}), placed by the SBC", call->id,
               side_name(transferor), side_name(other(transferor)), leg.user,
               ctx_.config.zones[leg.peer.zone].name);
  call->transfer = std::move(transfer);
  call->transfer->ring_timer =
      Timer(ctx_.scheduler, ctx_.timers.ring_timeout, [this, id = call->id] { ring_timeout(id); });
  return {};
}

bool CallTransfer::send_invite(const Call& call, Transfer& transfer, sip::RequestSpec spec) {
  transfer.invite_uri = spec.request_uri;
  transfer.invite_branch = spec.branch;
  transfer.invite_cseq = spec.cseq;
  transfer.invite_spec = spec;
  auto id = ctx_.layer.send_request(transfer.leg.peer, sip::build_request(spec), call.id);
  if (!id) {
    spdlog::error("call {}: transfer INVITE not sent: {}", call.id, to_string(id.error()));
    return false;
  }
  transfer.leg.invite_tx = *id;
  return true;
}

// As TrunkChallenge does for a call's INVITE: once, and once more for a stale nonce.
bool CallTransfer::answer_challenge(const CallPtr& call, const sip::Message& challenge) {
  Transfer& transfer = *call->transfer;
  auto trunk = std::ranges::find(ctx_.config.trunks, transfer.target_trunk, &TrunkConfig::name);
  if (transfer.target_trunk.empty() || trunk == ctx_.config.trunks.end() ||
      trunk->username.empty() || !transfer.invite_spec ||
      transfer.auth_answers >= TrunkChallenge::kMaxAnswers) {
    return false;
  }
  sip::RequestSpec spec = *transfer.invite_spec;
  auto answer = cp::answer_challenge(challenge, "INVITE", spec.request_uri, trunk->username,
                                     trunk->secret, ctx_.ids.tag());
  if (!answer || (transfer.auth_answers > 0 && !answer->stale)) return false;
  std::erase_if(spec.headers, [](const auto& header) {
    return header.first == sip::HeaderId::kAuthorization ||
           header.first == sip::HeaderId::kProxyAuthorization;
  });
  spec.headers.emplace_back(answer->header, std::move(answer->value));
  spec.branch = ctx_.ids.branch();
  spec.cseq = ++transfer.leg.local_cseq;
  ++transfer.auth_answers;
  spdlog::info("call {}: transfer INVITE challenged ({}) by trunk {}: answered", call->id,
               challenge.status_code(), trunk->name);
  return send_invite(*call, transfer, std::move(spec));
}

// --- the target's responses ------------------------------------------------------------------

bool CallTransfer::response(const CallPtr& call, TransactionId id, const sip::Message& msg) {
  if (!call->transfer) return false;
  Transfer& transfer = *call->transfer;
  if (id == transfer.resume_tx && id != 0) {
    resume_response(call, msg);
    return true;
  }
  if (id != transfer.leg.invite_tx || !msg.cseq() || msg.cseq()->method != Method::kInvite) {
    return false;
  }
  invite_response(call, msg);
  return true;
}

void CallTransfer::invite_response(const CallPtr& call, const sip::Message& msg) {
  Transfer& transfer = *call->transfer;
  const int code = msg.status_code();
  if (code < 200) {
    if (code == 100) return;
    transfer.provisional = true;
    if (call->state == CallState::kEnded || transfer.cancelled) {
      cancel(call);
      return;
    }
    notify(call, code, reason_or_default(msg), false);
    return;
  }
  transfer.leg.invite_tx.reset();
  transfer.ring_timer.cancel();
  if ((code == 401 || code == 407) && !transfer.cancelled && call->state != CallState::kEnded &&
      answer_challenge(call, msg)) {
    transfer.ring_timer = Timer(ctx_.scheduler, ctx_.timers.ring_timeout,
                                [this, id = call->id] { ring_timeout(id); });
    return;
  }
  if (code >= 300) {
    if (transfer.cancelled) {
      failed(call, 408, "Request Timeout");  // our CANCEL at the ring timeout
    } else {
      failed(call, code, reason_or_default(msg));
    }
    return;
  }
  if (!msg.to() || msg.to()->tag().empty()) {
    failed(call, 502, "Bad Gateway");
    return;
  }
  answered(call, msg);
}

void CallTransfer::answered(const CallPtr& call, const sip::Message& msg) {
  Transfer& transfer = *call->transfer;
  const InviteOrigin o = origin(*call);
  if (call->state == CallState::kEnded || transfer.cancelled) {
    signalling_.ack_dialog(o, msg);
    signalling_.bye_dialog(o, msg);
    if (call->state != CallState::kEnded) failed(call, 408, "Request Timeout");
    call->transfer.reset();
    return;
  }
  // The answer must be one the transferor's leg can carry: its profile and suite (a new key is
  // the target's own), its codec when the dataplane rewrites or transcodes.
  const Side side = transfer.transferor;
  auto sdp = SdpBody::parse(sdp_of(msg));
  auto audio = sdp ? media_.usable_audio(sdp->description())
                   : std::expected<AudioEndpoint, std::string>(std::unexpected("no SDP"));
  auto srtp = audio ? call->media.check_update(side, sdp->description().media[audio->media_index])
                    : std::unexpected(MediaRefusal::kAnswerCodecMismatch);
  if (!srtp) {
    ctx_.metrics.media_refused(to_string(srtp.error()));
    spdlog::warn("call {}: the transfer target's answer cannot be carried ({}); transfer failed",
                 call->id, audio ? to_string(srtp.error()) : audio.error());
    signalling_.ack_dialog(o, msg);
    signalling_.bye_dialog(o, msg);
    failed(call, 488, "Not Acceptable Here");
    return;
  }
  Leg& leg = transfer.leg;
  leg.remote_tag = std::string(msg.to()->tag());
  if (std::string contact = first_contact(msg); !contact.empty()) leg.remote_target = contact;
  leg.route_set = uac_route_set(msg);
  ReceivedSdp target{std::move(*sdp), *audio, false};
  // The transferee's side of the session stays; the transferor's is the target's from now on.
  if (transfer.lease.held()) {
    const uint8_t port = transfer.lease.dataplane_port();
    call->media.move_leg(side, transfer.lease, port, transfer.lease_address);
  }
  call->media.apply_update(side, &target.audio, std::move(*srtp));
  swap_in(call);
  // Our ACK on the target's dialog, kept: a retransmitted 2xx gets it again (MidCall).
  signalling_.send_reinvite_ack(*call, side, transfer.invite_cseq, {});
  const bool held = call->media.on_hold();
  call->described[side] = target;
  if (held) {
    resume_transferee(call, target);
  } else {
    media_.program_session(call);
    call->transfer.reset();  // the transferor's pair, if it moved, is given back
  }
}

void CallTransfer::swap_in(const CallPtr& call) {
  Transfer& transfer = *call->transfer;
  const Side side = transfer.transferor;
  notify(call, 200, "OK", true);
  if (!transfer.transferor_left) signalling_.send_bye(call, side);
  spdlog::info("call {}: transferred: the {} is now {} ({})", call->id, side_name(side),
               transfer.leg.user, ctx_.config.zones[transfer.leg.peer.zone].name);
  ctx_.calls.replace_dialog(*call, side, std::move(transfer.leg));
  if (side == kCallee) call->callee_trunk = transfer.target_trunk;
  if (transfer.admission) {
    // The call counts on the target's trunk from now on (the transferor's trunk no longer), still
    // as its user's: the count the INVITE took becomes the call's own.
    const std::string user = call->admission ? call->admission->ticket().user : std::string();
    call->admission = ctx_.security.readmit_call({transfer.target_trunk, user});
    transfer.admission.reset();
  }
  // The transferor's session timer went with its dialog; the target's leg runs none.
  call->session_timers[side].timer.cancel();
  call->session_timers[side] = SessionTimer{};
}

void CallTransfer::resume_transferee(const CallPtr& call, const ReceivedSdp& target) {
  Transfer& transfer = *call->transfer;
  const Side transferee = other(transfer.transferor);
  auto offer = call->media.anchor_update(transferee, target.sdp, target.audio, false);
  auto sent = offer ? signalling_.send_in_dialog(call, transferee, Method::kInvite, {},
                                                 "application/sdp", sendrecv(std::move(*offer)))
                    : std::nullopt;
  if (!sent) {
    media_.program_session(call);
    call->transfer.reset();
    return;
  }
  transfer.resume_tx = sent->first;
  transfer.resume_cseq = sent->second;
  call->media.set_forward_rtp({true, true});
  media_.program_session(call);
}

void CallTransfer::resume_response(const CallPtr& call, const sip::Message& msg) {
  const int code = msg.status_code();
  if (code < 200) return;
  const Side transferee = other(call->transfer->transferor);
  const uint32_t cseq = call->transfer->resume_cseq;
  call->transfer.reset();
  if (code >= 300) {
    spdlog::info("call {}: the transferee refused to resume its media ({})", call->id, code);
    return;
  }
  signalling_.send_reinvite_ack(*call, transferee, cseq, {});
  auto sdp = SdpBody::parse(sdp_of(msg));
  if (!sdp) return;
  auto audio = media_.usable_audio(sdp->description());
  if (!audio) return;
  auto srtp = call->media.check_update(transferee, sdp->description().media[audio->media_index]);
  if (!srtp) return;
  call->media.apply_update(transferee, &*audio, std::move(*srtp));
  call->described[transferee] = ReceivedSdp{std::move(*sdp), *audio, false};
  media_.program_session(call);
}

void CallTransfer::failed(const CallPtr& call, int code, std::string_view reason) {
  spdlog::info("call {}: transfer to {} failed: {} {}", call->id, call->transfer->leg.user, code,
               reason);
  const bool alone = call->transfer->transferor_left;
  if (call->state != CallState::kEnded) notify(call, code, reason, true);
  call->transfer.reset();  // a pair leased on the target's port is given back
  if (alone && call->state != CallState::kEnded) {
    // Nobody to take the call back: it ends with the transferee.
    teardown_.fail_call(call, 200, CallResult::kFailed);
  }
}

bool CallTransfer::transaction_error(const CallPtr& call, TransactionId id,
                                     TransactionError error) {
  if (!call->transfer) return false;
  Transfer& transfer = *call->transfer;
  if (id != 0 && id == transfer.resume_tx) {
    call->transfer.reset();
    return true;
  }
  if (id != transfer.leg.invite_tx) return false;
  transfer.leg.invite_tx.reset();
  transfer.ring_timer.cancel();
  failed(call, error == TransactionError::kTimeout ? 408 : 503, {});
  return true;
}

void CallTransfer::ring_timeout(uint64_t id) {
  CallPtr call = ctx_.calls.find(id);
  if (!call || !call->transfer || !call->transfer->leg.invite_tx) return;
  spdlog::info("call {}: transfer target {} did not answer", id, call->transfer->leg.user);
  cancel(call);  // its 487 (or Timer B) fails the transfer
}

void CallTransfer::cancel(const CallPtr& call) {
  Transfer& transfer = *call->transfer;
  transfer.cancelled = true;
  if (!transfer.provisional) return;  // §9.1: once a provisional came (invite_response)
  signalling_.cancel_invite(origin(*call));
}

bool CallTransfer::transferor_bye(const CallPtr& call, Side side, const SipPeer& reply_to,
                                  const sip::Message& bye) {
  // Only while our INVITE is open: once answered, that side's dialog is the target's.
  if (!call->transfer || !call->transfer->leg.invite_tx || call->transfer->transferor != side ||
      bye.to()->tag() != call->legs[side].local_tag) {
    return false;
  }
  spdlog::info("call {}: the transferor hung up; its transfer goes on", call->id);
  call->transfer->transferor_left = true;
  signalling_.respond_in_dialog(*call, side, reply_to, bye, 200, {});
  return true;
}

void CallTransfer::notify(const CallPtr& call, int code, std::string_view reason, bool final) {
  const Transfer& transfer = *call->transfer;
  if (transfer.transferor_left) return;
  CallSignalling::ExtraHeaders headers{
      {"Event", fmt::format("refer;id={}", transfer.refer_cseq)},
      {"Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60"}};
  const std::string phrase =
      reason.empty() ? std::string(sip::default_reason_phrase(code)) : std::string(reason);
  signalling_.send_in_dialog(call, transfer.transferor, Method::kNotify, headers,
                             "message/sipfrag;version=2.0",
                             fmt::format("SIP/2.0 {} {}\r\n", code, phrase));
}

InviteOrigin CallTransfer::origin(const Call& call) const {
  const Transfer& t = *call.transfer;
  return {t.leg.peer,         t.leg.call_id, t.leg.local_party, t.leg.local_tag,
          t.leg.remote_party, t.invite_uri,  t.invite_branch,   t.invite_cseq};
}

}  // namespace sbc::cp
