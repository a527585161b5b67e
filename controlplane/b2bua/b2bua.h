// The back-to-back user agent: every call is two dialogs with their own Call-ID, tags, CSeq, Via
// and Contact (topology hiding by construction), media anchored on the dataplane.
//
// B2bua is the transaction user of its TransactionLayer (RFC 3261 §17): it dispatches requests,
// responses and transaction errors to components with one job each, which share a B2buaContext:
//   CallSetup        new calls, step by step (call_setup.h)
//   CallDialogs      requests on a call's dialogs, the duration limit, ended calls (call_dialogs.h)
//   MidCall          re-INVITE, UPDATE, INFO, MESSAGE, NOTIFY relayed between the legs (mid_call.h)
//   SessionTimers    RFC 4028 per leg: negotiation, our refreshes, expiry (session_timers.h)
//   AnswerRelay      the callee's responses relayed to the caller (answer_relay.h)
//   TrunkFailover    a call a trunk fails goes on to the next trunk (trunk_failover.h)
//   CallSignalling   the messages we originate on a call's legs (call_signalling.h)
//   CallTeardown     hang-ups, the end of a call, its erasure (call_teardown.h)
//   CallMedia        media sessions, dataplane programming and reconcile (call_media.h)
//   CallRecords      the call store and CDRs (call_records.h)
//   RegisterHandler  REGISTER on access zones (register_handler.h)
//   RegisterRelay    REGISTER of a relaying zone, to and from its upstream registrar
//                    (register_relay.h)
//   NatKeepalive     keep-alives toward NATed clients (nat_keepalive.h)
//   TrunkQualify     OPTIONS pings to trunks, feeding the router's trunk health (trunk_qualify.h)
//   TrunkRegistration  outbound REGISTER of trunks to their registrars (trunk_registration.h)
//   TrunkDns         trunks known by DNS name located (NAPTR, SRV, A) and kept fresh (trunk_dns.h)
// Itself it keeps the zones' roles across reloads (b2bua_reload.cc), the adoption of calls an
// earlier sbcd kept (b2bua_persist.cc) and the capacity limits.
//
// Single-threaded: everything runs on the event loop that drives the Scheduler.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/b2bua/answer_relay.h"
#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_dialogs.h"
#include "controlplane/b2bua/call_media.h"
#include "controlplane/b2bua/call_records.h"
#include "controlplane/b2bua/call_setup.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/b2bua/call_transfer.h"
#include "controlplane/b2bua/mid_call.h"
#include "controlplane/b2bua/nat_keepalive.h"
#include "controlplane/b2bua/register_handler.h"
#include "controlplane/b2bua/register_relay.h"
#include "controlplane/b2bua/session_timers.h"
#include "controlplane/b2bua/trunk_dns.h"
#include "controlplane/b2bua/trunk_qualify.h"
#include "controlplane/b2bua/trunk_registration.h"
#include "controlplane/sip/request_check.h"

namespace sbc::cp {

// What restore_calls() did.
struct RestoredCalls {
  size_t adopted = 0;
  size_t cdrs_written = 0;  // of calls that had ended just before the restart
  size_t dropped = 0;       // kept state that could not be used (logged)
};

class B2bua final : private TransactionUser {
 public:
  B2bua(const Config& config, Scheduler& scheduler, SipTransport& transport,
        DataplaneClient& dataplane, MediaPortAllocator& ports, Metrics& metrics,
        EdgeSecurity& security, Registrar& registrar, CdrWriter* cdr, DnsClient* dns = nullptr,
        B2buaTimers timers = {});
  ~B2bua() override;

  // The zone's SIP address when the config left it to the dataplane port (known after Hello).
  void set_zone_address(size_t zone, const boost::asio::ip::address& address) {
    router_.set_zone_address(zone, address);
  }
  [[nodiscard]] const std::optional<boost::asio::ip::address>& zone_address(size_t zone) const {
    return router_.zone_address(zone);
  }
  // A reload assigned a new running Config (b2bua_reload.cc): zones keep their index, new ones
  // are appended, removed ones are retired (in-dialog requests only).
  void reconfigure();
  // Every call's legs (ended calls absorbing retransmissions included): zone and peer address.
  [[nodiscard]] std::vector<std::pair<size_t, boost::asio::ip::address>> call_peers() const;
  // Some call (lingering ones included) has a leg on zone `zone`.
  [[nodiscard]] bool zone_in_use(size_t zone) const;

  // What check_request() holds requests to (the SipIngress in front of the layer applies it):
  // the methods this B2BUA implements, no extensions.
  [[nodiscard]] static sip::RequestPolicy request_policy();
  // The transport found `to` unreachable (a TCP/TLS connection failed or closed with data queued):
  // requests pending toward it fail now rather than at Timer B/F.
  void on_transport_error(const SipPeer& to) { layer_.on_transport_error(to); }
  void on_media_timeout(const api::MediaTimeoutEvent& event) { media_.on_media_timeout(event); }
  // The dataplane (re)connected: queue on `resync` (paced) every live session to program again (a
  // restarted dataplane has none), the deletes of ended calls' sessions whose delete could not be
  // sent or failed (their media ports stay in use until then) and, from a full dump, of every
  // session that belongs to no live call.
  void on_dataplane_up(DataplaneResync& resync);
  // --- restarts (b2bua_persist.cc) ---
  // Established calls are written to `store` once confirmed and deleted once their CDR is
  // written (nullptr: nothing kept).
  void set_store(CallStore* store) { records_.set_store(store); }
  // Takes over an established call kept by an earlier sbcd: its dialogs, media ports and session
  // (kept by the dataplane reconcile, re-programmed when the dataplane lacks it), the admission
  // count, the max_call_duration left. false (logged) when it cannot: its session is then
  // deleted as an orphan.
  bool adopt(Call call);
  // Loads the store: writes the CDRs of calls that ended before the CDR file had them (unless it
  // has them), adopts the established calls. The error names what failed.
  [[nodiscard]] std::expected<RestoredCalls, std::string> restore_calls();

  // Latest per-session counters (from a periodic dump), shown by `show calls`.
  void update_media_stats(const api::SessionInfo& info) { media_.update_media_stats(info); }

  [[nodiscard]] const CallTable::Map& calls() const { return calls_.all(); }
  // Each trunk's qualify state (index into the running configuration's trunks).
  [[nodiscard]] const TrunkHealth& trunk_health() const { return router_.health(); }
  // Routing may send a new call to trunk `trunk` now: not down, not held, a target not held
  // (router.h).
  [[nodiscard]] bool trunk_routable(size_t trunk) const {
    return router_.routable(trunk, scheduler_.now());
  }
  // Where each trunk is: its address, or what its name resolves to (trunk_dns.h).
  [[nodiscard]] const TrunkTargets& trunk_targets() const { return router_.targets(); }
  [[nodiscard]] const std::vector<TrunkConfig>& trunks() const { return config_.trunks; }
  [[nodiscard]] const std::vector<RouteConfig>& routes() const { return config_.routes; }
  [[nodiscard]] const std::vector<DidConfig>& dids() const { return config_.dids; }
  [[nodiscard]] const TrunkRegistration& trunk_registrations() const { return registration_; }
  [[nodiscard]] const RegisterRelay& register_relay() const { return register_relay_; }
  // Live calls (not ended): what [sbcd] call_capacity bounds.
  [[nodiscard]] size_t active_calls() const { return calls_.live(); }
  // Ended calls remembered to absorb retransmissions (ended_calls.h).
  [[nodiscard]] const EndedCalls& ended_calls() const { return ended_; }
  [[nodiscard]] const CapacityLimits& capacity() const { return limits_; }
  // New calls refused because the call table was full.
  [[nodiscard]] uint64_t calls_refused_at_capacity() const { return setup_.refused_at_capacity(); }
  // Re-derives the limits not set in the config from the dataplane's max_sessions (after Hello).
  void update_capacity();
  // Usage and limits of every table as gauges, new overflows as counters (sbcd calls it
  // periodically; cheap).
  void publish_capacity();
  // Ended calls' sessions still waiting for a successful SessionDelete.
  [[nodiscard]] size_t undeleted_sessions() const { return retired_.size(); }
  // The transaction layer whose transaction user this B2BUA is: received messages reach it
  // through a SipIngress (ingress/sip_ingress.h).
  [[nodiscard]] TransactionLayer& transactions() { return layer_; }
  [[nodiscard]] const TransactionLayer& transactions() const { return layer_; }

 private:
  // --- TransactionUser: the dispatch ---
  void on_request(const SipPeer& from, const sip::Message& request) override;
  // `owner`: the call a matched client transaction belongs to (0 with id 0: a stray 2xx).
  void on_response(TransactionId id, uint64_t owner, const SipPeer& from,
                   const sip::Message& response) override;
  void on_transaction_error(TransactionId id, uint64_t owner, TransactionError error) override;
  // A request on no live call's dialog.
  void out_of_dialog(const SipPeer& from, const sip::Message& msg);
  // A 2xx to an INVITE whose transaction is gone: a callee's retransmission or another fork.
  void stray_answer(TransactionId id, const SipPeer& from, const sip::Message& msg);
  // The zone takes a request from this source (b2bua_reload.cc): on a trunk zone a trunk's host;
  // a peer that a reload no longer allows (ACL, trunk or zone removed) only within its call's
  // dialog. Answers (403) and counts a refusal.
  bool source_allowed(const SipPeer& from, const sip::Message& msg);
  // A confirmed call into the store again after something on its dialogs (b2bua.cc).
  void keep_stored(const Call& call);
  // --- restarts (b2bua_persist.cc) ---
  // A kept call fits this configuration (unique id, INVITE kept, zones exist); logs why not.
  [[nodiscard]] bool adoptable(const Call& call) const;
  // Sets an adopted call's state as after the caller's ACK, on this sbcd's clock.
  void resume_established(Call& call);

  const Config& config_;
  Scheduler& scheduler_;
  Metrics& metrics_;
  EdgeSecurity& security_;
  DataplaneClient& dataplane_;
  MediaPortAllocator& ports_;
  B2buaTimers timers_;
  // Per index of config_.zones (which holds the rest of a zone): true when the zone faces
  // carriers. A zone a reload retired keeps what it was while its calls finish.
  std::vector<bool> trunk_zones_;
  Router router_;
  sip::IdGenerator ids_;
  CallTable calls_;
  CapacityLimits limits_;
  uint64_t published_transaction_overflows_ = 0;
  uint64_t published_ended_evictions_ = 0;
  EndedCalls ended_;
  RetiredSessions retired_;
  TransactionLayer layer_;  // its timers stop when it goes: nothing it calls back into is gone
  StatelessResponder responder_{layer_};
  B2buaContext ctx_;
  CallRecords records_;
  CallSignalling signalling_;
  CallTeardown teardown_;
  CallMedia media_;
  SessionTimers session_timers_;
  ReliableProvisionals provisionals_;
  CallTransfer transfer_;
  MidCall mid_call_;
  CallDialogs dialogs_;
  TrunkFailover failover_;
  AnswerRelay relay_;
  CallSetup setup_;
  RegisterRelay register_relay_;
  RegisterHandler register_;
  NatKeepalive keepalive_;
  TrunkQualify qualify_;
  TrunkRegistration registration_;
  TrunkDns trunk_dns_;
};

}  // namespace sbc::cp
