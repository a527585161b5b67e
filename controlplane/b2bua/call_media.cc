#include "controlplane/b2bua/call_media.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "controlplane/media/session_dump.h"

namespace sbc::cp {

CallMedia::CallMedia(const B2buaContext& ctx, CallTeardown& teardown)
    : ctx_(ctx), teardown_(teardown) {
  std::vector<std::string_view> reasons;
  for (size_t r = 0; r < kMediaRefusalCount; ++r) {
    reasons.push_back(to_string(static_cast<MediaRefusal>(r)));
  }
  ctx_.metrics.declare_media_refusals(reasons);
}

std::expected<NegotiatedOffer, MediaRefusal> CallMedia::negotiate_offer(uint64_t call_ref,
                                                                        const sip::SdpMedia& offer,
                                                                        const MediaPolicy& caller,
                                                                        const MediaPolicy& callee) {
  auto accepted = accept_offer(offer, caller);
  std::expected<CalleeOffer, MediaRefusal> ours =
      accepted ? offer_toward(*accepted, callee) : std::unexpected(accepted.error());
  std::optional<CodecOffer> codecs;
  if (ours && negotiates_codecs(caller, callee)) {
    auto negotiated =
        negotiate_codecs(offer, caller, callee, ctx_.dataplane.max_transcoded_sessions() > 0);
    if (negotiated) {
      codecs = std::move(*negotiated);
    } else {
      ours = std::unexpected(negotiated.error());
    }
  }
  if (!ours) {
    ctx_.metrics.media_refused(to_string(ours.error()));
    spdlog::info(
        "sip: new call {}: offer refused: {} (profile {}, caller policy {}, callee "
        "policy {})",
        call_ref, to_string(ours.error()), offer.proto, to_string(caller.profile),
        to_string(callee.profile));
    return std::unexpected(ours.error());
  }
  if (accepted->srtp) {
    spdlog::debug("new call {}: caller SRTP {} tag {}", call_ref,
                  sip::to_string(accepted->srtp->suite), accepted->srtp->tag);
  }
  return NegotiatedOffer{std::move(*accepted), std::move(*ours), std::move(codecs)};
}

std::expected<void, MediaRefusal> CallMedia::accept_answer(Call& call,
                                                           const sip::SdpMedia& answer) {
  auto accepted = call.media.accept_callee_answer(answer);
  if (!accepted) {
    ctx_.metrics.media_refused(to_string(accepted.error()));
    spdlog::warn("call {}: the callee's answer is refused: {} (profile {})", call.id,
                 to_string(accepted.error()), answer.proto);
    return accepted;
  }
  if (const auto& srtp = call.media.leg(kCallee).srtp) {
    spdlog::debug("call {}: callee SRTP {} tag {}", call.id, sip::to_string(srtp->suite),
                  srtp->tag);
  }
  return {};
}

const api::PortInfo* CallMedia::media_port(size_t zone) const {
  const ZoneConfig& z = ctx_.config.zones[zone];
  const api::PortInfo* info = ctx_.dataplane.find_port(z.dataplane_port);
  if (info == nullptr || !info->address.is_set()) {
    spdlog::error("zone {}: dataplane has no port '{}'", z.name, z.dataplane_port);
    return nullptr;
  }
  return info;
}

std::expected<std::string, CallRefusal> CallMedia::open_media(Call& call, const CallOffer& offer) {
  if (!ctx_.dataplane.connected()) {
    spdlog::warn("call {}: 503, dataplane not connected", call.id);
    return std::unexpected(CallRefusal{503, ""});
  }
  const api::PortInfo* caller = media_port(call.legs[kCaller].peer.zone);
  const api::PortInfo* callee = media_port(call.legs[kCallee].peer.zone);
  if (caller == nullptr || callee == nullptr) return std::unexpected(CallRefusal{503, ""});
  auto session = MediaSession::open(call.id, ctx_.ports, *caller, *callee);
  if (!session) {
    spdlog::warn("call {}: 503, {} on port {}", call.id, to_string(session.error().error),
                 (session.error().side == kCaller ? caller : callee)->name);
    return std::unexpected(CallRefusal{503, ""});
  }
  call.media = std::move(*session);
  call.media.set_remote(kCaller, offer.audio);
  call.described[kCaller] = ReceivedSdp{offer.sdp, offer.audio, false};
  call.media.set_caller_media(offer.caller);
  call.media.set_callee_offer(offer.callee);
  if (offer.codecs) {
    call.media.set_codec_offer(*offer.codecs,
                               offer.sdp.description().media[offer.audio.media_index]);
  }
  auto sdp = call.media.anchor(kCallee, offer.sdp, offer.audio);
  if (!sdp) {
    return std::unexpected(
        CallRefusal{400, fmt::format("Bad SDP ({})", sip::to_string(sdp.error()))});
  }
  return std::move(*sdp);
}

std::expected<AudioEndpoint, std::string> CallMedia::usable_audio(
    const sip::SessionDescription& sdp) {
  auto audio = anchorable_audio(sdp);
  if (!audio) return std::unexpected(std::string("no IPv4 audio stream"));
  if (auto refused = ctx_.security.check_media_address(audio->address)) {
    return std::unexpected(fmt::format("{} media address", to_string(*refused)));
  }
  return *audio;
}

void CallMedia::program_session(const CallPtr& call, std::function<void()> accepted) {
  call->media.mark_programmed();
  ctx_.dataplane.request(session_spec(*call), [this, call, accepted = std::move(accepted)](
                                                  DataplaneClient::Reply reply) {
    on_session_reply(call, reply, accepted);
  });
}

api::SessionAdd CallMedia::session_spec(const Call& call) const {
  const auto source = [&call](Side side) {
    return api::Address::parse(call.legs[side].signalling_source.address().to_string());
  };
  // No inactivity timeout while the call rings: early media is optional.
  return call.media.spec(ctx_.config.media, call.callee_answered,
                         {source(kCaller), source(kCallee)});
}

void CallMedia::on_session_reply(const CallPtr& call, const DataplaneClient::Reply& reply,
                                 const std::function<void()>& accepted) {
  if (call->state == CallState::kEnded) return;
  std::string error;
  if (!reply) {
    // Not sent, or lost with the connection: the session stays marked programmed and the resync
    // on reconnect programs it (a call answered while the dataplane restarts keeps its media).
    // An answer still waiting for the dataplane is not given without it.
    if (!accepted && (reply.error() == DataplaneError::kNotConnected ||
                      reply.error() == DataplaneError::kDisconnected)) {
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
  if (error.empty()) {
    if (accepted) accepted();
    return;
  }
  const auto* result = reply ? std::get_if<api::Result>(&*reply) : nullptr;
  if (result != nullptr && result->status == api::Status::kNoResources &&
      call->media.transcoded()) {
    // Every transcoding lcore is full: this call is refused, live calls keep their quality.
    ctx_.metrics.media_refused(to_string(MediaRefusal::kTranscodingCapacity));
    call->media_refusal = MediaRefusal::kTranscodingCapacity;
  }
  spdlog::error("call {}: dataplane refused the session: {}", call->id, error);
  teardown_.fail_call(call, 503, CallResult::kFailed);
}

void CallMedia::on_media_timeout(const api::MediaTimeoutEvent& event) {
  CallPtr call = ctx_.calls.find(event.session_id);
  if (!call || call->state == CallState::kEnded) return;
  spdlog::info("call {}: no media for {} ms; hanging up", event.session_id, event.idle_ms);
  teardown_.fail_call(call, 408, CallResult::kMediaTimeout);
}

void CallMedia::on_dataplane_up(DataplaneResync& resync) {
  using Request = DataplaneResync::Request;
  std::vector<uint64_t> live;
  for (const auto& [id, call] : ctx_.calls.all()) {
    if (call->state != CallState::kEnded && call->media.programmed()) live.push_back(id);
  }
  // Each entry is built when its turn comes: a call that ended meanwhile sends nothing, one that
  // changed (answered, re-INVITEd) sends what it is now.
  const size_t sessions = live.size();  // counted before the lambda takes the vector
  resync.add(DataplaneResync::Lane::kSessions, "session", sessions,
             [this, live = std::move(live)](size_t i) -> std::optional<Request> {
               CallPtr call = ctx_.calls.find(live[i]);
               if (!call || !owns_session(live[i])) return std::nullopt;
               api::SessionAdd add = session_spec(*call);
               return Request{std::move(add),
                              [this, call = std::move(call)](DataplaneClient::Reply reply) {
                                on_session_reply(call, reply, {});
                              }};
             });
  ctx_.retired.resync(resync);
  reconcile(resync);
}

bool CallMedia::owns_session(uint64_t id) const {
  const CallPtr call = ctx_.calls.find(id);
  return call && call->state != CallState::kEnded && call->media.programmed();
}

// Deletes the sessions no live call owns (left over from calls that ended while the dataplane
// was unreachable, or from an earlier sbcd).
void CallMedia::reconcile(DataplaneResync& resync) {
  const auto on_page = [this, &resync](const api::DumpReply& page) {
    std::vector<uint64_t> orphans;
    for (const api::SessionInfo& s : page.sessions) {
      const uint64_t id = s.spec.session_id;
      if (ctx_.retired.contains(id) || owns_session(id)) continue;  // retired: deleted anyway
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
  dump_sessions(ctx_.dataplane, on_page, [](bool complete) {
    if (!complete) {
      spdlog::warn("dataplane: session dump failed; orphaned sessions stay until the next connect");
    }
  });
}

void CallMedia::update_media_stats(const api::SessionInfo& info) {
  CallPtr call = ctx_.calls.find(info.spec.session_id);
  if (!call || call->state == CallState::kEnded) return;
  api::StatsReply stats;
  stats.session_id = info.spec.session_id;
  stats.legs.assign(info.stats.begin(), info.stats.end());
  call->media_stats = std::move(stats);
}

}  // namespace sbc::cp
