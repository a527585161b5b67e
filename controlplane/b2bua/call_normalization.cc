#include "controlplane/b2bua/call_normalization.h"

#include "controlplane/sip/name_addr.h"

namespace sbc::cp {

NormalizationPolicy caller_normalization(const B2buaContext& ctx, const SipPeer& from) {
  NormalizationPolicy policy = ctx.config.zones[from.zone].normalize;
  if (ctx.trunk_zones[from.zone]) {
    if (auto trunk = ctx.router.trunk_of(from.zone, from.remote.address())) {
      policy = ctx.config.trunks[*trunk].normalize.over(policy);
    }
  }
  return policy;
}

NormalizationPolicy callee_normalization(const B2buaContext& ctx, const Route& route) {
  NormalizationPolicy policy = ctx.config.zones[route.peer.zone].normalize;
  if (route.kind == RouteKind::kTrunk && route.trunk) {
    policy = ctx.config.trunks[*route.trunk].normalize.over(policy);
  }
  return policy;
}

NamedHeaders address_callee(const B2buaContext& ctx, Call& call, const Route& route) {
  const NormalizationPolicy policy = callee_normalization(ctx, route);
  const auto headers =
      call.caller_invite ? call.caller_invite->headers() : std::span<const sip::HeaderField>{};
  CallerIdentity identity = call.identity;
  if (!route.called_user.empty()) identity.called = route.called_user;  // a DID's extension
  CalleeIdentity out = write_callee_identity(policy, identity, headers, route.from_host);
  Leg& b = call.legs[kCallee];
  // A trunk's fromuser is an account, not the caller: it stays under privacy too.
  b.local_party = out.anonymous && route.from_user.empty()
                      ? sip::format_name_addr(out.display, kAnonymousUri)
                      : sip::format_name_addr(out.display, route.from_uri(out.calling));
  b.remote_party = sip::format_name_addr("", route.to_uri(out.called));
  b.remote_target = route.request_uri(out.request_user);
  b.user_agent = policy.user_agent;
  return std::move(out.headers);
}

}  // namespace sbc::cp
