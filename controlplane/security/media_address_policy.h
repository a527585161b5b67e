// Which SDP connection addresses may receive a call's media. The dataplane sends RTP to the
// address an offer or answer names: one that is not a routable unicast address for the zone
// (unspecified, loopback, multicast, broadcast, link-local, 0/8, class E, or the SBC's own) would
// reflect media at a third party, at the SBC itself or at a whole link. Such a description is
// refused (488) and counted by reason.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "controlplane/net/ip_network.h"

namespace sbc::cp {

enum class MediaAddressRefusal : uint8_t {
  kUnspecified,  // 0.0.0.0, :: (the legacy hold form: no hold in a new offer or answer)
  kLoopback,     // 127/8, ::1
  kMulticast,    // 224/4, ff00::/8
  kBroadcast,    // 255.255.255.255, or the directed broadcast of a dataplane port's subnet
  kLinkLocal,    // 169.254/16, fe80::/10
  kThisNetwork,  // 0/8 (RFC 1122 "this host on this network")
  kReserved,     // 240/4 (class E)
  kOwnAddress,   // a zone SIP address, a listener or a dataplane port of the SBC
};
inline constexpr std::array kMediaAddressRefusals = {
    MediaAddressRefusal::kUnspecified, MediaAddressRefusal::kLoopback,
    MediaAddressRefusal::kMulticast,   MediaAddressRefusal::kBroadcast,
    MediaAddressRefusal::kLinkLocal,   MediaAddressRefusal::kThisNetwork,
    MediaAddressRefusal::kReserved,    MediaAddressRefusal::kOwnAddress};
// "unspecified", "loopback", "multicast", "broadcast", "link_local", "this_network", "reserved",
// "own_address": the bounded label of the refusal metric.
[[nodiscard]] std::string_view to_string(MediaAddressRefusal r);

class MediaAddressPolicy {
 public:
  // own: the SBC's addresses; links: the subnets of its dataplane ports (their directed
  // broadcast address is refused; a /31 or /32 has none).
  MediaAddressPolicy(std::vector<boost::asio::ip::address> own, std::vector<IpNetwork> links);
  // nullopt: a routable unicast address media may be sent to. A v4-mapped IPv6 address is
  // judged as its IPv4 address.
  [[nodiscard]] std::optional<MediaAddressRefusal> check(
      const boost::asio::ip::address& address) const;

 private:
  std::vector<boost::asio::ip::address> own_;  // normalised
  std::vector<IpNetwork> links_;
};

}  // namespace sbc::cp
