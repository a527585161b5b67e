#include "controlplane/b2bua/session_timers.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/sip/header_values.h"

namespace sbc::cp {
namespace {

using sip::Method;
using Refresher = sip::SessionExpires::Refresher;

std::optional<sip::SessionExpires> session_expires(const sip::Message& msg) {
  const std::string_view value = msg.header(sip::HeaderId::kSessionExpires);
  if (value.empty()) return std::nullopt;
  auto parsed = sip::parse_session_expires(value);
  if (!parsed || parsed->delta == 0) return std::nullopt;
  return *parsed;
}

// When to try a refresh again after `refusal` (not 2xx, not final for the timer), while the
// session has `interval_s` to run. 491 (glare, RFC 3261 §14.1): the owner of the Call-ID (sbcd
// made the callee leg's) waits 2.1-4 s, the other end 0-2 s, in 10 ms steps drawn at random, so
// both ends do not meet again; a Retry-After is honoured up to a quarter of the interval; else
// shortly, well before the session expires.
std::chrono::milliseconds retry_delay(const sip::Message& refusal, Side side, uint32_t interval_s,
                                      sip::IdGenerator& ids) {
  using std::chrono::milliseconds;
  if (refusal.status_code() == 491) {
    const auto steps = static_cast<uint32_t>(std::stoul(ids.hex(4), nullptr, 16));
    return side == kCallee ? milliseconds(2100 + 10 * (steps % 191))
                           : milliseconds(10 * (steps % 201));
  }
  if (auto after = refusal.retry_after(); after && *after && (*after)->seconds > 0) {
    return std::chrono::seconds(std::min((*after)->seconds, std::max(interval_s / 4, 1u)));
  }
  return std::chrono::seconds(std::clamp(interval_s / 8, 1u, 10u));
}

// §10: the side that does not refresh ends the session this much before the interval is up.
std::chrono::seconds expiry_margin(std::chrono::seconds interval) {
  return std::min<std::chrono::seconds>(std::chrono::seconds(32), interval / 3);
}

bool supports_timer(const sip::Message& msg) {
  auto tags = msg.supported();
  return tags && std::ranges::find(*tags, std::string_view("timer")) != tags->end();
}

// The request's Min-SE, at least RFC 4028's 90 s.
uint32_t min_se_of(const sip::Message& msg) {
  uint32_t min_se = 0;
  if (const std::string_view value = msg.header(sip::HeaderId::kMinSe); !value.empty()) {
    min_se = sip::parse_min_se(value).value_or(0);
  }
  return std::max<uint32_t>(min_se, 90);
}

}  // namespace

std::optional<uint32_t> SessionTimers::too_brief(const sip::Message& invite,
                                                 const DialogPolicy& policy) {
  auto se = session_expires(invite);
  if (!se || se->delta >= policy.min_se_s) return std::nullopt;
  return policy.min_se_s;
}

void SessionTimers::negotiate_request(Call& call, Side side, const sip::Message& invite) const {
  SessionTimer& timer = call.session_timers[side];
  const uint32_t ours = call.dialog[side].session_expires_s;
  auto se = session_expires(invite);
  if (!se && ours == 0) {
    timer.interval_s = 0;
    return;
  }
  // We answer: we may shorten what it asks for to ours, never below its Min-SE (§9).
  timer.interval_s =
      se ? (ours == 0 ? se->delta : std::max(std::min(se->delta, ours), min_se_of(invite))) : ours;
  // A caller that supports timers refreshes unless it asked us to; one that does not cannot.
  timer.we_refresh = !supports_timer(invite) || (se && se->refresher == Refresher::kUas);
}

void SessionTimers::offer(const DialogPolicy& policy, sip::RequestSpec& spec) {
  if (policy.session_expires_s == 0) return;
  spec.headers.emplace_back(sip::HeaderId::kSupported, "timer");
  spec.headers.emplace_back(sip::HeaderId::kSessionExpires,
                            fmt::format("{}", policy.session_expires_s));
  spec.headers.emplace_back(sip::HeaderId::kMinSe, fmt::format("{}", policy.min_se_s));
}

void SessionTimers::negotiate_callee(Call& call, const sip::Message& ok) const {
  SessionTimer& timer = call.session_timers[kCallee];
  if (auto se = session_expires(ok)) {
    timer.interval_s = se->delta;
    timer.we_refresh = se->refresher != Refresher::kUas;  // we are its UAC
  } else {
    timer.interval_s = call.dialog[kCallee].session_expires_s;
    timer.we_refresh = true;
  }
}

CallSignalling::ExtraHeaders SessionTimers::answer_headers(const Call& call, Side side) const {
  const SessionTimer& timer = call.session_timers[side];
  if (timer.interval_s == 0) return {};
  CallSignalling::ExtraHeaders headers = {
      {"Session-Expires",
       fmt::format("{};refresher={}", timer.interval_s, timer.we_refresh ? "uas" : "uac")}};
  if (!timer.we_refresh) headers.emplace_back("Require", "timer");
  return headers;
}

CallSignalling::ExtraHeaders SessionTimers::request_headers(const Call& call, Side side) const {
  const SessionTimer& timer = call.session_timers[side];
  if (timer.interval_s == 0) return {};
  return {{"Supported", "timer"},
          {"Session-Expires",
           fmt::format("{};refresher={}", timer.interval_s, timer.we_refresh ? "uac" : "uas")},
          {"Min-SE", fmt::format("{}", call.dialog[side].min_se_s)}};
}

void SessionTimers::arm(const CallPtr& call) {
  arm(call, kCaller);
  arm(call, kCallee);
}

void SessionTimers::adopt(const CallPtr& call) {
  for (Side side : {kCaller, kCallee}) {
    SessionTimer& timer = call->session_timers[side];
    if (timer.interval_s == 0 || !timer.we_refresh) {
      arm(call, side);
      continue;
    }
    // Our last refresh may have been up to half an interval ago: the peer ends the session at the
    // interval less its margin (§10) after it, so the next one goes a second before the earliest
    // such end.
    const std::chrono::seconds interval(timer.interval_s);
    const auto delay = std::max<std::chrono::milliseconds>(
        std::chrono::seconds(1), interval / 2 - expiry_margin(interval) - std::chrono::seconds(1));
    timer.timer = Timer(ctx_.scheduler, delay, [this, id = call->id, side] { refresh(id, side); });
  }
}

void SessionTimers::arm(const CallPtr& call, Side side) {
  SessionTimer& timer = call->session_timers[side];
  timer.timer.cancel();
  // Not before the answer: an early UPDATE refreshes nothing yet.
  if (timer.interval_s == 0 || call->state == CallState::kEnded ||
      call->state == CallState::kCalling) {
    return;
  }
  const std::chrono::seconds interval(timer.interval_s);
  if (timer.we_refresh) {
    timer.timer = Timer(ctx_.scheduler, std::chrono::milliseconds(interval) / 2,
                        [this, id = call->id, side] { refresh(id, side); });
  } else {
    // §10: the refresher's request is due at half the interval; the session ends at the
    // interval less min(32 s, a third of it).
    const auto margin = expiry_margin(interval);
    timer.timer = Timer(ctx_.scheduler, std::chrono::milliseconds(interval - margin),
                        [this, id = call->id, side] { expired(id, side); });
  }
}

void SessionTimers::refresh(uint64_t call_id, Side side) {
  CallPtr call = ctx_.calls.find(call_id);
  if (!call || call->state == CallState::kEnded) return;
  SessionTimer& timer = call->session_timers[side];
  if (timer.refresh_tx != 0) return;
  auto sent =
      signalling_.send_in_dialog(call, side, Method::kUpdate, request_headers(*call, side), {}, {});
  if (!sent) {
    expired(call_id, side);
    return;
  }
  timer.refresh_tx = sent->first;
}

bool SessionTimers::response(const CallPtr& call, TransactionId id, const sip::Message& msg) {
  for (Side side : {kCaller, kCallee}) {
    SessionTimer& timer = call->session_timers[side];
    if (timer.refresh_tx != id || id == 0) continue;
    const int code = msg.status_code();
    if (code < 200) return true;
    timer.refresh_tx = 0;
    if (code < 300) {
      if (auto se = session_expires(msg)) timer.interval_s = se->delta;
      arm(call, side);
    } else if (code == 405 || code == 501) {
      spdlog::info("call {}: the {} refuses UPDATE ({}): its session is no longer refreshed",
                   call->id, side_name(side), code);
      timer.interval_s = 0;
    } else if (code == 408 || code == 481) {
      expired(call->id, side);
    } else if (code == 422) {
      // §8.2: it wants a longer session; its Min-SE becomes our interval.
      timer.interval_s = std::max(timer.interval_s, min_se_of(msg));
      refresh(call->id, side);
    } else {
      timer.timer = Timer(ctx_.scheduler, retry_delay(msg, side, timer.interval_s, ctx_.ids),
                          [this, cid = call->id, side] { refresh(cid, side); });
    }
    return true;
  }
  return false;
}

bool SessionTimers::transaction_error(const CallPtr& call, TransactionId id,
                                      TransactionError error) {
  for (Side side : {kCaller, kCallee}) {
    SessionTimer& timer = call->session_timers[side];
    if (timer.refresh_tx != id || id == 0) continue;
    timer.refresh_tx = 0;
    spdlog::info("call {}: session refresh toward the {} failed ({})", call->id, side_name(side),
                 to_string(error));
    expired(call->id, side);
    return true;
  }
  return false;
}

void SessionTimers::expired(uint64_t call_id, Side side) {
  CallPtr call = ctx_.calls.find(call_id);
  if (!call || call->state == CallState::kEnded) return;
  spdlog::info("call {}: the {}'s session expired without a refresh; hanging up", call_id,
               side_name(side));
  teardown_.fail_call(call, 200, CallResult::kSessionExpired);
}

}  // namespace sbc::cp
