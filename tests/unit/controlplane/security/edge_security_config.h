// The configuration edge security's own tests run on (edge_security_test,
// edge_security_reload_test), written once, and the peer their messages come from.
#pragma once

#include <fmt/core.h>

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "controlplane/transport/sip_transport.h"

namespace sbc::cp::testing {

// [media] 20000..20099; zone access on 192.0.2.1, digest for REGISTER and INVITE (realm
// sbc.test), with acl_allow `acl_allow` and trusted sources `trusted`; zone carrier on
// 198.51.100.1 with trunk wide (allow 198.51.100.0/24); user alice; then `extra` (further
// sections, or a section again to add keys to it). Zones sort as access (0), carrier (1).
inline std::string edge_security_config(std::string_view acl_allow, std::string_view trusted,
                                        std::string_view extra = {}) {
  return fmt::format(R"(
[media]
port_min = 20000
port_max = 20099
[zone.access]
dataplane_port = access
sip_address = 192.0.2.1
acl_allow = {0}
trusted = {1}
authenticate = register, invite
realm = sbc.test
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
[trunk.wide]
zone = carrier
host = 198.51.100.10
allow = 198.51.100.0/24
[user.alice]
secret = s3cret-Pass
{2}
)",
                     acl_allow, trusted, extra);
}

// A second trunk on the carrier zone, allowing only its host (sorts before wide).
inline constexpr const char* kNarrowTrunk =
    "[trunk.narrow]\nzone = carrier\nhost = 198.51.100.20\n";

inline SipPeer peer_at(size_t zone, const char* address) {
  SipPeer peer;
  peer.zone = zone;
  peer.remote = Endpoint(boost::asio::ip::make_address(address), 5060);
  return peer;
}

}  // namespace sbc::cp::testing
