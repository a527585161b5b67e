// Toll-fraud guard for calls toward trunks: blocked destination prefixes (with allowed
// exceptions, longest prefix deciding) and per-account call rates over a sliding minute and hour.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/security/security_settings.h"
#include "controlplane/security/window_counter.h"

namespace sbc::cp {

// The rule that refused a call (the rule label of sbc_fraud_refused_total).
enum class FraudRule : uint8_t {
  kBlockedPrefix,   // the destination matches a blocked prefix (403)
  kNotANumber,      // not a dialable number while prefix rules exist (484)
  kCallsPerMinute,  // the account is over its calls per minute (403)
  kCallsPerHour,    // the account is over its calls per hour (403)
  kCount,
};
inline constexpr size_t kFraudRuleCount = static_cast<size_t>(FraudRule::kCount);
inline constexpr std::array<std::string_view, kFraudRuleCount> kFraudRuleNames = {
    "blocked_prefix", "not_a_number", "calls_per_minute", "calls_per_hour"};
static_assert(kFraudRuleNames.back() == "calls_per_hour", "kFraudRuleNames must follow FraudRule");
constexpr std::string_view to_string(FraudRule rule) {
  return kFraudRuleNames[static_cast<size_t>(rule)];
}

struct FraudRefusal {
  int code = 403;
  std::string reason;  // "Forbidden (destination prefix 1900 blocked)"
  FraudRule rule = FraudRule::kBlockedPrefix;
};

// A dialled destination as the trunk receives it.
struct DialledNumber {
  // Percent-decoded, visual separators ('-', '.', '(', ')', space; RFC 3966) removed: an
  // optional '+' then digits ("+4420123", "004420123"). What the trunk's Request-URI carries.
  std::string dialled;
  // The digits after the international access code ('+', else "00" or "011"): what prefixes
  // are matched against ("4420123").
  std::string digits;
};

struct AccountStats {
  std::string account;
  uint64_t calls = 0;
  uint64_t refused = 0;
  uint32_t last_minute = 0;
  uint32_t last_hour = 0;
};

class FraudGuard {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // The minute is counted in 60 one-second slots, the hour in 60 one-minute slots.
  static constexpr size_t kSlots = 60;

  explicit FraudGuard(const SecurityView& config);
  // New prefix rules and account rates (a reload); the calls counted per account stay.
  void reconfigure(const SecurityView& config);
  // account: a user name, or "zone:NAME" for unauthenticated sources of an access zone (a bounded
  // set: the glue never passes anything else; any other name is prefix-checked only, so state
  // stays bounded). destination: the Request-URI user part (sip:, sips:) or tel: number, as
  // written. The prefix rules judge its normalised number (normalize_number); a destination that
  // is not a dialable number is refused (484, rule "not_a_number") when prefix rules exist.
  // Per-account rates: the user's own limits, else [security]'s. Counts the call when allowed,
  // and returns the user part to send to the trunk: the normalised number (`dialled`), or the
  // destination unchanged when it is not a number and no prefix rule exists.
  std::expected<std::string, FraudRefusal> check(std::string_view account,
                                                 std::string_view destination, TimePoint now);
  // Accounts that placed or were refused a call, sorted by account.
  [[nodiscard]] std::vector<AccountStats> accounts(TimePoint now) const;

  // The number a user part or tel: number dials; nullopt when it is not one (letters, '*',
  // '#', a bad or non-ASCII percent escape, no digit, '+' not first, longer than 64).
  [[nodiscard]] static std::optional<DialledNumber> normalize_number(std::string_view destination);

 private:
  struct Account {
    uint32_t max_per_minute = 0;  // 0: no limit
    uint32_t max_per_hour = 0;
    uint64_t calls = 0;
    uint64_t refused = 0;
    WindowCounter<kSlots> minute;
    WindowCounter<kSlots> hour;
  };

  std::map<std::string, bool, std::less<>> prefixes_;  // prefix -> blocked
  size_t longest_prefix_ = 0;
  std::map<std::string, Account, std::less<>> accounts_;
};

}  // namespace sbc::cp
