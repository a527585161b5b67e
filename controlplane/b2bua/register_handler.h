// REGISTER on an access zone: digest authentication (401 flow), then the registrar; a
// digest-proven binding lends its source the dataplane's trusted budget. Calls from the trunk
// side reach a registered user through the Router. A zone with `register_relay` hands its
// REGISTERs to the RegisterRelay instead.
#pragma once

#include <optional>
#include <string>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/register_relay.h"

namespace sbc::cp {

// Answers a REGISTER with `result`: its code, the bindings as Contacts, a 423's Min-Expires;
// counted in the REGISTER metrics.
void answer_register(const B2buaContext& ctx, const SipPeer& from, const sip::Message& request,
                     const RegisterResult& result);
// A digest-proven binding of `user` from `from` lends its source address the dataplane's trusted
// budget while it lives, so a flood from elsewhere cannot crowd out a registered phone.
void trust_registered(const B2buaContext& ctx, std::string_view user, const SipPeer& from);

class RegisterHandler {
 public:
  RegisterHandler(const B2buaContext& ctx, RegisterRelay& relay) : ctx_(ctx), relay_(relay) {}

  void handle_register(const SipPeer& from, const sip::Message& request);

 private:
  // The user a REGISTER binds after `auth`; nullopt when it has been answered (challenged or
  // refused).
  std::optional<std::string> registering_user(const SipPeer& from, const sip::Message& request,
                                              const AuthDecision& auth);

  const B2buaContext& ctx_;
  RegisterRelay& relay_;
};

}  // namespace sbc::cp
