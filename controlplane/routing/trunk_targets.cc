#include "controlplane/routing/trunk_targets.h"

#include <algorithm>
#include <utility>

namespace sbc::cp {

TrunkTargets::TrunkTargets(const std::vector<TrunkConfig>& trunks) : trunks_(trunks) {
  reconfigure();
}

TrunkTargets::Key TrunkTargets::key_of(const TrunkConfig& trunk) {
  return {trunk.name, trunk.host, trunk.port, trunk.port_set, trunk.transport, trunk.transport_set};
}

TrunkTargets::State TrunkTargets::initial(const TrunkConfig& trunk) {
  State state;
  if (trunk.address) {
    state.targets.push_back({trunk.transport, Endpoint(*trunk.address, trunk.port)});
  } else {
    state.expires = Clock::time_point::min();  // to resolve
  }
  return state;
}

void TrunkTargets::reconfigure() {
  std::vector<Key> keys;
  std::vector<State> states;
  for (const TrunkConfig& trunk : trunks_) {
    Key key = key_of(trunk);
    auto it = std::ranges::find(keys_, key);
    states.push_back(it != keys_.end() ? std::move(states_[it - keys_.begin()]) : initial(trunk));
    keys.push_back(std::move(key));
  }
  keys_ = std::move(keys);
  states_ = std::move(states);
}

bool TrunkTargets::by_name(size_t trunk) const {
  return !trunks_.at(trunk).address;
}

void TrunkTargets::resolved(size_t trunk, SipTargets result, Clock::time_point now) {
  State& state = states_.at(trunk);
  state.targets = std::move(result.targets);
  const auto ttl = std::clamp(result.ttl, kMinTtl, kMaxTtl);
  state.expires = now + ttl;
  state.error.clear();
  state.failures = 0;
}

void TrunkTargets::failed(size_t trunk, std::string reason, Clock::time_point now) {
  State& state = states_.at(trunk);
  state.error = std::move(reason);
  ++state.failures;
  // Targets exist only once resolved, so `expires` is a real time here.
  if (!state.targets.empty() && now >= state.expires + kServeStale) state.targets.clear();
}

void TrunkTargets::hold(size_t trunk, const SipTarget& target, Clock::time_point until,
                        Clock::time_point now) {
  std::vector<Hold>& holds = states_.at(trunk).holds;
  // Bounded by the targets a name resolves to: an expired hold goes before any is added.
  std::erase_if(holds, [&](const Hold& h) { return h.until <= now; });
  auto it = std::ranges::find(holds, target, &Hold::target);
  if (it == holds.end()) {
    holds.push_back({target, until});
  } else {
    it->until = std::max(it->until, until);
  }
}

std::optional<TrunkTargets::Clock::time_point> TrunkTargets::held_until(
    size_t trunk, const SipTarget& target, Clock::time_point now) const {
  const std::vector<Hold>& holds = states_.at(trunk).holds;
  auto it = std::ranges::find(holds, target, &Hold::target);
  if (it == holds.end() || it->until <= now) return std::nullopt;
  return it->until;
}

bool TrunkTargets::qualified(size_t trunk, const SipTarget& target, bool answered) {
  State& state = states_.at(trunk);
  const auto known = [&](const SipTarget& t) {
    return std::ranges::find(state.targets, t) != state.targets.end();
  };
  // Bounded by the targets: one the trunk no longer has is forgotten.
  std::erase_if(state.down, [&](const SipTarget& t) { return !known(t); });
  const bool was_down = down(trunk, target);
  if (answered != was_down) return false;  // up and answering, or down and still silent
  if (answered) {
    std::erase(state.down, target);
  } else if (known(target)) {
    state.down.push_back(target);
  } else {
    return false;
  }
  return true;
}

bool TrunkTargets::down(size_t trunk, const SipTarget& target) const {
  return std::ranges::find(states_.at(trunk).down, target) != states_.at(trunk).down.end();
}

std::optional<size_t> TrunkTargets::next(size_t trunk, std::span<const SipTarget> tried,
                                         Clock::time_point now) const {
  const std::vector<SipTarget>& targets = states_.at(trunk).targets;
  std::optional<size_t> down_one;  // the first usable one that is down: tried last
  for (size_t i = 0; i < targets.size(); ++i) {
    if (std::ranges::find(tried, targets[i]) != tried.end() || held_until(trunk, targets[i], now)) {
      continue;
    }
    if (!down(trunk, targets[i])) return i;
    if (!down_one) down_one = i;
  }
  return down_one;
}

std::vector<IpNetwork> TrunkTargets::addresses(size_t trunk) const {
  std::vector<IpNetwork> networks;
  for (const SipTarget& t : states_.at(trunk).targets) {
    const auto a = normalize(t.endpoint.address());
    const IpNetwork host{a, static_cast<uint8_t>(a.is_v4() ? 32 : 128)};
    if (std::ranges::find(networks, host) == networks.end()) networks.push_back(host);
  }
  return networks;
}

}  // namespace sbc::cp
