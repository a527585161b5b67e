// Toll-fraud guard for calls toward trunks: blocked destination prefixes (with allowed
// exceptions, longest prefix deciding) and per-account call rates over a sliding minute and hour.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config.h"
#include "controlplane/security/window_counter.h"

namespace sbc::cp {

struct FraudRefusal {
  int code = 403;
  std::string reason;  // "Forbidden (destination prefix 1900 blocked)"
  std::string rule;    // "blocked_prefix" | "calls_per_minute" | "calls_per_hour"
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

  explicit FraudGuard(const Config& config);
  // New prefix rules and account rates (a reload); the calls counted per account stay.
  void reconfigure(const Config& config);
  // account: a user name, or "zone:NAME" for unauthenticated sources of an access zone (a bounded
  // set: the glue never passes anything else; any other name is prefix-checked only, so state
  // stays bounded). destination: the Request-URI user part. Prefixes match the digits after
  // removing a leading '+', or else a leading "00" / "011" international access code; a
  // destination that is not all digits (after an optional '+') is not prefix-checked.
  // Per-account rates: the user's own limits, else [security]'s. Counts the call when allowed.
  std::expected<void, FraudRefusal> check(std::string_view account, std::string_view destination,
                                          TimePoint now);
  // Accounts that placed or were refused a call, sorted by account.
  [[nodiscard]] std::vector<AccountStats> accounts(TimePoint now) const;

  // The digits prefixes are matched against; "" when the destination is not prefix-checked.
  [[nodiscard]] static std::string_view normalize_destination(std::string_view destination);

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
