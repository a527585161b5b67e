// Call admission control: concurrent calls and new calls per second, globally ([security]), per
// trunk and per user. A refused call is answered with the refusal's code and Retry-After.
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
#include <utility>
#include <vector>

#include "controlplane/security/security_settings.h"

namespace sbc::cp {

struct CallScopes {  // "" = not applicable
  std::string_view trunk;
  std::string_view user;
};

// Where a limit is set and which one refused a call: the scope and limit labels of
// sbc_cac_refused_total (the trunk or user name is in the refusal's reason text, not a label).
enum class AdmissionScope : uint8_t { kGlobal, kTrunk, kUser, kCount };
inline constexpr size_t kAdmissionScopeCount = static_cast<size_t>(AdmissionScope::kCount);
inline constexpr std::array<std::string_view, kAdmissionScopeCount> kAdmissionScopeNames = {
    "global", "trunk", "user"};
static_assert(kAdmissionScopeNames.back() == "user", "kAdmissionScopeNames must follow the enum");
constexpr std::string_view to_string(AdmissionScope scope) {
  return kAdmissionScopeNames[static_cast<size_t>(scope)];
}

enum class AdmissionLimit : uint8_t { kMaxCalls, kMaxCps, kCount };
inline constexpr size_t kAdmissionLimitCount = static_cast<size_t>(AdmissionLimit::kCount);
inline constexpr std::array<std::string_view, kAdmissionLimitCount> kAdmissionLimitNames = {
    "max_calls", "max_cps"};
static_assert(kAdmissionLimitNames.back() == "max_cps",
              "kAdmissionLimitNames must follow the enum");
constexpr std::string_view to_string(AdmissionLimit limit) {
  return kAdmissionLimitNames[static_cast<size_t>(limit)];
}

struct AdmissionRefusal {
  int code;            // 503 (global/trunk, user cps), 486 (user max_calls)
  std::string reason;  // e.g. "Service Unavailable (trunk carrier1 at max_calls 10)"
  std::optional<uint32_t> retry_after;  // seconds, with 503
  AdmissionScope scope;
  AdmissionLimit limit;
};

struct AdmissionTicket {  // what release() gives back
  std::string trunk;
  std::string user;
};

class AdmissionControl;

// An admitted call's count: released when the lease goes (the call ended, or a later step of its
// setup failed). Move-only; the AdmissionControl must outlive it. A lease made from a ticket
// alone (a call read back from the store) counts nothing until readmitted.
class AdmissionLease {
 public:
  AdmissionLease() = default;
  explicit AdmissionLease(AdmissionTicket ticket) : ticket_(std::move(ticket)) {}
  AdmissionLease(AdmissionControl& control, AdmissionTicket ticket)
      : control_(&control), ticket_(std::move(ticket)) {}
  AdmissionLease(AdmissionLease&& other) noexcept
      : control_(std::exchange(other.control_, nullptr)), ticket_(std::move(other.ticket_)) {}
  AdmissionLease& operator=(AdmissionLease&& other) noexcept {
    if (this != &other) {
      reset();
      control_ = std::exchange(other.control_, nullptr);
      ticket_ = std::move(other.ticket_);
    }
    return *this;
  }
  AdmissionLease(const AdmissionLease&) = delete;
  AdmissionLease& operator=(const AdmissionLease&) = delete;
  ~AdmissionLease() { reset(); }

  void reset();  // uncounts the call now (nothing when it counts nothing)
  [[nodiscard]] bool counted() const { return control_ != nullptr; }
  [[nodiscard]] const AdmissionTicket& ticket() const { return ticket_; }

 private:
  AdmissionControl* control_ = nullptr;
  AdmissionTicket ticket_;
};

class AdmissionControl {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // Retry-After of a max_calls refusal: calls last minutes, so no exact time can be given; a few
  // seconds spreads retries without sending callers away for long.
  static constexpr uint32_t kMaxCallsRetryAfter = 5;

  explicit AdmissionControl(const SecurityView& config);  // global, per-trunk, per-user limits
  // New limits (a reload). Calls in progress stay counted, under their trunk and user even when
  // the new config no longer has them (their releases still find the counter); such a counter is
  // dropped at the next reload that finds it idle. The cps window restarts where max_cps changed.
  void reconfigure(const SecurityView& config);
  // Checks every applicable scope (global, then trunk, then user), then counts the call in all of
  // them (nothing counted on refusal). Names without a [trunk.NAME] / [user.NAME] are neither
  // limited nor counted.
  std::expected<AdmissionTicket, AdmissionRefusal> admit(const CallScopes& scopes, TimePoint now);
  void release(const AdmissionTicket& ticket);  // the call ended
  // Counts a call admitted before a restart again, without checking limits or the call rate.
  void readmit(const AdmissionTicket& ticket);
  // scope "global" (name ""), "trunk", "user"; 0 for anything unknown.
  [[nodiscard]] uint32_t active(std::string_view scope, std::string_view name) const;

 private:
  // One scope's limits and state. The last max_cps admission times are kept in a ring: a new call
  // fits when the oldest of them is at least one second old (an exact 1 s sliding window).
  struct Counter {
    CallLimits limits;
    uint32_t active = 0;
    std::vector<TimePoint> starts;  // ring of max_cps entries
    size_t next = 0;                // ring position of the oldest entry
    size_t filled = 0;
  };
  struct Check {
    Counter* counter = nullptr;
    AdmissionScope scope = AdmissionScope::kGlobal;
    std::string_view name;
  };
  static Counter make_counter(const CallLimits& limits);
  static std::optional<AdmissionRefusal> refuse(const Check& check, TimePoint now);
  static void count(Counter& c, TimePoint now);

  Counter global_;
  std::map<std::string, Counter, std::less<>> trunks_;
  std::map<std::string, Counter, std::less<>> users_;
};

}  // namespace sbc::cp
