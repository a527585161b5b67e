#include "controlplane/routing/router.h"

#include <fmt/core.h>

namespace sbc::cp {
namespace {

RouteRefusal refusal(RouteError error) {
  switch (error) {
    case RouteError::kNoTrunk: return {error, 503, "Service Unavailable (no trunk)"};
    case RouteError::kTrunksDown: return {error, 503, "Service Unavailable (all trunks down)"};
    case RouteError::kNoTarget:
      return {error, 404, "Not Found (not registered, no default_target)"};
    case RouteError::kNotBound: return {error, 503, "Service Unavailable (SIP not bound yet)"};
  }
  return {error, 500, "Server Internal Error"};
}

}  // namespace

std::string_view to_string(RouteKind kind) {
  switch (kind) {
    case RouteKind::kTrunk: return "trunk";
    case RouteKind::kRegisteredUser: return "registered_user";
    case RouteKind::kDefaultTarget: return "default_target";
  }
  return "unknown";
}

std::string_view to_string(RouteError error) {
  switch (error) {
    case RouteError::kNoTrunk: return "no_trunk";
    case RouteError::kTrunksDown: return "trunks_down";
    case RouteError::kNoTarget: return "no_target";
    case RouteError::kNotBound: return "not_bound";
  }
  return "unknown";
}

std::string peer_uri(std::string_view user, const SipPeer& peer) {
  std::string uri = user.empty()
                        ? fmt::format("sip:{}", peer.remote.address().to_string())
                        : fmt::format("sip:{}@{}", user, peer.remote.address().to_string());
  if (peer.remote.port() != 5060) uri += fmt::format(":{}", peer.remote.port());
  if (peer.transport != Transport::kUdp) {
    uri += fmt::format(";transport={}", to_string(peer.transport));
  }
  return uri;
}

std::string Route::request_uri(std::string_view user) const {
  return contact.empty() ? peer_uri(user, peer) : contact;
}

std::string Route::to_uri(std::string_view user) const {
  return fmt::format("sip:{}@{}", user, to_host);
}

std::string Route::from_uri() const {
  return fmt::format("sip:{}@{}", from_user, from_host);
}

Router::Router(const std::vector<ZoneConfig>& zones, const std::vector<TrunkConfig>& trunks,
               const Registrar& registrar, const SipTransport& transport)
    : zone_configs_(zones),
      trunk_configs_(trunks),
      registrar_(registrar),
      transport_(transport),
      health_(trunks) {
  reconfigure();
}

void Router::set_zone_address(size_t zone, const boost::asio::ip::address& address) {
  zones_.at(zone).address = address;
}

std::string Router::zone_host(size_t zone) const {
  const auto& address = zones_.at(zone).address;
  return address ? address->to_string() : std::string();
}

void Router::reconfigure() {
  for (size_t i = 0; i < zone_configs_.size(); ++i) {
    const ZoneConfig& z = zone_configs_[i];
    if (i == zones_.size()) zones_.push_back(Zone{{}, is_trunk_zone(trunk_configs_, z.name)});
    Zone& zone = zones_[i];
    // A retired zone keeps serving its calls as what it was.
    if (!z.retired) zone.trunk = is_trunk_zone(trunk_configs_, z.name);
    // The listener fields never change at runtime (plan_reload); an address learned from the
    // dataplane stays.
    if (z.sip_address) zone.address = z.sip_address;
  }
  trunks_ = TrunkSources(zone_configs_, trunk_configs_);
  health_.reconfigure();
}

std::optional<SipPeer> Router::trunk_peer(size_t trunk) const {
  if (trunk >= trunk_configs_.size()) return std::nullopt;
  const TrunkConfig& t = trunk_configs_[trunk];
  const auto zone = zone_index(t.zone);
  if (!zone) return std::nullopt;
  SipPeer peer;
  peer.zone = *zone;
  peer.transport = t.transport;
  peer.remote = Endpoint(t.host, t.port);
  return peer;
}

std::optional<size_t> Router::zone_index(std::string_view name) const {
  for (size_t i = 0; i < zone_configs_.size(); ++i) {
    if (zone_configs_[i].name == name && !zone_configs_[i].retired) return i;
  }
  return std::nullopt;
}

std::expected<size_t, RouteError> Router::first_trunk_policy() const {
  RouteError error = RouteError::kNoTrunk;
  for (size_t t = 0; t < trunk_configs_.size(); ++t) {
    if (!zone_index(trunk_configs_[t].zone)) continue;
    if (health_.available(t)) return t;
    error = RouteError::kTrunksDown;
  }
  return std::unexpected(error);
}

std::expected<Route, RouteRefusal> Router::route(const SipPeer& from, std::string_view user,
                                                 std::string_view caller_user,
                                                 TimePoint now) const {
  auto route =
      zones_.at(from.zone).trunk ? from_trunk(from, user, caller_user, now) : to_trunk(caller_user);
  if (!route) return route;
  const size_t callee_zone = route->peer.zone;
  if (!zones_.at(callee_zone).address || !zones_[from.zone].address ||
      !transport_.local_endpoint(callee_zone, route->peer.transport)) {
    return std::unexpected(refusal(RouteError::kNotBound));
  }
  return route;
}

std::expected<Route, RouteRefusal> Router::to_trunk(std::string_view caller_user) const {
  const auto chosen = first_trunk_policy();
  if (!chosen) return std::unexpected(refusal(chosen.error()));
  const TrunkConfig& trunk = trunk_configs_[*chosen];
  Route route;
  route.kind = RouteKind::kTrunk;
  route.trunk = *chosen;
  route.peer = *trunk_peer(*chosen);
  route.to_host = trunk.host.to_string();
  route.from_user = trunk.fromuser.empty() ? std::string(caller_user) : trunk.fromuser;
  route.from_host = trunk.fromdomain.empty() ? zone_host(route.peer.zone) : trunk.fromdomain;
  return route;
}

std::expected<Route, RouteRefusal> Router::from_trunk(const SipPeer& from, std::string_view user,
                                                      std::string_view caller_user,
                                                      TimePoint now) const {
  const ZoneConfig& access = access_zone(zone_configs_, trunk_configs_);
  const auto access_index = zone_index(access.name);
  if (!access_index) return std::unexpected(refusal(RouteError::kNoTarget));
  Route route;
  route.trunk = trunk_of(from.zone, from.remote.address());
  // A registered user is reached where its REGISTER came from (through its NAT, over its
  // connection); anyone else through the access zone's default target (the PBX).
  const auto bindings = registrar_.lookup(user, now);
  if (!bindings.empty() && bindings.front()->peer.zone == *access_index) {
    route.kind = RouteKind::kRegisteredUser;
    route.peer = bindings.front()->peer;
    route.contact = bindings.front()->contact;
    route.to_host = zone_host(*access_index);
  } else if (access.default_target) {
    route.kind = RouteKind::kDefaultTarget;
    route.peer.transport = access.default_target_transport;
    route.peer.remote = Endpoint(access.default_target->host, access.default_target->port);
    route.to_host = access.default_target->host.to_string();
  } else {
    return std::unexpected(refusal(RouteError::kNoTarget));
  }
  route.peer.zone = *access_index;
  route.from_user = std::string(caller_user);
  route.from_host = zone_host(*access_index);
  return route;
}

}  // namespace sbc::cp
