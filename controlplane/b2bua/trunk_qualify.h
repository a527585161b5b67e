// Qualify: an OPTIONS ping to each target of each trunk with `qualify = N` (its address, or every
// server its name resolves to), every N seconds, from the trunk zone's SIP address as any request
// of ours toward the carrier. A ping answered with any final response but 408 and 5xx (a carrier
// that refuses OPTIONS with 403 or 405 is still there) counts as answered, with its round trip;
// no final response within qualify_timeout_ms, a transport error, 408 or 5xx count as failed.
// Each target's verdict marks it up or down (routing/trunk_targets.h: calls start at a target
// that answers); the round's, once every target has one, feeds the router's TrunkHealth
// (routing/trunk_health.h: up/down hysteresis; a down trunk takes no new calls) and the
// sbc_trunk_* metrics: answered, with the round trip of the first target in order that
// answered, when any target did.
//
// Single-threaded, part of the B2BUA: its pings are client transactions of the B2BUA's layer
// with no call as owner, and B2bua hands their responses and errors here first.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/runtime/timer.h"

namespace sbc::cp {

class TrunkQualify {
 public:
  TrunkQualify(B2buaContext& ctx, CallSignalling& signalling);

  // (Re)starts the pings of the running configuration's trunks: at start and after a reload
  // (the trunks were indexed again). Pings in flight are forgotten; the first of each trunk
  // leaves within a second.
  void restart();
  // Client transaction `id`'s response or failure: true when it was a ping (then handled here).
  bool response(TransactionId id, const sip::Message& msg);
  bool transaction_error(TransactionId id, TransactionError error);

 private:
  struct Pending {
    size_t trunk = 0;
    size_t index = 0;  // of its target in the round
    SipTarget target;
    Scheduler::Clock::time_point sent;
    Timer timeout;
  };
  // A trunk's pings of one interval, one per target, until each has its verdict.
  struct Round {
    size_t outstanding = 0;
    bool several = false;  // more than one target: failures name theirs
    std::optional<std::pair<size_t, std::chrono::milliseconds>> first_answer;  // index, latency
    std::string failure;
  };

  void schedule(size_t trunk, std::chrono::milliseconds delay);
  void ping(size_t trunk);
  // Sends the round's ping to `peer` (the trunk's `index`th target).
  void ping_target(size_t trunk, size_t index, const SipPeer& peer);
  // A ping's verdict: the round trip when it was answered, else why not.
  void verdict(size_t trunk, size_t index, const SipTarget& target,
               std::optional<std::chrono::milliseconds> latency, std::string failure);
  void answered(size_t trunk, std::chrono::milliseconds latency);
  void failed(size_t trunk, std::string reason);
  void timed_out(TransactionId id);
  // Ping `id`, forgotten; nullopt when `id` is no ping.
  std::optional<Pending> take(TransactionId id);

  B2buaContext& ctx_;
  CallSignalling& signalling_;
  std::vector<Timer> next_;    // by trunk index: the next round
  std::vector<Round> rounds_;  // by trunk index
  std::unordered_map<TransactionId, Pending> pending_;
};

}  // namespace sbc::cp
