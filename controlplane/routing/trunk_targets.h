// Where each trunk is: its host when that is an address, else what its DNS name last resolved
// to (sip_locator.h: NAPTR, SRV, A), in the order to try. A resolution holds for its TTL (at
// least kMinTtl, at most kMaxTtl); when a refresh fails the last targets stay in use for up to
// kServeStale more (RFC 8767), so a carrier's DNS hiccup does not take its trunk away, and a
// name that never resolved leaves its trunk without targets (routing skips it).
//
// Indexed like the running configuration's trunks; a reload keeps the state of every trunk
// whose name, host, port and transport are unchanged.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "controlplane/net/ip_network.h"
#include "controlplane/routing/sip_locator.h"
#include "controlplane/routing/trunk_settings.h"

namespace sbc::cp {

class TrunkTargets {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kMinTtl{10};
  static constexpr std::chrono::seconds kMaxTtl{3600};
  static constexpr std::chrono::seconds kServeStale{3600};

  struct State {
    std::vector<SipTarget> targets;  // empty: none known (a name not resolved yet, or failing)
    // Resolve again from then on (a name's targets are dropped kServeStale later); min: a name
    // not resolved yet, max: an address.
    Clock::time_point expires = Clock::time_point::max();
    std::string error;      // why the last resolution failed; "" after a success
    uint32_t failures = 0;  // in a row
  };

  explicit TrunkTargets(const std::vector<TrunkConfig>& trunks);

  // The trunks were assigned again (a reload).
  void reconfigure();
  [[nodiscard]] size_t size() const { return states_.size(); }
  [[nodiscard]] const State& at(size_t trunk) const { return states_.at(trunk); }
  [[nodiscard]] const std::vector<SipTarget>& targets(size_t trunk) const {
    return states_.at(trunk).targets;
  }
  // Trunk `trunk`'s host is a DNS name.
  [[nodiscard]] bool by_name(size_t trunk) const;
  // A resolution of trunk `trunk`'s name finished at `now`.
  void resolved(size_t trunk, SipTargets result, Clock::time_point now);
  void failed(size_t trunk, std::string reason, Clock::time_point now);
  // The addresses trunk `trunk` is at now, as /32 networks (its sources when it has no `allow`).
  [[nodiscard]] std::vector<IpNetwork> addresses(size_t trunk) const;

 private:
  struct Key {
    std::string name;
    std::string host;
    uint16_t port = 0;
    bool port_set = false;
    Transport transport = Transport::kUdp;
    bool transport_set = false;
    bool operator==(const Key&) const = default;
  };
  [[nodiscard]] static Key key_of(const TrunkConfig& trunk);
  [[nodiscard]] static State initial(const TrunkConfig& trunk);

  const std::vector<TrunkConfig>& trunks_;
  std::vector<Key> keys_;  // what reconfigure() compares with, by index
  std::vector<State> states_;
};

}  // namespace sbc::cp
