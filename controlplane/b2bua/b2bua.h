// The back-to-back user agent: every call is two dialogs with their own Call-ID, tags, CSeq, Via
// and Contact (topology hiding by construction), media anchored on the dataplane.
//
// Where a new call goes is the Router's (routing/router.h); any request on a trunk zone from a
// source no trunk allows is refused with 403.
//
// Single-threaded: everything runs on the event loop that drives the Scheduler.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/b2bua/call.h"
#include "controlplane/b2bua/call_cdr.h"
#include "controlplane/b2bua/call_store.h"
#include "controlplane/b2bua/call_table.h"
#include "controlplane/b2bua/ended_calls.h"
#include "controlplane/config/capacity.h"
#include "controlplane/config/config.h"
#include "controlplane/ingress/stateless_responder.h"
#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/media/media_ports.h"
#include "controlplane/media/retired_sessions.h"
#include "controlplane/media/sdp_anchor.h"
#include "controlplane/media/sdp_body.h"
#include "controlplane/observability/cdr_writer.h"
#include "controlplane/observability/metrics.h"
#include "controlplane/registrar/registrar.h"
#include "controlplane/routing/router.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/security/edge_security.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/ids.h"
#include "controlplane/sip/message.h"
#include "controlplane/sip/request_check.h"
#include "controlplane/sip/sdp.h"
#include "controlplane/transaction/response_via.h"
#include "controlplane/transaction/transaction_layer.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

struct B2buaTimers {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  std::chrono::milliseconds t4{5000};
  std::chrono::seconds ring_timeout{180};  // longest a call may stay unanswered
  // How long an ended call's compact record (ended_calls.h) absorbs retransmissions once the
  // call's transactions are over. A call whose INVITE never got a final response (abandoned
  // after our CANCEL) is remembered ring_timeout instead: its 2xx may still come.
  std::chrono::seconds linger{32};
};

// What restore_calls() did.
struct RestoredCalls {
  size_t adopted = 0;
  size_t cdrs_written = 0;  // of calls that had ended just before the restart
  size_t dropped = 0;       // kept state that could not be used (logged)
};

// The transaction user of a TransactionLayer (RFC 3261 §17): requests reach it once, without
// retransmissions; it answers through the layer and sends its requests in client transactions.
// The dialog layer is its own: 2xx retransmission until the ACK, the ACK of a 2xx, CANCEL races,
// BYE after the ACK.
class B2bua final : private TransactionUser {
 public:
  // Retry-After (seconds) of the 503 a new call gets when the call table is full.
  static constexpr uint32_t kCapacityRetryAfter = 5;
  // Longest user part / display name copied from the caller into our INVITE; longer ones are
  // refused up front (414 / 400) so what we build stays well inside the parser limits.
  static constexpr size_t kMaxUserLength = 256;
  static constexpr size_t kMaxDisplayNameLength = 256;

  B2bua(const Config& config, Scheduler& scheduler, SipTransport& transport,
        DataplaneClient& dataplane, MediaPortAllocator& ports, Metrics& metrics,
        EdgeSecurity& security, Registrar& registrar, CdrWriter* cdr, B2buaTimers timers = {});
  ~B2bua() override;

  // The zone's SIP address when the config left it to the dataplane port (known after Hello).
  void set_zone_address(size_t zone, const boost::asio::ip::address& address);
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
  void on_media_timeout(const api::MediaTimeoutEvent& event);
  // The dataplane (re)connected: queue on `resync` (paced) every live session to program again (a
  // restarted dataplane has none), the deletes of ended calls' sessions whose delete could not be
  // sent or failed (their media ports stay in use until then) and, from a full dump, of every
  // session that belongs to no live call.
  void on_dataplane_up(DataplaneResync& resync);
  // --- restarts (b2bua_persist.cc) ---
  // Established calls are written to `store` once confirmed and deleted once their CDR is
  // written (nullptr: nothing kept).
  void set_store(CallStore* store) { store_ = store; }
  // Takes over an established call kept by an earlier sbcd: its dialogs, media ports and session
  // (kept by the dataplane reconcile, re-programmed when the dataplane lacks it), the admission
  // count, the max_call_duration left. false (logged) when it cannot: its session is then
  // deleted as an orphan.
  bool adopt(Call call);
  // Loads the store: writes the CDRs of calls that ended before the CDR file had them (unless it
  // has them), adopts the established calls. The error names what failed.
  [[nodiscard]] std::expected<RestoredCalls, std::string> restore_calls();

  // Latest per-session counters (from a periodic dump), shown by `show calls`.
  void update_media_stats(const api::SessionInfo& info);

  [[nodiscard]] const CallTable::Map& calls() const { return calls_.all(); }
  // Live calls (not ended): what [sbcd] call_capacity bounds.
  [[nodiscard]] size_t active_calls() const { return calls_.live(); }
  // Ended calls remembered to absorb retransmissions (ended_calls.h).
  [[nodiscard]] const EndedCalls& ended_calls() const { return ended_; }
  [[nodiscard]] const CapacityLimits& capacity() const { return limits_; }
  // New calls refused because the call table was full.
  [[nodiscard]] uint64_t calls_refused_at_capacity() const { return calls_refused_; }
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
  using CallPtr = std::shared_ptr<Call>;
  // What an ACK or BYE on any dialog our INVITE to the callee created needs (views into a Call
  // or an EndedCall, used at once).
  struct InviteOrigin {
    const SipPeer& peer;
    std::string_view call_id;
    std::string_view local_party;
    std::string_view local_tag;
    std::string_view remote_party;
    std::string_view invite_uri;
    std::string_view invite_branch;
    uint32_t cseq;
  };
  // The offer of a new call: parsed once, with the stream it is anchored on.
  struct Offer {
    SdpBody sdp;
    AudioEndpoint audio;
  };

  // --- TransactionUser ---
  void on_request(const SipPeer& from, const sip::Message& request) override;
  void on_response(TransactionId id, uint64_t owner, const SipPeer& from,
                   const sip::Message& response) override;
  void on_transaction_error(TransactionId id, uint64_t owner, TransactionError error) override;
  // --- requests ---
  // The zone takes a request from this source (b2bua_reload.cc): on a trunk zone a trunk's host;
  // a peer that a reload no longer allows (ACL, trunk or zone removed) only within its call's
  // dialog. Answers (403) and counts a refusal.
  bool source_allowed(const SipPeer& from, const sip::Message& msg);
  void handle_request(const SipPeer& from, const sip::Message& msg);
  // A new call's setup, step by step (b2bua.cc); a step that refuses the INVITE answers it and
  // returns nothing. What earlier steps took (admission, media ports) are leases: a later
  // refusal gives them back by dropping them.
  void new_call(const SipPeer& from, const sip::Message& invite);
  bool within_limits(const SipPeer& from, const sip::Message& invite);  // Max-Forwards, capacity
  bool valid_invite(const SipPeer& from, const sip::Message& invite);   // Request-URI, From
  std::optional<Offer> take_offer(const SipPeer& from, const sip::Message& invite);
  // Toll fraud (calls to a trunk: `callee_user` becomes the number the rules judged), then
  // admission control.
  struct Caller;
  std::optional<AdmissionLease> admit(const SipPeer& from, const sip::Message& invite,
                                      const Caller& caller, const Route& route,
                                      std::string& callee_user);
  CallPtr build_call(const SipPeer& from, const sip::Message& invite, const Caller& caller,
                     const Route& route, const std::string& callee_user);
  // A response refusing a new call.
  struct Refusal {
    int code;
    std::string reason;  // "": the code's default reason phrase
  };
  // The call's media session (ports on both sides) and the offer as the callee sees it.
  std::expected<std::string, Refusal> open_media(Call& call, const Offer& offer);
  void send_invite(const CallPtr& call, uint32_t max_forwards, std::string offer);
  // REGISTER on an access zone: digest authentication, then the registrar (b2bua_register.cc).
  void handle_register(const SipPeer& from, const sip::Message& request);
  // The user a REGISTER binds after `auth`; nullopt when it has been answered (challenged or
  // refused).
  std::optional<std::string> registering_user(const SipPeer& from, const sip::Message& request,
                                              const AuthDecision& auth);
  // A user's digest-proven binding from `from` lends its address the trusted budget.
  void trust_registered(const std::string& user, const SipPeer& from);
  // Answers `request` statelessly with a digest challenge (401/407).
  void challenge(const SipPeer& from, const sip::Message& request, const AuthDecision& auth) {
    responder_.challenge(from, request, auth);
  }
  // Who places a new call: the trunk it comes from, the authenticated user, or "zone:NAME";
  // nullopt when the INVITE has been answered (challenged or refused).
  struct Caller {
    std::string account;
    std::string user;  // authenticated user; "" otherwise
  };
  std::optional<Caller> identify_caller(const SipPeer& from, const sip::Message& invite);
  void caller_request(const CallPtr& call, const SipPeer& from, const sip::Message& msg);
  void callee_request(const CallPtr& call, const SipPeer& from, const sip::Message& msg);
  void handle_ack(const CallPtr& call, const sip::Message& ack);
  void handle_cancel(const CallPtr& call, const SipPeer& from, const sip::Message& cancel);
  void handle_bye(const CallPtr& call, Side side, const SipPeer& to, const sip::Message& bye);
  // Ends a call's dialog with one side, honouring what that side is owed first: the callee's 2xx
  // is ACKed before its BYE (§13.2.2.4), an unanswered callee gets CANCEL, and the caller's BYE
  // waits for its ACK of our 2xx or the 2xx's retransmission timeout (§15).
  void hang_up_callee(const CallPtr& call);
  void hang_up_caller(const CallPtr& call);
  // `elapsed`: how long the call has been answered already (an adopted call).
  void start_duration_limit(const CallPtr& call, std::chrono::milliseconds elapsed = {});
  // --- responses ---
  // `owner`: the call a matched client transaction belongs to (0 with id 0: a stray 2xx).
  void handle_response(TransactionId id, uint64_t owner, const SipPeer& from,
                       const sip::Message& msg);
  void handle_call_response(const CallPtr& call, TransactionId id, const sip::Message& msg);
  void invite_response(const CallPtr& call, TransactionId id, const sip::Message& msg);
  void final_failure(const CallPtr& call, const sip::Message& msg);
  void callee_answered(const CallPtr& call, const sip::Message& msg);
  void learn_callee_dialog(Call& call, const sip::Message& msg);
  void relay_answer(const CallPtr& call, const sip::Message& msg);
  // A 2xx from another fork than the dialog the call confirmed: its own ACK, then a BYE.
  void forked_answer(const CallPtr& call, const sip::Message& msg);
  // A 2xx for a call that is over (its record): ACK it; BYE its dialog unless already done.
  void ended_answer(EndedCall& ended, const sip::Message& msg);
  // Answers a request on an ended call's dialog (482, BYE 200/481); false when it is none of
  // its business (a new call reusing the Call-ID, a stray ACK, ...).
  bool ended_request(const SipPeer& from, const sip::Message& msg);
  static InviteOrigin invite_origin(const Call& call);
  static InviteOrigin invite_origin(const EndedCall& ended);
  // The ACK of the 2xx `msg` (its dialog: To tag, Contact, Record-Route) and a BYE on that dialog
  // in a transaction nobody owns.
  void ack_dialog(const InviteOrigin& origin, const sip::Message& msg);
  void bye_dialog(const InviteOrigin& origin, const sip::Message& msg);
  // --- messages we originate ---
  // Answers `request` (received on `peer.zone`) in its server transaction.
  void reply(const SipPeer& peer, const sip::Message& request, int code,
             std::string_view reason = {}, std::string_view to_tag = {});
  // Answers `request` from `from` statelessly (no server transaction kept): every refusal made
  // while no call exists, so a spoofed source gets one response per request, never Timer G's.
  // The To tag, when the request has none, is the layer's deterministic stateless tag.
  void reject(const SipPeer& from, const sip::Message& request, int code,
              std::string_view reason = {}) {
    responder_.reject(from, request, code, reason);
  }
  sip::MessageBuilder stateless_response(const sip::Message& request, int code,
                                         std::string_view reason = {}) const {
    return responder_.response(request, code, reason);
  }
  using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;
  void respond_caller(const CallPtr& call, int code, std::string_view reason = {},
                      std::string body = {}, const ExtraHeaders& extra = {});
  void send_bye(const CallPtr& call, Side side);
  void send_cancel(const CallPtr& call);
  void send_callee_ack(const CallPtr& call);
  // CANCEL for our INVITE to the callee, from the fields kept in the Call.
  sip::OutgoingRequest invite_twin(const Call& call, sip::Method method,
                                   std::string_view to_tag) const;
  // A request on `leg`'s dialog (§12.2.1.1): our party and tag, the peer's party, tag and target,
  // the route set. Callers set branch and CSeq.
  sip::RequestSpec dialog_request(const Leg& leg, sip::Method method) const;
  void close_invite(Call& call);
  // Our Contact on a leg toward `peer` (its listener, with ;transport= for TCP/TLS; a SIPS URI
  // on a secure dialog, which only a TLS leg can be).
  std::string contact(const SipPeer& peer, bool sips = false) const;
  // The listener a message toward `peer` leaves from: Via sent-by and Contact host/port.
  Endpoint local_endpoint(const SipPeer& peer) const;
  // A request spec's Via for a message toward `peer`.
  void set_via(sip::RequestSpec& spec, const SipPeer& peer) const;
  // Sends a request in a client transaction on `side`'s leg; false when the layer refused it.
  bool start_transaction(const CallPtr& call, Side side, sip::OutgoingRequest request);
  void retransmit_response(uint64_t call_id);
  void stop_transaction(Call& call, TransactionId id);
  // --- media (b2bua_media.cc) ---
  // The dataplane port table entry of a zone's dataplane port; nullptr (logged) when it has none.
  const api::PortInfo* media_port(size_t zone) const;
  // A description's anchored stream, when sbcd can anchor it: IPv4 audio at an address the
  // media policy allows; the reason otherwise.
  std::expected<AudioEndpoint, std::string> usable_audio(const sip::SessionDescription& sdp);
  void program_session(const CallPtr& call);
  [[nodiscard]] api::SessionAdd session_spec(const Call& call) const;
  void on_session_reply(const CallPtr& call, const DataplaneClient::Reply& reply);
  // Deletes, page by page of the dataplane's dump, every session no live call owns.
  void reconcile(DataplaneResync& resync);
  [[nodiscard]] bool owns_session(uint64_t id) const;
  // --- ending ---
  void fail_call(const CallPtr& call, int code, CallResult result);
  void end_call(const CallPtr& call, CallResult result, int code);
  void teardown_media(const CallPtr& call);
  void erase_call(uint64_t id);
  // Keeps what an ended call's dialogs may still need as an EndedCall record.
  void remember(const Call& call);
  // --- restarts (b2bua_persist.cc) ---
  void persist(const CallPtr& call);  // a confirmed call, into the store
  // The CDR, exactly once: kept in the store with the call until it is in the CDR file.
  void write_cdr(const Call& call);
  void note_ended(const Call& call);  // the CDR so far, in case sbcd dies before write_cdr
  // A kept call fits this configuration (unique id, INVITE kept, zones exist); logs why not.
  [[nodiscard]] bool adoptable(const Call& call) const;
  // Sets an adopted call's state as after the caller's ACK, on this sbcd's clock.
  void resume_established(Call& call);
  [[nodiscard]] std::vector<std::string> zone_names() const;

  std::optional<size_t> zone_index(std::string_view name) const;

  const Config& config_;
  Scheduler& scheduler_;
  SipTransport& transport_;
  DataplaneClient& dataplane_;
  MediaPortAllocator& ports_;
  Metrics& metrics_;
  EdgeSecurity& security_;
  Registrar& registrar_;
  CdrWriter* cdr_;
  CallStore* store_ = nullptr;
  B2buaTimers timers_;
  // Per index of config_.zones (which holds the rest of a zone): true when the zone faces
  // carriers. A zone a reload retired keeps what it was while its calls finish.
  std::vector<bool> trunk_zones_;
  Router router_;  // where new calls go; owns the zones' SIP addresses
  sip::IdGenerator ids_;
  uint64_t next_call_id_;
  CallTable calls_;  // live calls and ended ones still owed something
  CapacityLimits limits_;
  uint64_t calls_refused_ = 0;
  uint64_t published_transaction_overflows_ = 0;
  uint64_t published_ended_evictions_ = 0;
  EndedCalls ended_;
  RetiredSessions retired_;  // ended calls' sessions not deleted yet: they keep their ports
  TransactionLayer layer_;   // destroyed (timers cancelled) before what it calls back into
  StatelessResponder responder_{layer_};  // every refusal made while no call exists
};

}  // namespace sbc::cp
