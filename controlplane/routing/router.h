// The router: where a new call goes. Given the zone an INVITE came in on, its source and the
// user of its Request-URI, it answers with a Route (the callee's zone, transport and endpoint,
// the trunk, the parts of the Request-URI, To and From we send) or a RouteRefusal (the SIP status
// and why). It owns the routing view of the zones (which face carriers, their SIP addresses) and
// of the trunks (which one a source belongs to: TrunkSources).
//
// The policies of this release, one function each so route tables and failover (the trunk
// issue) replace them without touching the B2BUA:
// - from an access zone: the trunks of the route the called number matches (route_table.h:
//   longest prefix, levels by priority, weights within a level) or, on a zone without routes,
//   every trunk by name; of those, the ones not down nor held (trunk_policy; a trunk's health
//   comes from its qualify pings and Retry-After holds, trunk_health.h). The first takes the
//   call, the others are its alternates, tried in turn when the first fails it
//   (b2bua/trunk_failover.h). A number no route serves gets 404;
// - from a trunk: to an access zone, the DID entry's or else the trunk's inbound_zone. The DID
//   table's entry for the number called (did_table.h: a registered user, a PBX's address or the
//   default target; 404 for a number it does not serve); without a DID table a user registered
//   on that zone, where its REGISTER came from, else the zone's default_target (the PBX); else
//   404.
//
// Single-threaded, like the B2BUA that asks it.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/registrar/registrar.h"
#include "controlplane/routing/did_table.h"
#include "controlplane/routing/route_table.h"
#include "controlplane/routing/trunk_health.h"
#include "controlplane/routing/trunk_settings.h"
#include "controlplane/routing/trunk_sources.h"
#include "controlplane/routing/trunk_targets.h"
#include "controlplane/routing/zone_settings.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

enum class RouteKind : uint8_t {
  kTrunk,           // access zone -> a carrier
  kRegisteredUser,  // trunk -> a user registered on the access zone
  kDefaultTarget,   // trunk -> the access zone's default_target
};
[[nodiscard]] std::string_view to_string(RouteKind kind);

struct Route {
  RouteKind kind = RouteKind::kTrunk;
  // Toward the callee: its zone (index into the zones), transport and remote endpoint; a
  // registered user's also the listener and connection its REGISTER came over.
  SipPeer peer;
  // The trunk (index into the trunks) the call goes to (kTrunk) or comes from; nullopt for
  // a call from a trunk zone source no trunk allows.
  std::optional<size_t> trunk;
  // kTrunk: the trunks (indexes) to try next, in order, when `trunk` fails the call, and the
  // route table entry that chose them ("" on a zone without routes).
  std::vector<size_t> alternates;
  // The route table entry ("" on a zone without routes), or the DID entry of a call from a trunk.
  std::string route_name;
  std::string called_user;  // a DID's `called`: the user toward the target ("": the number)
  std::string contact;      // kRegisteredUser: the binding's Contact, the callee's Request-URI
  std::string uri_host;     // kTrunk to a trunk known by name: the Request-URI's host (its name)
  std::string to_host;      // host part of the callee's To
  std::string from_user;    // user part of our From: the trunk's fromuser; "": the caller's number
  std::string from_host;    // host part of our From

  // The Request-URI toward the callee for `user` (the R-URI user, as the fraud rules left it):
  // a registered user's Contact, else sip:user@remote[:port][;transport=].
  [[nodiscard]] std::string request_uri(std::string_view user) const;
  [[nodiscard]] std::string to_uri(std::string_view user) const;  // sip:user@to_host
  // sip:from_user@from_host, with the caller's number when the route sets no from_user.
  [[nodiscard]] std::string from_uri(std::string_view caller_user) const;
};

// sip:[user@]address[:port][;transport=] for a peer we send to (the port when not 5060, the
// transport when not UDP).
[[nodiscard]] std::string peer_uri(std::string_view user, const SipPeer& peer);

enum class RouteError : uint8_t {
  kNoTrunk,        // no trunk to send a call from the access zone to (503)
  kTrunksDown,     // trunks there are, all down (qualify) or held (Retry-After) (503)
  kNoTarget,       // from a trunk: the user is not registered and there is no default_target (404)
  kNotBound,       // a zone of the call has no SIP address or listener yet (503)
  kNoRoute,        // the caller's zone has routes, none for the number called (404)
  kNoDid,          // from a trunk: the DID table serves no such number (404)
  kNotRegistered,  // from a trunk: the DID's user is not registered now (480)
};
[[nodiscard]] std::string_view to_string(RouteError error);

// Why a call has no route, and what the caller is answered.
struct RouteRefusal {
  RouteError error = RouteError::kNoTarget;
  int code = 404;
  std::string_view reason;  // the response's reason phrase (a static string)
};

class Router {
 public:
  using TimePoint = Registrar::TimePoint;

  // `zones` and `trunks` are the running configuration's (reassigned in place by a reload, then
  // reconfigure()).
  Router(const std::vector<ZoneConfig>& zones, const std::vector<TrunkConfig>& trunks,
         const std::vector<RouteConfig>& routes, const std::vector<DidConfig>& dids,
         const Registrar& registrar, const SipTransport& transport);

  // Where a new call from `from` (its zone and source) to Request-URI user `user`, placed by
  // goes at `now` (registrations expire).
  [[nodiscard]] std::expected<Route, RouteRefusal> route(const SipPeer& from, std::string_view user,
                                                         TimePoint now) const;
  // The trunk (index into the trunks) whose `allow` covers `source` on zone `zone`.
  [[nodiscard]] std::optional<size_t> trunk_of(size_t zone,
                                               const boost::asio::ip::address& source) const {
    return trunks_.trunk_of(zone, source);
  }
  // Where trunk `trunk` (index into the trunks) is reached: its zone, and the transport and
  // address of its `target`th target (trunk_targets.h: one for an address, those its name
  // resolves to in the order tried); nullopt when its zone takes no new calls or it has no such
  // target.
  [[nodiscard]] std::optional<SipPeer> trunk_peer(size_t trunk, size_t target = 0) const;
  // The same, only once the zone can send there: it has its SIP address and a listener of the
  // trunk's transport (until the dataplane's Hello it may not); nullopt until then.
  // Its target is the first not held at `now` (first_target).
  [[nodiscard]] std::optional<SipPeer> bound_trunk_peer(size_t trunk, TimePoint now) const;
  // The same for its `target`th target (qualify pings each).
  [[nodiscard]] std::optional<SipPeer> bound_target_peer(size_t trunk, size_t target) const;
  // A call from the access zone sent to trunk `trunk`'s `target`th target (the first of a
  // route, or one of its alternates); no alternates. nullopt when the trunk's zone takes no
  // calls or the trunk has no such target.
  [[nodiscard]] std::optional<Route> trunk_route(size_t trunk, size_t target = 0) const;
  // Routing may send a new call to trunk `trunk` at `now`: not down (qualify), not held
  // (Retry-After), and a target of it not held (trunk_targets.h).
  [[nodiscard]] bool routable(size_t trunk, TimePoint now) const;
  // The target a new call to trunk `trunk` goes to at `now`: the first not held, one that
  // answers qualify first (0 when all are held).
  [[nodiscard]] size_t first_target(size_t trunk, TimePoint now) const;
  // Target `target` of trunk `trunk` failed a request as a server does (no response, transport
  // error, 503): on a trunk with several targets it is held (trunk_targets.h) for `retry_after`
  // (a 503's) or TrunkTargets::kFailedHold, at most TrunkHealth::kMaxHold. False when it was not
  // (a trunk with one target, or a target it no longer has).
  bool hold_target(size_t trunk, const SipTarget& target,
                   std::optional<std::chrono::seconds> retry_after, TimePoint now);
  // Where the trunks are: addresses, and what their names resolved to (fed by
  // b2bua/trunk_dns.h, which calls targets_changed() after each change).
  [[nodiscard]] TrunkTargets& targets() { return targets_; }
  [[nodiscard]] const TrunkTargets& targets() const { return targets_; }
  // Trunk `trunk`'s targets changed: its sources (a name's addresses) follow.
  void targets_changed(size_t trunk);
  // Each trunk's health, fed by the qualify pings; routing skips a trunk that is down.
  [[nodiscard]] TrunkHealth& health() { return health_; }
  [[nodiscard]] const TrunkHealth& health() const { return health_; }
  // Zone `zone` faces carriers (some trunk uses it). A retired zone keeps what it was.
  [[nodiscard]] bool trunk_zone(size_t zone) const { return zones_.at(zone).trunk; }
  // The zone's SIP address (Via, Contact, From host): configured, or the dataplane port's once
  // known (set_zone_address); unset until then.
  [[nodiscard]] const std::optional<boost::asio::ip::address>& zone_address(size_t zone) const {
    return zones_.at(zone).address;
  }
  // The dataplane port's address, parsed once from its Hello (a zone without sip_address).
  void set_zone_address(size_t zone, const boost::asio::ip::address& address);
  // A reload assigned new zones, trunks, routes and DIDs: zones keep their index (new ones are
  // appended, removed ones retired), trunks are indexed again. An address learned from the
  // dataplane stays.
  void reconfigure();

 private:
  struct Zone {
    std::optional<boost::asio::ip::address> address;
    bool trunk = false;
  };
  // The trunks a call from zone `zone` to `user` may go to at `now`, in the order they are
  // tried, and the route that chose them: the route's (or every trunk by name), those not down
  // nor held.
  [[nodiscard]] std::expected<RouteChoice, RouteError> trunk_policy(size_t zone,
                                                                    std::string_view user,
                                                                    TimePoint now) const;
  [[nodiscard]] std::expected<Route, RouteRefusal> to_trunk(size_t zone, std::string_view user,
                                                            TimePoint now) const;
  [[nodiscard]] std::expected<Route, RouteRefusal> from_trunk(const SipPeer& from,
                                                              std::string_view user,
                                                              TimePoint now) const;
  // The zone's address as From, To and Request-URI hosts carry it; "" while unset.
  [[nodiscard]] std::string zone_host(size_t zone) const;
  // The index of the zone named `name` that takes new calls (not retired).
  [[nodiscard]] std::optional<size_t> zone_index(std::string_view name) const;

  const std::vector<ZoneConfig>& zone_configs_;
  const std::vector<TrunkConfig>& trunk_configs_;
  const std::vector<RouteConfig>& route_configs_;
  const std::vector<DidConfig>& did_configs_;
  const Registrar& registrar_;
  const SipTransport& transport_;
  std::vector<Zone> zones_;  // by zone index
  TrunkTargets targets_;
  TrunkSources trunks_;
  RouteTable routes_;
  DidTable dids_;
  // Draws the order of a route level's weighted trunks: routing state, not a result, so a const
  // lookup may advance it.
  mutable RouteTable::Random random_{std::random_device{}()};
  TrunkHealth health_;
};

}  // namespace sbc::cp
