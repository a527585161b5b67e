// Zone settings: [zone.NAME]. A zone is one face of the SBC (its listeners, its dataplane port,
// who may reach it and how they authenticate); the router picks the callee's zone, edge security
// screens each zone's sources.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_policy.h"
#include "controlplane/net/host_port.h"
#include "controlplane/net/ip_network.h"
#include "controlplane/normalize/normalization_policy.h"
#include "controlplane/registrar/registrar_settings.h"
#include "controlplane/routing/dialog_policy.h"
#include "controlplane/sip/method.h"
#include "controlplane/transport/sip_transport.h"
#include "controlplane/transport/transport_settings.h"

namespace sbc::cp {

// The digest algorithms a zone offers and a user may use (RFC 7616).
enum class DigestAlgorithm : uint8_t { kMd5, kSha256 };
// "MD5", "SHA-256" (as on the wire).
[[nodiscard]] constexpr std::string_view to_string(DigestAlgorithm a) {
  return a == DigestAlgorithm::kSha256 ? "SHA-256" : "MD5";
}
// Case-insensitive "md5" / "sha-256" / "sha256"; nullopt for anything else.
[[nodiscard]] inline std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "md5") return DigestAlgorithm::kMd5;
  if (lower == "sha-256" || lower == "sha256") return DigestAlgorithm::kSha256;
  return std::nullopt;
}

struct ZoneConfig {
  std::string name;
  std::string dataplane_port;  // media is anchored on this dataplane port
  // Unset: the dataplane port's address (known after Hello).
  std::optional<boost::asio::ip::address> sip_address;
  uint16_t sip_port = 5060;  // UDP and TCP listeners
  uint16_t tls_port = 5061;  // TLS listener
  std::vector<Transport> transports = {Transport::kUdp, Transport::kTcp};
  // Every listener: one per entry of `transports` on sip_address (sip_port, tls_port for TLS),
  // then each `listen = transport:address:port`, in file order. The first listener of a
  // transport is the one new requests leave from.
  std::vector<ListenerConfig> listeners;
  std::optional<HostPort> default_target;  // access zones: where calls from trunks go
  Transport default_target_transport = Transport::kUdp;
  std::vector<IpNetwork> acl_allow;  // acl_allow = CIDR list; empty: everyone (minus acl_deny)
  std::vector<IpNetwork> acl_deny;   // acl_deny = CIDR list
  // authenticate = register, invite | none. Default: register, invite when the zone has users
  // ([user.NAME] of this zone), else none.
  std::vector<sip::Method> authenticate;
  std::vector<IpNetwork> trusted;  // trusted = CIDR list: sources that need no digest auth
                                   // (a PBX known by its address)
  std::string realm;               // default: the zone's sip_address, else "sbc"
  std::vector<DigestAlgorithm> auth_algorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
  // allow_open_access = yes: the operator accepts that an access zone without acl_allow and
  // without `authenticate = invite` lets any address place calls toward the trunks. Without it,
  // such a zone is refused by the configuration check.
  bool allow_open_access = false;
  // protect = CIDR list: on-link neighbours the SBC depends on (gateways, next hops). Like the
  // default target and trunk hosts, a single spoofable packet (a scanner User-Agent) never bans
  // them; offences that need a handshake or authentication still count.
  std::vector<IpNetwork> protect;
  // media_profile, srtp_suites: how this zone's side of a call carries media.
  MediaPolicy media;
  // session_expires, min_se (defaults: [sbcd]'s), 100rel: how this zone's side runs its dialog.
  DialogPolicy dialog;
  // number_in, number_out, tech_prefix, trust_identity, headers_*, user_agent: how this zone's
  // side of a call is written.
  NormalizationPolicy normalize;
  // register_relay, nat_keepalive, nat_keepalive_interval: who answers this zone's REGISTERs and
  // how its NATed clients are kept reachable.
  ZoneRegistration registration;
  // Set by a reload (config_reload.h) on a zone the new file no longer has: it keeps its index in
  // Config::zones (SipPeer::zone) while its live calls finish, takes no new request and is skipped
  // by find_zone() and access_zone(). Never set by the parser.
  bool retired = false;

  [[nodiscard]] bool has_listener(Transport transport) const;
  bool operator==(const ZoneConfig&) const = default;
};

// The zone named `name` that takes new requests (not retired); nullptr when there is none.
[[nodiscard]] const ZoneConfig* find_zone(const std::vector<ZoneConfig>& zones,
                                          std::string_view name);

}  // namespace sbc::cp
