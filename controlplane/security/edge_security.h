// The edge security of sbcd in one place: what every received message goes through before it is
// parsed (zone and trunk ACLs, bans, the per-source request rate), what the B2BUA asks once it is
// parsed (scanner user agents, digest authentication, call admission control, the toll-fraud
// guard), and the bridge to the dataplane that enforces bans and trusted sources before the kernel
// sees a packet.
//
// One core function per action (ban, unban, list) serves the CLI, the config and the B2BUA alike.
// Single-threaded: everything runs on the event loop.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/routing/trunk_sources.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/runtime/timer.h"
#include "controlplane/security/acl.h"
#include "controlplane/security/admission_control.h"
#include "controlplane/security/ban_store.h"
#include "controlplane/security/digest_authenticator.h"
#include "controlplane/security/fraud_guard.h"
#include "controlplane/security/media_address_policy.h"
#include "controlplane/security/security_metrics.h"
#include "controlplane/security/security_settings.h"
#include "controlplane/security/source_guard.h"
#include "controlplane/sip/message.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

// What authenticate() decided for one request.
struct AuthDecision {
  enum class Kind : uint8_t {
    kNotRequired,    // the zone does not authenticate this method
    kTrusted,        // the source is in the zone's `trusted` networks
    kAuthenticated,  // valid digest credentials: `user` is set
    // Answer 401/407 with `challenges`: no credentials, stale ones, or wrong ones (a UA may
    // have mistyped; the offence counted against the source is what stops a cracker).
    kChallenge,
  };
  Kind kind = Kind::kNotRequired;
  std::string user;
  int code = 0;                         // 401 or 407
  std::vector<std::string> challenges;  // WWW-/Proxy-Authenticate values
  sip::HeaderId challenge_header = sip::HeaderId::kWwwAuthenticate;
};

class EdgeSecurity final : private BanSink {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // How long a registered contact's source stays trusted by the dataplane after its binding
  // expires: a late re-REGISTER still finds its punts in the trusted budget.
  static constexpr std::chrono::seconds kTrustGrace{30};
  // Most registered sources trusted at once: well below the dataplane's source table, so bans
  // always find room there.
  static constexpr size_t kMaxRegisteredTrusted = 16384;
  // Exact addresses of one banned IPv6 /64 pushed to the dataplane; sbcd drops the rest itself.
  static constexpr size_t kMaxHostsPerBan = 16;

  // `config` refers into the running configuration (Config::security_view()), which a reload
  // assigns in place before reconfigure().
  EdgeSecurity(const SecurityView& config, Scheduler& scheduler, DataplaneClient& dataplane,
               SecurityMetrics& metrics);
  ~EdgeSecurity() override;
  EdgeSecurity(const EdgeSecurity&) = delete;
  EdgeSecurity& operator=(const EdgeSecurity&) = delete;

  // --- before parsing ---
  // Every received SIP message: the zone's ACL (on a trunk zone: some trunk's `allow`), then the
  // source guard (bans, request rate). false: drop silently (counted here).
  [[nodiscard]] bool screen(const SipPeer& from);
  // Every inbound TCP/TLS connection, before its first byte (and its TLS handshake): the ACL,
  // bans and the per-source connection rate ([security] max_connection_rate; over it is an
  // offence, configured peers excepted).
  [[nodiscard]] bool screen_connection(size_t zone, const Endpoint& remote);
  // An inbound TLS handshake failed or timed out: an offence ([security] max_tls_failures). A TCP
  // handshake preceded it, so the source is no spoofer: registered phones count too.
  void tls_failed(const Endpoint& remote);
  // The trunk (index into the trunks) whose `allow` covers `source` on trunk zone `zone`
  // (TrunkSources: the lookup the router uses too).
  [[nodiscard]] std::optional<size_t> trunk_of(size_t zone,
                                               const boost::asio::ip::address& source) const;

  // --- after parsing ---
  // A message that did not parse or was refused as malformed (400).
  void malformed(const SipPeer& from);
  // true: the request carries a scanner's User-Agent; its source is banned now, the request must
  // be dropped without an answer.
  [[nodiscard]] bool scanner(const SipPeer& from, const sip::Message& request);
  // Digest authentication of `request` (REGISTER: 401 flow; INVITE: 407 flow) on its zone.
  AuthDecision authenticate(const SipPeer& from, const sip::Message& request);

  // --- calls ---
  // The call counted until its lease goes.
  [[nodiscard]] std::expected<AdmissionLease, AdmissionRefusal> admit_call(
      const CallScopes& scopes);
  // A call adopted after a restart counts again (no limit or rate check: it is already up).
  [[nodiscard]] AdmissionLease readmit_call(const AdmissionTicket& ticket) {
    admission_.readmit(ticket);
    return AdmissionLease(admission_, ticket);
  }
  // Toll-fraud guard for a call toward a trunk, placed by `account`: the user part the trunk
  // receives (the normalised number, FraudGuard::check), or the refusal.
  [[nodiscard]] std::expected<std::string, FraudRefusal> check_fraud(std::string_view account,
                                                                     std::string_view destination);

  // The connection address of an SDP offer or answer (the stream the SBC anchors): nullopt when
  // media may be sent there; else why not (counted). Own addresses: the zones' SIP and listener
  // addresses and the dataplane ports' (with their subnets' broadcast).
  [[nodiscard]] std::optional<MediaAddressRefusal> check_media_address(const api::Address& address);

  // A REGISTER relayed to an upstream registrar was refused there (its credentials, or a user
  // the registrar does not know): an authentication offence of its source, as if refused here,
  // so a cracker is banned by the SBC before the upstream bans the SBC.
  void upstream_refused(const SipPeer& from, const sip::Message& request) {
    record_auth_offence(from, request, AuthFailure::kUpstreamRefused, scheduler_.now());
  }

  // --- registrations: their sources are trusted by the dataplane while registered ---
  void trust(const boost::asio::ip::address& source, std::chrono::seconds duration);

  // --- management (CLI) ---
  std::expected<Ban, std::string> ban(std::string_view address,
                                      std::optional<std::chrono::seconds> duration);
  std::expected<void, std::string> unban(std::string_view address);
  [[nodiscard]] std::vector<Ban> bans() const { return guard_.bans(); }
  [[nodiscard]] std::vector<AccountStats> accounts() const;
  [[nodiscard]] const SecurityView& config() const { return config_; }
  [[nodiscard]] SecurityMetrics& metrics() { return metrics_; }
  [[nodiscard]] TimePoint now() const { return scheduler_.now(); }
  // Refreshes the per-account gauges (called with the periodic stats refresh).
  void publish_account_rates();

  // --- restarts ---
  // Bans are written to `store` as they are made and lifted (nullptr: not kept).
  void set_store(BanStore* store) { store_ = store; }
  // Bans kept from before a restart, expiry and level included; expired ones are dropped (and
  // deleted from the store). Returns how many are in force.
  size_t restore_bans(std::vector<StoredBan> bans);

  // The dataplane (re)connected: it is told the media port range, its source table is flushed and
  // every ban and trusted source is queued on `resync` to be pushed again (paced).
  void on_dataplane_up(DataplaneResync& resync);

  // --- reload (edge_security_reload.cc) ---
  using CallPeers = std::vector<std::pair<size_t, boost::asio::ip::address>>;
  // A reload assigned the new running configuration: ACLs, trusted sources, trunks, [security]
  // settings, admission limits and toll-fraud rules are derived again; bans, offence counts,
  // registered sources' trust and the calls admission control counts stay. `call_peers`
  // (B2bua::call_peers) that the new config refuses keep reaching their zone for their calls'
  // dialogs (kept peers).
  void reconfigure(const CallPeers& call_peers);
  // The addresses trunk `trunk` (by name) resolves to now (b2bua/trunk_dns.h): while it has no
  // `allow`, they are its sources, configured peers and trusted like a trunk's address.
  void set_trunk_sources(const std::string& trunk, std::vector<IpNetwork> networks);
  // Forgets kept peers that no longer have a call (called with the periodic refresh).
  void prune_kept_peers(const CallPeers& call_peers);
  [[nodiscard]] bool has_kept_peers() const { return !kept_peers_.empty(); }
  // The source may send to zone `zone` only as the peer of a call that outlived a reload.
  [[nodiscard]] bool held_by_calls(size_t zone, const boost::asio::ip::address& source) const;
  [[nodiscard]] bool kept_peer(size_t zone, const boost::asio::ip::address& source) const;

 private:
  // authenticate()'s steps: the request's digest credentials checked against the zone's users;
  // a failure that is an offence counted, logged and fed to the ban guard; the 401/407 answer.
  std::expected<AuthenticatedUser, AuthFailure> verify_credentials(const ZoneConfig& zone,
                                                                   const sip::Message& request,
                                                                   TimePoint now);
  void record_auth_offence(const SipPeer& from, const sip::Message& request, AuthFailure failure,
                           TimePoint now);
  AuthDecision challenge(const ZoneConfig& zone, const sip::Message& request, AuthFailure failure,
                         TimePoint now);

  // --- BanSink ---
  void ban_added(const Ban& ban) override;
  void ban_removed(const boost::asio::ip::address& source, std::string_view why) override;

  void push_source(const boost::asio::ip::address& source, api::SourceClass cls,
                   std::optional<TimePoint> until);
  void delete_source(const boost::asio::ip::address& source);
  // What the dataplane's source table should hold for `source` now (banned, trusted or nothing).
  [[nodiscard]] std::optional<api::SourceAdd> desired_source(const boost::asio::ip::address& source,
                                                             TimePoint now) const;
  void schedule_expiry();
  // Builds the per-zone and per-trunk state from config_ (construction and reload).
  void derive();
  // The dataplane's trusted sources follow static_trusted_, which was `before`.
  void sync_trusted(const std::vector<boost::asio::ip::address>& before);
  // Trunk `t`'s sources: its allow list, or for a name without one what it resolves to.
  [[nodiscard]] const std::vector<IpNetwork>& trunk_networks(const TrunkConfig& t) const;
  // What the running config allows on the zone, kept peers aside.
  [[nodiscard]] bool config_allows(size_t zone, const boost::asio::ip::address& source) const;
  [[nodiscard]] StoredBan stored_ban(const Ban& ban) const;
  // The zone's ACL, or on a trunk zone: some trunk's `allow`; or a kept peer.
  [[nodiscard]] bool acl_allows(size_t zone, const boost::asio::ip::address& source) const;
  // Trunk hosts, zones' trusted sources and default targets: known by configuration. Anyone can
  // spoof their address in a UDP packet, so offences never ban them and the per-source request
  // bucket does not limit them (a busy carrier sends more than a phone); manual bans still do.
  [[nodiscard]] bool configured_peer(const boost::asio::ip::address& source) const;
  // The ban in force on `source`, or nullptr; for a configured peer (`configured`), only a manual
  // one counts.
  [[nodiscard]] const Ban* binding_ban(const boost::asio::ip::address& source, bool configured,
                                       TimePoint now) const;
  // Sources one spoofed packet must never ban: configured peers, zones' `protect` networks (on-link
  // neighbours such as gateways) and phones with a live authenticated registration. A scanner
  // User-Agent, malformed messages and bucket overflows from them are dropped and counted but are
  // no offence; failed digest answers (which need a challenge we sent) still count.
  [[nodiscard]] bool spoof_protected(const boost::asio::ip::address& source) const;
  // A packet from `source` reached sbcd although a ban covers it (an IPv6 /64 ban holds more
  // addresses than the dataplane was told): the dataplane drops this address too from now on.
  void ban_seen(const boost::asio::ip::address& source, const Ban& ban);

  SecurityView config_;
  Scheduler& scheduler_;
  DataplaneClient& dataplane_;
  SecurityMetrics& metrics_;
  SourceGuard guard_;
  AdmissionControl admission_;
  FraudGuard fraud_;
  DigestAuthenticator digest_;
  std::vector<Acl> zone_acls_;            // by zone index
  std::vector<NetworkSet> zone_trusted_;  // by zone index: `trusted` (no digest needed)
  std::vector<bool> trunk_zone_;          // by zone index
  TrunkSources trunk_sources_;            // which trunk a source on a trunk zone is
  // By trunk name: the addresses a trunk known by name resolves to (set_trunk_sources).
  std::map<std::string, std::vector<IpNetwork>, std::less<>> resolved_trunks_;
  // Host addresses (/32, /128) trusted for good: trunk allow entries, zones' trusted sources and
  // the allowlist. Networks wider than a host are trusted by sbcd only (the dataplane's source
  // table holds exact addresses).
  std::vector<boost::asio::ip::address> static_trusted_;
  NetworkSet configured_peers_;
  // Registered sources and when their trust ends.
  std::map<boost::asio::ip::address, TimePoint> registered_trusted_;
  NetworkSet protected_;  // every zone's `protect`
  // The exact addresses pushed to the dataplane for each ban (by Ban::source): the offender, and
  // for an IPv6 /64 ban the further addresses of it that were seen, at most kMaxHostsPerBan.
  std::map<boost::asio::ip::address, std::vector<boost::asio::ip::address>> banned_hosts_;
  // (zone, source) of calls that outlived a reload whose config refuses the source there.
  std::set<std::pair<size_t, boost::asio::ip::address>> kept_peers_;
  Timer expiry_timer_;
  BanStore* store_ = nullptr;
};

// An address as the control protocol carries it.
[[nodiscard]] api::Address to_api_address(const boost::asio::ip::address& address);

}  // namespace sbc::cp
