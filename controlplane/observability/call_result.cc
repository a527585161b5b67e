#include "controlplane/observability/call_result.h"

namespace sbc::cp {

std::string_view to_string(CallResult result) {
  switch (result) {
    case CallResult::kAnswered: return "answered";
    case CallResult::kCancelled: return "cancelled";
    case CallResult::kBusy: return "busy";
    case CallResult::kFailed: return "failed";
    case CallResult::kMediaTimeout: return "media_timeout";
    case CallResult::kMaxDuration: return "max_duration";
    case CallResult::kSessionExpired: return "session_expired";
  }
  return "unknown";
}

}  // namespace sbc::cp
