#include "controlplane/security/admission_control.h"

#include <fmt/core.h>

namespace sbc::cp {

AdmissionControl::Counter AdmissionControl::make_counter(const CallLimits& limits) {
  Counter c;
  c.limits = limits;
  c.starts.resize(limits.max_cps);
  return c;
}

AdmissionControl::AdmissionControl(const SecurityView& config)
    : global_(make_counter(config.security.limits)) {
  for (const TrunkConfig& t : config.trunks) trunks_.emplace(t.name, make_counter(t.limits));
  for (const UserConfig& u : config.users) users_.emplace(u.name, make_counter(u.limits));
}

std::optional<AdmissionRefusal> AdmissionControl::refuse(const Check& check, TimePoint now) {
  const Counter& c = *check.counter;
  const std::string who = check.name.empty()
                              ? std::string(to_string(check.scope))
                              : fmt::format("{} {}", to_string(check.scope), check.name);
  const bool user = check.scope == AdmissionScope::kUser;
  if (c.limits.max_calls != 0 && c.active >= c.limits.max_calls) {
    // A user at its own concurrent limit is busy (486); a full trunk or system is unavailable.
    AdmissionRefusal r{
        user ? 486 : 503,
        fmt::format("{} ({} at max_calls {})", user ? "Busy Here" : "Service Unavailable", who,
                    c.limits.max_calls),
        std::nullopt, check.scope, AdmissionLimit::kMaxCalls};
    if (!user) r.retry_after = kMaxCallsRetryAfter;
    return r;
  }
  if (c.limits.max_cps != 0 && c.filled == c.limits.max_cps) {
    const TimePoint frees = c.starts[c.next] + std::chrono::seconds(1);
    if (now < frees) {
      // Whole seconds until the window has room again, at least 1.
      const auto wait = std::chrono::ceil<std::chrono::seconds>(frees - now).count();
      return AdmissionRefusal{
          503, fmt::format("Service Unavailable ({} at max_cps {})", who, c.limits.max_cps),
          static_cast<uint32_t>(std::max<int64_t>(1, wait)), check.scope, AdmissionLimit::kMaxCps};
    }
  }
  return std::nullopt;
}

void AdmissionControl::count(Counter& c, TimePoint now) {
  ++c.active;
  if (c.limits.max_cps == 0) return;
  if (c.filled < c.limits.max_cps) {
    c.starts[(c.next + c.filled) % c.limits.max_cps] = now;
    ++c.filled;
  } else {
    c.starts[c.next] = now;  // overwrite the oldest
    c.next = (c.next + 1) % c.limits.max_cps;
  }
}

std::expected<AdmissionTicket, AdmissionRefusal> AdmissionControl::admit(const CallScopes& scopes,
                                                                         TimePoint now) {
  Check checks[3];
  size_t n = 0;
  checks[n++] = {&global_, AdmissionScope::kGlobal, ""};
  AdmissionTicket ticket;
  if (!scopes.trunk.empty()) {
    if (auto it = trunks_.find(scopes.trunk); it != trunks_.end()) {
      checks[n++] = {&it->second, AdmissionScope::kTrunk, scopes.trunk};
      ticket.trunk = scopes.trunk;
    }
  }
  if (!scopes.user.empty()) {
    if (auto it = users_.find(scopes.user); it != users_.end()) {
      checks[n++] = {&it->second, AdmissionScope::kUser, scopes.user};
      ticket.user = scopes.user;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (auto refusal = refuse(checks[i], now)) return std::unexpected(std::move(*refusal));
  }
  for (size_t i = 0; i < n; ++i) count(*checks[i].counter, now);
  return ticket;
}

void AdmissionLease::reset() {
  if (control_ == nullptr) return;
  std::exchange(control_, nullptr)->release(ticket_);
}

void AdmissionControl::release(const AdmissionTicket& ticket) {
  // Saturating: a double release must not wrap the count around.
  auto drop = [](Counter& c) {
    if (c.active > 0) --c.active;
  };
  drop(global_);
  if (auto it = trunks_.find(ticket.trunk); !ticket.trunk.empty() && it != trunks_.end()) {
    drop(it->second);
  }
  if (auto it = users_.find(ticket.user); !ticket.user.empty() && it != users_.end()) {
    drop(it->second);
  }
}

void AdmissionControl::readmit(const AdmissionTicket& ticket) {
  ++global_.active;
  if (auto it = trunks_.find(ticket.trunk); !ticket.trunk.empty() && it != trunks_.end()) {
    ++it->second.active;
  }
  if (auto it = users_.find(ticket.user); !ticket.user.empty() && it != users_.end()) {
    ++it->second.active;
  }
}

uint32_t AdmissionControl::active(std::string_view scope, std::string_view name) const {
  if (scope == "global") return global_.active;
  const auto& table = scope == "trunk" ? trunks_ : users_;
  if (scope != "trunk" && scope != "user") return 0;
  auto it = table.find(name);
  return it == table.end() ? 0 : it->second.active;
}

}  // namespace sbc::cp

namespace sbc::cp {

void AdmissionControl::reconfigure(const SecurityView& config) {
  auto update = [](Counter& c, const CallLimits& limits) {
    if (c.limits.max_cps != limits.max_cps) {
      c.starts.assign(limits.max_cps, TimePoint{});
      c.next = 0;
      c.filled = 0;
    }
    c.limits = limits;
  };
  update(global_, config.security.limits);
  auto refresh = [&](auto& counters, const auto& sections) {
    std::map<std::string, Counter, std::less<>> next;
    for (const auto& section : sections) {
      auto it = counters.find(section.name);
      Counter c = it == counters.end() ? make_counter(section.limits) : std::move(it->second);
      if (it != counters.end()) {
        update(c, section.limits);
        counters.erase(it);
      }
      next.emplace(section.name, std::move(c));
    }
    // Gone from the config but with calls in progress: counted until they end.
    for (auto& [name, c] : counters) {
      if (c.active > 0) next.emplace(name, std::move(c));
    }
    counters = std::move(next);
  };
  refresh(trunks_, config.trunks);
  refresh(users_, config.users);
}

}  // namespace sbc::cp
