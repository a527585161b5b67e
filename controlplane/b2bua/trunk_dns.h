// Trunks known by DNS name: each is located (routing/sip_locator.h: NAPTR, SRV, A) at start and
// after a reload, again when its answer's TTL runs out, and after a failure with backoff (5 s,
// doubling to 5 minutes) while the last targets stay in use (routing/trunk_targets.h). Every
// change goes to the router (where calls, pings and registrations go, which trunk a source is)
// and to edge security (a trunk zone takes requests from its trunks' addresses only).
//
// Single-threaded, part of the B2BUA; the DnsClient's answers arrive on the same event loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/net/dns_client.h"
#include "controlplane/routing/sip_locator.h"
#include "controlplane/runtime/timer.h"

namespace sbc::cp {

class TrunkDns {
 public:
  static constexpr std::chrono::seconds kFirstRetry{5};
  static constexpr std::chrono::seconds kMaxRetry{300};

  // `dns` may be null (no resolver: names stay unresolved, their trunks take no calls).
  TrunkDns(B2buaContext& ctx, DnsClient* dns);
  TrunkDns(const TrunkDns&) = delete;
  TrunkDns& operator=(const TrunkDns&) = delete;

  // (Re)starts after the trunks were indexed again: a name without current targets is located
  // now, the others when their TTL runs out; answers to lookups of before are ignored.
  void restart();

 private:
  void schedule(size_t trunk, std::chrono::milliseconds delay);
  void locate(size_t trunk);
  void located(size_t trunk, uint64_t generation, SipLocator::Result result);
  // Hands trunk `trunk`'s targets to the router and edge security.
  void publish(size_t trunk);

  B2buaContext& ctx_;
  DnsClient* dns_;
  std::mt19937 random_{std::random_device{}()};
  std::unique_ptr<SipLocator> locator_;
  std::vector<Timer> next_;  // by trunk index
  uint64_t generation_ = 0;  // restart() makes the answers of earlier lookups stale
  // Answers that arrive after this is gone find it expired (their weak_ptr).
  std::shared_ptr<TrunkDns*> self_ = std::make_shared<TrunkDns*>(this);
};

}  // namespace sbc::cp
