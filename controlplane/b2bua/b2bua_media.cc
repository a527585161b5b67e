// The B2BUA's media anchoring and call teardown: port allocation, SDP rewrite, dataplane sessions,
// CDRs.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "controlplane/b2bua/b2bua.h"

namespace sbc::cp {

std::expected<void, int> B2bua::allocate_media(Call& call, size_t caller_zone, size_t callee_zone) {
  if (!dataplane_.connected()) {
    spdlog::warn("call {}: 503, dataplane not connected", call.id);
    return std::unexpected(503);
  }
  const size_t zones[2] = {caller_zone, callee_zone};
  const api::PortInfo* info[2] = {};
  for (int side = 0; side < 2; ++side) {
    info[side] = dataplane_.find_port(config_.zones[zones[side]].dataplane_port);
    if (info[side] == nullptr || !info[side]->address.is_set()) {
      spdlog::error("zone {}: dataplane has no port '{}'", config_.zones[zones[side]].name,
                    config_.zones[zones[side]].dataplane_port);
      return std::unexpected(503);
    }
  }
  auto first = ports_.allocate(info[0]->index);
  if (!first) {
    spdlog::warn("call {}: 503, {} on port {}", call.id, to_string(first.error()), info[0]->name);
    return std::unexpected(503);
  }
  auto second = ports_.allocate(info[1]->index);
  if (!second) {
    ports_.release(info[0]->index, *first);
    spdlog::warn("call {}: 503, {} on port {}", call.id, to_string(second.error()), info[1]->name);
    return std::unexpected(503);
  }
  const uint16_t allocated[2] = {*first, *second};
  for (int side = 0; side < 2; ++side) {
    MediaLeg& m = call.legs[side].media;
    m.dataplane_port = info[side]->index;
    m.local = info[side]->address;
    m.local_port = allocated[side];
  }
  return {};
}

// The description as the side `toward` sees it: our address and port on that side, our o= line.
std::expected<std::string, sip::SdpError> B2bua::rewrite_for(Call& call, Side toward,
                                                             std::string_view sdp) {
  auto parsed = sip::parse_sdp(sdp);
  if (!parsed) return std::unexpected(parsed.error());
  auto audio = sip::first_audio_endpoint(*parsed);
  Leg& leg = call.legs[toward];
  sip::SdpRewrite rewrite;
  rewrite.address = leg.media.local.to_string();
  for (size_t i = 0; i < parsed->media.size(); ++i) {
    sip::MediaRewrite m;
    // Only the first audio stream is anchored; every other stream is disabled (port 0) rather
    // than passed with the other side's addresses in it.
    if (audio && i == audio->media_index) {
      m.port = leg.media.local_port;
      if (parsed->media[i].rtcp_port) m.rtcp_port = leg.media.local_port + 1;
    }
    rewrite.media.push_back(m);
  }
  rewrite.origin_username = "sbc";
  rewrite.origin_session_id = std::to_string(call.id);
  rewrite.origin_version = ++leg.sdp_version;
  rewrite.strip_identity = true;  // topology hiding covers who made the description, too
  return sip::rewrite_sdp(sdp, rewrite);
}

void B2bua::program_session(const CallPtr& call) {
  call->session_programmed = true;
  dataplane_.request(session_spec(*call),
                     [this, call](DataplaneClient::Reply reply) { on_session_reply(call, reply); });
}

api::SessionAdd B2bua::session_spec(const Call& call) const {
  api::SessionAdd add;
  add.session_id = call.id;
  // No inactivity timeout while the call rings: early media is optional. The 2xx re-programs the
  // session with it (an upsert restarts the dataplane's idle baseline).
  add.media_timeout_ms = call.callee_answered ? config_.media.timeout_s * 1000 : 0;
  add.latch_window_ms = config_.media.latch_window_ms;
  add.max_packet_rate = config_.media.max_packet_rate;
  for (int side = 0; side < 2; ++side) {
    const Leg& leg = call.legs[side];
    api::LegSpec& spec = add.legs[side];
    spec.port = leg.media.dataplane_port;
    spec.local = leg.media.local;
    spec.local_rtp_port = leg.media.local_port;
    spec.remote = leg.media.remote;
    spec.remote_rtp_port = leg.media.remote_port;
    spec.remote_rtcp_port = leg.media.remote_rtcp_port;
    spec.signalling_source = api::Address::parse(leg.signalling_source.address().to_string());
  }
  return add;
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
  auto it = calls_.find(event.session_id);
  if (it == calls_.end() || it->second->state == CallState::kEnded) return;
  spdlog::info("call {}: no media for {} ms; hanging up", event.session_id, event.idle_ms);
  fail_call(it->second, 408, CallResult::kMediaTimeout);
}

// Our 2xx to a caller that has not ACKed keeps being retransmitted after the end: the caller's
// BYE waits for that ACK (§15). Other final responses are retransmitted until their ACK as well.
void B2bua::end_call(const CallPtr& call, CallResult result, int code) {
  if (call->state == CallState::kEnded) return;
  call->state = CallState::kEnded;
  --live_calls_;
  call->result = result;
  call->result_code = code;
  if (call->admission) {
    security_.release_call(*call->admission);
    call->admission.reset();
  }
  call->end_time = scheduler_.wall_now();
  scheduler_.cancel(call->ring_timer);
  call->ring_timer = 0;
  scheduler_.cancel(call->duration_timer);
  call->duration_timer = 0;
  metrics_.call_ended(result);
  spdlog::info("call {}: ended ({}, {})", call->id, to_string(result), code);
  note_ended(*call);
  teardown_media(call);
  // The Call goes as soon as nothing is owed on its transactions; an EndedCall record absorbs
  // what may still arrive after that.
  call->linger_timer = scheduler_.schedule(timers_.t1, [this, id = call->id] { erase_call(id); });
}

// Counters first (they die with the session), then the CDR, then the delete. A session's media
// ports are free again only once the dataplane no longer has it: a reused port would collide.
void B2bua::teardown_media(const CallPtr& call) {
  HeldPorts held;
  for (Leg& leg : call->legs) {
    if (leg.media.local_port != 0)
      held.emplace_back(leg.media.dataplane_port, leg.media.local_port);
    leg.media.local_port = 0;
  }
  if (!std::exchange(call->session_programmed, false)) {
    release_ports(held);
    write_cdr(*call);
    return;
  }
  undeleted_[call->id] = std::move(held);
  if (!dataplane_.connected()) {
    spdlog::warn("call {}: dataplane down; session deleted (and media ports freed) on reconnect",
                 call->id);
    write_cdr(*call);
    return;
  }
  dataplane_.request(api::StatsQuery{call->id}, [this, call](DataplaneClient::Reply reply) {
    if (reply) {
      if (auto* stats = std::get_if<api::StatsReply>(&*reply))
        call->media_stats = std::move(*stats);
    }
    write_cdr(*call);
    delete_session(call->id);
  });
}

void B2bua::delete_session(uint64_t id) {
  dataplane_.request(api::SessionDelete{id},
                     [this, id](DataplaneClient::Reply reply) { on_session_deleted(id, reply); });
}

void B2bua::on_session_deleted(uint64_t id, const DataplaneClient::Reply& reply) {
  auto it = undeleted_.find(id);
  if (it == undeleted_.end()) return;  // an earlier attempt succeeded
  const auto* result = reply ? std::get_if<api::Result>(&*reply) : nullptr;
  if (result != nullptr &&
      (result->status == api::Status::kOk || result->status == api::Status::kNotFound)) {
    release_ports(it->second);
    undeleted_.erase(it);
    return;
  }
  spdlog::warn("session {}: delete failed ({}); its media ports stay reserved until a retry", id,
               !reply              ? to_string(reply.error())
               : result != nullptr ? api::to_string(result->status)
                                   : std::string_view("unexpected reply"));
}

void B2bua::release_ports(const HeldPorts& ports) {
  for (const auto& [dataplane_port, rtp_port] : ports) {
    if (auto released = ports_.release(dataplane_port, rtp_port); !released) {
      spdlog::error("media port {}: {}", rtp_port, to_string(released.error()));
    }
  }
}

void B2bua::erase_call(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  const CallPtr call = it->second;
  call->linger_timer = 0;
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
  const bool bye_pending = call->caller_bye_pending && call->response_timer != 0;
  const bool busy =
      b.invite_tx || bye_pending || !call->legs[kCaller].requests.empty() || !b.requests.empty();
  if (busy) {
    call->linger_timer = scheduler_.schedule(timers_.t2, [this, id] { erase_call(id); });
    return;
  }
  scheduler_.cancel(call->response_timer);
  remember(*call);
  const std::string key = caller_key(call->legs[kCaller].peer.zone, call->legs[kCaller].call_id);
  if (auto c = by_caller_call_id_.find(key); c != by_caller_call_id_.end() && c->second == id) {
    by_caller_call_id_.erase(c);
  }
  by_callee_call_id_.erase(call->legs[kCallee].call_id);
  calls_.erase(it);
}

void B2bua::remember(const Call& call) {
  const Leg& a = call.legs[kCaller];
  const Leg& b = call.legs[kCallee];
  EndedCall e;
  e.id = call.id;
  e.caller_key = caller_key(a.peer.zone, a.call_id);
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
  for (const auto& [id, call] : calls_) {
    if (call->state != CallState::kEnded && call->session_programmed) live.push_back(id);
  }
  // Each entry is built when its turn comes: a call that ended meanwhile sends nothing, one that
  // changed (answered, re-INVITEd) sends what it is now.
  const size_t sessions = live.size();  // counted before the lambda takes the vector
  resync.add(DataplaneResync::Lane::kSessions, "session", sessions,
             [this, live = std::move(live)](size_t i) -> std::optional<Request> {
               auto it = calls_.find(live[i]);
               if (it == calls_.end() || it->second->state == CallState::kEnded ||
                   !it->second->session_programmed) {
                 return std::nullopt;
               }
               CallPtr call = it->second;
               api::SessionAdd add = session_spec(*call);
               return Request{std::move(add),
                              [this, call = std::move(call)](DataplaneClient::Reply reply) {
                                on_session_reply(call, reply);
                              }};
             });
  std::vector<uint64_t> stale;
  for (const auto& [id, ports] : undeleted_) stale.push_back(id);
  const size_t ended = stale.size();
  resync.add(DataplaneResync::Lane::kCleanup, "ended session", ended,
             [this, stale = std::move(stale)](size_t i) -> std::optional<Request> {
               const uint64_t id = stale[i];
               if (!undeleted_.contains(id)) return std::nullopt;
               return Request{api::SessionDelete{id}, [this, id](DataplaneClient::Reply reply) {
                                on_session_deleted(id, reply);
                              }};
             });
  reconcile(0, resync);
}

// Pages through the dataplane's sessions and deletes those no live call owns (left over from
// calls that ended while it was unreachable, or from an earlier sbcd).
void B2bua::reconcile(uint64_t cursor, DataplaneResync& resync) {
  api::DumpQuery query;
  query.cursor = cursor;
  dataplane_.request(query, [this, &resync](DataplaneClient::Reply reply) {
    const auto* dump = reply ? std::get_if<api::DumpReply>(&*reply) : nullptr;
    if (dump == nullptr) {
      spdlog::warn("dataplane: session dump failed; orphaned sessions stay until the next connect");
      return;
    }
    std::vector<uint64_t> orphans;
    for (const api::SessionInfo& s : dump->sessions) {
      const uint64_t id = s.spec.session_id;
      if (undeleted_.contains(id)) continue;  // its delete is on the way
      auto it = calls_.find(id);
      if (it != calls_.end() && it->second->state != CallState::kEnded &&
          it->second->session_programmed) {
        continue;
      }
      spdlog::info("dataplane: deleting orphaned session {}", id);
      orphans.push_back(id);
    }
    const size_t count = orphans.size();
    resync.add(
        DataplaneResync::Lane::kCleanup, "orphaned session", count,
        [this, orphans = std::move(orphans)](size_t i) -> std::optional<DataplaneResync::Request> {
          const uint64_t id = orphans[i];
          auto it = calls_.find(id);
          if (it != calls_.end() && it->second->state != CallState::kEnded &&
              it->second->session_programmed) {
            return std::nullopt;  // a call took that id meanwhile
          }
          return DataplaneResync::Request{api::SessionDelete{id}, {}};
        });
    if (dump->next_cursor != 0) reconcile(dump->next_cursor, resync);
  });
}

void B2bua::update_media_stats(const api::SessionInfo& info) {
  auto it = calls_.find(info.spec.session_id);
  if (it == calls_.end() || it->second->state == CallState::kEnded) return;
  api::StatsReply stats;
  stats.session_id = info.spec.session_id;
  stats.legs.assign(info.stats.begin(), info.stats.end());
  it->second->media_stats = std::move(stats);
}

}  // namespace sbc::cp
