// The B2BUA across a configuration reload: zones keep their index (live calls, transactions and
// registrations hold it), and a peer the new configuration refuses still reaches its call.
#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.h"

namespace sbc::cp {

void B2bua::reconfigure() {
  for (size_t i = 0; i < config_.zones.size(); ++i) {
    const ZoneConfig& z = config_.zones[i];
    if (i == trunk_zones_.size()) trunk_zones_.push_back(false);
    // A retired zone keeps serving its calls as what it was.
    if (!z.retired) trunk_zones_[i] = config_.is_trunk_zone(z.name);
  }
  router_.reconfigure();
  qualify_.restart();  // the trunks were indexed again
  trunk_dns_.restart();
  registration_.restart();
}

std::vector<std::pair<size_t, boost::asio::ip::address>> B2bua::call_peers() const {
  std::vector<std::pair<size_t, boost::asio::ip::address>> peers;
  peers.reserve(calls_.size() * 2);
  for (const auto& [id, call] : calls_.all()) {
    for (const Leg& leg : call->legs) {
      peers.emplace_back(leg.peer.zone, leg.peer.remote.address());
      if (!leg.signalling_source.address().is_unspecified()) {
        peers.emplace_back(leg.peer.zone, leg.signalling_source.address());
      }
    }
  }
  return peers;
}

bool B2bua::zone_in_use(size_t zone) const {
  for (const auto& [id, call] : calls_.all()) {
    for (const Leg& leg : call->legs) {
      if (leg.peer.zone == zone) return true;
    }
  }
  return false;
}

bool B2bua::source_allowed(const SipPeer& from, const sip::Message& msg) {
  const size_t zone = from.zone;
  const ZoneConfig& z = config_.zones[zone];
  const bool trunk = trunk_zones_[zone];
  const auto source = from.remote.address();
  bool allowed = true;
  if (z.retired) {
    allowed = false;
  } else if (trunk) {
    // SipIngress's screen (EdgeSecurity::screen) already dropped other sources before parsing; this
    // guards direct callers.
    allowed = security_.trunk_of(zone, source).has_value();
  } else {
    allowed = !security_.held_by_calls(zone, source);  // the ACL itself is screen()'s
  }
  if (allowed) return true;
  if (security_.kept_peer(zone, source)) {
    const std::string_view call_id = *msg.call_id();
    if (CallPtr call = calls_.find_callee_dialog(call_id);
        call && call->legs[kCallee].peer.zone == zone) {
      return true;
    }
    if (calls_.find_caller_dialog(zone, call_id)) return true;
  }
  // Counted, logged at debug only: anyone can send these, as fast as they like.
  metrics_.sip_dropped(trunk ? SipDropReason::kUnknownTrunkSource
                             : SipDropReason::kSourceNotAllowed);
  if (msg.method() == sip::Method::kAck) return false;
  spdlog::debug("sip: 403 to {} on zone {}: {}", source.to_string(), z.name,
                trunk ? "not a configured trunk host" : "not allowed by the configuration");
  responder_.reject(from, msg, 403);
  return false;
}

}  // namespace sbc::cp
