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

class RegisterHandler {
 public:
  RegisterHandler(const B2buaContext& ctx, RegisterRelay& relay) : ctx_(ctx), relay_(relay) {}

  void handle_register(const SipPeer& from, const sip::Message& request);

 private:
  // The user a REGISTER binds after `auth`; nullopt when it has been answered (challenged or
  // refused).
  std::optional<std::string> registering_user(const SipPeer& from, const sip::Message& request,
                                              const AuthDecision& auth);
  // A user's digest-proven binding from `from` lends its address the trusted budget.
  void trust_registered(const std::string& user, const SipPeer& from);

  const B2buaContext& ctx_;
  RegisterRelay& relay_;
};

}  // namespace sbc::cp
