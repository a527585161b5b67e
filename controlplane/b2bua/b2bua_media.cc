// The B2BUA's side of media: it coordinates the call's MediaSession (media/), the retired
// sessions of ended calls and the reconcile after a dataplane (re)connect; and call teardown.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "controlplane/b2bua/b2bua.h"
#include "controlplane/media/session_dump.h"

namespace sbc::cp {

const api::PortInfo* B2bua::media_port(size_t zone) const {
  const api::PortInfo* info = dataplane_.find_port(config_.zones[zone].dataplane_port);
  if (info == nullptr || !info->address.is_set()) {
    spdlog::error("zone {}: dataplane has no port '{}'", config_.zones[zone].name,
                  config_.zones[zone].dataplane_port);
    return nullptr;
  }
  return info;
}

std::expected<std::string, B2bua::Refusal> B2bua::open_media(Call& call, const Offer& offer) {
  if (!dataplane_.connected()) {
    spdlog::warn("call {}: 503, dataplane not connected", call.id);
    return std::unexpected(Refusal{503, ""});
  }
  const api::PortInfo* caller = media_port(call.legs[kCaller].peer.zone);
  const api::PortInfo* callee = media_port(call.legs[kCallee].peer.zone);
  if (caller == nullptr || callee == nullptr) return std::unexpected(Refusal{503, ""});
  auto session = MediaSession::open(call.id, ports_, *caller, *callee);
  if (!session) {
    spdlog::warn("call {}: 503, {} on port {}", call.id, to_string(session.error().error),
                 (session.error().side == kCaller ? caller : callee)->name);
    return std::unexpected(Refusal{503, ""});
  }
  call.media = std::move(*session);
  call.media.set_remote(kCaller, offer.audio);
  auto sdp = call.media.anchor(kCallee, offer.sdp, offer.audio);
  if (!sdp) {
    return std::unexpected(Refusal{400, fmt::format("Bad SDP ({})", sip::to_string(sdp.error()))});
  }
  return std::move(*sdp);
}

std::expected<AudioEndpoint, std::string> B2bua::usable_audio(const sip::SessionDescription& sdp) {
  auto audio = anchorable_audio(sdp);
  if (!audio) return std::unexpected(std::string("no IPv4 audio stream"));
  if (auto refused = security_.check_media_address(audio->address)) {
    return std::unexpected(fmt::format("{} media address", to_string(*refused)));
  }
  return *audio;
}

void B2bua::program_session(const CallPtr& call) {
  call->media.mark_programmed();
  dataplane_.request(session_spec(*call),
                     [this, call](DataplaneClient::Reply reply) { on_session_reply(call, reply); });
}

api::SessionAdd B2bua::session_spec(const Call& call) const {
  const auto source = [&call](Side side) {
    return api::Address::parse(call.legs[side].signalling_source.address().to_string());
  };
  // No inactivity timeout while the call rings: early media is optional.
  return call.media.spec(config_.media, call.callee_answered, {source(kCaller), source(kCallee)});
}

void B2bua::on_session_reply(const CallPtr& call, const DataplaneClient::Reply& reply) {
  if (call->state == CallState::kEnded) return;
  std::string error;
  if (!reply) {
    // Not sent, or lost with the connection: the session stays marked programmed and the resync
    // on reconnect programs it (a call answered while the dataplane restarts keeps its media).
    if (reply.error() == DataplaneError::kNotConnected ||
        reply.error() == DataplaneError::kDisconnected) {
      spdlog::warn("call {}: dataplane unreachable; its session is programmed on reconnect",
                   call->id);
      return;
    }
    error = std::string(to_string(reply.error()));
  } else if (const auto* result = std::get_if<api::Result>(&*reply)) {
    if (result->status != api::Status::kOk) {
      error = fmt::format("{} {}", api::to_string(result->status), result->detail);
    }
  } else {
    error = "unexpected reply";
  }
  if (error.empty()) return;
  spdlog::error("call {}: dataplane refused the session: {}", call->id, error);
  fail_call(call, 503, CallResult::kFailed);
}

// Ends a call for a local reason: the caller gets `code` if it has no final response yet,
// established dialogs get a BYE, a ringing callee gets a CANCEL.
void B2bua::fail_call(const CallPtr& call, int code, CallResult result) {
  if (call->state == CallState::kEnded) return;
  if (call->final_status == 0) {
    respond_caller(call, code);
  } else {
    hang_up_caller(call);
  }
  hang_up_callee(call);
  end_call(call, result, code);
}

void B2bua::on_media_timeout(const api::MediaTimeoutEvent& event) {
  CallPtr call = calls_.find(event.session_id);
  if (!call || call->state == CallState::kEnded) return;
  spdlog::info("call {}: no media for {} ms; hanging up", event.session_id, event.idle_ms);
  fail_call(call, 408, CallResult::kMediaTimeout);
}

// Our 2xx to a caller that has not ACKed keeps being retransmitted after the end: the caller's
// BYE waits for that ACK (§15). Other final responses are retransmitted until their ACK as well.
void B2bua::end_call(const CallPtr& call, CallResult result, int code) {
  if (call->state == CallState::kEnded) return;
  calls_.end(*call);
  call->result = result;
  call->result_code = code;
  call->admission.reset();  // uncounted now
  call->end_time = scheduler_.wall_now();
  call->ring_timer.cancel();
  call->duration_timer.cancel();
  metrics_.call_ended(result);
  spdlog::info("call {}: ended ({}, {})", call->id, to_string(result), code);
  note_ended(*call);
  teardown_media(call);
  // The Call goes as soon as nothing is owed on its transactions; an EndedCall record absorbs
  // what may still arrive after that.
  call->linger_timer = Timer(scheduler_, timers_.t1, [this, id = call->id] { erase_call(id); });
}

// Counters first (they die with the session), then the CDR, then the delete. A session's media
// ports are free again only once the dataplane no longer has it: a reused port would collide.
void B2bua::teardown_media(const CallPtr& call) {
  retired_.retire(call->media, [this, call](std::optional<api::StatsReply> stats) {
    if (stats) call->media_stats = std::move(*stats);
    write_cdr(*call);
  });
}

void B2bua::erase_call(uint64_t id) {
  const CallPtr call = calls_.find(id);
  if (!call) return;
  // Still owed something by a transaction (a final response to our INVITE, our BYE's answer, the
  // caller's ACK before our BYE): all of them are bounded by their own timers, so wait for them.
  // A transaction the layer no longer knows is over, whether or not its end reached us.
  Leg& b = call->legs[kCallee];
  if (b.invite_tx && layer_.client(*b.invite_tx) == nullptr) close_invite(*call);
  for (Leg& leg : call->legs) {
    std::erase_if(leg.requests, [this](TransactionId tx) { return layer_.client(tx) == nullptr; });
  }
  // A BYE held for the caller's ACK waits only while our 2xx is still retransmitted (its timer
  // ends in the BYE or the ACK comes): nothing else may keep the call.
  const bool bye_pending = call->caller_bye_pending && call->response_timer.armed();
  const bool busy =
      b.invite_tx || bye_pending || !call->legs[kCaller].requests.empty() || !b.requests.empty();
  if (busy) {
    call->linger_timer = Timer(scheduler_, timers_.t2, [this, id] { erase_call(id); });
    return;
  }
  remember(*call);
  calls_.erase(id);
}

void B2bua::remember(const Call& call) {
  const Leg& a = call.legs[kCaller];
  const Leg& b = call.legs[kCallee];
  EndedCall e;
  e.id = call.id;
  e.caller_key = CallTable::caller_key(a.peer.zone, a.call_id);
  e.caller_branch = call.caller_invite_branch;
  e.caller_tag = a.local_tag;
  e.caller_dialog = call.final_status >= 200 && call.final_status < 300;
  e.callee_peer = b.peer;
  e.callee_call_id = b.call_id;
  e.callee_tag = b.local_tag;
  e.callee_local_party = b.local_party;
  e.callee_remote_party = b.remote_party;
  e.callee_invite_uri = call.callee_invite_uri;
  e.callee_invite_branch = call.callee_invite_branch;
  e.callee_invite_cseq = call.callee_invite_cseq;
  if (call.callee_answered) e.callee_dialogs.push_back(b.remote_tag);
  for (const std::string& tag : call.callee_forks) {
    if (e.callee_dialogs.size() < EndedCall::kMaxDialogs) e.callee_dialogs.push_back(tag);
  }
  // An INVITE abandoned without a final response (after our CANCEL) may still be answered while
  // a proxy keeps its branch: remembered as long as a call may ring.
  const bool abandoned = call.invite_abandoned;
  const auto now = scheduler_.now();
  e.expires = now + (abandoned ? timers_.ring_timeout : timers_.linger);
  ended_.add(std::move(e),
             abandoned ? EndedCalls::Retention::kLong : EndedCalls::Retention::kLinger, now);
}

void B2bua::on_dataplane_up(DataplaneResync& resync) {
  using Request = DataplaneResync::Request;
  update_capacity();  // the dataplane's max_sessions may bound the call table
  std::vector<uint64_t> live;
  for (const auto& [id, call] : calls_.all()) {
    if (call->state != CallState::kEnded && call->media.programmed()) live.push_back(id);
  }
  // Each entry is built when its turn comes: a call that ended meanwhile sends nothing, one that
  // changed (answered, re-INVITEd) sends what it is now.
  const size_t sessions = live.size();  // counted before the lambda takes the vector
  resync.add(DataplaneResync::Lane::kSessions, "session", sessions,
             [this, live = std::move(live)](size_t i) -> std::optional<Request> {
               CallPtr call = calls_.find(live[i]);
               if (!call || !owns_session(live[i])) return std::nullopt;
               api::SessionAdd add = session_spec(*call);
               return Request{std::move(add),
                              [this, call = std::move(call)](DataplaneClient::Reply reply) {
                                on_session_reply(call, reply);
                              }};
             });
  retired_.resync(resync);
  reconcile(resync);
}

bool B2bua::owns_session(uint64_t id) const {
  const CallPtr call = calls_.find(id);
  return call && call->state != CallState::kEnded && call->media.programmed();
}

// Deletes the sessions no live call owns (left over from calls that ended while the dataplane
// was unreachable, or from an earlier sbcd).
void B2bua::reconcile(DataplaneResync& resync) {
  const auto on_page = [this, &resync](const api::DumpReply& page) {
    std::vector<uint64_t> orphans;
    for (const api::SessionInfo& s : page.sessions) {
      const uint64_t id = s.spec.session_id;
      if (retired_.contains(id) || owns_session(id)) continue;  // a retired one: delete on its way
      spdlog::info("dataplane: deleting orphaned session {}", id);
      orphans.push_back(id);
    }
    const size_t count = orphans.size();
    resync.add(
        DataplaneResync::Lane::kCleanup, "orphaned session", count,
        [this, orphans = std::move(orphans)](size_t i) -> std::optional<DataplaneResync::Request> {
          if (owns_session(orphans[i])) return std::nullopt;  // a call took that id meanwhile
          return DataplaneResync::Request{api::SessionDelete{orphans[i]}, {}};
        });
  };
  dump_sessions(dataplane_, on_page, [](bool complete) {
    if (!complete) {
      spdlog::warn("dataplane: session dump failed; orphaned sessions stay until the next connect");
    }
  });
}

void B2bua::update_media_stats(const api::SessionInfo& info) {
  CallPtr call = calls_.find(info.spec.session_id);
  if (!call || call->state == CallState::kEnded) return;
  api::StatsReply stats;
  stats.session_id = info.spec.session_id;
  stats.legs.assign(info.stats.begin(), info.stats.end());
  call->media_stats = std::move(stats);
}

}  // namespace sbc::cp
