#include "controlplane/b2bua/nat_keepalive.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <functional>

#include "controlplane/sip/builder.h"

namespace sbc::cp {

NatKeepalive::NatKeepalive(B2buaContext& ctx, CallSignalling& signalling)
    : ctx_(ctx), signalling_(signalling), timer_(ctx.scheduler, kTick, [this] { tick(); }) {}

void NatKeepalive::tick() {
  ++ticks_;
  const auto now = ctx_.scheduler.now();
  for (const Binding* b : ctx_.registrar.all(now)) {
    if (!b->nated || b->peer.zone >= ctx_.config.zones.size()) continue;
    const ZoneRegistration& zone = ctx_.config.zones[b->peer.zone].registration;
    if (zone.keepalive == NatKeepaliveMode::kNone) continue;
    const uint64_t slots = std::max<uint64_t>(1, zone.keepalive_interval / kTick);
    if (std::hash<std::string>{}(b->contact) % slots != ticks_ % slots) continue;
    if (zone.keepalive == NatKeepaliveMode::kCrlf) {
      ctx_.transport.send(b->peer, "\r\n\r\n");
      ctx_.metrics.nat_keepalive("sent");
    } else if (in_flight_.size() < kMaxInFlight) {
      send_options(*b);
    }
  }
  timer_ = Timer(ctx_.scheduler, kTick, [this] { tick(); });
}

void NatKeepalive::send_options(const Binding& binding) {
  sip::RequestSpec spec;
  spec.method = sip::Method::kOptions;
  spec.request_uri = binding.contact;
  signalling_.set_via(spec, binding.peer);
  spec.branch = ctx_.ids.branch();
  spec.from = fmt::format("<sip:keepalive@{}>", spec.via_host);
  spec.from_tag = ctx_.ids.tag();
  spec.to = fmt::format("<{}>", binding.contact);
  spec.call_id = ctx_.ids.call_id();
  spec.cseq = 1;
  auto id = ctx_.layer.send_request(binding.peer, sip::build_request(spec), 0);
  if (!id) return;  // the transaction table is full: the calls come first
  in_flight_.emplace(*id, Target{binding.user, binding.contact});
  ctx_.metrics.nat_keepalive("sent");
}

bool NatKeepalive::response(TransactionId id, const sip::Message& msg) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return false;
  // Any final response, even 405 or 481: the client is there and its pinhole open.
  if (msg.status_code() >= 200) in_flight_.erase(it);
  return true;
}

bool NatKeepalive::transaction_error(TransactionId id, TransactionError error) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return false;
  const Target target = std::move(it->second);
  in_flight_.erase(it);
  if (ctx_.registrar.remove_contact(target.user, target.contact)) {
    ctx_.metrics.nat_keepalive("unanswered");
    spdlog::info("keep-alive: {} at {} does not answer ({}); its binding is dropped", target.user,
                 target.contact, to_string(error));
  }
  return true;
}

}  // namespace sbc::cp
