#include "controlplane/security/media_address_policy.h"

#include <algorithm>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;

std::optional<MediaAddressRefusal> check_v4(uint32_t a) {
  const uint8_t first = static_cast<uint8_t>(a >> 24);
  if (a == 0) return MediaAddressRefusal::kUnspecified;
  if (a == 0xffffffffU) return MediaAddressRefusal::kBroadcast;
  if (first == 0) return MediaAddressRefusal::kThisNetwork;
  if (first == 127) return MediaAddressRefusal::kLoopback;
  if ((a >> 16) == 0xa9fe) return MediaAddressRefusal::kLinkLocal;  // 169.254/16
  if ((first & 0xf0) == 0xe0) return MediaAddressRefusal::kMulticast;
  if ((first & 0xf0) == 0xf0) return MediaAddressRefusal::kReserved;
  return std::nullopt;
}

std::optional<MediaAddressRefusal> check_v6(const ip::address_v6& a) {
  if (a.is_unspecified()) return MediaAddressRefusal::kUnspecified;
  if (a.is_loopback()) return MediaAddressRefusal::kLoopback;
  if (a.is_multicast()) return MediaAddressRefusal::kMulticast;
  if (a.is_link_local()) return MediaAddressRefusal::kLinkLocal;
  if (a.is_v4_compatible()) return MediaAddressRefusal::kReserved;  // ::a.b.c.d, deprecated
  return std::nullopt;
}

}  // namespace

std::string_view to_string(MediaAddressRefusal r) {
  switch (r) {
    case MediaAddressRefusal::kUnspecified: return "unspecified";
    case MediaAddressRefusal::kLoopback: return "loopback";
    case MediaAddressRefusal::kMulticast: return "multicast";
    case MediaAddressRefusal::kBroadcast: return "broadcast";
    case MediaAddressRefusal::kLinkLocal: return "link_local";
    case MediaAddressRefusal::kThisNetwork: return "this_network";
    case MediaAddressRefusal::kReserved: return "reserved";
    case MediaAddressRefusal::kOwnAddress: return "own_address";
  }
  return "unknown";
}

MediaAddressPolicy::MediaAddressPolicy(std::vector<ip::address> own, std::vector<IpNetwork> links)
    : own_(std::move(own)), links_(std::move(links)) {
  for (ip::address& a : own_) a = normalize(a);
}

std::optional<MediaAddressRefusal> MediaAddressPolicy::check(const ip::address& address) const {
  const ip::address a = normalize(address);
  const auto kind = a.is_v4() ? check_v4(a.to_v4().to_uint()) : check_v6(a.to_v6());
  if (kind) return kind;
  if (std::ranges::find(own_, a) != own_.end()) return MediaAddressRefusal::kOwnAddress;
  if (a.is_v4()) {
    const uint32_t v = a.to_v4().to_uint();
    for (const IpNetwork& link : links_) {
      if (!link.address.is_v4() || link.prefix_length >= 31 || !link.contains(a)) continue;
      const uint32_t host_mask = 0xffffffffU >> link.prefix_length;
      if ((v & host_mask) == host_mask) return MediaAddressRefusal::kBroadcast;
    }
  }
  return std::nullopt;
}

}  // namespace sbc::cp
