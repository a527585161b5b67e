// EdgeSecurity across a configuration reload: derived state rebuilt from the new running config,
// the dataplane's trusted sources brought in line, and the peers of live calls kept reachable.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "controlplane/security/edge_security.h"

namespace sbc::cp {

using boost::asio::ip::address;

void EdgeSecurity::reconfigure(const CallPeers& call_peers) {
  const std::vector<address> before = static_trusted_;
  // Names no trunk has any more are forgotten; the others are resolved again (b2bua/trunk_dns.h).
  std::erase_if(resolved_trunks_, [&](const auto& entry) {
    return std::ranges::none_of(
        config_.trunks, [&](const TrunkConfig& t) { return t.name == entry.first && !t.address; });
  });
  derive();
  guard_.reconfigure(config_.security);
  admission_.reconfigure(config_);
  fraud_.reconfigure(config_);
  sync_trusted(before);
  // Live calls outlive the config that admitted their peers.
  kept_peers_.clear();
  for (const auto& [zone, source] : call_peers) {
    const address a = normalize(source);
    if (zone < config_.zones.size() && !config_allows(zone, a)) kept_peers_.emplace(zone, a);
  }
  if (!kept_peers_.empty()) {
    spdlog::info(
        "security: {} peer(s) of live calls no longer allowed by the configuration keep "
        "their calls' dialogs",
        kept_peers_.size());
  }
}

void EdgeSecurity::sync_trusted(const std::vector<address>& before) {
  // The dataplane's source table: new configured hosts become trusted, hosts no longer configured
  // lose it (unless a registration or a ban holds them).
  const TimePoint now = scheduler_.now();
  std::vector<address> added;
  std::vector<address> removed;
  std::ranges::set_difference(static_trusted_, before, std::back_inserter(added));
  std::ranges::set_difference(before, static_trusted_, std::back_inserter(removed));
  for (const address& a : added) {
    if (!guard_.is_banned(a, now)) push_source(a, api::SourceClass::kTrusted, std::nullopt);
  }
  for (const address& a : removed) {
    if (guard_.is_banned(a, now)) continue;
    if (auto it = registered_trusted_.find(a);
        it != registered_trusted_.end() && it->second > now) {
      push_source(a, api::SourceClass::kTrusted, it->second);
      continue;
    }
    delete_source(a);
  }
}

void EdgeSecurity::prune_kept_peers(const CallPeers& call_peers) {
  std::set<std::pair<size_t, address>> live;
  for (const auto& [zone, source] : call_peers) live.emplace(zone, normalize(source));
  std::erase_if(kept_peers_, [&](const auto& peer) { return !live.contains(peer); });
}

bool EdgeSecurity::kept_peer(size_t zone, const address& source) const {
  return !kept_peers_.empty() && kept_peers_.contains({zone, normalize(source)});
}

bool EdgeSecurity::held_by_calls(size_t zone, const address& source) const {
  return kept_peer(zone, source) && !config_allows(zone, normalize(source));
}

}  // namespace sbc::cp
