#include "controlplane/security/edge_security.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace sbc::cp {
namespace {

using boost::asio::ip::address;

bool is_host(const IpNetwork& network) {
  return network.prefix_length == (network.address.is_v4() ? 32 : 128);
}

std::string_view method_label(const sip::Message& request) {
  return request.method() == sip::Method::kRegister ? "REGISTER" : "INVITE";
}

uint32_t remaining_ms(std::optional<EdgeSecurity::TimePoint> until, EdgeSecurity::TimePoint now) {
  if (!until) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*until - now).count();
  // 0 means "until deleted" on the wire: an entry about to expire keeps at least 1 ms.
  return static_cast<uint32_t>(std::clamp<int64_t>(left, 1, UINT32_MAX));
}

}  // namespace

api::Address to_api_address(const address& a) {
  const address c = normalize(a);
  if (c.is_v4()) return api::Address::ipv4(c.to_v4().to_uint());
  api::Address out;
  out.family = api::AddressFamily::kIpv6;
  out.bytes = c.to_v6().to_bytes();
  return out;
}

EdgeSecurity::EdgeSecurity(const SecurityView& config, Scheduler& scheduler,
                           DataplaneClient& dataplane, SecurityMetrics& metrics)
    : config_(config),
      scheduler_(scheduler),
      dataplane_(dataplane),
      metrics_(metrics),
      guard_(config.security, *this),
      admission_(config),
      fraud_(config),
      digest_() {
  derive();
}

void EdgeSecurity::derive() {
  const SecurityView& config = config_;
  zone_acls_.clear();
  zone_trusted_.clear();
  trunk_zone_.clear();
  trunk_sources_ = TrunkSources(config.zones, config.trunks);
  for (size_t t = 0; t < config.trunks.size(); ++t) {
    if (config.trunks[t].allow.empty()) {
      trunk_sources_.set_resolved(t, trunk_networks(config.trunks[t]));
    }
  }
  static_trusted_.clear();
  for (const ZoneConfig& z : config.zones) {
    zone_acls_.emplace_back(z.acl_allow, z.acl_deny);
    zone_trusted_.emplace_back(z.trusted);
    trunk_zone_.push_back(is_trunk_zone(config.trunks, z.name));
    if (z.retired) continue;  // keeps its index only
    for (const IpNetwork& n : z.trusted) {
      if (is_host(n)) static_trusted_.push_back(n.address);
    }
  }
  for (const TrunkConfig& t : config.trunks) {
    for (const IpNetwork& n : trunk_networks(t)) {
      if (is_host(n)) static_trusted_.push_back(n.address);
    }
  }
  for (const IpNetwork& n : config.security.allowlist) {
    if (is_host(n)) static_trusted_.push_back(n.address);
  }
  std::vector<IpNetwork> peers;
  for (const ZoneConfig& z : config.zones) {
    if (z.retired) continue;
    peers.insert(peers.end(), z.trusted.begin(), z.trusted.end());
    if (z.default_target) {
      peers.push_back(IpNetwork{z.default_target->host, 32});  // an IPv4 address
    }
  }
  for (const TrunkConfig& t : config.trunks) {
    const auto& networks = trunk_networks(t);
    peers.insert(peers.end(), networks.begin(), networks.end());
  }
  configured_peers_ = NetworkSet(peers);
  std::vector<IpNetwork> protect;
  for (const ZoneConfig& z : config.zones)
    protect.insert(protect.end(), z.protect.begin(), z.protect.end());
  protected_ = NetworkSet(protect);
  std::ranges::sort(static_trusted_);
  const auto [first, last] = std::ranges::unique(static_trusted_);
  static_trusted_.erase(first, last);
}

EdgeSecurity::~EdgeSecurity() = default;

const std::vector<IpNetwork>& EdgeSecurity::trunk_networks(const TrunkConfig& t) const {
  if (!t.allow.empty() || t.address) return t.allow;
  static const std::vector<IpNetwork> kNone;
  auto it = resolved_trunks_.find(t.name);
  return it != resolved_trunks_.end() ? it->second : kNone;
}

void EdgeSecurity::set_trunk_sources(const std::string& trunk, std::vector<IpNetwork> networks) {
  auto& known = resolved_trunks_[trunk];
  if (known == networks) return;
  known = std::move(networks);
  const std::vector<address> before = static_trusted_;
  derive();
  sync_trusted(before);
}

// --- before parsing ------------------------------------------------------------------------------

// Only a manual ban stops a configured peer: an automatic one covering it is an IPv6 /64 ban
// earned by a neighbour (or a spoofer) of the carrier.
const Ban* EdgeSecurity::binding_ban(const address& source, bool configured, TimePoint now) const {
  const Ban* ban = guard_.find_ban(source, now);
  return ban != nullptr && configured && ban->reason != BanReason::kManual ? nullptr : ban;
}

bool EdgeSecurity::screen(const SipPeer& from) {
  const address source = normalize(from.remote.address());
  if (!acl_allows(from.zone, source)) {
    metrics_.dropped(SecurityDropReason::kAcl);
    return false;
  }
  const TimePoint now = scheduler_.now();
  if (configured_peer(source)) {
    if (binding_ban(source, true, now) == nullptr) return true;
    metrics_.dropped(SecurityDropReason::kBanned);
    return false;
  }
  // A registered phone or a protected neighbour over the bucket is dropped, but a flood spoofing
  // its address must not get it banned.
  const bool may_ban = !spoof_protected(source);
  switch (guard_.admit(source, now, may_ban)) {
    case SourceGuard::Admit::kYes: return true;
    case SourceGuard::Admit::kBanned:
      metrics_.dropped(SecurityDropReason::kBanned);
      if (const Ban* ban = guard_.find_ban(source, now)) ban_seen(source, *ban);
      return false;
    case SourceGuard::Admit::kRateLimited:
      metrics_.dropped(SecurityDropReason::kRateLimited);
      if (may_ban) metrics_.offence(Offence::kRateExceeded);
      return false;
  }
  return false;
}

bool EdgeSecurity::screen_connection(size_t zone, const Endpoint& remote) {
  const address source = normalize(remote.address());
  if (!acl_allows(zone, source)) {
    metrics_.dropped(SecurityDropReason::kAcl);
    return false;
  }
  const TimePoint now = scheduler_.now();
  if (configured_peer(source)) {
    if (binding_ban(source, true, now) == nullptr) return true;
    metrics_.dropped(SecurityDropReason::kBanned);
    return false;
  }
  // A connection needs a TCP handshake: its source is real, so the offence counts for anyone.
  switch (guard_.admit_connection(source, now)) {
    case SourceGuard::Admit::kYes: return true;
    case SourceGuard::Admit::kBanned:
      metrics_.dropped(SecurityDropReason::kBanned);
      if (const Ban* ban = guard_.find_ban(source, now)) ban_seen(source, *ban);
      return false;
    case SourceGuard::Admit::kRateLimited:
      metrics_.dropped(SecurityDropReason::kConnectionRate);
      metrics_.offence(Offence::kConnectionRate);
      return false;
  }
  return false;
}

void EdgeSecurity::tls_failed(const Endpoint& remote) {
  const address source = normalize(remote.address());
  if (configured_peer(source)) return;  // a carrier's bad certificate is an outage, not an attack
  metrics_.offence(Offence::kTlsFailure);
  guard_.offend(source, Offence::kTlsFailure, scheduler_.now());
}

std::optional<size_t> EdgeSecurity::trunk_of(size_t zone, const address& source) const {
  return trunk_sources_.trunk_of(zone, source);
}

// --- after parsing -------------------------------------------------------------------------------

void EdgeSecurity::malformed(const SipPeer& from) {
  const address source = normalize(from.remote.address());
  if (spoof_protected(source)) return;
  metrics_.offence(Offence::kMalformed);
  guard_.offend(source, Offence::kMalformed, scheduler_.now());
}

bool EdgeSecurity::configured_peer(const address& source) const {
  return configured_peers_.contains(normalize(source));
}

bool EdgeSecurity::spoof_protected(const address& source) const {
  const address a = normalize(source);
  if (configured_peers_.contains(a) || protected_.contains(a)) return true;
  const auto registered = registered_trusted_.find(a);
  return registered != registered_trusted_.end() && registered->second > scheduler_.now();
}

bool EdgeSecurity::scanner(const SipPeer& from, const sip::Message& request) {
  const std::string_view user_agent = request.header(sip::HeaderId::kUserAgent);
  if (user_agent.empty() || !guard_.is_scanner(user_agent)) return false;
  const address source = normalize(from.remote.address());
  if (guard_.allowlisted(source)) return false;  // an operator's own test tools
  metrics_.dropped(SecurityDropReason::kScanner);
  // Dropped, but one spoofed packet bans no carrier, gateway or registered phone.
  if (spoof_protected(source)) return true;
  metrics_.offence(Offence::kScanner);
  guard_.offend(source, Offence::kScanner, scheduler_.now());
  return true;
}

bool EdgeSecurity::config_allows(size_t zone, const address& source) const {
  if (config_.zones[zone].retired) return false;
  // On a trunk zone the trunks' allow lists are the ACL: a carrier only from its addresses.
  return trunk_zone_[zone] ? trunk_of(zone, source).has_value() : zone_acls_[zone].allows(source);
}

bool EdgeSecurity::acl_allows(size_t zone, const address& source) const {
  return config_allows(zone, source) || kept_peer(zone, source);
}

AuthDecision EdgeSecurity::authenticate(const SipPeer& from, const sip::Message& request) {
  const ZoneConfig& zone = config_.zones[from.zone];
  AuthDecision decision;
  if (std::ranges::find(zone.authenticate, request.method()) == zone.authenticate.end()) {
    return decision;  // kNotRequired
  }
  if (zone_trusted_[from.zone].contains(normalize(from.remote.address()))) {
    decision.kind = AuthDecision::Kind::kTrusted;
    return decision;
  }
  const TimePoint now = scheduler_.now();
  auto verified = verify_credentials(zone, request, now);
  if (verified) {
    metrics_.auth_success(method_label(request));
    decision.kind = AuthDecision::Kind::kAuthenticated;
    decision.user = verified->user;
    return decision;
  }
  if (is_offence(verified.error())) record_auth_offence(from, request, verified.error(), now);
  // A wrong answer gets a fresh challenge, like any UA expects (it may have mistyped); the
  // offence counter, not the response, is what stops a cracker.
  return challenge(zone, request, verified.error(), now);
}

std::expected<AuthenticatedUser, AuthFailure> EdgeSecurity::verify_credentials(
    const ZoneConfig& zone, const sip::Message& request, TimePoint now) {
  // REGISTER is answered by the registrar itself (401); other requests by the SBC as the
  // user's proxy (407), as Kamailio's www_challenge / proxy_challenge do.
  const sip::HeaderId credentials = request.method() == sip::Method::kRegister
                                        ? sip::HeaderId::kAuthorization
                                        : sip::HeaderId::kProxyAuthorization;
  auto verified = digest_.verify(
      request, credentials, zone.realm,
      [this](std::string_view name) { return find_user(config_.users, name); },
      zone.auth_algorithms, now);
  if (verified) {
    const UserConfig* user = find_user(config_.users, verified->user);
    if (user != nullptr && user->zone != zone.name) {
      // A user of another zone: its credentials are not valid here.
      return std::unexpected(AuthFailure::kUnknownUser);
    }
  }
  return verified;
}

void EdgeSecurity::record_auth_offence(const SipPeer& from, const sip::Message& request,
                                       AuthFailure failure, TimePoint now) {
  metrics_.auth_failure(failure);
  metrics_.offence(Offence::kAuthFailure);
  const address source = normalize(from.remote.address());
  spdlog::info("auth: {} from {} refused: {}", method_label(request), source.to_string(),
               to_string(failure));
  if (!configured_peer(source)) guard_.offend(source, Offence::kAuthFailure, now);
}

AuthDecision EdgeSecurity::challenge(const ZoneConfig& zone, const sip::Message& request,
                                     AuthFailure failure, TimePoint now) {
  const bool registrar = request.method() == sip::Method::kRegister;
  // The algorithms offered are the user's: the registering one (To) or the caller (From).
  const UserConfig* user = nullptr;
  if (auto who = registrar ? request.to() : request.from())
    user = find_user(config_.users, who->uri.user);
  const std::span<const DigestAlgorithm> algorithms =
      user != nullptr && !user->algorithms.empty()
          ? std::span<const DigestAlgorithm>(user->algorithms)
          : std::span<const DigestAlgorithm>(zone.auth_algorithms);
  AuthDecision decision;
  decision.kind = AuthDecision::Kind::kChallenge;
  decision.code = registrar ? 401 : 407;
  decision.challenge_header =
      registrar ? sip::HeaderId::kWwwAuthenticate : sip::HeaderId::kProxyAuthenticate;
  decision.challenges =
      digest_.challenges(zone.realm, algorithms, failure == AuthFailure::kStale, now);
  metrics_.auth_challenge(method_label(request));
  return decision;
}

// --- calls ---------------------------------------------------------------------------------------

std::expected<AdmissionLease, AdmissionRefusal> EdgeSecurity::admit_call(const CallScopes& scopes) {
  auto admitted = admission_.admit(scopes, scheduler_.now());
  if (!admitted) {
    metrics_.cac_refused(admitted.error().scope, admitted.error().limit);
    return std::unexpected(std::move(admitted.error()));
  }
  return AdmissionLease(admission_, std::move(*admitted));
}

std::expected<std::string, FraudRefusal> EdgeSecurity::check_fraud(std::string_view account,
                                                                   std::string_view destination) {
  auto checked = fraud_.check(account, destination, scheduler_.now());
  if (checked) {
    metrics_.account_call(account);
  } else {
    metrics_.fraud_refused(checked.error().rule);
    spdlog::warn("fraud: call by {} to {} refused: {}", account, destination,
                 checked.error().reason);
  }
  return checked;
}

std::optional<MediaAddressRefusal> EdgeSecurity::check_media_address(const api::Address& media) {
  boost::system::error_code ec;
  const address a = boost::asio::ip::make_address(media.to_string(), ec);
  if (ec) return MediaAddressRefusal::kUnspecified;  // not an address at all
  std::vector<address> own;
  std::vector<IpNetwork> links;
  const auto add_own = [&](const std::string& text) {
    if (auto parsed = boost::asio::ip::make_address(text, ec); !ec) own.push_back(parsed);
  };
  for (const ZoneConfig& z : config_.zones) {
    if (z.sip_address) own.push_back(*z.sip_address);
    for (const ListenerConfig& l : z.listeners) {
      if (l.address) own.push_back(*l.address);
    }
  }
  for (const api::PortInfo& port : dataplane_.ports()) {
    if (!port.address.is_set()) continue;
    add_own(port.address.to_string());
    if (port.address.family == api::AddressFamily::kIpv4 && port.prefix_length > 0 &&
        port.prefix_length <= 32) {
      // The port's subnet: its address with the host bits cleared.
      const uint32_t mask = 0xffffffffU << (32 - port.prefix_length);
      links.push_back(IpNetwork{boost::asio::ip::address_v4(port.address.ipv4_host_order() & mask),
                                port.prefix_length});
    }
  }
  const auto refused = MediaAddressPolicy(std::move(own), std::move(links)).check(a);
  if (refused) metrics_.media_address_refused(*refused);
  return refused;
}

std::vector<AccountStats> EdgeSecurity::accounts() const {
  return fraud_.accounts(scheduler_.now());
}

void EdgeSecurity::publish_account_rates() {
  for (const AccountStats& a : accounts()) {
    metrics_.account_rate(a.account, a.last_minute, a.last_hour);
  }
}

// --- trust ---------------------------------------------------------------------------------------

void EdgeSecurity::trust(const address& source, std::chrono::seconds duration) {
  const address a = normalize(source);
  if (std::ranges::binary_search(static_trusted_, a)) return;
  const TimePoint now = scheduler_.now();
  if (registered_trusted_.size() >= kMaxRegisteredTrusted) {
    std::erase_if(registered_trusted_, [&](const auto& entry) { return entry.second <= now; });
    if (registered_trusted_.size() >= kMaxRegisteredTrusted) return;
  }
  const TimePoint until = now + duration + kTrustGrace;
  registered_trusted_[a] = until;
  push_source(a, api::SourceClass::kTrusted, until);
}

// --- bans ----------------------------------------------------------------------------------------

std::expected<Ban, std::string> EdgeSecurity::ban(std::string_view text,
                                                  std::optional<std::chrono::seconds> duration) {
  boost::system::error_code ec;
  const address a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::unexpected(fmt::format("'{}' is not an IPv4 or IPv6 address", text));
  return guard_.ban(normalize(a), duration, scheduler_.now());
}

std::expected<void, std::string> EdgeSecurity::unban(std::string_view text) {
  boost::system::error_code ec;
  const address a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::unexpected(fmt::format("'{}' is not an IPv4 or IPv6 address", text));
  if (!guard_.unban(normalize(a))) return std::unexpected(fmt::format("{} is not banned", text));
  return {};
}

void EdgeSecurity::ban_added(const Ban& ban) {
  const std::string until =
      ban.until ? fmt::format("{} s", std::chrono::duration_cast<std::chrono::seconds>(
                                          *ban.until - scheduler_.now())
                                          .count())
                : std::string("until removed");
  spdlog::warn("security: banned {} ({}, level {}, {})", ban.source.to_string(),
               to_string(ban.reason), ban.level, until);
  metrics_.ban_added(ban.reason);
  metrics_.bans_active(guard_.ban_count());
  // The dataplane's source table holds exact addresses: the offender's (for IPv4, the ban's).
  std::vector<address>& hosts = banned_hosts_[ban.source];
  const address host = ban.source.is_v4() ? ban.source : ban.offender;
  if (std::ranges::find(hosts, host) == hosts.end()) hosts.push_back(host);
  for (const address& h : hosts) push_source(h, api::SourceClass::kBanned, ban.until);
  if (store_ != nullptr) store_->save_ban(stored_ban(ban));
  schedule_expiry();
}

void EdgeSecurity::ban_seen(const address& source, const Ban& ban) {
  const address a = normalize(source);
  if (a.is_v4()) return;  // the dataplane has it: a packet that raced the push
  std::vector<address>& hosts = banned_hosts_[ban.source];
  if (hosts.size() >= kMaxHostsPerBan || std::ranges::find(hosts, a) != hosts.end()) return;
  hosts.push_back(a);
  push_source(a, api::SourceClass::kBanned, ban.until);
}

void EdgeSecurity::ban_removed(const address& source, std::string_view why) {
  spdlog::info("security: ban of {} lifted ({})", source.to_string(), why);
  if (store_ != nullptr) store_->remove_ban(source.to_string());
  metrics_.bans_active(guard_.ban_count());
  std::vector<address> hosts = {source};
  if (auto it = banned_hosts_.find(source); it != banned_hosts_.end()) {
    hosts = std::move(it->second);
    banned_hosts_.erase(it);
  }
  for (const address& host : hosts) {
    // A source that is also trusted (a registered phone that mistyped) goes back to trusted.
    const auto registered = registered_trusted_.find(host);
    if (std::ranges::binary_search(static_trusted_, host)) {
      push_source(host, api::SourceClass::kTrusted, std::nullopt);
    } else if (registered != registered_trusted_.end() && registered->second > scheduler_.now()) {
      push_source(host, api::SourceClass::kTrusted, registered->second);
    } else {
      delete_source(host);
    }
  }
}

StoredBan EdgeSecurity::stored_ban(const Ban& ban) const {
  // Steady-clock times do not survive a restart: the store keeps wall-clock ones.
  const auto wall = scheduler_.wall_now();
  const auto now = scheduler_.now();
  const auto to_wall = [&](TimePoint t) {
    return wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - now);
  };
  StoredBan stored;
  stored.source = ban.source.to_string();
  stored.since = to_wall(ban.since);
  if (ban.until) stored.until = to_wall(*ban.until);
  stored.reason = std::string(to_string(ban.reason));
  stored.level = ban.level;
  return stored;
}

size_t EdgeSecurity::restore_bans(std::vector<StoredBan> bans) {
  const auto wall = scheduler_.wall_now();
  const TimePoint now = scheduler_.now();
  const auto to_steady = [&](std::chrono::system_clock::time_point t) {
    return now + std::chrono::duration_cast<TimePoint::duration>(t - wall);
  };
  // Oldest first: the escalation memory forgets the oldest offenders first.
  std::ranges::sort(bans, {}, &StoredBan::since);
  size_t restored = 0;
  for (const StoredBan& stored : bans) {
    boost::system::error_code ec;
    const address source = boost::asio::ip::make_address(stored.source, ec);
    const std::optional<BanReason> reason = parse_ban_reason(stored.reason);
    if (ec || !reason || (stored.until && *stored.until <= wall)) {
      if (store_ != nullptr) store_->remove_ban(stored.source);
      continue;
    }
    Ban ban;
    ban.source = normalize(source);
    // An IPv6 ban covers a /64; which of its hosts offended is not kept: the dataplane learns
    // them again as their packets reach sbcd's screen (ban_seen).
    ban.offender = ban.source;
    ban.since = to_steady(stored.since);
    if (stored.until) ban.until = to_steady(*stored.until);
    ban.reason = *reason;
    ban.level = stored.level;
    if (!guard_.restore(ban)) {
      spdlog::warn("security: ban of {} not restored (allow-listed now, or max_bans reached)",
                   stored.source);
      if (store_ != nullptr) store_->remove_ban(stored.source);
      continue;
    }
    ++restored;
  }
  metrics_.bans_active(guard_.ban_count());
  schedule_expiry();
  return restored;
}

void EdgeSecurity::schedule_expiry() {
  expiry_timer_.cancel();
  const auto next = guard_.expire(scheduler_.now());
  if (!next) return;
  const auto delay =
      std::chrono::duration_cast<std::chrono::milliseconds>(*next - scheduler_.now());
  expiry_timer_ = Timer(scheduler_, std::max(delay, std::chrono::milliseconds(1)),
                        [this] { schedule_expiry(); });
}

// --- dataplane -----------------------------------------------------------------------------------

void EdgeSecurity::push_source(const address& source, api::SourceClass cls,
                               std::optional<TimePoint> until) {
  if (!dataplane_.connected()) return;  // on_dataplane_up() pushes everything
  api::SourceAdd add;
  add.address = to_api_address(source);
  add.cls = cls;
  add.duration_ms = remaining_ms(until, scheduler_.now());
  dataplane_.request(add, [source](DataplaneClient::Reply reply) {
    const auto* result = reply ? std::get_if<api::Result>(&*reply) : nullptr;
    if (result == nullptr || result->status != api::Status::kOk) {
      // sbcd still drops the source's messages itself; the dataplane catches up on reconnect.
      spdlog::warn("security: dataplane did not take source {}: {}", source.to_string(),
                   result != nullptr ? result->detail
                   : reply           ? std::string("unexpected reply")
                                     : std::string(to_string(reply.error())));
    }
  });
}

void EdgeSecurity::delete_source(const address& source) {
  if (!dataplane_.connected()) return;
  api::SourceDelete del;
  del.address = to_api_address(source);
  dataplane_.request(del, [](DataplaneClient::Reply) {});  // kNotFound: already expired there
}

std::optional<api::SourceAdd> EdgeSecurity::desired_source(const address& source,
                                                           TimePoint now) const {
  api::SourceAdd add;
  add.address = to_api_address(source);
  if (const Ban* ban =
          binding_ban(source, std::ranges::binary_search(static_trusted_, source), now)) {
    add.cls = api::SourceClass::kBanned;
    add.duration_ms = remaining_ms(ban->until, now);
    return add;
  }
  add.cls = api::SourceClass::kTrusted;
  if (std::ranges::binary_search(static_trusted_, source)) return add;
  const auto registered = registered_trusted_.find(source);
  if (registered != registered_trusted_.end() && registered->second > now) {
    add.duration_ms = remaining_ms(registered->second, now);
    return add;
  }
  return std::nullopt;
}

void EdgeSecurity::on_dataplane_up(DataplaneResync& resync) {
  const TimePoint now = scheduler_.now();
  api::MediaPortsSet ports;
  ports.port_min = config_.media.port_min;
  ports.port_max = config_.media.port_max;
  dataplane_.request(ports, [](DataplaneClient::Reply reply) {
    const auto* result = reply ? std::get_if<api::Result>(&*reply) : nullptr;
    if (result == nullptr || result->status != api::Status::kOk) {
      spdlog::warn("security: dataplane did not take the media port range");
    }
  });
  // Requests on one connection are handled in order: the flush lands before every push, the
  // resync's and those of bans made meanwhile.
  dataplane_.request(api::SourceFlush{}, [](DataplaneClient::Reply) {});
  // The exact addresses each ban was pushed as: its offenders' hosts (an IPv6 ban covers a /64
  // the dataplane's exact-address table cannot hold), else the banned address itself.
  std::vector<address> banned;
  for (const Ban& b : guard_.bans()) {
    const auto hosts = banned_hosts_.find(b.source);
    if (hosts == banned_hosts_.end()) {
      banned.push_back(b.source.is_v4() ? b.source : b.offender);
    } else {
      banned.insert(banned.end(), hosts->second.begin(), hosts->second.end());
    }
  }
  std::erase_if(registered_trusted_, [&](const auto& entry) { return entry.second <= now; });
  std::vector<address> trusted = static_trusted_;
  for (const auto& [a, until] : registered_trusted_) trusted.push_back(a);
  // Each entry is pushed as it is when its turn comes (a ban lifted meanwhile sends the source's
  // trust, or nothing); a source both banned and trusted is pushed twice, the same way.
  auto lane = [this](DataplaneResync::Lane which, std::string_view what,
                     std::vector<address> sources, DataplaneResync& r) {
    const size_t count = sources.size();  // before the lambda takes the vector
    r.add(
        which, what, count,
        [this, sources = std::move(sources)](size_t i) -> std::optional<DataplaneResync::Request> {
          auto add = desired_source(sources[i], scheduler_.now());
          if (!add) return std::nullopt;
          return DataplaneResync::Request{
              *add, [source = sources[i]](DataplaneClient::Reply reply) {
                const auto* result = reply ? std::get_if<api::Result>(&*reply) : nullptr;
                if (result == nullptr || result->status != api::Status::kOk) {
                  spdlog::warn("security: dataplane did not take source {}: {}", source.to_string(),
                               result != nullptr ? result->detail
                               : reply           ? std::string("unexpected reply")
                                                 : std::string(to_string(reply.error())));
                }
              }};
        });
  };
  lane(DataplaneResync::Lane::kBans, "ban", std::move(banned), resync);
  lane(DataplaneResync::Lane::kTrusted, "trusted source", std::move(trusted), resync);
}

}  // namespace sbc::cp
