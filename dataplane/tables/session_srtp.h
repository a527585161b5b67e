// SessionSrtp: the SRTP/SRTCP contexts of one media session, the cold per-session object a worker
// reaches through SessionConfig::srtp (null for a plain RTP session: no cost there).
//
// Per leg and stream kind (RTP, RTCP) up to two contexts: `in` unprotects what arrives on the leg
// (the peer's key, LegSpec.srtp_in), `out` protects what the SBC sends on it (our key,
// LegSpec.srtp_out). RTP and RTCP have separate libsrtp sessions (SRTP on one, SRTCP on the
// other), so each has its own SSRC table, rollover counter and replay window.
//
// Threads. A snapshot is built on the control thread (SessionTable upsert) and is immutable once
// published; the worker owning a stream uses its `in` context, the worker owning the other leg's
// stream of the same kind uses its `out` context (one worker each: a stream's packets arrive on
// one port). The contexts are owned through shared_ptr so that an upsert can carry a context over
// into the next snapshot (unchanged params, or an empty key: "keep"; its rollover counter and
// replay window continue); the old snapshot is retired with the old SessionConfig through RCU, so
// a replaced context is freed only after every worker's grace period. The shared_ptr reference
// counts are touched only by the control thread; workers read the raw pointers of the first line.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>

#include "api/control_protocol.h"
#include "dataplane/fastpath/counters.h"
#include "dataplane/media/srtp_context.h"
#include "dataplane/media/srtp_library.h"

namespace sbc::dp {

// Per-stream SRTP drops, written by the stream's worker (only when it drops), read for stats.
// A protect failure (toward the other leg) is counted on the stream the packet arrived on.
struct SrtpStreamCounters {
  Counter64 auth_failed;  // unprotect: the tag did not verify (tampered, wrong key, not SRTP)
  Counter64 replayed;     // unprotect: index already seen or older than the replay window
  Counter64 malformed;    // unprotect: too short, bad RTP/RTCP header
  Counter64 ssrc_limit;   // one SSRC more than the context admits (either direction)
  Counter64 failed;       // no tailroom for the trailer, key usage limit, other libsrtp failure
};

struct alignas(64) SessionSrtp {
  // Workers: [leg][kind]; null where that direction is plain RTP. One cache line.
  std::array<std::array<SrtpInbound*, 2>, 2> in{};
  std::array<std::array<SrtpOutbound*, 2>, 2> out{};
  // Control thread: the owners.
  std::array<std::array<std::shared_ptr<SrtpInbound>, 2>, 2> in_owner;
  std::array<std::array<std::shared_ptr<SrtpOutbound>, 2>, 2> out_owner;
};
static_assert(offsetof(SessionSrtp, in_owner) == 64);

// The SRTP contexts for `add`. `previous` / `previous_spec` are the session's current snapshot and
// spec (null for a new session): a direction whose params equal the previous ones, or whose key is
// empty ("keep"), keeps its context; `add`'s empty keys are replaced with the kept params, so the
// stored spec names what is in use. An empty key where there is nothing to keep, a suite change
// with an empty key, or SRTP without a library is refused (kInvalid / kUnsupported, with a detail
// naming leg and direction). Returns null when no direction uses SRTP.
std::expected<std::unique_ptr<SessionSrtp>, api::Result> build_session_srtp(
    const SrtpLibrary* library, api::SessionAdd& add, const api::SessionAdd* previous_spec,
    const SessionSrtp* previous);

}  // namespace sbc::dp
