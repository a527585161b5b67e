// Why a source was banned (Ban::reason, the reason label of sbc_security_bans_total): one of the
// offences that escalate to a ban, or an operator's manual ban. Defined once with its name table,
// like the drop reasons (security_drop_reason.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sbc::cp {

enum class BanReason : uint8_t {
  // The offences (enum Offence, source_guard.h), in the same order.
  kAuthFailure,
  kMalformed,
  kScanner,
  kRateExceeded,
  kTlsFailure,
  kConnectionRate,
  kManual,  // `security ban` by an operator: no escalation, its own duration
  kCount,
};
inline constexpr size_t kBanReasonCount = static_cast<size_t>(BanReason::kCount);

inline constexpr std::array<std::string_view, kBanReasonCount> kBanReasonNames = {
    "auth_failure", "malformed", "scanner", "rate", "tls_failure", "connection_rate", "manual"};
static_assert(kBanReasonNames.back() == "manual", "kBanReasonNames must follow enum BanReason");

constexpr std::string_view to_string(BanReason reason) {
  return kBanReasonNames[static_cast<size_t>(reason)];
}

// The reason named `name` (a stored ban's); nullopt for an unknown name.
constexpr std::optional<BanReason> parse_ban_reason(std::string_view name) {
  for (size_t i = 0; i < kBanReasonCount; ++i) {
    if (kBanReasonNames[i] == name) return static_cast<BanReason>(i);
  }
  return std::nullopt;
}

}  // namespace sbc::cp
