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

bool all_digits(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

FraudGuard::FraudGuard(const Config& config) {
  reconfigure(config);
}

void FraudGuard::reconfigure(const Config& config) {
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

std::string_view FraudGuard::normalize_destination(std::string_view destination) {
  if (destination.starts_with('+')) {
    destination.remove_prefix(1);
  } else if (destination.starts_with("011")) {
    destination.remove_prefix(3);
  } else if (destination.starts_with("00")) {
    destination.remove_prefix(2);
  }
  return all_digits(destination) ? destination : std::string_view();
}

std::expected<void, FraudRefusal> FraudGuard::check(std::string_view account,
                                                    std::string_view destination, TimePoint now) {
  auto it = accounts_.find(account);
  Account* a = it == accounts_.end() ? nullptr : &it->second;
  const auto refuse = [&](std::string reason, std::string rule) {
    if (a != nullptr) ++a->refused;
    return std::unexpected(FraudRefusal{403, std::move(reason), std::move(rule)});
  };
  const std::string_view digits = normalize_destination(destination);
  // Longest prefix first: the first hit decides between blocked and allowed.
  for (size_t len = std::min(digits.size(), longest_prefix_); len > 0; --len) {
    auto p = prefixes_.find(digits.substr(0, len));
    if (p == prefixes_.end()) continue;
    if (p->second) {
      return refuse(fmt::format("Forbidden (destination prefix {} blocked)", p->first),
                    "blocked_prefix");
    }
    break;
  }
  if (a == nullptr) return {};
  const int64_t second = second_slot(now);
  const int64_t minute = minute_slot(now);
  if (a->max_per_minute != 0 && a->minute.total(second) >= a->max_per_minute) {
    return refuse(
        fmt::format("Forbidden (account {} over {} calls per minute)", account, a->max_per_minute),
        "calls_per_minute");
  }
  if (a->max_per_hour != 0 && a->hour.total(minute) >= a->max_per_hour) {
    return refuse(
        fmt::format("Forbidden (account {} over {} calls per hour)", account, a->max_per_hour),
        "calls_per_hour");
  }
  a->minute.add(second);
  a->hour.add(minute);
  ++a->calls;
  return {};
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
