#include "controlplane/routing/router.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace sbc::cp {
namespace {

RouteRefusal refusal(RouteError error) {
  switch (error) {
    case RouteError::kNoTrunk: return {error, 503, "Service Unavailable (no trunk)"};
    case RouteError::kTrunksDown: return {error, 503, "Service Unavailable (all trunks down)"};
    case RouteError::kNoTarget:
      return {error, 404, "Not Found (not registered, no default_target)"};
    case RouteError::kNotBound: return {error, 503, "Service Unavailable (SIP not bound yet)"};
    case RouteError::kNoRoute: return {error, 404, "Not Found (no route)"};
    case RouteError::kNoDid: return {error, 404, "Not Found (no such DID)"};
    case RouteError::kNotRegistered:
      return {error, 480, "Temporarily Unavailable (not registered)"};
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
    case RouteError::kNoRoute: return "no_route";
    case RouteError::kNoDid: return "no_did";
    case RouteError::kNotRegistered: return "not_registered";
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
  if (!contact.empty()) return contact;
  if (uri_host.empty()) return peer_uri(user, peer);
  // A trunk known by name is asked for its own domain (RFC 3263: the URI we resolved).
  std::string uri = fmt::format("sip:{}@{}", user, uri_host);
  if (peer.transport != Transport::kUdp) {
    uri += fmt::format(";transport={}", to_string(peer.transport));
  }
  return uri;
}

std::string Route::to_uri(std::string_view user) const {
  return fmt::format("sip:{}@{}", user, to_host);
}

std::string Route::from_uri(std::string_view caller_user) const {
  return fmt::format("sip:{}@{}", from_user.empty() ? caller_user : from_user, from_host);
}

Router::Router(const std::vector<ZoneConfig>& zones, const std::vector<TrunkConfig>& trunks,
               const std::vector<RouteConfig>& routes, const std::vector<DidConfig>& dids,
               const Registrar& registrar, const SipTransport& transport)
    : zone_configs_(zones),
      trunk_configs_(trunks),
      route_configs_(routes),
      did_configs_(dids),
      registrar_(registrar),
      transport_(transport),
      targets_(trunks),
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
  targets_.reconfigure();
  trunks_ = TrunkSources(zone_configs_, trunk_configs_);
  for (size_t t = 0; t < trunk_configs_.size(); ++t) trunks_.set_resolved(t, targets_.addresses(t));
  routes_ = RouteTable(route_configs_, trunk_configs_);
  dids_ = DidTable(did_configs_);
  health_.reconfigure();
}

std::optional<SipPeer> Router::trunk_peer(size_t trunk, size_t target) const {
  if (trunk >= trunk_configs_.size() || trunk >= targets_.size()) return std::nullopt;
  const auto zone = zone_index(trunk_configs_[trunk].zone);
  const auto& targets = targets_.targets(trunk);
  if (!zone || target >= targets.size()) return std::nullopt;
  SipPeer peer;
  peer.zone = *zone;
  peer.transport = targets[target].transport;
  peer.remote = targets[target].endpoint;
  if (!trunk_configs_[trunk].address) peer.server_name = trunk_configs_[trunk].host;
  return peer;
}

bool Router::routable(size_t trunk, TimePoint now) const {
  return health_.routable(trunk, now) && targets_.next(trunk, {}, now).has_value();
}

size_t Router::first_target(size_t trunk, TimePoint now) const {
  return targets_.next(trunk, {}, now).value_or(0);
}

bool Router::hold_target(size_t trunk, const SipTarget& target,
                         std::optional<std::chrono::seconds> retry_after, TimePoint now) {
  if (trunk >= targets_.size()) return false;
  const auto& targets = targets_.targets(trunk);
  if (targets.size() < 2 || std::ranges::find(targets, target) == targets.end()) return false;
  const auto hold_for =
      std::min(retry_after.value_or(TrunkTargets::kFailedHold), TrunkHealth::kMaxHold);
  targets_.hold(trunk, target, now + hold_for, now);
  spdlog::info("trunk {}: target {} held for {} s", trunk_configs_[trunk].name, describe(target),
               hold_for.count());
  return true;
}

void Router::targets_changed(size_t trunk) {
  trunks_.set_resolved(trunk, targets_.addresses(trunk));
}

std::optional<SipPeer> Router::bound_trunk_peer(size_t trunk, TimePoint now) const {
  return bound_target_peer(trunk, first_target(trunk, now));
}

std::optional<SipPeer> Router::bound_target_peer(size_t trunk, size_t target) const {
  auto peer = trunk_peer(trunk, target);
  if (!peer || !zones_.at(peer->zone).address ||
      !transport_.local_endpoint(peer->zone, peer->transport)) {
    return std::nullopt;
  }
  return peer;
}

std::optional<size_t> Router::zone_index(std::string_view name) const {
  for (size_t i = 0; i < zone_configs_.size(); ++i) {
    if (zone_configs_[i].name == name && !zone_configs_[i].retired) return i;
  }
  return std::nullopt;
}

std::expected<RouteChoice, RouteError> Router::trunk_policy(size_t zone, std::string_view user,
                                                            TimePoint now) const {
  const std::string& zone_name = zone_configs_.at(zone).name;
  RouteChoice candidates;
  if (routes_.routes_zone(zone_name)) {
    auto choice = routes_.choose(zone_name, user, random_);
    if (!choice) return std::unexpected(RouteError::kNoRoute);
    candidates = std::move(*choice);
  } else {
    for (size_t t = 0; t < trunk_configs_.size(); ++t) candidates.trunks.push_back(t);
  }
  RouteChoice usable{candidates.route, {}};
  RouteError error = RouteError::kNoTrunk;
  for (size_t t : candidates.trunks) {
    if (!zone_index(trunk_configs_[t].zone)) continue;
    if (routable(t, now)) {
      usable.trunks.push_back(t);
    } else {
      error = RouteError::kTrunksDown;
    }
  }
  if (usable.trunks.empty()) return std::unexpected(error);
  return usable;
}

std::expected<Route, RouteRefusal> Router::route(const SipPeer& from, std::string_view user,
                                                 TimePoint now) const {
  auto route =
      zones_.at(from.zone).trunk ? from_trunk(from, user, now) : to_trunk(from.zone, user, now);
  if (!route) return route;
  const size_t callee_zone = route->peer.zone;
  if (!zones_.at(callee_zone).address || !zones_[from.zone].address ||
      !transport_.local_endpoint(callee_zone, route->peer.transport)) {
    return std::unexpected(refusal(RouteError::kNotBound));
  }
  return route;
}

std::expected<Route, RouteRefusal> Router::to_trunk(size_t zone, std::string_view user,
                                                    TimePoint now) const {
  auto chosen = trunk_policy(zone, user, now);
  if (!chosen) return std::unexpected(refusal(chosen.error()));
  const std::vector<size_t>& trunks = chosen->trunks;
  auto first = trunk_route(trunks.front(), first_target(trunks.front(), now));
  if (!first) return std::unexpected(refusal(RouteError::kNoTrunk));  // the policy took its zone
  Route route = std::move(*first);
  route.alternates.assign(trunks.begin() + 1, trunks.end());
  route.route_name = std::string(chosen->route);
  return route;
}

std::optional<Route> Router::trunk_route(size_t trunk, size_t target) const {
  const auto peer = trunk_peer(trunk, target);
  if (!peer) return std::nullopt;
  const TrunkConfig& config = trunk_configs_[trunk];
  Route route;
  route.kind = RouteKind::kTrunk;
  route.trunk = trunk;
  route.peer = *peer;
  route.to_host = config.host;
  if (!config.address) {
    route.uri_host = config.port_set ? fmt::format("{}:{}", config.host, config.port) : config.host;
  }
  route.from_user = config.fromuser;
  route.from_host = config.fromdomain.empty() ? zone_host(route.peer.zone) : config.fromdomain;
  return route;
}

std::expected<Route, RouteRefusal> Router::from_trunk(const SipPeer& from, std::string_view user,
                                                      TimePoint now) const {
  Route route;
  route.trunk = trunk_of(from.zone, from.remote.address());
  if (is_relay_token(user)) {
    // A call for a client registered through the SBC (b2bua/register_relay.h): the upstream
    // registrar sends it to the Contact we registered there, whose user is the binding's token.
    const Binding* binding = registrar_.find_relayed(user, now);
    if (binding == nullptr) return std::unexpected(refusal(RouteError::kNotRegistered));
    route.kind = RouteKind::kRegisteredUser;
    route.peer = binding->peer;
    route.contact = binding->contact;
    route.called_user = binding->user;
    route.to_host = zone_host(binding->peer.zone);
    route.from_host = route.to_host;
    return route;
  }
  // The access zone the call goes to: its DID entry's, else its trunk's inbound zone (a trunk
  // built without validation, and a source no trunk allows, go to the first access zone).
  std::string_view inbound;  // a view of the configs, never of a temporary
  if (route.trunk) inbound = trunk_configs_[*route.trunk].inbound_zone;
  const DidConfig* did = nullptr;
  if (!dids_.empty()) {
    did = dids_.match(route.trunk ? std::string_view(trunk_configs_[*route.trunk].name) : "", user);
    if (!did) return std::unexpected(refusal(RouteError::kNoDid));
    if (!did->zone.empty()) inbound = did->zone;
  }
  if (inbound.empty()) inbound = access_zone(zone_configs_, trunk_configs_).name;
  const auto access_index = zone_index(inbound);
  if (!access_index) return std::unexpected(refusal(RouteError::kNoTarget));
  if (did != nullptr) {
    route.route_name = did->name;
    route.called_user =
        did->kind == DidTargetKind::kUser && did->called.empty() ? did->user : did->called;
    if (const std::optional<HostPort>& address = did->address;
        did->kind == DidTargetKind::kAddress && address) {
      const HostPort& pbx = *address;
      route.kind = RouteKind::kDefaultTarget;
      route.peer.transport = did->transport;
      route.peer.remote = Endpoint(pbx.host, pbx.port);
      route.to_host = pbx.host.to_string();
      route.peer.zone = *access_index;
      route.from_host = zone_host(*access_index);
      return route;
    }
    if (did->kind == DidTargetKind::kUser) {
      const auto bindings = registrar_.lookup(did->user, now);
      if (bindings.empty() || bindings.front()->peer.zone != *access_index) {
        return std::unexpected(refusal(RouteError::kNotRegistered));
      }
      user = did->user;  // reached below as a registered user
    } else {
      user = {};  // the default target
    }
  }
  const ZoneConfig& access = zone_configs_[*access_index];
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
  route.from_host = zone_host(*access_index);
  return route;
}

}  // namespace sbc::cp
