#include "controlplane/security/source_guard.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <random>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::seconds;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

size_t counter_index(Offence o) {
  switch (o) {
    case Offence::kAuthFailure: return 0;
    case Offence::kMalformed: return 1;
    case Offence::kTlsFailure: return 3;
    case Offence::kConnectionRate: return 4;
    default: return 2;  // kRateExceeded
  }
}

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

AddressKey source_key(const ip::address& a) {
  AddressKey key = address_key(a);
  if (!normalize(a).is_v4()) std::fill(key.begin() + kIpv6SourcePrefix / 8, key.end(), 0);
  return key;
}

std::string_view to_string(Offence o) {
  switch (o) {
    case Offence::kAuthFailure: return "auth_failure";
    case Offence::kMalformed: return "malformed";
    case Offence::kScanner: return "scanner";
    case Offence::kRateExceeded: return "rate";
    case Offence::kTlsFailure: return "tls_failure";
    case Offence::kConnectionRate: return "connection_rate";
    case Offence::kCount: break;
  }
  return "unknown";
}

SourceGuard::SourceGuard(const SecurityConfig& config, BanSink& sink)
    : config_(config),
      sink_(sink),
      allowlist_(config.allowlist),
      slot_length_(std::max<int64_t>(1, int64_t{config.window} * 1000 / int64_t{kWindowSlots})),
      sources_(16, AddressKeyHash{random_seed()}),
      bans_(16, AddressKeyHash{random_seed()}),
      recidive_(16, AddressKeyHash{random_seed()}) {
  reconfigure(config);
}

void SourceGuard::reconfigure(const SecurityConfig& config) {
  const std::chrono::milliseconds slot_length(
      std::max<int64_t>(1, int64_t{config.window} * 1000 / int64_t{kWindowSlots}));
  if (slot_length != slot_length_) {
    for (Source& s : lru_) s.offences = {};
    slot_length_ = slot_length;
  }
  config_ = config;
  allowlist_ = NetworkSet(config.allowlist);
  scanner_patterns_.clear();
  for (const std::string& p : config.scanner_user_agents) {
    std::string l;
    std::ranges::transform(p, std::back_inserter(l), lower);
    if (!l.empty()) scanner_patterns_.push_back(std::move(l));
  }
  // After this long without traffic a source's offences have left the window and its bucket is
  // full again: its state is the same as a new source's.
  const double refill_s =
      config.request_rate == 0 ? 0.0 : double(config.request_burst) / config.request_rate;
  idle_after_ = std::max<std::chrono::steady_clock::duration>(
      seconds(config.window), std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(refill_s)));
  config_.max_tracked_sources = std::max<uint32_t>(1, config.max_tracked_sources);
}

int64_t SourceGuard::slot(TimePoint now) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() /
         slot_length_.count();
}

SourceGuard::Source& SourceGuard::touch(const AddressKey& key, TimePoint now) {
  if (auto it = sources_.find(key); it != sources_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    it->second->last_seen = now;
    return *it->second;
  }
  if (sources_.size() >= config_.max_tracked_sources) {
    // Reuse the least recently seen source's node: no allocation once the table is full.
    sources_.erase(lru_.back().key);
    lru_.splice(lru_.begin(), lru_, std::prev(lru_.end()));
    lru_.front() = Source{};
  } else {
    lru_.emplace_front();
  }
  Source& s = lru_.front();
  s.key = key;
  s.tokens = config_.request_burst;
  s.refilled = now;
  s.connection_tokens = config_.max_connection_rate;
  s.connections_refilled = now;
  s.last_seen = now;
  sources_.emplace(key, lru_.begin());
  return s;
}

const Ban* SourceGuard::active_ban(const AddressKey& key, TimePoint now) const {
  auto it = bans_.find(key);
  if (it == bans_.end()) return nullptr;
  if (it->second.until && *it->second.until <= now) return nullptr;  // due for expire()
  return &it->second;
}

bool SourceGuard::allowlisted(const ip::address& source) const {
  return allowlist_.contains(source);
}

bool SourceGuard::is_banned(const ip::address& source, TimePoint now) const {
  return active_ban(source_key(source), now) != nullptr;
}

const Ban* SourceGuard::find_ban(const ip::address& source, TimePoint now) const {
  return active_ban(source_key(source), now);
}

bool SourceGuard::is_scanner(std::string_view user_agent) const {
  return std::ranges::any_of(scanner_patterns_, [&](const std::string& p) {
    return !std::ranges::search(user_agent, p, [](char a, char b) {
              return lower(a) == b;
            }).empty();
  });
}

SourceGuard::Admit SourceGuard::admit(const ip::address& source, TimePoint now, bool may_ban) {
  if (!allowlist_.empty() && allowlist_.contains(source)) return Admit::kYes;
  const AddressKey key = source_key(source);
  if (!bans_.empty() && active_ban(key, now) != nullptr) return Admit::kBanned;
  if (config_.request_rate == 0) return Admit::kYes;
  Source& s = touch(key, now);
  if (now > s.refilled) {
    const double elapsed = std::chrono::duration<double>(now - s.refilled).count();
    s.tokens = std::min<double>(config_.request_burst, s.tokens + elapsed * config_.request_rate);
    s.refilled = now;
  }
  if (s.tokens >= 1.0) {
    s.tokens -= 1.0;
    return Admit::kYes;
  }
  if (may_ban) offend(source, Offence::kRateExceeded, now);
  return Admit::kRateLimited;
}

SourceGuard::Admit SourceGuard::admit_connection(const ip::address& source, TimePoint now,
                                                 bool may_ban) {
  if (!allowlist_.empty() && allowlist_.contains(source)) return Admit::kYes;
  const AddressKey key = source_key(source);
  if (!bans_.empty() && active_ban(key, now) != nullptr) return Admit::kBanned;
  if (config_.max_connection_rate == 0) return Admit::kYes;
  Source& s = touch(key, now);
  if (now > s.connections_refilled) {
    const double elapsed = std::chrono::duration<double>(now - s.connections_refilled).count();
    s.connection_tokens = std::min<double>(
        config_.max_connection_rate, s.connection_tokens + elapsed * config_.max_connection_rate);
    s.connections_refilled = now;
  }
  if (s.connection_tokens >= 1.0) {
    s.connection_tokens -= 1.0;
    return Admit::kYes;
  }
  if (may_ban) offend(source, Offence::kConnectionRate, now);
  return Admit::kRateLimited;
}

bool SourceGuard::offend(const ip::address& source, Offence offence, TimePoint now) {
  if (offence == Offence::kCount || allowlisted(source)) return false;
  const AddressKey key = source_key(source);
  if (active_ban(key, now) != nullptr) return false;
  if (offence != Offence::kScanner) {
    uint32_t limit = 0;
    switch (offence) {
      case Offence::kAuthFailure: limit = config_.max_auth_failures; break;
      case Offence::kMalformed: limit = config_.max_malformed; break;
      case Offence::kTlsFailure: limit = config_.max_tls_failures; break;
      default: limit = config_.max_rate_violations; break;
    }
    WindowCounter<kWindowSlots>& counter = touch(key, now).offences[counter_index(offence)];
    const int64_t current = slot(now);
    counter.add(current);
    if (limit == 0 || counter.total(current) < limit) return false;
  }
  if (!add_ban(key, source, ban_reason(offence), std::nullopt, now)) {
    ++bans_refused_;
    return false;
  }
  return true;
}

uint32_t SourceGuard::next_level(const AddressKey& key, TimePoint now) {
  uint32_t level = 1;
  auto it = recidive_.find(key);
  if (it != recidive_.end()) {
    const Recidive& r = *it->second;
    if (now - r.last_ban < seconds(config_.recidive_window)) level = r.level + 1;
    recidive_order_.erase(it->second);
    recidive_.erase(it);
  } else if (recidive_.size() >= std::max<uint32_t>(1, config_.max_bans)) {
    recidive_.erase(recidive_order_.front().key);  // forget the oldest offender
    recidive_order_.pop_front();
  }
  recidive_order_.push_back(Recidive{key, now, level});
  recidive_.emplace(key, std::prev(recidive_order_.end()));
  return level;
}

std::optional<Ban> SourceGuard::add_ban(const AddressKey& key, const ip::address& offender,
                                        BanReason reason, std::optional<seconds> duration,
                                        TimePoint now) {
  const bool replacing = bans_.contains(key);
  if (!replacing && bans_.size() >= config_.max_bans) return std::nullopt;
  if (replacing) erase_ban(key);
  Ban ban;
  ban.source = address_from_key(key);
  ban.prefix_length = ban.source.is_v4() ? 32 : kIpv6SourcePrefix;
  ban.offender = normalize(offender);
  ban.since = now;
  ban.level = next_level(key, now);
  ban.reason = reason;
  if (ban.reason != BanReason::kManual) {
    // ban_time * 2^(level-1), capped; the shift is bounded so it cannot overflow.
    const uint64_t factor = uint64_t{1} << std::min<uint32_t>(ban.level - 1, 32);
    duration = seconds(std::min<uint64_t>(uint64_t{config_.ban_time} * factor,
                                          std::max(config_.ban_time_max, config_.ban_time)));
  }
  if (duration) {
    ban.until = now + *duration;
    expiries_.emplace(*ban.until, key);
  }
  // A banned source's packets never reach admit() again; its counters would only go stale.
  if (auto it = sources_.find(key); it != sources_.end()) {
    lru_.erase(it->second);
    sources_.erase(it);
  }
  const Ban& stored = bans_.emplace(key, std::move(ban)).first->second;
  sink_.ban_added(stored);
  return stored;
}

void SourceGuard::erase_ban(const AddressKey& key) {
  auto it = bans_.find(key);
  if (it == bans_.end()) return;
  if (it->second.until) expiries_.erase({*it->second.until, key});
  bans_.erase(it);
}

std::expected<Ban, std::string> SourceGuard::ban(const ip::address& source,
                                                 std::optional<seconds> duration, TimePoint now) {
  if (allowlisted(source)) {
    return std::unexpected(
        fmt::format("{} is in [security] allowlist: allow-listed sources are never banned",
                    normalize(source).to_string()));
  }
  if (duration && duration->count() <= 0) {
    return std::unexpected("a ban duration must be at least 1 s");
  }
  auto ban = add_ban(source_key(source), source, BanReason::kManual, duration, now);
  if (!ban) {
    return std::unexpected(
        fmt::format("the ban table is full ([security] max_bans {})", config_.max_bans));
  }
  return *ban;
}

bool SourceGuard::unban(const ip::address& source) {
  const AddressKey key = source_key(source);
  if (!bans_.contains(key)) return false;
  erase_ban(key);
  sink_.ban_removed(address_from_key(key), "manual");
  return true;
}

bool SourceGuard::restore(const Ban& ban) {
  const AddressKey key = source_key(ban.source);
  if (allowlisted(ban.source) || bans_.contains(key) || bans_.size() >= config_.max_bans) {
    return false;
  }
  if (!recidive_.contains(key) && recidive_.size() < std::max<uint32_t>(1, config_.max_bans)) {
    recidive_order_.push_back(Recidive{key, ban.since, ban.level});
    recidive_.emplace(key, std::prev(recidive_order_.end()));
  }
  Ban restored = ban;
  restored.source = address_from_key(key);
  if (restored.until) expiries_.emplace(*restored.until, key);
  bans_.emplace(key, std::move(restored));
  return true;
}

std::optional<SourceGuard::TimePoint> SourceGuard::expire(TimePoint now) {
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const AddressKey key = expiries_.begin()->second;
    erase_ban(key);
    sink_.ban_removed(address_from_key(key), "expired");
  }
  while (!recidive_order_.empty() &&
         now - recidive_order_.front().last_ban >= seconds(config_.recidive_window)) {
    recidive_.erase(recidive_order_.front().key);
    recidive_order_.pop_front();
  }
  while (!lru_.empty() && now - lru_.back().last_seen >= idle_after_) {
    sources_.erase(lru_.back().key);
    lru_.pop_back();
  }
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

std::vector<Ban> SourceGuard::bans() const {
  std::vector<Ban> out;
  out.reserve(bans_.size());
  for (const auto& [key, ban] : bans_) out.push_back(ban);
  std::ranges::sort(out, [](const Ban& a, const Ban& b) { return a.source < b.source; });
  return out;
}

}  // namespace sbc::cp
