// sbcd's table sizes: live calls, SIP transactions and ended calls remembered for retransmissions.
// Each is [sbcd] call_capacity / transaction_capacity / ended_call_capacity when configured, else
// derived from what the media path can carry: the dataplane's session table (max_sessions, known
// after Hello) and the [media] port range (each call holds one RTP/RTCP pair on each leg).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controlplane/config/config.h"

namespace sbc::cp {

// Floors of the derived transaction and ended-call sizes. Both tables hold state for a fixed
// time after a call (64*T1 = 32 s: Timers J, L, M; the ended-call linger), so what they need
// grows with the call rate, not with concurrent calls: a sustained call/s keeps about 64 server
// and 37 client transactions and 32 ended calls. These floors cover 2,000 calls/s.
inline constexpr size_t kMinDerivedTransactions = 131072;
inline constexpr size_t kMinDerivedEndedCalls = 65536;

struct CapacityLimits {
  size_t calls = 0;         // live calls; a new call beyond them gets 503 + Retry-After
  size_t transactions = 0;  // each of server and client transactions
  size_t ended_calls = 0;   // ended calls remembered; the oldest is forgotten first
  // Where each comes from: "configured", "media ports" or "dataplane max_sessions" (calls),
  // "derived" (the others).
  std::string_view calls_source;
  std::string_view transactions_source;
  std::string_view ended_calls_source;
};

// Live calls the [media] port range can anchor: the RTP/RTCP pairs of one dataplane port,
// divided by the legs a call puts on the busiest port (2 when the access zone and a trunk zone
// share a dataplane port, else 1).
[[nodiscard]] size_t media_call_capacity(const Config& config);

// The limits in force: configured ones as they are, the rest derived. `dataplane_max_sessions`
// 0: not known yet (no Hello): the media port range alone.
[[nodiscard]] CapacityLimits resolve_capacity(const Config& config,
                                              uint32_t dataplane_max_sessions);

}  // namespace sbc::cp
