#include "controlplane/b2bua/reliable_provisionals.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "controlplane/b2bua/b2bua_internal.h"
#include "controlplane/sip/header_values.h"

namespace sbc::cp {
namespace {

constexpr std::string_view k100rel = "100rel";

bool has_100rel(const std::expected<std::vector<std::string_view>, sip::ParseError>& tags) {
  return tags && std::ranges::find(*tags, k100rel) != tags->end();
}

// An 18x carrying our answer waits in the queue.
bool answer_queued(const CallerProvisionals& p) {
  return std::ranges::any_of(p.queued, [](const QueuedProvisional& q) { return !q.body.empty(); });
}

}  // namespace

// --- toward the caller (we are its UAS) ---------------------------------------------------------

bool ReliableProvisionals::admit(const SipPeer& from, const sip::Message& invite,
                                 Rel100 policy) const {
  const bool required = has_100rel(invite.require());
  if (policy == Rel100::kOff && required) {
    auto response = ctx_.responder.response(invite, 420);
    response.add(sip::HeaderId::kUnsupported, std::string(k100rel));
    ctx_.responder.send(from, invite, std::move(response));
    return false;
  }
  if (policy == Rel100::kRequired && !required && !has_100rel(invite.supported())) {
    auto response = ctx_.responder.response(invite, 421);
    response.add(sip::HeaderId::kRequire, std::string(k100rel));
    ctx_.responder.send(from, invite, std::move(response));
    return false;
  }
  return true;
}

bool ReliableProvisionals::reliable_toward(const sip::Message& invite, Rel100 policy) {
  return policy != Rel100::kOff && (has_100rel(invite.require()) || has_100rel(invite.supported()));
}

void ReliableProvisionals::respond_caller(const CallPtr& call, int code, std::string_view reason,
                                          std::string body) {
  CallerProvisionals& p = call->caller_provisionals;
  if (!p.reliable || code == 100) {
    signalling_.respond_caller(call, code, reason, std::move(body));
    return;
  }
  if (p.unacked) {
    // One unacknowledged at a time (§3): this one waits. A full queue drops its oldest that
    // carries no answer (a ringing indication superseded by this one).
    if (p.queued.size() >= kMaxQueued) {
      auto it = std::ranges::find_if(p.queued, [](const auto& q) { return q.body.empty(); });
      if (it == p.queued.end() && body.empty()) return;
      p.queued.erase(it == p.queued.end() ? p.queued.begin() : it);
    }
    p.queued.push_back({code, std::string(reason), std::move(body)});
    return;
  }
  const uint32_t rseq = p.next_rseq++;
  const bool answer = !body.empty();
  signalling_.respond_caller(
      call, code, reason, std::move(body),
      {{"Require", std::string(k100rel)}, {"RSeq", fmt::format("{}", rseq)}});
  ReliableResponse& r = p.unacked.emplace();
  r.rseq = rseq;
  r.response = call->last_response;
  r.answer = answer;
  r.interval = ctx_.timers.t1;
  r.deadline = ctx_.scheduler.now() + 64 * ctx_.timers.t1;
  r.timer = Timer(ctx_.scheduler, r.interval, [this, id = call->id] { retransmit(id); });
}

// §3: from T1, doubling each time (no T2 cap); unacknowledged after 64*T1, the INVITE fails.
void ReliableProvisionals::retransmit(uint64_t call_id) {
  CallPtr call = ctx_.calls.find(call_id);
  if (!call || !call->caller_provisionals.unacked) return;
  ReliableResponse& r = *call->caller_provisionals.unacked;
  if (ctx_.scheduler.now() >= r.deadline) {
    spdlog::info("call {}: no PRACK for our reliable provisional (RSeq {}); failing the call",
                 call->id, r.rseq);
    call->caller_provisionals.stop();
    teardown_.fail_call(call, 500, CallResult::kFailed);
    return;
  }
  ctx_.transport.send(call->legs[kCaller].peer, r.response);
  r.interval *= 2;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(r.deadline - ctx_.scheduler.now());
  r.timer =
      Timer(ctx_.scheduler, std::min(r.interval, left), [this, call_id] { retransmit(call_id); });
}

bool ReliableProvisionals::answer_waits(const CallPtr& call, int code, std::string_view reason) {
  CallerProvisionals& p = call->caller_provisionals;
  if (!(p.unacked && p.unacked->answer) && !answer_queued(p)) return false;
  p.held_answer.emplace(code, std::string(reason));
  return true;
}

void ReliableProvisionals::prack(const CallPtr& call, const SipPeer& reply_to,
                                 const sip::Message& prack) {
  CallerProvisionals& p = call->caller_provisionals;
  const Leg& a = call->legs[kCaller];
  auto rack = prack.rack();
  const auto& invite = *call->caller_invite;
  // §3: it acknowledges our unacknowledged 18x when RAck names its RSeq and the INVITE's CSeq.
  const bool matches = rack && *rack && p.unacked && (*rack)->rseq == p.unacked->rseq &&
                       (*rack)->cseq == invite.cseq()->number &&
                       (*rack)->method == sip::Method::kInvite;
  if (!matches || call->state == CallState::kEnded) {
    signalling_.reply(reply_to, prack, 481, {}, a.local_tag, a.user_agent);
    return;
  }
  if (!prack.body().empty()) {
    // An offer in a PRACK (§5) asks for an answer in its 2xx; we only ever put answers in our
    // 18x and keep the session to the INVITE's offer until the call is up.
    signalling_.reply(reply_to, prack, 488, "Not Acceptable Here (no offer in PRACK)", a.local_tag,
                      a.user_agent);
  } else {
    signalling_.reply(reply_to, prack, 200, {}, a.local_tag, a.user_agent);
  }
  if (p.unacked->answer) p.answer_acked = true;
  p.unacked.reset();
  send_next(call);
}

void ReliableProvisionals::send_next(const CallPtr& call) {
  CallerProvisionals& p = call->caller_provisionals;
  if (p.held_answer && !answer_queued(p)) {
    // The 2xx waited only for the answer's PRACK; the ringing queued behind it is superseded.
    p.queued.clear();
    answer_released_(call);
    return;
  }
  if (!p.queued.empty()) {
    QueuedProvisional next = std::move(p.queued.front());
    p.queued.erase(p.queued.begin());
    respond_caller(call, next.code, next.reason, std::move(next.body));
    return;
  }
}

// --- toward the callee (we are its UAC) ---------------------------------------------------------

void ReliableProvisionals::offer(Rel100 policy, sip::RequestSpec& spec) {
  if (policy == Rel100::kOff) return;
  const auto header =
      policy == Rel100::kRequired ? sip::HeaderId::kRequire : sip::HeaderId::kSupported;
  // One header line of each: some UAs read only the first (the session timer's "timer").
  auto it = std::ranges::find(spec.headers, header, [](const auto& h) { return h.first; });
  if (it != spec.headers.end()) {
    it->second += fmt::format(", {}", k100rel);
  } else {
    spec.headers.emplace_back(header, std::string(k100rel));
  }
}

const EarlyDialog* ReliableProvisionals::find_early_dialog(const Call& call, std::string_view tag) {
  auto it = std::ranges::find(call.early_dialogs, tag, &EarlyDialog::tag);
  return it != call.early_dialogs.end() ? &*it : nullptr;
}

EarlyDialog* ReliableProvisionals::early_dialog(Call& call, std::string_view tag) {
  auto it = std::ranges::find(call.early_dialogs, tag, &EarlyDialog::tag);
  if (it != call.early_dialogs.end()) return &*it;
  if (call.early_dialogs.size() >= kMaxEarlyDialogs) return nullptr;
  return &call.early_dialogs.emplace_back(EarlyDialog{std::string(tag), 0, {}, false});
}

bool ReliableProvisionals::callee_provisional(const CallPtr& call, const sip::Message& msg) {
  if (!has_100rel(msg.require())) return true;
  auto rseq = msg.rseq();
  const std::string_view tag = msg.to()->tag();
  if (!rseq || !*rseq || tag.empty()) {
    ctx_.metrics.sip_dropped(SipDropReason::kBadResponse);  // reliable without RSeq or dialog
    return false;
  }
  EarlyDialog* dialog = early_dialog(*call, tag);
  if (dialog == nullptr) return false;  // a fork beyond the bound: its media is never ours
  // §4: the first one sets the sequence; then only the next RSeq is new. A retransmission (our
  // PRACK was lost: the PRACK's own transaction retransmits it) and a gap are discarded.
  if (dialog->rseq != 0 && **rseq != dialog->rseq + 1) return false;
  dialog->rseq = **rseq;
  if (!sdp_of(msg).empty()) dialog->answer_reliable = true;
  // RAck: its RSeq and our INVITE's CSeq (the layer matched the response to that INVITE).
  auto sent = signalling_.send_in_dialog(
      call, kCallee, sip::Method::kPrack,
      {{"RAck", fmt::format("{} {} INVITE", dialog->rseq, call->callee_invite_cseq)}}, {}, {});
  if (!sent) return true;  // logged; the 18x is still worth relaying
  call->legs[kCallee].requests.push_back(sent->first);
  return true;
}

}  // namespace sbc::cp
