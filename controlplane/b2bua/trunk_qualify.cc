#include "controlplane/b2bua/trunk_qualify.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "controlplane/sip/builder.h"

namespace sbc::cp {
namespace {

using std::chrono::milliseconds;

// The first ping of each trunk after a start or reload, staggered so many trunks do not ping in
// one burst.
constexpr milliseconds kFirstPing{500};
constexpr milliseconds kStagger{50};

}  // namespace

TrunkQualify::TrunkQualify(B2buaContext& ctx, CallSignalling& signalling)
    : ctx_(ctx), signalling_(signalling) {}

void TrunkQualify::restart() {
  for (const auto& [id, pending] : pending_) ctx_.layer.abandon(id);
  pending_.clear();
  next_.clear();
  next_.resize(ctx_.config.trunks.size());
  std::vector<std::string> names;
  for (size_t t = 0; t < ctx_.config.trunks.size(); ++t)
    names.push_back(ctx_.config.trunks[t].name);
  ctx_.metrics.trunks_configured(names);
  for (size_t t = 0; t < ctx_.config.trunks.size(); ++t) {
    ctx_.metrics.trunk_available(names[t], ctx_.router.health().available(t));
    if (ctx_.config.trunks[t].qualify.enabled()) {
      schedule(t, kFirstPing + kStagger * static_cast<int>(t % 20));
    }
  }
}

void TrunkQualify::schedule(size_t trunk, milliseconds delay) {
  next_.at(trunk) = Timer(ctx_.scheduler, delay, [this, trunk] { ping(trunk); });
}

void TrunkQualify::ping(size_t trunk) {
  const TrunkConfig& config = ctx_.config.trunks.at(trunk);
  schedule(trunk, config.qualify.interval);
  // Its zone has no SIP address or listener yet (the dataplane has not said Hello): not the
  // carrier's failure; the next round tries again.
  const auto peer = ctx_.router.bound_trunk_peer(trunk, ctx_.scheduler.now());
  if (!peer) return;
  sip::RequestSpec spec;
  spec.method = sip::Method::kOptions;
  spec.request_uri = peer_uri({}, *peer);
  signalling_.set_via(spec, *peer);
  spec.branch = ctx_.ids.branch();
  const std::string& from_host = config.fromdomain.empty() ? spec.via_host : config.fromdomain;
  spec.from =
      fmt::format("<sip:{}@{}>", config.fromuser.empty() ? "sbc" : config.fromuser, from_host);
  spec.from_tag = ctx_.ids.tag();
  spec.to = fmt::format("<{}>", spec.request_uri);
  spec.call_id = ctx_.ids.call_id(spec.via_host);
  spec.cseq = 1;
  spec.contact = signalling_.contact(*peer);
  spec.headers.emplace_back(sip::HeaderId::kAccept, "application/sdp");
  auto id = ctx_.layer.send_request(*peer, sip::build_request(spec), 0);
  if (!id) {
    failed(trunk, fmt::format("not sent: {}", to_string(id.error())));
    return;
  }
  const TransactionId tx = *id;
  pending_[tx] =
      Pending{trunk, ctx_.scheduler.now(),
              Timer(ctx_.scheduler, config.qualify.timeout, [this, tx] { timed_out(tx); })};
}

std::optional<std::pair<size_t, Scheduler::Clock::time_point>> TrunkQualify::take(
    TransactionId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  auto ping = std::pair(it->second.trunk, it->second.sent);
  pending_.erase(it);  // its timeout Timer goes too (safe from inside that Timer's callback)
  return ping;
}

bool TrunkQualify::response(TransactionId id, const sip::Message& msg) {
  if (!pending_.contains(id)) return false;
  const int code = msg.status_code();
  if (code < 200) return true;  // a 100 Trying: the answer is still to come
  const auto [trunk, sent] = *take(id);
  if (code == 408 || (code >= 500 && code < 600)) {
    failed(trunk, fmt::format("{} {}", code, msg.reason_phrase()));
  } else {
    answered(trunk, std::chrono::duration_cast<milliseconds>(ctx_.scheduler.now() - sent));
  }
  return true;
}

bool TrunkQualify::transaction_error(TransactionId id, TransactionError error) {
  const auto ping = take(id);
  if (!ping) return false;
  failed(ping->first, error == TransactionError::kTimeout ? "timeout" : "transport error");
  return true;
}

void TrunkQualify::timed_out(TransactionId id) {
  const auto ping = take(id);
  if (!ping) return;
  ctx_.layer.abandon(id);
  failed(ping->first, fmt::format("timeout ({} ms)",
                                  ctx_.config.trunks.at(ping->first).qualify.timeout.count()));
}

void TrunkQualify::answered(size_t trunk, milliseconds latency) {
  TrunkHealth& health = ctx_.router.health();
  health.answered(trunk, latency, ctx_.scheduler.wall_now());
  ctx_.metrics.trunk_qualified(ctx_.config.trunks.at(trunk).name, health.available(trunk),
                               std::chrono::duration<double>(latency).count());
}

void TrunkQualify::failed(size_t trunk, std::string reason) {
  TrunkHealth& health = ctx_.router.health();
  spdlog::debug("trunk {}: ping failed ({})", ctx_.config.trunks.at(trunk).name, reason);
  health.failed(trunk, std::move(reason), ctx_.scheduler.wall_now());
  ctx_.metrics.trunk_qualified(ctx_.config.trunks.at(trunk).name, health.available(trunk),
                               std::nullopt);
}

}  // namespace sbc::cp
