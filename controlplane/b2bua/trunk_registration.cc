#include "controlplane/b2bua/trunk_registration.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "controlplane/security/digest_client.h"
#include "controlplane/sip/builder.h"

namespace sbc::cp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The first REGISTER of each trunk after a start or reload, staggered as the qualify pings are.
constexpr milliseconds kFirstRegister{700};
constexpr milliseconds kStagger{50};
// A zone without its SIP address yet (the dataplane has not said Hello) is asked again soon.
constexpr milliseconds kNotBound{1000};
// The longest a 503's Retry-After defers the next attempt.
constexpr seconds kMaxRetryAfter{3600};

std::optional<uint32_t> to_number(std::string_view text) {
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string_view to_string(RegistrationState state) {
  switch (state) {
    case RegistrationState::kOff: return "off";
    case RegistrationState::kRegistering: return "registering";
    case RegistrationState::kRegistered: return "registered";
    case RegistrationState::kFailed: return "failed";
  }
  return "unknown";
}

TrunkRegistration::TrunkRegistration(B2buaContext& ctx, CallSignalling& signalling)
    : ctx_(ctx), signalling_(signalling) {}

void TrunkRegistration::restart() {
  // A trunk the reload left as it was keeps its binding whole: its refresh time and a REGISTER
  // in flight (a reload neither makes every trunk register again nor loses an answer on its
  // way). Any other keeps its Call-ID, tag and CSeq: the REGISTER that follows at once refreshes
  // the same binding at the registrar (§10.2.4) rather than adding one.
  std::unordered_map<std::string, std::pair<Binding, TrunkConfig>> previous;
  for (size_t t = 0; t < bindings_.size() && t < known_.size(); ++t) {
    bindings_[t].next.cancel();
    previous.emplace(known_[t].name, std::make_pair(std::move(bindings_[t]), known_[t]));
  }
  std::unordered_map<TransactionId, size_t> pending;
  bindings_.clear();
  known_.clear();
  const auto now = ctx_.scheduler.now();
  for (size_t t = 0; t < ctx_.config.trunks.size(); ++t) {
    const TrunkConfig& trunk = ctx_.config.trunks[t];
    known_.push_back(trunk);
    auto it = previous.find(trunk.name);
    if (it != previous.end() && it->second.second == trunk && trunk.registration.enabled &&
        (it->second.first.pending || it->second.first.next_at > now)) {
      bindings_.push_back(std::move(it->second.first));
      Binding& kept = bindings_.back();
      ctx_.metrics.trunk_registered(trunk.name,
                                    kept.status.state == RegistrationState::kRegistered);
      if (kept.pending) {
        pending.emplace(*kept.pending, t);
      } else {
        schedule(t, std::chrono::ceil<milliseconds>(kept.next_at - now));
      }
      previous.erase(it);
      continue;
    }
    Binding binding;
    if (it != previous.end()) {
      binding.call_id = std::move(it->second.first.call_id);
      binding.from_tag = std::move(it->second.first.from_tag);
      binding.cseq = it->second.first.cseq;
      binding.status = it->second.first.status;
    }
    if (binding.call_id.empty()) {
      binding.call_id = ctx_.ids.call_id();
      binding.from_tag = ctx_.ids.tag();
    }
    binding.expires = static_cast<uint32_t>(trunk.registration.expires.count());
    if (!trunk.registration.enabled) binding.status = RegistrationStatus{};
    bindings_.push_back(std::move(binding));
    ctx_.metrics.trunk_registered(trunk.name,
                                  bindings_.back().status.state == RegistrationState::kRegistered);
    if (trunk.registration.enabled) {
      schedule(t, kFirstRegister + kStagger * static_cast<int>(t % 20));
    }
  }
  for (const auto& [id, trunk] : pending_) {
    if (!pending.contains(id)) ctx_.layer.abandon(id);
  }
  pending_ = std::move(pending);
}

const RegistrationStatus& TrunkRegistration::status(size_t trunk) const {
  return trunk < bindings_.size() ? bindings_[trunk].status : off_;
}

void TrunkRegistration::schedule(size_t trunk, milliseconds delay) {
  Binding& b = bindings_.at(trunk);
  b.next_at = ctx_.scheduler.now() + delay;
  b.next = Timer(ctx_.scheduler, delay, [this, trunk] { send(trunk, nullptr); });
}

void TrunkRegistration::send(size_t trunk, const sip::Message* challenge) {
  const TrunkConfig& config = ctx_.config.trunks.at(trunk);
  Binding& b = bindings_.at(trunk);
  const auto peer = ctx_.router.bound_trunk_peer(trunk, ctx_.scheduler.now());
  if (!peer) {
    schedule(trunk, kNotBound);
    return;
  }
  sip::RequestSpec spec;
  spec.method = sip::Method::kRegister;
  spec.request_uri = peer_uri({}, *peer);
  signalling_.set_via(spec, *peer);
  spec.branch = ctx_.ids.branch();
  const std::string domain = config.fromdomain.empty() ? config.host : config.fromdomain;
  spec.from = fmt::format("<sip:{}@{}>", config.username, domain);
  spec.from_tag = b.from_tag;
  spec.to = spec.from;
  spec.call_id = b.call_id;
  spec.cseq = ++b.cseq;
  b.contact_host = spec.via_host;  // our address toward the trunk
  b.target = target_of(*peer);
  spec.contact = signalling_.contact(*peer, false, config.username);
  spec.headers.emplace_back(sip::HeaderId::kExpires, fmt::format("{}", b.expires));
  if (challenge != nullptr) {
    auto answer = answer_challenge(*challenge, "REGISTER", spec.request_uri, config.username,
                                   config.secret, ctx_.ids.tag());
    if (!answer) {
      failed(
          trunk,
          fmt::format("{} not answered: {}", challenge->status_code(), to_string(answer.error())),
          std::nullopt);
      return;
    }
    if (b.auth_answers > 0 && !answer->stale) {
      failed(trunk, fmt::format("credentials refused ({})", challenge->status_code()),
             std::nullopt);
      return;
    }
    ++b.auth_answers;
    spec.headers.emplace_back(answer->header, std::move(answer->value));
  } else {
    b.auth_answers = 0;
  }
  auto id = ctx_.layer.send_request(*peer, sip::build_request(spec), 0);
  if (!id) {
    failed(trunk, fmt::format("not sent: {}", to_string(id.error())), std::nullopt);
    return;
  }
  pending_[*id] = trunk;
  b.pending = *id;
  if (b.status.state != RegistrationState::kRegistered) {
    b.status.state = RegistrationState::kRegistering;
  }
}

bool TrunkRegistration::response(TransactionId id, const sip::Message& msg) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  const int code = msg.status_code();
  if (code < 200) return true;
  const size_t trunk = it->second;
  pending_.erase(it);
  Binding& b = bindings_.at(trunk);
  b.pending.reset();
  if (code < 300) {
    registered(trunk, msg);
  } else if ((code == 401 || code == 407) && b.auth_answers < kMaxAnswers) {
    send(trunk, &msg);
  } else if (code == 401 || code == 407) {
    failed(trunk, fmt::format("credentials refused ({})", code), std::nullopt);
  } else if (auto min = msg.header(sip::HeaderId::kMinExpires); code == 423 && !min.empty()) {
    // Interval Too Brief (§10.3 step 6): ask again with the registrar's minimum.
    const auto minimum = to_number(min);
    if (!minimum || *minimum <= b.expires) {
      failed(trunk, fmt::format("423 with Min-Expires {:?}", std::string(min)), std::nullopt);
      return true;
    }
    b.expires = *minimum;
    send(trunk, nullptr);
  } else {
    std::optional<seconds> retry_after;
    const auto retry = msg.retry_after().value_or(std::nullopt);  // a malformed one: none
    if (code == 503 && retry) retry_after = std::min(seconds(retry->seconds), kMaxRetryAfter);
    std::string reason = fmt::format("{} {}", code, msg.reason_phrase());
    if (code == 503) {
      server_failed(trunk, std::move(reason), retry_after);
    } else {
      failed(trunk, std::move(reason), retry_after);
    }
  }
  return true;
}

bool TrunkRegistration::transaction_error(TransactionId id, TransactionError error) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  const size_t trunk = it->second;
  pending_.erase(it);
  bindings_.at(trunk).pending.reset();
  server_failed(trunk, error == TransactionError::kTimeout ? "timeout" : "transport error",
                std::nullopt);
  return true;
}

void TrunkRegistration::server_failed(size_t trunk, std::string reason,
                                      std::optional<seconds> retry_after) {
  const auto now = ctx_.scheduler.now();
  Binding& b = bindings_.at(trunk);
  if (ctx_.router.hold_target(trunk, b.target, retry_after, now) &&
      ctx_.router.targets().next(trunk, {}, now)) {
    spdlog::info("trunk {}: registration failed at {} ({}); trying the next server",
                 ctx_.config.trunks.at(trunk).name, describe(b.target), reason);
    b.status.last_failure = std::move(reason);
    b.status.last_failure_at = ctx_.scheduler.wall_now();
    send(trunk, nullptr);
    return;
  }
  failed(trunk, std::move(reason), retry_after);
}

uint32_t TrunkRegistration::granted(size_t trunk, const sip::Message& msg) const {
  const Binding& binding = bindings_.at(trunk);
  if (auto contacts = msg.contacts()) {
    for (const sip::NameAddr& contact : contacts->entries) {
      const sip::Param* expires = contact.param("expires");
      if (contact.uri.user != ctx_.config.trunks.at(trunk).username ||
          contact.uri.host != binding.contact_host || expires == nullptr) {
        continue;
      }
      if (auto value = to_number(expires->value)) return *value;
    }
  }
  if (const auto expires = msg.expires().value_or(std::nullopt)) return *expires;
  return binding.expires;
}

void TrunkRegistration::registered(size_t trunk, const sip::Message& msg) {
  const TrunkConfig& config = ctx_.config.trunks.at(trunk);
  Binding& b = bindings_.at(trunk);
  const uint32_t granted_s = granted(trunk, msg);
  if (granted_s == 0) {
    failed(trunk, "the registrar granted no time (expires 0)", std::nullopt);
    return;
  }
  if (b.status.state != RegistrationState::kRegistered) {
    spdlog::info("trunk {}: registered for {} s", config.name, granted_s);
  }
  b.status.state = RegistrationState::kRegistered;
  b.status.granted_s = granted_s;
  b.status.expires_at = ctx_.scheduler.wall_now() + seconds(granted_s);
  b.status.failures_in_row = 0;
  ctx_.metrics.trunk_registered(config.name, true);
  // Refreshed at 90 % of the expiry, so a lost refresh still has retransmissions' time.
  schedule(trunk, milliseconds(uint64_t{granted_s} * 900));
}

void TrunkRegistration::failed(size_t trunk, std::string reason,
                               std::optional<seconds> retry_after) {
  const TrunkConfig& config = ctx_.config.trunks.at(trunk);
  Binding& b = bindings_.at(trunk);
  RegistrationStatus& s = b.status;
  ++s.failures_in_row;
  const uint32_t doublings = std::min<uint32_t>(s.failures_in_row - 1, 5);
  const seconds backoff =
      retry_after.value_or(std::min(kFirstRetry * (1U << doublings), kMaxRetry));
  spdlog::warn("trunk {}: registration failed ({}); again in {} s", config.name, reason,
               backoff.count());
  s.state = RegistrationState::kFailed;
  s.last_failure = std::move(reason);
  s.last_failure_at = ctx_.scheduler.wall_now();
  ctx_.metrics.trunk_registered(config.name, false);
  schedule(trunk, backoff);
}

}  // namespace sbc::cp
