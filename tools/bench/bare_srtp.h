// sbc-bench's SRTP baseline: libsrtp on its own, with no SBC around it.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "api/control_protocol.h"
#include "dataplane/media/srtp_library.h"
#include "tools/bench/bench_result.h"

namespace sbc::dp::bench {

// Protect + unprotect of one 172-byte RTP packet per iteration, the fastest of `rounds` rounds.
// With one context pair its state stays in L1: libsrtp's best case. With `contexts` pairs
// (distinct keys and SSRCs) taken in a fixed shuffled cycle, as the relay meets its sessions',
// each iteration finds its pair's state as cold as a relayed packet finds its session's: what
// libsrtp itself costs at that many sessions.
std::expected<Result, std::string> bare_srtp(const SrtpLibrary& library, api::SrtpSuite suite,
                                             uint64_t packets, uint32_t rounds,
                                             uint32_t contexts = 1);

}  // namespace sbc::dp::bench
