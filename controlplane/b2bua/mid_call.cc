#include "controlplane/b2bua/mid_call.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "controlplane/b2bua/b2bua_internal.h"
#include "controlplane/b2bua/dialog_replaces.h"
#include "controlplane/b2bua/refer_target.h"
#include "controlplane/b2bua/reliable_provisionals.h"

namespace sbc::cp {
namespace {

using sip::Method;

// What an INFO, MESSAGE, NOTIFY or REFER carries across besides its body: the headers that say
// what the body is (RFC 6086 Info-Package, RFC 6665 Event and Subscription-State, RFC 4488
// Refer-Sub). Everything else stays on its own side (Referred-By, which names the transferor's
// side, included).
constexpr std::array<std::string_view, 7> kCarriedHeaders = {
    "Event", "Subscription-State", "Info-Package", "Content-Disposition", "Refer-Sub", "Expires",
    "Accept"};

CallSignalling::ExtraHeaders carried_headers(const sip::Message& msg) {
  CallSignalling::ExtraHeaders extra;
  for (std::string_view name : kCarriedHeaders) {
    if (std::string_view value = msg.header(name); !value.empty()) {
      extra.emplace_back(std::string(name), std::string(value));
    }
  }
  return extra;
}

// What a description says its side does with the stream (RFC 3264 §6.1). c=0.0.0.0, the old form
// of hold, asks for nothing to be sent to that side (§8.4).
bool sends(const ReceivedSdp& sdp) {
  const auto d = sdp.sdp.description().media_direction(sdp.audio.media_index);
  return d == sip::MediaDirection::kSendRecv || d == sip::MediaDirection::kSendOnly;
}
bool receives(const ReceivedSdp& sdp) {
  const auto d = sdp.sdp.description().media_direction(sdp.audio.media_index);
  return !sdp.no_media &&
         (d == sip::MediaDirection::kSendRecv || d == sip::MediaDirection::kRecvOnly);
}

const sip::SdpMedia& stream(const ReceivedSdp& sdp) {
  return sdp.sdp.description().media[sdp.audio.media_index];
}

}  // namespace

// --- requests -----------------------------------------------------------------------------------

void MidCall::request(const CallPtr& call, Side side, const SipPeer& reply_to,
                      const sip::Message& msg) {
  const Method method = msg.method();
  if (call->state != CallState::kConfirmed &&
      !(method == Method::kUpdate && early_offer_answer_done(*call))) {
    // Until the caller's ACK only the call's first offer/answer runs, and an UPDATE before the
    // answer once that went reliably both ways (RFC 3311 §5.1): the sender retries later.
    retry_later(*call, side, reply_to, msg);
    return;
  }
  if (method == Method::kInvite || (method == Method::kUpdate && !sdp_of(msg).empty())) {
    offer(call, side, reply_to, msg);
  } else if (method == Method::kRefer) {
    refer(call, side, reply_to, msg);
  } else {
    relay(call, side, reply_to, msg);
  }
}

void MidCall::offer(const CallPtr& call, Side side, const SipPeer& reply_to,
                    const sip::Message& msg) {
  const bool ours_pending = (call->offer_in_progress && call->offer_in_progress->from != side) ||
                            (call->reinvite_answer && call->reinvite_answer->offer);
  if (ours_pending) {
    // Glare: our own offer toward this side is in progress (§14.2; the sender retries after its
    // §14.1 timer).
    signalling_.respond_in_dialog(*call, side, reply_to, msg, 491, {});
    return;
  }
  if (call->offer_in_progress || call->transfer) {
    // Its previous offer has no answer yet (§14.2), or a transfer is moving the other side.
    retry_later(*call, side, reply_to, msg);
    return;
  }
  RelayedRequest relayed{side, reply_to, msg, 0, 0, std::nullopt, std::nullopt};
  std::string body;
  if (const std::string_view text = sdp_of(msg); !text.empty()) {
    auto sdp = read_sdp(text);
    if (!sdp) {
      spdlog::info("call {}: unusable offer in the {}'s {}", call->id, side_name(side),
                   sip::method_name(msg.method()));
      signalling_.respond_in_dialog(*call, side, reply_to, msg, 488, {},
                                    {{"Warning", "305 sbc \"no usable audio stream\""}});
      return;
    }
    auto srtp = call->media.check_update(side, stream(*sdp));
    if (!srtp) {
      refuse(*call, side, reply_to, msg, srtp.error());
      return;
    }
    auto anchored = call->media.anchor_update(other(side), sdp->sdp, sdp->audio, sdp->no_media);
    if (!anchored) {
      signalling_.respond_in_dialog(*call, side, reply_to, msg, 400,
                                    fmt::format("Bad SDP ({})", sip::to_string(anchored.error())));
      return;
    }
    body = std::move(*anchored);
    relayed.offer = std::move(*sdp);
    relayed.offer_srtp = std::move(*srtp);
  }
  if (msg.method() == Method::kInvite)
    signalling_.respond_in_dialog(*call, side, reply_to, msg, 100, {});
  auto sent = signalling_.send_in_dialog(
      call, other(side), msg.method(), timers_.request_headers(*call, other(side)),
      body.empty() ? std::string() : "application/sdp", std::move(body));
  if (!sent) {
    signalling_.respond_in_dialog(*call, side, reply_to, msg, 500, {});
    return;
  }
  spdlog::info("call {}: {} from the {} relayed{}", call->id, sip::method_name(msg.method()),
               side_name(side), relayed.offer ? "" : " (no offer)");
  std::tie(relayed.tx, relayed.cseq) = *sent;
  call->offer_in_progress = std::move(relayed);
}

void MidCall::refer(const CallPtr& call, Side side, const SipPeer& reply_to,
                    const sip::Message& msg) {
  if (call->dialog[side].refer == ReferPolicy::kRefuse) {
    spdlog::info("call {}: REFER from the {} refused (refer = refuse)", call->id, side_name(side));
    signalling_.respond_in_dialog(*call, side, reply_to, msg, 403,
                                  "Forbidden (call transfer not allowed)");
    return;
  }
  if (call->dialog[side].refer == ReferPolicy::kHandle &&
      transfer_.refer(call, side, reply_to, msg)) {
    return;
  }
  auto target = transfer_target(*call, side, msg.header(sip::HeaderId::kReferTo));
  if (!target) {
    spdlog::info("call {}: REFER from the {} refused: {} {}", call->id, side_name(side),
                 target.error().code, target.error().reason);
    signalling_.respond_in_dialog(*call, side, reply_to, msg, target.error().code,
                                  target.error().reason);
    return;
  }
  spdlog::info("call {}: REFER from the {} relayed (Refer-To {})", call->id, side_name(side),
               *target);
  if (auto cseq = relay(call, side, reply_to, msg, {{"Refer-To", std::move(*target)}})) {
    call->refer_subscriptions.add(side, msg.cseq()->number, *cseq);
  }
}

std::expected<std::string, ReferRefusal> MidCall::transfer_target(const Call& call, Side side,
                                                                  std::string_view refer_to) const {
  auto target = parse_refer_to(refer_to);
  if (!target) return std::unexpected(target.error());
  const Leg& transferee = call.legs[other(side)];
  if (!target->replaces) {
    return blind_target(*target, signalling_.contact(transferee.peer, transferee.sips));
  }
  // Attended: the transferor names its other call's dialog on its own side; the transferee gets
  // that call's party on its side, with that party's dialog with us.
  auto replaced =
      find_replaced(ctx_.calls, call.legs[side].peer.zone, *target->replaces, transferee.peer.zone);
  if (!replaced) {
    return std::unexpected(
        ReferRefusal{replaced.error().code == 481 ? 400 : replaced.error().code,
                     fmt::format("Bad Request (Replaces: {})", replaced.error().reason)});
  }
  if (replaced->call->id == call.id) {
    return std::unexpected(ReferRefusal{400, "Bad Request (Replaces names this call)"});
  }
  return attended_target(replaced->far().remote_target,
                         replaced->far_replaces(target->replaces->early_only));
}

std::optional<uint32_t> MidCall::relay(const CallPtr& call, Side side, const SipPeer& reply_to,
                                       const sip::Message& msg,
                                       CallSignalling::ExtraHeaders extra) {
  if (call->relayed.size() >= kMaxRelayed) {
    retry_later(*call, side, reply_to, msg);
    return std::nullopt;
  }
  CallSignalling::ExtraHeaders headers = carried_headers(msg);
  if (msg.method() == Method::kNotify || msg.method() == Method::kSubscribe) {
    for (auto& [name, value] : headers) {
      if (name == "Event") value = call->refer_subscriptions.map_event(side, msg.method(), value);
    }
  }
  std::ranges::move(extra, std::back_inserter(headers));
  if (msg.method() == Method::kUpdate) {  // a session refresh: it carries our leg's timer
    std::ranges::move(timers_.request_headers(*call, other(side)), std::back_inserter(headers));
  }
  auto sent = signalling_.send_in_dialog(call, other(side), msg.method(), headers,
                                         std::string(msg.header(sip::HeaderId::kContentType)),
                                         std::string(msg.body()));
  if (!sent) {
    signalling_.respond_in_dialog(*call, side, reply_to, msg, 500, {});
    return std::nullopt;
  }
  call->relayed.push_back(
      RelayedRequest{side, reply_to, msg, sent->first, sent->second, std::nullopt, std::nullopt});
  return sent->second;
}

bool MidCall::ack(const CallPtr& call, Side side, const sip::Message& ack) {
  auto& answer = call->reinvite_answer;
  if (!answer || answer->to != side || ack.cseq()->number != answer->cseq) return false;
  ReinviteAnswer done = std::move(*answer);
  answer.reset();
  done.timer.cancel();
  if (!done.offer) return true;
  // The answer to the other side's offer (from its 2xx): now its ACK can go, with the answer.
  // The other side's offer is taken first: our answer toward it echoes its a=crypto tag.
  const Side answering = other(side);
  call->media.apply_update(answering, done.offer->no_media ? nullptr : &done.offer->audio,
                           std::move(done.offer_srtp));
  auto checked = checked_sdp(*call, side, ack);
  if (!checked) {
    abandon_exchange(call, answering, done.other_cseq, "no usable answer in the ACK");
    return true;  // the call ends: what its media holds no longer matters
  }
  signalling_.send_reinvite_ack(*call, answering, done.other_cseq, std::move(checked->anchored));
  call->media.apply_update(side, checked->sdp.no_media ? nullptr : &checked->sdp.audio,
                           std::move(checked->srtp));
  program(call, answering, *done.offer, checked->sdp);
  return true;
}

// --- responses ----------------------------------------------------------------------------------

bool MidCall::response(const CallPtr& call, TransactionId id, const sip::Message& msg) {
  const int code = msg.status_code();
  if (call->offer_in_progress && call->offer_in_progress->tx == id) {
    if (code >= 200) offer_answered(call, msg);
    return true;
  }
  if (repeated_answer(call, msg)) return true;
  if (call->reinvite_answer && call->reinvite_answer->other_tx == id && id != 0) {
    return true;  // its 2xx again, while the offerer's ACK (our answer) is awaited
  }
  auto it = std::ranges::find(call->relayed, id, &RelayedRequest::tx);
  if (it == call->relayed.end()) return false;
  if (code < 200) return true;
  const bool refreshed = code < 300 && it->request->method() == Method::kUpdate;
  if (refreshed) timers_.negotiate_request(*call, it->from, *it->request);
  CallSignalling::ExtraHeaders headers =
      refreshed ? timers_.answer_headers(*call, it->from) : CallSignalling::ExtraHeaders{};
  // A subscription's duration as the notifier granted it (RFC 6665 §4.2.1.1).
  if (const std::string_view expires = msg.header("Expires");
      !expires.empty() && it->request->method() == Method::kSubscribe) {
    headers.emplace_back("Expires", std::string(expires));
  }
  signalling_.respond_in_dialog(*call, it->from, it->reply_to, *it->request, code,
                                msg.reason_phrase(), headers);
  call->relayed.erase(it);
  if (refreshed) timers_.arm(call);
  return true;
}

bool MidCall::repeated_answer(const CallPtr& call, const sip::Message& msg) {
  auto cseq = msg.cseq();
  auto call_id = msg.call_id();
  const int code = msg.status_code();
  if (!cseq || !call_id || cseq->method != Method::kInvite || code < 200 || code >= 300) {
    return false;
  }
  for (Side side : {kCaller, kCallee}) {
    if (!call->reinvite_ack[side].empty() && call->legs[side].call_id == *call_id &&
        call->reinvite_ack_cseq[side] == cseq->number) {
      ctx_.transport.send(call->legs[side].peer, call->reinvite_ack[side]);
      return true;
    }
  }
  return false;
}

bool MidCall::transaction_error(const CallPtr& call, TransactionId id, TransactionError error) {
  const int code = error == TransactionError::kTimeout ? 408 : 503;
  if (call->offer_in_progress && call->offer_in_progress->tx == id) {
    RelayedRequest request = std::move(*call->offer_in_progress);
    call->offer_in_progress.reset();
    offer_failed(call, request, code, {});
    return true;
  }
  auto it = std::ranges::find(call->relayed, id, &RelayedRequest::tx);
  if (it == call->relayed.end()) return false;
  signalling_.respond_in_dialog(*call, it->from, it->reply_to, *it->request, code, {});
  call->relayed.erase(it);
  return true;
}

void MidCall::offer_answered(const CallPtr& call, const sip::Message& msg) {
  RelayedRequest request = std::move(*call->offer_in_progress);
  call->offer_in_progress.reset();
  const int code = msg.status_code();
  if (code >= 300) {
    offer_failed(call, request, code, msg.reason_phrase());  // the layer ACKed it (§17.1.1.3)
    return;
  }
  if (request.offer) {
    answer_received(call, request, msg);
  } else {
    counter_offer(call, request, msg);
  }
}

void MidCall::answer_received(const CallPtr& call, RelayedRequest& request,
                              const sip::Message& msg) {
  const Side offerer = request.from;
  const Side answerer = other(offerer);
  const bool invite = request.request->method() == Method::kInvite;
  if (invite) {
    signalling_.send_reinvite_ack(*call, answerer, request.cseq, {});
  }
  std::optional<ReceivedSdp> sdp;
  if (const std::string_view text = sdp_of(msg); !text.empty()) sdp = read_sdp(text);
  if (!sdp) {
    spdlog::warn("call {}: the {} accepted the {} without a usable answer", call->id,
                 side_name(answerer), sip::method_name(request.request->method()));
    offer_failed(call, request, 502, "Bad Gateway (no usable SDP answer)");
    return;
  }
  auto srtp = call->media.check_update(answerer, stream(*sdp));
  if (!srtp) {
    ctx_.metrics.media_refused(to_string(srtp.error()));
    spdlog::warn("call {}: the {}'s answer is refused: {}", call->id, side_name(answerer),
                 to_string(srtp.error()));
    offer_failed(call, request, 488, "Not Acceptable Here");
    return;
  }
  call->media.apply_update(offerer, request.offer->no_media ? nullptr : &request.offer->audio,
                           std::move(request.offer_srtp));
  call->media.apply_update(answerer, sdp->no_media ? nullptr : &sdp->audio, std::move(*srtp));
  auto body = call->media.anchor_update(offerer, sdp->sdp, sdp->audio, sdp->no_media);
  program(call, offerer, *request.offer, *sdp);
  if (!body) {
    offer_failed(call, request, 502, "Bad Gateway (bad SDP answer)");
    return;
  }
  timers_.negotiate_request(*call, offerer, *request.request);
  std::string response = signalling_.respond_in_dialog(
      *call, offerer, request.reply_to, *request.request, msg.status_code(), msg.reason_phrase(),
      timers_.answer_headers(*call, offerer), "application/sdp", std::move(*body));
  if (invite) answer_reinvite(call, offerer, request.request->cseq()->number, std::move(response));
}

void MidCall::counter_offer(const CallPtr& call, RelayedRequest& request, const sip::Message& msg) {
  const Side offerer = request.from;  // of the re-INVITE: it answers the 2xx's offer in its ACK
  const Side answerer = other(offerer);
  auto checked = checked_sdp(*call, answerer, msg);
  if (!checked) {
    signalling_.respond_in_dialog(*call, offerer, request.reply_to, *request.request, 502,
                                  "Bad Gateway (no usable SDP offer)");
    abandon_exchange(call, answerer, request.cseq, "no usable offer in its 2xx");
    return;
  }
  timers_.negotiate_request(*call, offerer, *request.request);
  std::string response = signalling_.respond_in_dialog(
      *call, offerer, request.reply_to, *request.request, msg.status_code(), msg.reason_phrase(),
      timers_.answer_headers(*call, offerer), "application/sdp", std::move(checked->anchored));
  answer_reinvite(call, offerer, request.request->cseq()->number, std::move(response));
  ReinviteAnswer& answer = *call->reinvite_answer;
  answer.offer = std::move(checked->sdp);
  answer.offer_srtp = std::move(checked->srtp);
  answer.other_tx = request.tx;
  answer.other_cseq = request.cseq;
}

void MidCall::offer_failed(const CallPtr& call, const RelayedRequest& request, int code,
                           std::string_view reason) {
  // A challenge is for credentials of ours, which the sender has not: not passed on.
  const int relayed = code == 401 || code == 407 ? 500 : code;
  signalling_.respond_in_dialog(*call, request.from, request.reply_to, *request.request, relayed,
                                relayed == code ? reason : std::string_view{});
  spdlog::info("call {}: {} from the {} failed: {}", call->id,
               sip::method_name(request.request->method()), side_name(request.from), code);
  if (code == 408 || code == 481) {
    // The other dialog is gone (§14.1, §12.2.1.2): so is the call.
    teardown_.fail_call(call, 200, CallResult::kFailed);
  }
}

void MidCall::abandon_exchange(const CallPtr& call, Side side, uint32_t cseq,
                               std::string_view why) {
  spdlog::warn("call {}: re-INVITE toward the {}: {}; ending the call", call->id, side_name(side),
               why);
  signalling_.send_reinvite_ack(*call, side, cseq, {});
  teardown_.fail_call(call, 200, CallResult::kFailed);
}

// --- our 2xx to a re-INVITE ---------------------------------------------------------------------

void MidCall::answer_reinvite(const CallPtr& call, Side side, uint32_t cseq, std::string response) {
  if (call->reinvite_answer) call->reinvite_answer->timer.cancel();
  call->reinvite_answer.emplace();
  ReinviteAnswer& answer = *call->reinvite_answer;
  answer.to = side;
  answer.cseq = cseq;
  answer.response = std::move(response);
  answer.interval = ctx_.timers.t1;
  answer.deadline = ctx_.scheduler.now() + 64 * ctx_.timers.t1;
  answer.timer =
      Timer(ctx_.scheduler, answer.interval, [this, id = call->id] { retransmit_answer(id); });
}

void MidCall::retransmit_answer(uint64_t call_id) {
  CallPtr call = ctx_.calls.find(call_id);
  if (!call || !call->reinvite_answer || call->state == CallState::kEnded) return;
  ReinviteAnswer& answer = *call->reinvite_answer;
  if (ctx_.scheduler.now() >= answer.deadline) {
    // No ACK within 64*T1: the dialog is over (§13.3.1.4).
    spdlog::info("call {}: our 2xx to the {}'s re-INVITE was never ACKed", call_id,
                 side_name(answer.to));
    const bool held_ack = answer.offer.has_value();
    const Side answering = other(answer.to);
    const uint32_t other_cseq = answer.other_cseq;
    call->reinvite_answer.reset();
    if (held_ack) {
      abandon_exchange(call, answering, other_cseq, "no ACK from the offerer");
    } else {
      teardown_.fail_call(call, 200, CallResult::kFailed);
    }
    return;
  }
  if (!answer.response.empty()) ctx_.transport.send(call->legs[answer.to].peer, answer.response);
  answer.interval = std::min(answer.interval * 2, ctx_.timers.t2);
  const auto until_deadline =
      std::chrono::ceil<std::chrono::milliseconds>(answer.deadline - ctx_.scheduler.now());
  answer.timer = Timer(ctx_.scheduler, std::min(answer.interval, until_deadline),
                       [this, call_id] { retransmit_answer(call_id); });
}

// --- helpers ------------------------------------------------------------------------------------

// RFC 3311 §5.1: an UPDATE with an offer may go in an early dialog once its first offer/answer is
// complete: both our answer to the caller and the callee's answer to us came in PRACKed 18x. Then
// each early dialog may change the session (early media hold, a codec or port change).
bool MidCall::early_offer_answer_done(const Call& call) {
  if (call.state != CallState::kCalling || call.final_status != 0 ||
      !call.caller_provisionals.answer_acked) {
    return false;
  }
  const EarlyDialog* early =
      ReliableProvisionals::find_early_dialog(call, call.legs[kCallee].remote_tag);
  return early != nullptr && early->answer_reliable;
}

void MidCall::program(const CallPtr& call, Side offerer, const ReceivedSdp& offer,
                      const ReceivedSdp& answer) {
  const bool was_on_hold = call->media.on_hold();
  std::array<bool, 2> forward{};
  forward[offerer] = sends(offer) && receives(answer);
  forward[other(offerer)] = sends(answer) && receives(offer);
  call->media.set_forward_rtp(forward);
  call->described[offerer] = offer;
  call->described[other(offerer)] = answer;
  if (call->media.on_hold() != was_on_hold) {
    spdlog::info("call {}: media {}", call->id, was_on_hold ? "resumed" : "on hold");
  }
  media_.program_session(call);
  timers_.arm(call);  // the exchange refreshed both dialogs' sessions (RFC 4028 §10)
}

std::optional<MidCall::CheckedSdp> MidCall::checked_sdp(Call& call, Side from,
                                                        const sip::Message& msg) const {
  const std::string_view text = sdp_of(msg);
  auto sdp = text.empty() ? std::nullopt : read_sdp(text);
  if (!sdp) return std::nullopt;
  auto srtp = call.media.check_update(from, stream(*sdp));
  if (!srtp) return std::nullopt;
  auto anchored = call.media.anchor_update(other(from), sdp->sdp, sdp->audio, sdp->no_media);
  if (!anchored) return std::nullopt;
  return CheckedSdp{std::move(*sdp), std::move(*srtp), std::move(*anchored)};
}

std::optional<ReceivedSdp> MidCall::read_sdp(std::string_view text) const {
  auto sdp = SdpBody::parse(text);
  if (!sdp) return std::nullopt;
  auto audio = anchorable_audio(sdp->description());
  if (!audio) return std::nullopt;
  if (audio->address == api::Address::ipv4(0)) return ReceivedSdp{std::move(*sdp), *audio, true};
  auto usable = media_.usable_audio(sdp->description());
  if (!usable) return std::nullopt;
  return ReceivedSdp{std::move(*sdp), *usable, false};
}

void MidCall::refuse(const Call& call, Side side, const SipPeer& reply_to, const sip::Message& msg,
                     MediaRefusal refusal) {
  ctx_.metrics.media_refused(to_string(refusal));
  spdlog::info("call {}: the {}'s {} is refused: {}", call.id, side_name(side),
               sip::method_name(msg.method()), to_string(refusal));
  signalling_.respond_in_dialog(
      call, side, reply_to, msg, response_code(refusal), "Not Acceptable Here",
      {{"Warning", fmt::format("{} sbc \"{}\"", warning_code(refusal), warning_text(refusal))}});
}

void MidCall::retry_later(const Call& call, Side side, const SipPeer& reply_to,
                          const sip::Message& msg) {
  // §14.2: a random 0 to 10 seconds.
  const unsigned seconds = std::stoul(ctx_.ids.hex(2), nullptr, 16) % 11;
  signalling_.respond_in_dialog(call, side, reply_to, msg, 500, {},
                                {{"Retry-After", fmt::format("{}", seconds)}});
}

}  // namespace sbc::cp
