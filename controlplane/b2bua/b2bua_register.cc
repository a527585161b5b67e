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
  std::string user;
  switch (auth.kind) {
    case AuthDecision::Kind::kChallenge:
      challenge(from, request, auth);
      security_.metrics().register_answered(auth.code);
      return;
    case AuthDecision::Kind::kAuthenticated: user = auth.user; break;
    case AuthDecision::Kind::kTrusted:
    case AuthDecision::Kind::kNotRequired: {
      // Registration without credentials (a trusted source, or a zone that does not
      // authenticate REGISTER): still only for configured users of this zone.
      const std::string_view to_user = request.to()->uri.user;
      const UserConfig* configured = config_.find_user(to_user);
      if (configured == nullptr || configured->zone != config_.zones[from.zone].name) {
        reject(from, request, 404, "Not Found (no such user)");
        security_.metrics().register_answered(404);
        return;
      }
      user = configured->name;
      break;
    }
  }
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
  if (result.code == 200 && auth.kind == AuthDecision::Kind::kAuthenticated) {
    // Its punts now use the dataplane's trusted budget while its binding lives, so a flood from
    // elsewhere cannot crowd out a registered phone's signalling. Only after a digest proved who
    // it is: an unauthenticated REGISTER is one spoofed packet away.
    const auto now = scheduler_.now();
    for (const Binding* binding : registrar_.lookup(user, now)) {
      if (binding->peer.remote.address() != from.remote.address()) continue;
      security_.trust(from.remote.address(),
                      std::chrono::duration_cast<std::chrono::seconds>(binding->expires - now));
      break;
    }
  }
  spdlog::debug("registrar: REGISTER {} from {}: {} ({} binding(s))", user,
                from.remote.address().to_string(), result.code, result.contacts.size());
}

}  // namespace sbc::cp
