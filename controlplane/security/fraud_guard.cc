#include "controlplane/security/fraud_guard.h"

#include <fmt/core.h>

#include <algorithm>

namespace sbc::cp {
namespace {

int64_t second_slot(FraudGuard::TimePoint now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

int64_t minute_slot(FraudGuard::TimePoint now) {
  return std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool visual_separator(char c) {
  return c == '-' || c == '.' || c == '(' || c == ')' || c == ' ';
}

// A number longer than E.164's 15 digits plus access codes and national prefixes is no number.
constexpr size_t kMaxNumberLength = 64;

}  // namespace

FraudGuard::FraudGuard(const SecurityView& config) {
  reconfigure(config);
}

void FraudGuard::reconfigure(const SecurityView& config) {
  prefixes_.clear();
  longest_prefix_ = 0;
  // Accounts the new config no longer names fall back to the [security] default rates.
  for (auto& [name, account] : accounts_) {
    account.max_per_minute = config.security.max_calls_per_minute;
    account.max_per_hour = config.security.max_calls_per_hour;
  }
  // Allowed first: a prefix in both lists (refused by the config check) stays blocked.
  for (const std::string& p : config.security.allowed_prefixes) prefixes_[p] = false;
  for (const std::string& p : config.security.blocked_prefixes) prefixes_[p] = true;
  for (const auto& [p, blocked] : prefixes_) longest_prefix_ = std::max(longest_prefix_, p.size());
  const SecurityConfig& s = config.security;
  for (const UserConfig& u : config.users) {
    Account& a = accounts_[u.name];
    a.max_per_minute =
        u.max_calls_per_minute != 0 ? u.max_calls_per_minute : s.max_calls_per_minute;
    a.max_per_hour = u.max_calls_per_hour != 0 ? u.max_calls_per_hour : s.max_calls_per_hour;
  }
  for (const ZoneConfig& z : config.zones) {
    Account& a = accounts_["zone:" + z.name];
    a.max_per_minute = s.max_calls_per_minute;
    a.max_per_hour = s.max_calls_per_hour;
  }
}

std::optional<DialledNumber> FraudGuard::normalize_number(std::string_view destination) {
  std::string dialled;
  for (size_t i = 0; i < destination.size(); ++i) {
    char c = destination[i];
    if (c == '%') {
      // RFC 3261 §25.1 escaped: "%2B" is '+', "%20" a space; the decoded character is judged.
      const int hi = i + 2 < destination.size() ? hex_value(destination[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(destination[i + 2]) : -1;
      if (lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (visual_separator(c)) continue;
    if (c == '+' && dialled.empty()) {
      dialled.push_back(c);
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (dialled.size() >= kMaxNumberLength) return std::nullopt;
    dialled.push_back(c);
  }
  std::string_view digits = dialled;
  if (digits.starts_with('+')) {
    digits.remove_prefix(1);
  } else if (digits.starts_with("011")) {
    digits.remove_prefix(3);
  } else if (digits.starts_with("00")) {
    digits.remove_prefix(2);
  }
  if (digits.empty()) return std::nullopt;
  DialledNumber out;
  out.digits = std::string(digits);
  out.dialled = std::move(dialled);
  return out;
}

std::expected<std::string, FraudRefusal> FraudGuard::check(std::string_view account,
                                                           std::string_view destination,
                                                           TimePoint now) {
  auto it = accounts_.find(account);
  Account* a = it == accounts_.end() ? nullptr : &it->second;
  const auto refuse = [&](std::string reason, FraudRule rule, int code = 403) {
    if (a != nullptr) ++a->refused;
    return std::unexpected(FraudRefusal{code, std::move(reason), rule});
  };
  const std::optional<DialledNumber> number = normalize_number(destination);
  if (!number && !prefixes_.empty()) {
    // The rules cannot judge it, and the carrier would: refuse rather than guess.
    return refuse("Address Incomplete (not a dialable number)", FraudRule::kNotANumber, 484);
  }
  const std::string_view digits = number ? std::string_view(number->digits) : std::string_view();
  // Longest prefix first: the first hit decides between blocked and allowed.
  for (size_t len = std::min(digits.size(), longest_prefix_); len > 0; --len) {
    auto p = prefixes_.find(digits.substr(0, len));
    if (p == prefixes_.end()) continue;
    if (p->second) {
      return refuse(fmt::format("Forbidden (destination prefix {} blocked)", p->first),
                    FraudRule::kBlockedPrefix);
    }
    break;
  }
  if (a == nullptr) return number ? number->dialled : std::string(destination);
  const int64_t second = second_slot(now);
  const int64_t minute = minute_slot(now);
  if (a->max_per_minute != 0 && a->minute.total(second) >= a->max_per_minute) {
    return refuse(
        fmt::format("Forbidden (account {} over {} calls per minute)", account, a->max_per_minute),
        FraudRule::kCallsPerMinute);
  }
  if (a->max_per_hour != 0 && a->hour.total(minute) >= a->max_per_hour) {
    return refuse(
        fmt::format("Forbidden (account {} over {} calls per hour)", account, a->max_per_hour),
        FraudRule::kCallsPerHour);
  }
  a->minute.add(second);
  a->hour.add(minute);
  ++a->calls;
  return number ? number->dialled : std::string(destination);
}

std::vector<AccountStats> FraudGuard::accounts(TimePoint now) const {
  std::vector<AccountStats> out;
  for (const auto& [name, a] : accounts_) {
    if (a.calls == 0 && a.refused == 0) continue;
    out.push_back(AccountStats{name, a.calls, a.refused, a.minute.total(second_slot(now)),
                               a.hour.total(minute_slot(now))});
  }
  return out;
}

}  // namespace sbc::cp
