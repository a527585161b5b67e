// Locating SIP servers (RFC 3263 §4, client side): a host name, with or without a port and a
// transport, becomes the ordered list of (transport, address, port) to try.
// - a port given: A records of the host, that port; the transport given, else UDP;
// - no port, a transport given: its SRV records (_sip._udp, _sip._tcp, _sips._tcp), each
//   target's A records, in SRV order (RFC 2782: priority, then a weighted draw); no SRV: A
//   records on the transport's default port;
// - neither: NAPTR first; the most preferred record of a transport we may use (SIP+D2U,
//   SIP+D2T, SIPS+D2T with flag "s") names the SRV records to ask; no NAPTR: SRV of UDP, then A.
// What the answers hold for at most their smallest TTL is the result's ttl.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "controlplane/net/dns_client.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

struct SipTarget {
  Transport transport = Transport::kUdp;
  Endpoint endpoint;
  bool operator==(const SipTarget&) const = default;
};

// "address:port/transport", for logs, show trunks and CDRs.
[[nodiscard]] std::string describe(const SipTarget& target);

// The target a request toward `peer` goes to.
[[nodiscard]] inline SipTarget target_of(const SipPeer& peer) {
  return {peer.transport, peer.remote};
}

struct SipTargets {
  std::vector<SipTarget> targets;  // in the order to try; never empty
  std::chrono::seconds ttl{0};
};

struct SipLocation {
  std::string host;  // a DNS name
  std::optional<uint16_t> port;
  std::optional<Transport> transport;
  std::vector<Transport> usable = {Transport::kUdp};  // what we can send over (NAPTR choice)
};

class SipLocator {
 public:
  using Result = std::expected<SipTargets, std::string>;  // the error says which lookup failed
  using Callback = std::function<void(Result)>;
  static constexpr size_t kMaxTargets = 16;

  // `dns` outlives the locator and every location it started; `random` seeds each location's
  // SRV draws.
  SipLocator(DnsClient& dns, std::mt19937& random) : dns_(dns), random_(random) {}
  // Runs the lookups; `done` runs once, from the DnsClient's callbacks (also when the locator
  // is gone by then: its owner's `done` must check that it is still there).
  void locate(SipLocation where, Callback done);

 private:
  class Job;
  DnsClient& dns_;
  std::mt19937& random_;
};

// RFC 2782's order: by priority, each priority's records drawn by weight (weight 0 ones rarely
// first). Targets "." (service not offered) are left out.
[[nodiscard]] std::vector<SrvRecord> srv_order(std::vector<SrvRecord> records,
                                               std::mt19937& random);

}  // namespace sbc::cp
