// How a call ended: the vocabulary shared by the B2BUA, its CDRs and sbc_calls_total{result}.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sbc::cp {

// How a call ended, as counted in sbc_calls_total{result} and written in CDRs.
enum class CallResult : uint8_t {
  kAnswered,
  kCancelled,
  kBusy,
  kFailed,
  kMediaTimeout,
  kMaxDuration,     // answered, cut at [sbcd] max_call_duration
  kSessionExpired,  // answered, a leg's session timer ran out without a refresh (RFC 4028)
};
[[nodiscard]] std::string_view to_string(CallResult result);

inline constexpr std::array kAllCallResults = {CallResult::kAnswered,      CallResult::kCancelled,
                                               CallResult::kBusy,          CallResult::kFailed,
                                               CallResult::kMediaTimeout,  CallResult::kMaxDuration,
                                               CallResult::kSessionExpired};

}  // namespace sbc::cp
