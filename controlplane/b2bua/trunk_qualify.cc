#include "controlplane/b2bua/trunk_qualify.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/routing/sip_locator.h"
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
  rounds_.assign(ctx_.config.trunks.size(), Round{});
  std::vector<std::string> names;
  for (size_t t = 0; t < ctx_.config.trunks.size(); ++t)
    names.push_back(ctx_.config.trunks[t].name);
  ctx_.metrics.trunks_configured(names);
  for (size_t t = 0; t < ctx_.config.trunks.size(); ++t) {
    ctx_.metrics.trunk_available(names[t], ctx_.router.health().available(t));
    if (ctx_.config.trunks[t].qualify.enabled()) {
      schedule(t, kFirstPing + kStagger * static_cast<int>(t % 20));
    } else {
      ctx_.router.targets().unqualified(t);  // no ping will ever bring a down server back
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
  // carrier's failure; the next round tries again. A name not resolved yet has no target.
  const size_t targets =
      std::min(ctx_.router.targets().targets(trunk).size(), SipLocator::kMaxTargets);
  std::vector<std::pair<size_t, SipPeer>> peers;
  for (size_t i = 0; i < targets; ++i) {
    if (auto peer = ctx_.router.bound_target_peer(trunk, i))
      peers.emplace_back(i, std::move(*peer));
  }
  if (peers.empty()) return;
  // The interval is longer than the timeout (config_qualify.cc): the last round is over.
  Round& round = rounds_.at(trunk);
  round = Round{};
  round.outstanding = peers.size();
  round.several = targets > 1;
  for (const auto& [index, peer] : peers) ping_target(trunk, index, peer);
}

void TrunkQualify::ping_target(size_t trunk, size_t index, const SipPeer& peer) {
  const TrunkConfig& config = ctx_.config.trunks.at(trunk);
  sip::RequestSpec spec;
  spec.method = sip::Method::kOptions;
  spec.request_uri = peer_uri({}, peer);
  signalling_.set_via(spec, peer);
  spec.branch = ctx_.ids.branch();
  const std::string& from_host = config.fromdomain.empty() ? spec.via_host : config.fromdomain;
  spec.from =
      fmt::format("<sip:{}@{}>", config.fromuser.empty() ? "sbc" : config.fromuser, from_host);
  spec.from_tag = ctx_.ids.tag();
  spec.to = fmt::format("<{}>", spec.request_uri);
  spec.call_id = ctx_.ids.call_id(spec.via_host);
  spec.cseq = 1;
  spec.contact = signalling_.contact(peer);
  spec.headers.emplace_back(sip::HeaderId::kAccept, "application/sdp");
  auto id = ctx_.layer.send_request(peer, sip::build_request(spec), 0);
  if (!id) {
    verdict(trunk, index, target_of(peer), std::nullopt,
            fmt::format("not sent: {}", to_string(id.error())));
    return;
  }
  const TransactionId tx = *id;
  pending_[tx] =
      Pending{trunk, index, target_of(peer), ctx_.scheduler.now(),
              Timer(ctx_.scheduler, config.qualify.timeout, [this, tx] { timed_out(tx); })};
}

std::optional<TrunkQualify::Pending> TrunkQualify::take(TransactionId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  Pending ping = std::move(it->second);
  pending_.erase(it);
  // Its timeout Timer goes with `ping` (safe from inside that Timer's callback: it only stops).
  return ping;
}

bool TrunkQualify::response(TransactionId id, const sip::Message& msg) {
  if (!pending_.contains(id)) return false;
  const int code = msg.status_code();
  if (code < 200) return true;  // a 100 Trying: the answer is still to come
  const auto ping = take(id);
  if (!ping) return true;
  if (code == 408 || (code >= 500 && code < 600)) {
    verdict(ping->trunk, ping->index, ping->target, std::nullopt,
            fmt::format("{} {}", code, msg.reason_phrase()));
  } else {
    verdict(ping->trunk, ping->index, ping->target,
            std::chrono::duration_cast<milliseconds>(ctx_.scheduler.now() - ping->sent), {});
  }
  return true;
}

bool TrunkQualify::transaction_error(TransactionId id, TransactionError error) {
  const auto ping = take(id);
  if (!ping) return false;
  verdict(ping->trunk, ping->index, ping->target, std::nullopt,
          error == TransactionError::kTimeout ? "timeout" : "transport error");
  return true;
}

void TrunkQualify::timed_out(TransactionId id) {
  const auto ping = take(id);
  if (!ping) return;
  ctx_.layer.abandon(id);
  verdict(
      ping->trunk, ping->index, ping->target, std::nullopt,
      fmt::format("timeout ({} ms)", ctx_.config.trunks.at(ping->trunk).qualify.timeout.count()));
}

void TrunkQualify::verdict(size_t trunk, size_t index, const SipTarget& target,
                           std::optional<milliseconds> latency, std::string failure) {
  Round& round = rounds_.at(trunk);
  if (ctx_.router.targets().qualified(trunk, target, latency.has_value()) && round.several) {
    spdlog::info("trunk {}: server {} {}", ctx_.config.trunks.at(trunk).name, describe(target),
                 latency ? "answers again" : fmt::format("is down ({})", failure));
  }
  if (latency && (!round.first_answer || index < round.first_answer->first)) {
    round.first_answer = std::pair(index, *latency);
  }
  if (!latency) {
    round.failure =
        round.several ? fmt::format("{}: {}", describe(target), failure) : std::move(failure);
  }
  if (round.outstanding == 0 || --round.outstanding != 0) return;
  if (round.first_answer) {
    answered(trunk, round.first_answer->second);
  } else {
    failed(trunk, std::move(round.failure));
  }
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
