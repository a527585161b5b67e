#include "controlplane/b2bua/register_handler.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "controlplane/sip/builder.h"

namespace sbc::cp {

void RegisterHandler::handle_register(const SipPeer& from, const sip::Message& request) {
  if (ctx_.trunk_zones[from.zone]) {
    // Carriers do not register to us: this zone has no registrar.
    ctx_.responder.reject(from, request, 403, "Forbidden (no registrar on a trunk zone)");
    return;
  }
  if (!ctx_.config.zones[from.zone].registration.relay_trunk.empty()) {
    relay_.handle_register(from, request);
    return;
  }
  const AuthDecision auth = ctx_.security.authenticate(from, request);
  const std::optional<std::string> registering = registering_user(from, request, auth);
  if (!registering) return;
  const std::string& user = *registering;
  const RegisterResult result = ctx_.registrar.on_register(
      user, from, request, ctx_.scheduler.now(), ctx_.scheduler.wall_now());
  answer_register(ctx_, from, request, result);
  // Only after a digest proved who it is: an unauthenticated REGISTER is one spoofed packet away.
  if (result.code == 200 && auth.kind == AuthDecision::Kind::kAuthenticated) {
    trust_registered(ctx_, user, from);
  }
  spdlog::debug("registrar: REGISTER {} from {}: {} ({} binding(s))", user,
                from.remote.address().to_string(), result.code, result.contacts.size());
}

std::optional<std::string> RegisterHandler::registering_user(const SipPeer& from,
                                                             const sip::Message& request,
                                                             const AuthDecision& auth) {
  switch (auth.kind) {
    case AuthDecision::Kind::kChallenge:
      ctx_.responder.challenge(from, request, auth);
      ctx_.security.metrics().register_answered(auth.code);
      return std::nullopt;
    case AuthDecision::Kind::kAuthenticated: return auth.user;
    case AuthDecision::Kind::kTrusted:
    case AuthDecision::Kind::kNotRequired: break;
  }
  // Registration without credentials (a trusted source, or a zone that does not authenticate
  // REGISTER): still only for configured users of this zone.
  const UserConfig* configured = ctx_.config.find_user(request.to()->uri.user);
  if (configured == nullptr || configured->zone != ctx_.config.zones[from.zone].name) {
    ctx_.responder.reject(from, request, 404, "Not Found (no such user)");
    ctx_.security.metrics().register_answered(404);
    return std::nullopt;
  }
  return configured->name;
}

void answer_register(const B2buaContext& ctx, const SipPeer& from, const sip::Message& request,
                     const RegisterResult& result) {
  auto response = sip::make_response(
      request, result.code, result.reason,
      request.to() && request.to()->tag().empty() ? ctx.ids.tag() : std::string());
  for (const std::string& contact : result.contacts) response.add(sip::HeaderId::kContact, contact);
  if (result.min_expires) {
    response.add(sip::HeaderId::kMinExpires, fmt::format("{}", *result.min_expires));
  }
  ctx.layer.respond(from.zone, request, std::move(response));
  ctx.security.metrics().register_answered(result.code);
  ctx.security.metrics().registrations_active(ctx.registrar.size());
}

void trust_registered(const B2buaContext& ctx, std::string_view user, const SipPeer& from) {
  const auto now = ctx.scheduler.now();
  for (const Binding* binding : ctx.registrar.lookup(user, now)) {
    if (binding->peer.remote.address() != from.remote.address()) continue;
    ctx.security.trust(from.remote.address(),
                       std::chrono::duration_cast<std::chrono::seconds>(binding->expires - now));
    return;
  }
}

}  // namespace sbc::cp
