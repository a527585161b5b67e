// Keep-alives toward NATed clients (zone key nat_keepalive): a phone behind NAT is reachable
// only while its pinhole is open, and many NATs close a UDP pinhole after 30 s of silence; its
// REGISTER refreshes (nat_expires) come too seldom for those. Every nat_keepalive_interval the
// SBC sends each NATed binding of the zone (registrar.h: local or relayed) either
//   - options: an OPTIONS request, as Kamailio's nathelper does; any response keeps the binding,
//     none at all (Timer F) drops it, so calls to a phone that is gone fail at once (480) instead
//     of ringing into a dead pinhole; or
//   - crlf: a CRLFCRLF ping (RFC 5626 §4.4.1), which a UA discards, over the binding's own
//     connection for TCP/TLS.
// The bindings are spread over the interval (by a hash of their contact), so a large registrar
// sends a steady trickle, not a burst. OPTIONS in flight are bounded (kMaxInFlight): over that a
// round skips bindings rather than filling the transaction table the calls need.
//
// Single-threaded, part of the B2BUA: the OPTIONS are client transactions of its layer with no
// call as owner.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/runtime/timer.h"

namespace sbc::cp {

class NatKeepalive {
 public:
  // The tick: every binding falls in one tick of each of its zone's intervals (the shortest
  // interval a zone may set).
  static constexpr std::chrono::seconds kTick{5};
  static constexpr size_t kMaxInFlight = 4096;

  NatKeepalive(B2buaContext& ctx, CallSignalling& signalling);

  // Client transaction `id`'s response or failure: true when it was one of our OPTIONS.
  bool response(TransactionId id, const sip::Message& msg);
  bool transaction_error(TransactionId id, TransactionError error);

 private:
  struct Target {
    std::string user;
    std::string contact;
  };

  void tick();
  void send_options(const Binding& binding);

  B2buaContext& ctx_;
  CallSignalling& signalling_;
  uint64_t ticks_ = 0;
  std::unordered_map<TransactionId, Target> in_flight_;
  Timer timer_;
};

}  // namespace sbc::cp
