// REGISTER on an access zone: digest authentication (401 flow), then the registrar. Calls from the
// trunk side reach a registered user at the address its REGISTER came from (b2bua.cc, new_call).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.h"
#include "controlplane/b2bua/b2bua_internal.h"

namespace sbc::cp {

void B2bua::handle_register(const SipPeer& from, const sip::Message& request) {
  if (trunk_zones_[from.zone]) {
    // Carriers do not register to us: this zone has no registrar.
    reject(from, request, 403, "Forbidden (no registrar on a trunk zone)");
    return;
  }
  const AuthDecision auth = security_.authenticate(from, request);
  const std::optional<std::string> registering = registering_user(from, request, auth);
  if (!registering) return;
  const std::string& user = *registering;
  const RegisterResult result =
      registrar_.on_register(user, from, request, scheduler_.now(), scheduler_.wall_now());
  auto response = sip::make_response(request, result.code, result.reason,
                                     request.to()->tag().empty() ? ids_.tag() : std::string());
  for (const std::string& contact : result.contacts) response.add(sip::HeaderId::kContact, contact);
  if (result.min_expires) {
    response.add(sip::HeaderId::kMinExpires, fmt::format("{}", *result.min_expires));
  }
  layer_.respond(from.zone, request, std::move(response));
  security_.metrics().register_answered(result.code);
  security_.metrics().registrations_active(registrar_.size());
  // Only after a digest proved who it is: an unauthenticated REGISTER is one spoofed packet away.
  if (result.code == 200 && auth.kind == AuthDecision::Kind::kAuthenticated) {
    trust_registered(user, from);
  }
  spdlog::debug("registrar: REGISTER {} from {}: {} ({} binding(s))", user,
                from.remote.address().to_string(), result.code, result.contacts.size());
}

std::optional<std::string> B2bua::registering_user(const SipPeer& from, const sip::Message& request,
                                                   const AuthDecision& auth) {
  switch (auth.kind) {
    case AuthDecision::Kind::kChallenge:
      challenge(from, request, auth);
      security_.metrics().register_answered(auth.code);
      return std::nullopt;
    case AuthDecision::Kind::kAuthenticated: return auth.user;
    case AuthDecision::Kind::kTrusted:
    case AuthDecision::Kind::kNotRequired: break;
  }
  // Registration without credentials (a trusted source, or a zone that does not authenticate
  // REGISTER): still only for configured users of this zone.
  const UserConfig* configured = config_.find_user(request.to()->uri.user);
  if (configured == nullptr || configured->zone != config_.zones[from.zone].name) {
    reject(from, request, 404, "Not Found (no such user)");
    security_.metrics().register_answered(404);
    return std::nullopt;
  }
  return configured->name;
}

// Its punts use the dataplane's trusted budget while its binding lives, so a flood from elsewhere
// cannot crowd out a registered phone's signalling.
void B2bua::trust_registered(const std::string& user, const SipPeer& from) {
  const auto now = scheduler_.now();
  for (const Binding* binding : registrar_.lookup(user, now)) {
    if (binding->peer.remote.address() != from.remote.address()) continue;
    security_.trust(from.remote.address(),
                    std::chrono::duration_cast<std::chrono::seconds>(binding->expires - now));
    return;
  }
}

}  // namespace sbc::cp
