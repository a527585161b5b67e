// The call detail record of an ended call, as CdrWriter appends it and CallStore keeps it.
#pragma once

#include <nlohmann/json.hpp>

#include "controlplane/b2bua/call.h"
#include "controlplane/observability/metrics.h"

namespace sbc::cp {

[[nodiscard]] nlohmann::json make_cdr(const Call& call);

// What the CDR of a new call refused for its offer's media (488 or 500 with a Warning) is made
// from: no call was set up, so it has the INVITE's caller (From user) and callee (Request-URI
// user), starts and ends `at`, failed with the refusal's code and names it (media_refusal).
[[nodiscard]] Call refused_offer_record(uint64_t id, const sip::Message& invite,
                                        MediaRefusal refusal,
                                        std::chrono::system_clock::time_point at);

// The call's quality per direction (from its final media stats) into the metrics histograms.
void observe_call_quality(Metrics& metrics, const Call& call);

}  // namespace sbc::cp
