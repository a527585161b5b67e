// The call detail record of an ended call, as CdrWriter appends it and CallStore keeps it.
#pragma once

#include <nlohmann/json.hpp>

#include "controlplane/b2bua/call.h"

namespace sbc::cp {

[[nodiscard]] nlohmann::json make_cdr(const Call& call);

}  // namespace sbc::cp
