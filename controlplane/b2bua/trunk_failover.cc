#include "controlplane/b2bua/trunk_failover.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/b2bua/call_normalization.h"
#include "controlplane/b2bua/trunk_challenge.h"

namespace sbc::cp {

namespace {

// The call may still go elsewhere: it rings, the caller is still there and no early media of the
// current trunk reached the caller.
bool may_fail_over(const Call& call) {
  return call.state == CallState::kCalling && call.final_status == 0 && !call.cancel_pending &&
         !call.cancel_sent && !call.callee_answer && call.callee_invite_spec;
}

std::string target_name(const SipPeer& peer) {
  return describe(target_of(peer));
}

}  // namespace

const TrunkConfig* TrunkFailover::trunk_of(const Call& call) const {
  if (call.callee_trunk.empty()) return nullptr;
  auto it = std::ranges::find(ctx_.config.trunks, call.callee_trunk, &TrunkConfig::name);
  return it != ctx_.config.trunks.end() ? &*it : nullptr;
}

std::optional<Route> TrunkFailover::next_target(const Call& call) const {
  const TrunkConfig* trunk = trunk_of(call);
  if (trunk == nullptr || trunk->address) return std::nullopt;
  const auto index = static_cast<size_t>(trunk - ctx_.config.trunks.data());
  std::vector<SipTarget> tried = call.tried_targets;
  tried.push_back(target_of(call.legs[kCallee].peer));
  const auto next = ctx_.router.targets().next(index, tried, ctx_.scheduler.now());
  if (!next) return std::nullopt;
  auto route = ctx_.router.trunk_route(index, *next);
  if (!route || route->peer.zone != call.legs[kCallee].peer.zone) return std::nullopt;
  return route;
}

void TrunkFailover::hold(const Call& call, std::optional<std::chrono::seconds> retry_after) {
  const TrunkConfig* trunk = trunk_of(call);
  if (trunk == nullptr) return;
  const auto index = static_cast<size_t>(trunk - ctx_.config.trunks.data());
  const auto now = ctx_.scheduler.now();
  if (!ctx_.router.hold_target(index, target_of(call.legs[kCallee].peer), retry_after, now) &&
      retry_after) {
    ctx_.router.health().hold(index, *retry_after, now);
  }
}

void TrunkFailover::sent(const CallPtr& call) {
  call->failover_timer.cancel();
  const TrunkConfig* trunk = trunk_of(*call);
  if (trunk == nullptr || trunk->failover.timeout.count() == 0 ||
      (call->failover_trunks.empty() && !next_target(*call))) {
    return;
  }
  call->failover_timer =
      Timer(ctx_.scheduler, trunk->failover.timeout, [this, id = call->id] { no_response(id); });
}

bool TrunkFailover::failed(const CallPtr& call, const sip::Message& msg) {
  const TrunkConfig* trunk = trunk_of(*call);
  if (trunk == nullptr) return false;
  const int code = msg.status_code();
  if (code == 503) {
    std::optional<std::chrono::seconds> retry_after;
    if (auto retry = msg.retry_after(); retry && *retry && (*retry)->seconds > 0) {
      retry_after = std::chrono::seconds((*retry)->seconds);
    }
    hold(*call, retry_after);
  }
  if (!trunk->failover.fails_over(code)) return false;
  return fail_over(call, {trunk->name, code, std::string(msg.reason_phrase()), {}},
                   TrunkFailoverReason::kResponse);
}

bool TrunkFailover::failed(const CallPtr& call, TransactionError error) {
  const TrunkConfig* trunk = trunk_of(*call);
  if (trunk == nullptr) return false;
  const bool timeout = error == TransactionError::kTimeout;
  hold(*call, std::nullopt);
  return fail_over(call,
                   {trunk->name,
                    timeout ? 408 : 503,
                    timeout ? "no final response (timeout)" : "transport error",
                    {}},
                   timeout ? TrunkFailoverReason::kTimeout : TrunkFailoverReason::kTransportError);
}

void TrunkFailover::no_response(uint64_t id) {
  CallPtr call = ctx_.calls.find(id);
  if (!call || call->callee_provisional || !call->legs[kCallee].invite_tx) return;
  const TrunkConfig* trunk = trunk_of(*call);
  if (trunk == nullptr) return;
  const TransactionId silent = *call->legs[kCallee].invite_tx;
  const std::string reason = fmt::format("no response in {} ms", trunk->failover.timeout.count());
  hold(*call, std::nullopt);
  const Leg& b = call->legs[kCallee];
  AbandonedInvite left{b.peer,        call->callee_invite_uri, call->callee_invite_branch,
                       b.local_party, b.remote_party,          call->callee_invite_cseq,
                       false};
  // Our INVITE to the silent trunk stops: a CANCEL may not go before a provisional (§9.1). A
  // 2xx it sends late is ACKed and BYE'd on its own dialog (AnswerRelay), never the call's.
  if (fail_over(call, {trunk->name, 408, reason, {}}, TrunkFailoverReason::kNoResponse)) {
    ctx_.layer.abandon(silent);
    call->abandoned_invites.push_back(std::move(left));
  }
}

bool TrunkFailover::fail_over(const CallPtr& call, TrunkAttempt attempt,
                              TrunkFailoverReason reason) {
  if (!may_fail_over(*call)) return false;
  attempt.address = target_name(call->legs[kCallee].peer);
  if (auto route = next_target(*call)) {
    // The same trunk at its next address: same limits, same lease.
    const auto index = static_cast<size_t>(trunk_of(*call) - ctx_.config.trunks.data());
    spdlog::info("call {}: trunk {} at {} failed it ({} {}): trying {}", call->id, attempt.trunk,
                 attempt.address, attempt.code, attempt.reason, target_name(route->peer));
    ctx_.metrics.trunk_failover(attempt.trunk, reason);
    call->trunk_attempts.push_back(std::move(attempt));
    call->tried_targets.push_back(target_of(call->legs[kCallee].peer));
    if (!send_to(call, index, *route)) teardown_.fail_call(call, 503, CallResult::kFailed);
    return true;
  }
  if (call->failover_trunks.empty()) return false;
  // The next trunk's limits count the call, not the failed one's: the lease goes first, so a
  // user allowed one call is not refused its own call on the backup.
  const AdmissionTicket ticket = call->admission ? call->admission->ticket() : AdmissionTicket{};
  const bool counted = call->admission && call->admission->counted();
  call->admission.reset();
  const auto now = ctx_.scheduler.now();
  while (!call->failover_trunks.empty()) {
    const std::string name = std::move(call->failover_trunks.front());
    call->failover_trunks.erase(call->failover_trunks.begin());
    auto it = std::ranges::find(ctx_.config.trunks, name, &TrunkConfig::name);
    if (it == ctx_.config.trunks.end()) continue;  // removed by a reload meanwhile
    const auto index = static_cast<size_t>(it - ctx_.config.trunks.begin());
    if (!ctx_.router.routable(index, now)) {
      const TrunkHealth& health = ctx_.router.health();
      spdlog::info("call {}: trunk {} skipped: {}", call->id, name,
                   !health.available(index)  ? "down"
                   : health.held(index, now) ? "held (Retry-After)"
                                             : "no target (unresolved or all held)");
      continue;
    }
    auto route = ctx_.router.trunk_route(index, ctx_.router.first_target(index, now));
    if (!route || route->peer.zone != call->legs[kCallee].peer.zone) continue;
    auto lease = ctx_.security.admit_call({name, ticket.user});
    if (!lease) {
      spdlog::info("call {}: trunk {} skipped: {}", call->id, name, lease.error().reason);
      continue;
    }
    spdlog::info("call {}: trunk {} failed it ({} {}): trying trunk {}", call->id, attempt.trunk,
                 attempt.code, attempt.reason, name);
    ctx_.metrics.trunk_failover(attempt.trunk, reason);
    call->trunk_attempts.push_back(std::move(attempt));
    call->admission = std::move(*lease);
    call->tried_targets.clear();
    if (!send_to(call, index, *route)) {
      // Our INVITE could not even go (the transaction table is full): the call fails as its
      // first INVITE would have.
      teardown_.fail_call(call, 503, CallResult::kFailed);
    }
    return true;
  }
  if (counted) call->admission = ctx_.security.readmit_call(ticket);
  return false;
}

bool TrunkFailover::send_to(const CallPtr& call, size_t trunk, const Route& route) {
  Leg& b = call->legs[kCallee];
  signalling_.close_invite(*call);
  // The callee leg starts again toward the new trunk: same Call-ID and From tag, no early
  // dialog, no challenge answered yet; its parties and headers as that trunk's rules write them.
  b.peer = route.peer;
  b.signalling_source = route.peer.remote;
  NamedHeaders headers = address_callee(ctx_, *call, route);
  b.remote_tag.clear();
  b.route_set.clear();
  call->callee_trunk = ctx_.config.trunks[trunk].name;
  call->callee_auth_answers = 0;
  call->callee_provisional = false;
  call->early_dialogs.clear();

  sip::RequestSpec spec = std::move(*call->callee_invite_spec);
  spec.request_uri = b.remote_target;
  signalling_.set_via(spec, b.peer);
  spec.branch = ctx_.ids.branch();
  spec.from = b.local_party;
  spec.to = b.remote_party;
  spec.cseq = ++b.local_cseq;
  spec.contact = signalling_.contact(b.peer);
  spec.named_headers = std::move(headers);
  std::erase_if(spec.headers, [](const auto& header) {
    return header.first == sip::HeaderId::kAuthorization ||
           header.first == sip::HeaderId::kProxyAuthorization;
  });
  add_caller_credentials(ctx_.config, *call, spec);
  call->callee_invite_spec = spec;
  if (!signalling_.send_invite(call, std::move(spec))) return false;
  sent(call);
  return true;
}

}  // namespace sbc::cp
