// One B2BUA call: two dialogs (legs) with independent identifiers, the media anchored between them
// and the client transactions (in the TransactionLayer) sbcd has in flight on either leg.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/control_protocol.h"
#include "controlplane/b2bua/ended_calls.h"
#include "controlplane/b2bua/refer_subscription.h"
#include "controlplane/media/media_session.h"
#include "controlplane/media/sdp_body.h"
#include "controlplane/media/srtp_negotiation.h"
#include "controlplane/normalize/caller_identity.h"
#include "controlplane/observability/call_result.h"
#include "controlplane/routing/dialog_policy.h"
#include "controlplane/routing/sip_locator.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/runtime/timer.h"
#include "controlplane/security/admission_control.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/message.h"
#include "controlplane/transaction/transaction_user.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

enum class CallState : uint8_t {
  kCalling,    // INVITE sent to the callee, no final response yet (maybe an early dialog)
  kAnswered,   // 2xx sent to the caller, waiting for its ACK
  kConfirmed,  // ACK received: both dialogs established
  kEnded,      // over; kept a while to absorb retransmissions, then erased
};
std::string_view to_string(CallState state);

struct Leg {
  // Where requests and responses for this side go: zone, transport, address, listener and, over
  // TCP/TLS, the connection the side's requests arrive on.
  SipPeer peer;
  // The dialog is secure (RFC 3261 §12.1.1): our Contact toward this side is a SIPS URI.
  bool sips = false;
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  std::string local_party;    // name-addr without tag: From of our requests on this dialog
  std::string remote_party;   // name-addr without tag: To of our requests on this dialog
  std::string remote_target;  // Request-URI of in-dialog requests (the peer's Contact)
  std::vector<std::string> route_set;
  uint32_t local_cseq = 0;
  std::string user;            // user part shown in CDRs and `show calls`
  std::string user_agent;      // User-Agent of our requests, Server of our responses ("": none)
  Endpoint signalling_source;  // where this side's SIP comes from (may latch media)
  std::optional<TransactionId> invite_tx;  // callee leg: our INVITE until its final response
  std::vector<TransactionId> requests;     // BYE / CANCEL in flight on this leg
};

// A description received mid-call, parsed once: its anchored stream and whether it asks for no
// media at all (c=0.0.0.0, the old form of hold).
struct ReceivedSdp {
  SdpBody sdp;
  AudioEndpoint audio;
  bool no_media = false;
};

// An in-dialog request from one leg relayed on the other (mid_call.h): a re-INVITE or UPDATE
// (an offer/answer exchange, at most one per call at a time) or an INFO, MESSAGE or NOTIFY.
struct RelayedRequest {
  Side from = kCaller;                  // the leg it arrived on; ours went to the other leg
  SipPeer reply_to;                     // where our responses to it go
  std::optional<sip::Message> request;  // as received: our responses are built from it
  TransactionId tx = 0;                 // our request on the other leg
  uint32_t cseq = 0;                    // its CSeq there (our ACK of a 2xx copies it)
  // Offer/answer only: the offer as received (unset: a re-INVITE without one, whose offer comes
  // in the other side's 2xx and whose answer in the ACK) and the SRTP its side would run.
  std::optional<ReceivedSdp> offer;
  std::optional<SrtpLeg> offer_srtp;
};

// Our 2xx to a re-INVITE, retransmitted until the offerer's ACK (§13.3.1.4). For a re-INVITE
// without an offer, the ACK carries the answer to the offer the other side put in its 2xx: our
// ACK of that 2xx waits for it.
struct ReinviteAnswer {
  Side to = kCaller;  // the leg whose re-INVITE it answers
  uint32_t cseq = 0;  // that re-INVITE's CSeq: its ACK's
  std::string response;
  Timer timer;
  std::chrono::milliseconds interval{};
  Scheduler::Clock::time_point deadline{};
  // Offer-less re-INVITE: the other side's offer (from its 2xx), the SRTP it would run, and our
  // re-INVITE there (transaction, CSeq), whose ACK goes once the answer is in.
  std::optional<ReceivedSdp> offer;
  std::optional<SrtpLeg> offer_srtp;
  TransactionId other_tx = 0;
  uint32_t other_cseq = 0;
};

// One leg's session timer (RFC 4028), negotiated on its dialog: the interval, who refreshes, and
// the timer: our refresh at half the interval, or the session's expiry when the peer refreshes.
struct SessionTimer {
  uint32_t interval_s = 0;  // 0: none on this leg
  bool we_refresh = false;
  Timer timer;
  TransactionId refresh_tx = 0;  // our refreshing UPDATE while in flight
};

// Our reliable provisional responses to the caller's INVITE (RFC 3262 §3, reliable_provisionals.h):
// one unacknowledged at a time, retransmitted until its PRACK; later ones wait their turn.
struct ReliableResponse {
  uint32_t rseq = 0;
  std::string response;  // as sent
  bool answer = false;   // carries our SDP answer
  Timer timer;
  std::chrono::milliseconds interval{};
  Scheduler::Clock::time_point deadline{};
};
struct QueuedProvisional {
  int code = 0;
  std::string reason;
  std::string body;
};
struct CallerProvisionals {
  bool reliable = false;  // the caller's INVITE supports 100rel and its zone allows it
  uint32_t next_rseq = 1;
  std::optional<ReliableResponse> unacked;
  std::vector<QueuedProvisional> queued;  // bounded (reliable_provisionals.h)
  bool answer_acked = false;              // our answer went in a PRACKed 18x: not in the 2xx
  // The callee's 2xx (code, reason) waiting for the PRACK of an 18x with our answer (§3).
  std::optional<std::pair<int, std::string>> held_answer;

  // A final response went to the caller: no more provisionals, no retransmission.
  void stop() {
    if (unacked) unacked->timer.cancel();
    unacked.reset();
    queued.clear();
  }
};

// An early dialog our INVITE created (the callee may fork: one per To tag, bounded): the last
// RSeq we PRACKed on it and its SDP answer, taken again when its 2xx carries none.
struct EarlyDialog {
  std::string tag;
  uint32_t rseq = 0;
  std::string answer;
  bool answer_reliable = false;  // that answer came in a reliable 18x (PRACKed)
};

// One trunk a call was sent to and failed on before the next took it (trunk_failover.h): its
// name and the final status (408 for no response) with its reason; the CDR lists them.
struct TrunkAttempt {
  std::string trunk;
  int code = 0;
  std::string reason;
  std::string address;  // the target tried ("address:port/transport")
};

// A transfer the SBC carries out itself (`refer = handle`, call_transfer.h): our INVITE to the
// target on a dialog of its own, which takes the transferor's place in the call once answered.
struct Transfer {
  Side transferor = kCaller;
  uint32_t refer_cseq = 0;       // the transferor's REFER: its NOTIFYs' `Event: refer;id=`
  bool transferor_left = false;  // it hung up while the transfer ran: no NOTIFY, no BYE
  Leg leg;                       // toward the target; invite_tx while our INVITE is open
  std::string target_trunk;      // the trunk the target is reached through ("": none)
  // The target's trunk's admission while our INVITE is open (its max_calls and call rate, as for
  // a new call to it); once the target answers the call counts there instead of on its old one.
  std::optional<AdmissionLease> admission;
  std::string invite_uri;  // what CANCEL and ACK copy from our INVITE
  std::string invite_branch;
  uint32_t invite_cseq = 1;
  // Our INVITE as built, sent again with the trunk's credentials when it challenges it
  // (trunk_challenge.h), and how often it did.
  std::optional<sip::RequestSpec> invite_spec;
  uint8_t auth_answers = 0;
  bool provisional = false;  // a 1xx came: CANCEL may go (RFC 3261 §9.1)
  bool cancelled = false;
  // The target's zone's media pair when it is not the transferor's dataplane port; moved into
  // the session on the answer (the transferor's pair then waits here until the session moved).
  PortLease lease;
  api::Address lease_address;
  std::string ack;  // our ACK of the target's 2xx, sent again with each retransmission
  // The transferee's re-INVITE that resumes its media toward the target (it was held).
  TransactionId resume_tx = 0;
  uint32_t resume_cseq = 0;
  Timer ring_timer;
};

struct Call {
  uint64_t id = 0;  // also the dataplane session id
  CallState state = CallState::kCalling;
  std::array<Leg, 2> legs;
  // The caller's INVITE (responses to it are built from it).
  std::optional<sip::Message> caller_invite;
  // The caller's numbers and identity as the SBC carries them (normalize/caller_identity.h):
  // our INVITE to each trunk tried is written from them.
  CallerIdentity identity;
  std::string caller_invite_branch;
  // What CANCEL and non-2xx ACK copy from our INVITE to the callee (RFC 3261 §9.1, §17.1.1.3);
  // kept as fields so nothing we send is ever parsed back.
  std::string callee_invite_uri;
  std::string callee_invite_branch;
  uint32_t callee_invite_cseq = 0;
  // Last response sent to the caller's INVITE; a 2xx is retransmitted until the caller's ACK
  // (§13.3.1.4; the server transaction retransmits non-2xx finals itself).
  std::string last_response;
  int final_status = 0;  // final status sent to the caller; 0 while none
  Timer response_timer;  // retransmits our 2xx until the caller's ACK
  std::chrono::milliseconds response_interval{};
  Scheduler::Clock::time_point response_deadline{};
  std::string callee_ack;  // ACK sent for the callee's 2xx (re-sent on 2xx retransmissions)
  bool callee_provisional = false;  // a 1xx (100 included) received: CANCEL allowed (§9.1)
  bool callee_answered = false;     // 2xx received from the callee
  bool invite_abandoned = false;    // our cancelled INVITE never got a final response
  // The callee's 401/407 went to the caller (trunk_challenge.h passes_caller_credentials): its
  // retry with credentials continues our dialog toward the trunk.
  bool challenge_passed = false;
  // To tags of the callee's other forks whose 2xx we ACKed and BYE'd (bounded, ended_calls.h).
  std::vector<std::string> callee_forks;
  bool callee_bye_sent = false;
  bool caller_acked = false;        // the caller's ACK for our 2xx arrived
  bool caller_bye_pending = false;  // BYE to send once the caller ACKs or the 2xx times out (§15)
  // The callee's last SDP answer, parsed once (an unchanged o= is the same answer, not re-sent),
  // and that answer as rewritten for the caller.
  std::optional<SdpBody> callee_answer;
  std::string caller_answer_sdp;
  bool cancel_pending = false;  // CANCEL to send once the callee sends a provisional
  bool cancel_sent = false;
  Timer invite_wait_timer;  // after our CANCEL: how long the INVITE may stay open
  // The Call owns its timers: they are cancelled when it goes. Their callbacks find the call by id,
  // as a Call may outlive its erasure in a pending dataplane reply.
  Timer ring_timer;      // bounds how long a call may stay unanswered
  Timer linger_timer;    // erases an ended call
  Timer duration_timer;  // [sbcd] max_call_duration after the answer
  std::optional<CallResult> result;
  int result_code = 0;
  // The call failed because its offer's or answer's media cannot be served (CDR media_refusal).
  std::optional<MediaRefusal> media_refusal;
  std::chrono::system_clock::time_point start_time{};
  std::optional<std::chrono::system_clock::time_point> answer_time;
  std::optional<std::chrono::system_clock::time_point> end_time;
  Scheduler::Clock::time_point started{};      // monotonic, for the age shown by `show calls`
  std::optional<api::StatsReply> media_stats;  // fetched just before the session is deleted
  // Who placed the call: an authenticated user, the trunk it came from, or "zone:NAME" for a
  // trusted or unauthenticated access source (toll-fraud account, CDRs).
  std::string account;
  MediaSession media;  // both sides' media, its port leases, the dataplane session
  // Mid-call (mid_call.h): the re-INVITE or UPDATE in progress, other relayed requests (bounded),
  // our 2xx to a re-INVITE until its ACK, and the last ACK we sent each leg for a re-INVITE's 2xx
  // (sent again when that 2xx is).
  std::optional<RelayedRequest> offer_in_progress;
  std::vector<RelayedRequest> relayed;
  std::optional<ReinviteAnswer> reinvite_answer;
  std::array<std::string, 2> reinvite_ack;
  std::array<uint32_t, 2> reinvite_ack_cseq{};  // the CSeq of the re-INVITE each acknowledges
  ReferSubscriptions refer_subscriptions;       // relayed REFERs, for their NOTIFYs' Event id
  std::array<SessionTimer, 2> session_timers;   // per leg (session_timers.h)
  // Each side's latest description, as received: a handled transfer offers the transferee's
  // to the target. Not kept across an sbcd restart (an adopted call's transfers are relayed).
  std::array<std::optional<ReceivedSdp>, 2> described;
  std::optional<Transfer> transfer;
  std::array<DialogPolicy, 2> dialog;       // per side: its zone's (and trunk's) policy
  CallerProvisionals caller_provisionals;   // reliable_provisionals.h
  std::vector<EarlyDialog> early_dialogs;   // of our INVITE, one per callee fork
  std::optional<AdmissionLease> admission;  // released when the call ends
  // Toward a trunk: its name; our INVITE as built while it rings, sent again with the trunk's
  // credentials when the carrier challenges it (trunk_challenge.h) or to the next trunk when
  // this one fails the call (trunk_failover.h), and how often it was challenged.
  std::string callee_trunk;
  std::string route;  // the [route.NAME] that chose the trunks; "" on a zone without routes
  std::optional<sip::RequestSpec> callee_invite_spec;
  uint8_t callee_auth_answers = 0;
  // Failover: the trunks (names) still to try, in order; those tried and failed; the timer of
  // the current trunk's first response.
  std::vector<std::string> failover_trunks;
  // The current trunk's targets our INVITE went to and left (a name's SRV targets and
  // addresses): one not tried yet is tried before the next trunk (RFC 3263 §4.3).
  std::vector<SipTarget> tried_targets;
  std::vector<TrunkAttempt> trunk_attempts;
  Timer failover_timer;
  std::vector<AbandonedInvite> abandoned_invites;  // one per silent trunk left, at most

  // For a Call that outlives its B2BUA (kept by a pending dataplane reply): its timers call back
  // into the B2BUA, so they stop when the B2BUA goes.
  void cancel_timers() {
    for (Timer* timer : {&response_timer, &invite_wait_timer, &ring_timer, &linger_timer,
                         &duration_timer, &failover_timer}) {
      timer->cancel();
    }
    if (reinvite_answer) reinvite_answer->timer.cancel();
    caller_provisionals.stop();
    for (SessionTimer& leg : session_timers) leg.timer.cancel();
    if (transfer) transfer->ring_timer.cancel();
  }
};

}  // namespace sbc::cp
