// The call detail record of an ended call, as CdrWriter appends it and CallStore keeps it.
#pragma once

#include <nlohmann/json.hpp>

#include "controlplane/b2bua/call.h"
#include "controlplane/observability/metrics.h"

namespace sbc::cp {

[[nodiscard]] nlohmann::json make_cdr(const Call& call);

// The call's quality per direction (from its final media stats) into the metrics histograms.
void observe_call_quality(Metrics& metrics, const Call& call);

}  // namespace sbc::cp
