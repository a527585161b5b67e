// The B2BUA as transaction user: what the layer delivers goes to the component whose job it is.
#include "controlplane/b2bua/b2bua.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua_internal.h"

namespace sbc::cp {
namespace {

using sip::Method;

TransactionTimers transaction_timers(const B2buaTimers& timers) {
  TransactionTimers t;
  t.t1 = timers.t1;
  t.t2 = timers.t2;
  t.t4 = timers.t4;
  // The B2BUA ends an unanswered call at ring_timeout and waits 64*T1 after its CANCEL: the
  // guard only catches what slips past both.
  t.proceeding_guard = std::chrono::duration_cast<std::chrono::milliseconds>(timers.ring_timeout) +
                       2 * t.timer_64t1();
  return t;
}

}  // namespace

sip::RequestPolicy B2bua::request_policy() {
  sip::RequestPolicy policy;
  policy.methods = {Method::kInvite,   Method::kAck,    Method::kBye,   Method::kCancel,
                    Method::kOptions,  Method::kUpdate, Method::kPrack, Method::kInfo,
                    Method::kMessage,  Method::kNotify, Method::kRefer, Method::kRegister,
                    Method::kSubscribe};
  // RFC 3262 and RFC 4028: a peer may require them (a zone with 100rel = off refuses the
  // former per call, call_setup.cc).
  policy.supported = {"100rel", "timer", "replaces"};
  return policy;
}

std::string_view to_string(CallState state) {
  switch (state) {
    case CallState::kCalling: return "calling";
    case CallState::kAnswered: return "answered";
    case CallState::kConfirmed: return "confirmed";
    case CallState::kEnded: return "ended";
  }
  return "unknown";
}

B2bua::B2bua(const Config& config, Scheduler& scheduler, SipTransport& transport,
             DataplaneClient& dataplane, MediaPortAllocator& ports, Metrics& metrics,
             EdgeSecurity& security, Registrar& registrar, CdrWriter* cdr, DnsClient* dns,
             B2buaTimers timers)
    : config_(config),
      scheduler_(scheduler),
      metrics_(metrics),
      security_(security),
      dataplane_(dataplane),
      ports_(ports),
      timers_(timers),
      router_(config.zones, config.trunks, config.routes, config.dids, registrar, transport),
      limits_(resolve_capacity(config, dataplane.max_sessions())),
      ended_(limits_.ended_calls),
      retired_(dataplane),
      layer_(scheduler, transport, *this, metrics, transaction_timers(timers),
             limits_.transactions),
      ctx_{config,  timers_,  scheduler, transport,  dataplane, ports,
           metrics, security, registrar, router_,    ids_,      calls_,
           ended_,  retired_, layer_,    responder_, limits_,   trunk_zones_},
      records_(config, cdr),
      signalling_(ctx_, [this](const CallPtr& call) { teardown_.caller_never_acked(call); }),
      teardown_(ctx_, signalling_, records_),
      media_(ctx_, teardown_),
      session_timers_(ctx_, signalling_, teardown_),
      provisionals_(ctx_, signalling_, teardown_,
                    [this](const CallPtr& call) { relay_.release_answer(call); }),
      transfer_(ctx_, signalling_, teardown_, media_),
      mid_call_(ctx_, signalling_, teardown_, media_, session_timers_, transfer_),
      dialogs_(ctx_, signalling_, teardown_, records_, mid_call_, provisionals_, transfer_),
      failover_(ctx_, signalling_, teardown_),
      relay_(ctx_, signalling_, teardown_, media_, dialogs_, session_timers_, provisionals_,
             failover_),
      setup_(ctx_, signalling_, teardown_, media_, session_timers_, provisionals_, failover_),
      register_relay_(ctx_, signalling_),
      register_(ctx_, register_relay_),
      keepalive_(ctx_, signalling_),
      qualify_(ctx_, signalling_),
      registration_(ctx_, signalling_),
      trunk_dns_(ctx_, dns) {
  for (const ZoneConfig& z : config.zones) trunk_zones_.push_back(config.is_trunk_zone(z.name));
  qualify_.restart();  // declares the trunks' metrics
  trunk_dns_.restart();
  registration_.restart();
}

B2bua::~B2bua() {
  // A call may outlive us in a pending dataplane callback: what it holds goes back now, while
  // the allocator and admission control are still there, and its timers stop.
  for (const auto& [id, call] : calls_.all()) {
    call->media.release_ports();
    call->admission.reset();
    call->cancel_timers();
  }
}

void B2bua::update_capacity() {
  const CapacityLimits limits = resolve_capacity(config_, dataplane_.max_sessions());
  if (limits.calls != limits_.calls) {
    spdlog::info("capacity: {} calls ({}), {} transactions, {} ended calls", limits.calls,
                 limits.calls_source, limits.transactions, limits.ended_calls);
  }
  limits_ = limits;
  layer_.set_max_transactions(limits_.transactions);
  ended_.set_capacity(limits_.ended_calls, scheduler_.now());
}

void B2bua::publish_capacity() {
  ended_.expire(scheduler_.now());
  metrics_.capacity("calls", calls_.live(), limits_.calls);
  metrics_.capacity("server_transactions", layer_.server_transactions(), limits_.transactions);
  metrics_.capacity("client_transactions", layer_.client_transactions(), limits_.transactions);
  metrics_.capacity("ended_calls", ended_.size(), ended_.capacity());
  const uint64_t overflows = layer_.stats().over_limit;
  metrics_.capacity_exceeded("transactions", overflows - published_transaction_overflows_);
  metrics_.capacity_exceeded("ended_calls", ended_.evicted() - published_ended_evictions_);
  published_transaction_overflows_ = overflows;
  published_ended_evictions_ = ended_.evicted();
}

void B2bua::on_dataplane_up(DataplaneResync& resync) {
  update_capacity();  // the dataplane's max_sessions may bound the call table
  media_.on_dataplane_up(resync);
}

// --- requests -----------------------------------------------------------------------------------

// Requests that passed the SipIngress (ingress/sip_ingress.h) and the transaction layer.
void B2bua::on_request(const SipPeer& from, const sip::Message& msg) {
  const size_t zone = from.zone;
  if (!source_allowed(from, msg)) return;
  const std::string_view call_id = *msg.call_id();
  if (CallPtr call = calls_.find_callee_dialog(call_id);
      call && call->legs[kCallee].peer.zone == zone) {
    dialogs_.callee_request(call, from, msg);
    keep_stored(*call);
    return;
  }
  if (CallPtr call = calls_.find_caller_dialog(zone, call_id)) {
    if (dialogs_.caller_request(call, from, msg)) {
      keep_stored(*call);
    } else {
      setup_.new_call(from, msg, call.get());  // a new call reusing an ended call's Call-ID
    }
    return;
  }
  if (dialogs_.ended_request(from, msg)) return;
  out_of_dialog(from, msg);
}

void B2bua::out_of_dialog(const SipPeer& from, const sip::Message& msg) {
  const bool has_to_tag = !msg.to()->tag().empty();
  switch (msg.method()) {
    case Method::kInvite:
      if (has_to_tag) {
        responder_.reject(from, msg, 481);
      } else {
        setup_.new_call(from, msg);
      }
      return;
    case Method::kAck: metrics_.sip_dropped(SipDropReason::kStrayAck); return;
    case Method::kRegister: register_.handle_register(from, msg); return;
    case Method::kBye:
    case Method::kCancel: responder_.reject(from, msg, 481); return;
    case Method::kSubscribe:
      // Within a call's dialog it is relayed (call_dialogs.cc); outside one, the SBC serves no
      // event package itself (RFC 6665 §4.2.1.1).
      responder_.reject(from, msg, has_to_tag ? 481 : 489);
      return;
    case Method::kUpdate:
    case Method::kInfo:
    case Method::kMessage:
    case Method::kNotify:
    case Method::kRefer:
      if (has_to_tag) {
        responder_.reject(from, msg, 481);  // a dialog we do not have (§12.2.2)
        return;
      }
      [[fallthrough]];
    default: {
      // Out of dialog: OPTIONS answered 200, anything else 405; both statelessly, so a flood of
      // them holds no server transactions.
      auto response = responder_.response(msg, msg.method() == Method::kOptions ? 200 : 405);
      response.add(sip::HeaderId::kAllow, std::string(kAllow));
      responder_.send(from, msg, std::move(response));
      return;
    }
  }
}

// Anything on a confirmed call's dialogs may change what an adopting sbcd needs: a leg's media
// (re-INVITE, UPDATE), its remote target, our CSeq (a lower one after a restart would be refused,
// RFC 3261 §12.2.1.1), a session timer. The store keeps the call as it is now (its writes are
// group-committed; mid-call traffic is a few messages per call).
void B2bua::keep_stored(const Call& call) {
  if (call.state == CallState::kConfirmed) records_.persist(call);
}

// --- responses ----------------------------------------------------------------------------------

// `id`: the client transaction the layer matched, 0 for a 2xx to an INVITE whose transaction is
// gone (the layer passes no other stray). A matched response belongs to the transaction's owner
// whatever its Call-ID or To say: dropping it would leave the call waiting for it forever.
void B2bua::on_response(TransactionId id, uint64_t owner, const SipPeer& from,
                        const sip::Message& msg) {
  if (id != 0 && (qualify_.response(id, msg) || registration_.response(id, msg) ||
                  register_relay_.response(id, msg) || keepalive_.response(id, msg))) {
    return;
  }
  if (id != 0) {
    if (CallPtr call = calls_.find(owner)) {
      if (!transfer_.response(call, id, msg) && !session_timers_.response(call, id, msg) &&
          !mid_call_.response(call, id, msg)) {
        relay_.call_response(call, id, msg);
      }
      keep_stored(*call);
      return;
    }
    // Our BYE to a late 2xx's dialog (owner 0), or a call that is over: only a 2xx to its
    // INVITE (retransmitted, or from another fork) still needs something, an ACK (below).
    auto cseq = msg.cseq();
    const int code = msg.status_code();
    if (owner == 0 || !cseq || cseq->method != Method::kInvite || code < 200 || code >= 300) {
      return;
    }
  }
  stray_answer(id, from, msg);
}

void B2bua::stray_answer(TransactionId id, const SipPeer& from, const sip::Message& msg) {
  const size_t zone = from.zone;
  auto call_id = msg.call_id();
  if (!call_id || !msg.cseq() || !msg.top_via() || !msg.to()) {
    metrics_.sip_dropped(SipDropReason::kBadResponse);
    return;
  }
  if (CallPtr call = calls_.find_callee_dialog(*call_id);
      call && call->legs[kCallee].peer.zone == zone) {
    if (!mid_call_.repeated_answer(call, msg)) relay_.invite_response(call, id, msg);
    return;
  }
  if (CallPtr call = calls_.find_caller_dialog(zone, *call_id);
      call && mid_call_.repeated_answer(call, msg)) {
    return;
  }
  if (EndedCall* ended = ended_.find_callee(*call_id, scheduler_.now());
      ended != nullptr && ended->callee_peer.zone == zone) {
    dialogs_.ended_answer(*ended, msg);
    return;
  }
  metrics_.sip_dropped(SipDropReason::kStrayResponse);
}

// Timer B / F or an unreachable hop. Our INVITE failing sends the call to the next trunk, or
// ends it while still ringing (408 for a timeout, 503 for a transport failure as §8.1.3.1 says);
// a BYE or CANCEL failing only ends its transaction.
void B2bua::on_transaction_error(TransactionId id, uint64_t owner, TransactionError error) {
  if (qualify_.transaction_error(id, error) || registration_.transaction_error(id, error) ||
      register_relay_.transaction_error(id, error) || keepalive_.transaction_error(id, error)) {
    return;
  }
  CallPtr call = calls_.find(owner);
  if (!call || transfer_.transaction_error(call, id, error) ||
      session_timers_.transaction_error(call, id, error) ||
      mid_call_.transaction_error(call, id, error)) {
    return;
  }
  if (call->legs[kCallee].invite_tx != id) {
    signalling_.stop_transaction(*call, id);
    return;
  }
  if (failover_.failed(call, error)) return;
  signalling_.close_invite(*call);
  if (call->state != CallState::kCalling) return;
  const int code = error == TransactionError::kTimeout ? 408 : 503;
  spdlog::info("call {}: no response from the callee ({})", call->id, to_string(error));
  if (call->final_status == 0) signalling_.respond_caller(call, code);
  teardown_.end_call(call, CallResult::kFailed, code);
}

}  // namespace sbc::cp
