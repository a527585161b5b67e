#include "controlplane/b2bua/trunk_dns.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sbc::cp {
namespace {

using std::chrono::milliseconds;

std::vector<Transport> usable_transports(const B2buaContext& ctx, const TrunkConfig& trunk) {
  std::vector<Transport> usable;
  auto zone = std::ranges::find(ctx.config.zones, trunk.zone, &ZoneConfig::name);
  if (zone == ctx.config.zones.end()) return usable;
  for (const auto& listener : zone->listeners) {
    if (std::ranges::find(usable, listener.transport) == usable.end()) {
      usable.push_back(listener.transport);
    }
  }
  return usable;
}

}  // namespace

TrunkDns::TrunkDns(B2buaContext& ctx, DnsClient* dns) : ctx_(ctx), dns_(dns) {
  if (dns_ != nullptr) locator_ = std::make_unique<SipLocator>(*dns_, random_);
}

void TrunkDns::restart() {
  ++generation_;
  next_.clear();
  next_.resize(ctx_.config.trunks.size());
  const TrunkTargets& targets = ctx_.router.targets();
  const auto now = ctx_.scheduler.now();
  for (size_t t = 0; t < ctx_.config.trunks.size(); ++t) {
    publish(t);
    if (!targets.by_name(t)) continue;
    const auto& state = targets.at(t);
    if (state.targets.empty() || state.expires <= now) {
      locate(t);
    } else {
      schedule(t, std::chrono::ceil<milliseconds>(state.expires - now));
    }
  }
}

void TrunkDns::schedule(size_t trunk, milliseconds delay) {
  next_.at(trunk) = Timer(ctx_.scheduler, delay, [this, trunk] { locate(trunk); });
}

void TrunkDns::locate(size_t trunk) {
  const TrunkConfig& config = ctx_.config.trunks.at(trunk);
  if (!locator_) {
    ctx_.router.targets().failed(trunk, "no DNS resolver", ctx_.scheduler.now());
    ctx_.metrics.trunk_dns_failed(config.name);
    return;
  }
  SipLocation where{config.host, std::nullopt, std::nullopt, usable_transports(ctx_, config)};
  if (config.port_set) where.port = config.port;
  if (config.transport_set) where.transport = config.transport;
  locator_->locate(std::move(where), [self = std::weak_ptr<TrunkDns*>(self_), trunk,
                                      generation = generation_](SipLocator::Result result) {
    if (const auto alive = self.lock()) (*alive)->located(trunk, generation, std::move(result));
  });
}

void TrunkDns::located(size_t trunk, uint64_t generation, SipLocator::Result result) {
  if (generation != generation_ || trunk >= ctx_.config.trunks.size()) return;  // a reload since
  TrunkTargets& targets = ctx_.router.targets();
  const TrunkConfig& config = ctx_.config.trunks[trunk];
  const auto now = ctx_.scheduler.now();
  if (result) {
    const bool changed = result->targets != targets.targets(trunk);
    targets.resolved(trunk, std::move(*result), now);
    if (changed) {
      const SipTarget& first = targets.targets(trunk).front();
      spdlog::info("trunk {}: {} is at {}:{}/{} ({} target(s))", config.name, config.host,
                   first.endpoint.address().to_string(), first.endpoint.port(),
                   to_string(first.transport), targets.targets(trunk).size());
    }
    publish(trunk);
    schedule(trunk, std::chrono::ceil<milliseconds>(targets.at(trunk).expires - now));
    return;
  }
  const bool had = !targets.targets(trunk).empty();
  targets.failed(trunk, std::move(result.error()), now);
  ctx_.metrics.trunk_dns_failed(config.name);
  const auto& state = targets.at(trunk);
  spdlog::warn("trunk {}: {} not resolved: {}{}", config.name, config.host, state.error,
               state.targets.empty() ? "" : " (its last targets stay in use)");
  if (had && state.targets.empty()) publish(trunk);
  const auto backoff = std::min<std::chrono::seconds>(
      kMaxRetry, kFirstRetry * (1U << std::min(state.failures - 1, 6U)));
  schedule(trunk, backoff);
}

void TrunkDns::publish(size_t trunk) {
  ctx_.router.targets_changed(trunk);
  const TrunkConfig& config = ctx_.config.trunks[trunk];
  ctx_.metrics.trunk_targets(config.name, ctx_.router.targets().targets(trunk).size());
  if (ctx_.router.targets().by_name(trunk) && config.allow.empty()) {
    ctx_.security.set_trunk_sources(config.name, ctx_.router.targets().addresses(trunk));
  }
}

}  // namespace sbc::cp
