// Where each trunk is: its host when that is an address, else what its DNS name last resolved
// to (sip_locator.h: NAPTR, SRV, A), in the order to try. A resolution holds for its TTL (at
// least kMinTtl, at most kMaxTtl); when a refresh fails the last targets stay in use for up to
// kServeStale more (RFC 8767), so a carrier's DNS hiccup does not take its trunk away, and a
// name that never resolved leaves its trunk without targets (routing skips it).
//
// A target of a trunk with several that failed a call (no answer, a transport error, 503) is
// held out for a while (b2bua/trunk_failover.h): the next calls start at the next target rather
// than each waiting for the failed server first (RFC 3263 §4.3 says to move on per call;
// Kamailio's dispatcher marks such a destination inactive). Holds are kept by address, so a
// re-resolution that returns the same server keeps it held; a trunk whose targets are all held
// takes no calls until the first hold ends.
//
// Qualify pings every target of a trunk (b2bua/trunk_qualify.h); one that did not answer its last
// ping is down, and calls and registrations start at a target that answers while there is one,
// as Kamailio's dispatcher probes each destination. Whether the trunk as a whole takes calls is
// its health's call (trunk_health.h: answered when any target answered), so a target down here
// is still tried, last, while its trunk is up.
//
// Indexed like the running configuration's trunks; a reload keeps the state of every trunk
// whose name, host, port and transport are unchanged.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
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
  // How long a target that failed a request without a Retry-After is held.
  static constexpr std::chrono::seconds kFailedHold{30};

  struct Hold {
    SipTarget target;
    Clock::time_point until;
  };
  struct State {
    std::vector<SipTarget> targets;  // empty: none known (a name not resolved yet, or failing)
    std::vector<Hold> holds;         // of targets, the expired ones dropped at the next hold
    std::vector<SipTarget> down;     // of targets, by their last qualify ping
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
  // Holds `target` of trunk `trunk` out of new calls until `until` (a later hold extends it).
  void hold(size_t trunk, const SipTarget& target, Clock::time_point until, Clock::time_point now);
  // Until when `target` is held at `now`; nullopt when it is not.
  [[nodiscard]] std::optional<Clock::time_point> held_until(size_t trunk, const SipTarget& target,
                                                            Clock::time_point now) const;
  // Qualify's verdict on `target` of trunk `trunk`: it answered its ping, or not (then it is
  // down). True when that changed its state.
  bool qualified(size_t trunk, const SipTarget& target, bool answered);
  [[nodiscard]] bool down(size_t trunk, const SipTarget& target) const;
  // Trunk `trunk` is no longer qualified (a reload turned it off): no target is down.
  void unqualified(size_t trunk) { states_.at(trunk).down.clear(); }
  // The index of the first of trunk `trunk`'s targets, in order, neither held at `now` nor in
  // `tried`, preferring one not down; nullopt when none is left.
  [[nodiscard]] std::optional<size_t> next(size_t trunk, std::span<const SipTarget> tried,
                                           Clock::time_point now) const;
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
