// Fail2ban-style per-source state: a token bucket over received SIP messages, sliding-window
// offence counters, bans with expiry escalating for repeat offenders, an allow list that is never
// banned or limited. Every table is bounded (max_tracked_sources with LRU eviction, max_bans,
// recidive memory); admit() is O(1) amortised since it runs for every received message.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controlplane/net/ip_network.h"
#include "controlplane/security/ban_reason.h"
#include "controlplane/security/security_settings.h"
#include "controlplane/security/window_counter.h"

namespace sbc::cp {

enum class Offence : uint8_t {
  kAuthFailure,
  kMalformed,
  kScanner,
  kRateExceeded,
  kTlsFailure,      // an inbound TLS handshake failed or timed out
  kConnectionRate,  // a TCP/TLS connection over max_connection_rate
  kCount
};
// "auth_failure", "malformed", "scanner", "rate", "tls_failure", "connection_rate"
[[nodiscard]] std::string_view to_string(Offence o);
// The ban an offence escalates to.
[[nodiscard]] constexpr BanReason ban_reason(Offence o) {
  return static_cast<BanReason>(o);
}
static_assert(static_cast<size_t>(Offence::kCount) == static_cast<size_t>(BanReason::kManual),
              "enum BanReason starts with the offences, in their order");

// Offences, request buckets and bans are kept per source key: an IPv4 address (/32), or the /64
// of an IPv6 address (one subscriber's LAN: a host rotating its interface identifier is still one
// source).
inline constexpr uint8_t kIpv6SourcePrefix = 64;
// The source key of an address: address_key() with the host bits of an IPv6 address cleared.
[[nodiscard]] AddressKey source_key(const boost::asio::ip::address& a);

struct Ban {
  // What is banned: an IPv4 address, or the IPv6 /64 network address (prefix_length 64).
  boost::asio::ip::address source;  // normalised (a v4-mapped address as IPv4)
  uint8_t prefix_length = 32;       // 32 (IPv4) or kIpv6SourcePrefix
  // The address whose offence (or the manual ban's address) made the ban: the dataplane's
  // source table holds exact addresses, so this is the one pushed first.
  boost::asio::ip::address offender;
  std::chrono::steady_clock::time_point since;
  std::optional<std::chrono::steady_clock::time_point> until;  // nullopt: until removed
  BanReason reason = BanReason::kManual;                       // the offence, or kManual
  uint32_t level = 1;  // 1st, 2nd, ... ban of this address inside recidive_window
};

class BanSink {  // the lead implements it: dataplane push + metrics + log
 public:
  virtual ~BanSink() = default;
  virtual void ban_added(const Ban& ban) = 0;
  virtual void ban_removed(const boost::asio::ip::address& source, std::string_view why) = 0;
  // why: "expired" | "manual"
};

class SourceGuard {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class Admit : uint8_t { kYes, kBanned, kRateLimited };
  // Offence windows are split into this many slots: an offence is forgotten between 5/6 of
  // `window` and `window` after it happened.
  static constexpr size_t kWindowSlots = 6;

  SourceGuard(const SecurityConfig& config, BanSink& sink);
  // New [security] settings (a reload): bans, buckets and recidive records stay; offence counts
  // restart when `window` changed (their slots have another length).
  void reconfigure(const SecurityConfig& config);
  // Every received SIP message (requests and responses), before parsing; each takes one token
  // of the source's bucket. kRateLimited counts a kRateExceeded offence (which may ban).
  // Allow-listed sources: always kYes.
  // may_ban false: a source that spoofed packets must not get banned (a registered phone, a
  // protected neighbour): over the bucket it is still kRateLimited, but no offence is counted.
  Admit admit(const boost::asio::ip::address& source, TimePoint now, bool may_ban = true);
  // Records an offence; true when it banned the source just now. kScanner bans at once.
  // Offences of allow-listed or already banned sources are ignored.
  bool offend(const boost::asio::ip::address& source, Offence offence, TimePoint now);
  // Every inbound TCP/TLS connection (before its TLS handshake): a token bucket of
  // max_connection_rate per second (depth the same). kRateLimited counts a kConnectionRate
  // offence (bans after max_rate_violations in the window) unless may_ban is false.
  Admit admit_connection(const boost::asio::ip::address& source, TimePoint now,
                         bool may_ban = true);
  [[nodiscard]] bool is_scanner(std::string_view user_agent) const;
  [[nodiscard]] bool is_banned(const boost::asio::ip::address& source, TimePoint now) const;
  // The ban in force covering `source` (its /32 or /64); nullptr when none.
  [[nodiscard]] const Ban* find_ban(const boost::asio::ip::address& source, TimePoint now) const;
  [[nodiscard]] bool allowlisted(const boost::asio::ip::address& source) const;
  // Manual ban (duration nullopt: until removed); replaces a ban the source already has. Error
  // text for allow-listed sources / table full.
  std::expected<Ban, std::string> ban(const boost::asio::ip::address& source,
                                      std::optional<std::chrono::seconds> duration, TimePoint now);
  bool unban(const boost::asio::ip::address& source);  // false: was not banned
  // A ban carried over from before a restart (times already on this clock), with its level
  // remembered for escalation; the sink is not told. false: allow-listed, already banned or the
  // table is full.
  bool restore(const Ban& ban);
  // Lifts bans whose time is up (sink told, why "expired"); returns the next expiry, if any.
  // Also forgets idle sources and recidive records older than recidive_window.
  std::optional<TimePoint> expire(TimePoint now);
  [[nodiscard]] std::vector<Ban> bans() const;  // sorted by address
  [[nodiscard]] size_t tracked_sources() const { return sources_.size(); }
  [[nodiscard]] size_t ban_count() const { return bans_.size(); }
  // Automatic bans not made because max_bans bans were in force (the source stays limited).
  [[nodiscard]] uint64_t bans_refused() const { return bans_refused_; }

 private:
  static constexpr size_t kCounted = 5;  // offences with a window counter (not kScanner)
  struct Source {
    AddressKey key{};
    double tokens = 0;
    TimePoint refilled{};
    double connection_tokens = 0;
    TimePoint connections_refilled{};
    TimePoint last_seen{};
    std::array<WindowCounter<kWindowSlots>, kCounted> offences{};
  };
  using SourceList = std::list<Source>;  // most recently seen first
  struct Recidive {
    AddressKey key{};
    TimePoint last_ban{};
    uint32_t level = 0;
  };
  using RecidiveList = std::list<Recidive>;  // oldest ban first

  Source& touch(const AddressKey& key, TimePoint now);
  [[nodiscard]] int64_t slot(TimePoint now) const;
  [[nodiscard]] const Ban* active_ban(const AddressKey& key, TimePoint now) const;
  // Adds (or replaces) a ban; nullopt when the ban table is full.
  std::optional<Ban> add_ban(const AddressKey& key, const boost::asio::ip::address& offender,
                             BanReason reason, std::optional<std::chrono::seconds> duration,
                             TimePoint now);
  void erase_ban(const AddressKey& key);
  uint32_t next_level(const AddressKey& key, TimePoint now);

  SecurityConfig config_;
  BanSink& sink_;
  NetworkSet allowlist_;
  std::vector<std::string> scanner_patterns_;  // lower case
  std::chrono::milliseconds slot_length_;
  std::chrono::steady_clock::duration idle_after_;  // a source idle this long has no state left

  SourceList lru_;
  std::unordered_map<AddressKey, SourceList::iterator, AddressKeyHash> sources_;
  std::unordered_map<AddressKey, Ban, AddressKeyHash> bans_;
  std::set<std::pair<TimePoint, AddressKey>> expiries_;  // timed bans by `until`
  RecidiveList recidive_order_;
  std::unordered_map<AddressKey, RecidiveList::iterator, AddressKeyHash> recidive_;
  uint64_t bans_refused_ = 0;
};

}  // namespace sbc::cp
