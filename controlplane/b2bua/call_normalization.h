// Normalisation on a call's two sides (normalize/): the caller's numbers and identity read under
// its side's policy when the INVITE arrives, and written under the callee side's into our
// INVITE: the Request-URI, To and From, P-Asserted-Identity and Privacy, the headers passed and
// added, and what the SBC calls itself on each leg (User-Agent, Server). The call setup uses it
// for the first trunk, failover for each next one (whose rules may differ).
#pragma once

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call.h"
#include "controlplane/normalize/caller_identity.h"
#include "controlplane/routing/router.h"

namespace sbc::cp {

// The caller's side: its zone's policy, under the trunk's own when it came from a trunk.
[[nodiscard]] NormalizationPolicy caller_normalization(const B2buaContext& ctx,
                                                       const SipPeer& from);
// The callee's side of `route`: its zone's policy, under the trunk's when it goes to one.
[[nodiscard]] NormalizationPolicy callee_normalization(const B2buaContext& ctx, const Route& route);

// Addresses the callee leg of `call` for `route` from the caller's identity (call.identity) and
// INVITE: its From, To, Request-URI and user agent. The headers our INVITE to it carries.
NamedHeaders address_callee(const B2buaContext& ctx, Call& call, const Route& route);

}  // namespace sbc::cp
