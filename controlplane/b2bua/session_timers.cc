#include "controlplane/b2bua/session_timers.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/sip/header_values.h"

namespace sbc::cp {
namespace {

using sip::Method;
using Refresher = sip::SessionExpires::Refresher;

std::string_view side_name(Side side) {
  return side == kCaller ? "caller" : "callee";
}

std::optional<sip::SessionExpires> session_expires(const sip::Message& msg) {
  const std::string_view value = msg.header(sip::HeaderId::kSessionExpires);
  if (value.empty()) return std::nullopt;
  auto parsed = sip::parse_session_expires(value);
  if (!parsed || parsed->delta == 0) return std::nullopt;
  return *parsed;
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
    const auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(32), interval / 3);
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
      // 491, 500 with Retry-After...: try again shortly, well before the session expires.
      timer.timer = Timer(ctx_.scheduler, std::chrono::seconds(std::min(timer.interval_s / 8, 10u)),
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
