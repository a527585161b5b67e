#include "controlplane/b2bua.h"

#include <algorithm>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "sip/builder.h"

namespace sbc::cp {
namespace {

using sip::Method;

constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS";

bool is_sdp(const sip::Message& msg) {
  auto type = msg.content_type();
  return type && *type && (*type)->is("application", "sdp") && !msg.body().empty();
}

std::string uri_user(const sip::NameAddr& na) { return std::string(na.uri.user); }

}  // namespace

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
             CdrWriter* cdr, B2buaTimers timers)
    : config_(config),
      scheduler_(scheduler),
      transport_(transport),
      dataplane_(dataplane),
      ports_(ports),
      metrics_(metrics),
      cdr_(cdr),
      timers_(timers),
      // Session ids start from the wall clock so a restarted sbcd does not reuse the ids of
      // sessions a running dataplane still holds.
      next_call_id_(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                              scheduler.wall_now().time_since_epoch())
                                              .count())
                    << 20) {
  for (const ZoneConfig& z : config.zones) {
    zones_.push_back(Zone{z.name, z.sip_address, z.sip_port, z.dataplane_port,
                          config.is_trunk_zone(z.name)});
  }
}

B2bua::~B2bua() {
  for (auto& [id, call] : calls_) {
    for (auto& leg : call->legs) {
      if (leg.invite && leg.invite->timer) scheduler_.cancel(leg.invite->timer);
      for (auto& tx : leg.requests) scheduler_.cancel(tx.timer);
    }
    scheduler_.cancel(call->response_timer);
    scheduler_.cancel(call->ring_timer);
    scheduler_.cancel(call->linger_timer);
  }
}

void B2bua::set_zone_address(size_t zone, std::string address) {
  zones_.at(zone).address = std::move(address);
}

size_t B2bua::active_calls() const {
  return static_cast<size_t>(std::ranges::count_if(
      calls_, [](const auto& entry) { return entry.second->state != CallState::kEnded; }));
}

std::string B2bua::caller_key(size_t zone, std::string_view call_id) {
  return fmt::format("{}/{}", zone, call_id);
}

B2bua::CallPtr B2bua::find_callee_dialog(std::string_view call_id) const {
  auto it = by_callee_call_id_.find(std::string(call_id));
  if (it == by_callee_call_id_.end()) return nullptr;
  auto call = calls_.find(it->second);
  return call == calls_.end() ? nullptr : call->second;
}

B2bua::CallPtr B2bua::find_caller_dialog(size_t zone, std::string_view call_id) const {
  auto it = by_caller_call_id_.find(caller_key(zone, call_id));
  if (it == by_caller_call_id_.end()) return nullptr;
  auto call = calls_.find(it->second);
  return call == calls_.end() ? nullptr : call->second;
}

std::optional<size_t> B2bua::zone_index(std::string_view name) const {
  for (size_t i = 0; i < zones_.size(); ++i) {
    if (zones_[i].name == name) return i;
  }
  return std::nullopt;
}

// RFC 3581: with ;rport answer the source port; either way answer the source address, which is
// what works behind NAT (and what a spoofed Via cannot redirect).
Endpoint B2bua::response_target(const Endpoint& from, const sip::Via& via) const {
  if (via.rport_present) return from;
  return Endpoint(from.address(), via.port.value_or(5060));
}

std::string B2bua::contact(size_t zone) const {
  return fmt::format("<sip:{}:{}>", zones_[zone].address, zones_[zone].port);
}

// --- receive ------------------------------------------------------------------------------------

void B2bua::on_datagram(size_t zone, const Endpoint& from, std::string data) {
  if (data.find_first_not_of("\r\n \t") == std::string::npos) return;  // keep-alive
  auto msg = sip::Message::parse(std::move(data));
  if (!msg) {
    metrics_.sip_dropped(sip::to_string(msg.error()));
    spdlog::debug("sip: dropped unparsable datagram from {}: {}", from.address().to_string(),
                  sip::to_string(msg.error()));
    return;
  }
  spdlog::debug("sip: zone {} from {}:{}: {}", zones_[zone].name, from.address().to_string(),
                from.port(), msg->start_line());
  if (msg->is_request()) {
    metrics_.sip_request_received(msg->method_text());
    handle_request(zone, from, *msg);
  } else {
    metrics_.sip_response_received(msg->status_code());
    handle_response(zone, *msg);
  }
}

void B2bua::handle_request(size_t zone, const Endpoint& from, const sip::Message& msg) {
  if (auto valid = msg.validate(); !valid) {
    // A response needs Via, From, To, Call-ID and CSeq; without them the request is dropped.
    const bool answerable = msg.top_via() && msg.from() && msg.to() && msg.call_id() &&
                            msg.cseq() && msg.method() != Method::kAck;
    if (!answerable) {
      metrics_.sip_dropped(sip::to_string(valid.error()));
      return;
    }
    reply(zone, response_target(from, *msg.top_via()), msg, 400,
          fmt::format("Bad Request ({})", sip::to_string(valid.error())));
    return;
  }
  const sip::Via via = *msg.top_via();
  const Endpoint target = response_target(from, via);
  if (zones_[zone].trunk) {
    const auto trunk = std::ranges::find_if(config_.trunks, [&](const TrunkConfig& t) {
      return t.zone == zones_[zone].name && t.host == from.address().to_string();
    });
    if (trunk == config_.trunks.end()) {
      if (msg.method() == Method::kAck) return;
      spdlog::info("sip: 403 to {} on trunk zone {}: not a configured trunk host",
                   from.address().to_string(), zones_[zone].name);
      reply(zone, target, msg, 403);
      return;
    }
  }
  const std::string_view call_id = *msg.call_id();
  if (CallPtr call = find_callee_dialog(call_id); call && call->legs[kCallee].zone == zone) {
    callee_request(call, msg);
    return;
  }
  if (CallPtr call = find_caller_dialog(zone, call_id)) {
    caller_request(call, from, msg);
    return;
  }
  const bool has_to_tag = !msg.to()->tag().empty();
  switch (msg.method()) {
    case Method::kInvite:
      if (has_to_tag) {
        reply(zone, target, msg, 481);
      } else {
        new_call(zone, from, msg);
      }
      return;
    case Method::kAck:
      metrics_.sip_dropped("stray_ack");
      return;
    case Method::kOptions: {
      auto response = sip::make_response(msg, 200, {}, has_to_tag ? "" : ids_.tag());
      response.add(sip::HeaderId::kAllow, std::string(kAllow));
      transport_.send(zone, target, response.build());
      return;
    }
    case Method::kBye:
    case Method::kCancel:
      reply(zone, target, msg, 481);
      return;
    default: {
      auto response = sip::make_response(msg, 405, {}, ids_.tag());
      response.add(sip::HeaderId::kAllow, std::string(kAllow));
      transport_.send(zone, target, response.build());
      return;
    }
  }
}

void B2bua::reply(size_t zone, const Endpoint& to, const sip::Message& request, int code,
                  std::string_view reason, std::string_view to_tag) {
  std::string tag(to_tag);
  if (tag.empty() && code > 100 && request.to() && request.to()->tag().empty()) tag = ids_.tag();
  transport_.send(zone, to, sip::make_response(request, code, reason, tag).build());
}

// --- new calls ----------------------------------------------------------------------------------

void B2bua::new_call(size_t zone, const Endpoint& from, const sip::Message& invite) {
  const Endpoint target = response_target(from, *invite.top_via());
  const uint32_t max_forwards = invite.max_forwards()->value_or(70);
  if (max_forwards == 0) {
    reply(zone, target, invite, 483);
    return;
  }
  if (calls_.size() >= kMaxCalls) {
    spdlog::warn("sip: 503 to a new call: {} calls in progress", calls_.size());
    reply(zone, target, invite, 503);
    return;
  }
  // Route.
  size_t callee_zone = 0;
  Endpoint peer;
  std::string from_user;
  std::string from_host;
  std::string to_host;
  const sip::NameAddr caller_from = *invite.from();
  const sip::NameAddr caller_to = *invite.to();
  auto ruri = invite.request_uri();
  if (!ruri) {
    reply(zone, target, invite, 416);
    return;
  }
  const std::string callee_user(ruri->user);
  from_user = uri_user(caller_from);
  boost::system::error_code ec;
  if (!zones_[zone].trunk) {
    const TrunkConfig& trunk = config_.trunks.front();
    callee_zone = *zone_index(trunk.zone);
    peer = Endpoint(boost::asio::ip::make_address(trunk.host, ec), trunk.port);
    if (!trunk.fromuser.empty()) from_user = trunk.fromuser;
    from_host = trunk.fromdomain.empty() ? zones_[callee_zone].address : trunk.fromdomain;
    to_host = trunk.host;
  } else {
    callee_zone = *zone_index(config_.access_zone().name);
    const auto& default_target = config_.access_zone().default_target;
    if (!default_target) {
      reply(zone, target, invite, 404, "No Route (no default_target)");
      return;
    }
    peer = Endpoint(boost::asio::ip::make_address(default_target->host, ec), default_target->port);
    from_host = zones_[callee_zone].address;
    to_host = default_target->host;
  }
  if (zones_[callee_zone].address.empty() || zones_[zone].address.empty()) {
    reply(zone, target, invite, 503, "Service Unavailable (SIP not bound yet)");
    return;
  }
  // The offer: this release anchors the first audio stream of an offer in the INVITE.
  if (!is_sdp(invite)) {
    reply(zone, target, invite, 488, "Not Acceptable Here (offer in INVITE required)");
    return;
  }
  auto sdp = sip::parse_sdp(invite.body());
  if (!sdp) {
    reply(zone, target, invite, 400, fmt::format("Bad SDP ({})", sip::to_string(sdp.error())));
    return;
  }
  auto audio = sip::first_audio_endpoint(*sdp);
  const api::Address audio_address =
      audio ? api::Address::parse(audio->address) : api::Address{};
  if (!audio || audio_address.family != api::AddressFamily::kIpv4) {
    reply(zone, target, invite, 488, "Not Acceptable Here (no IPv4 audio stream)");
    return;
  }

  auto call = std::make_shared<Call>();
  call->id = next_call_id_++;
  call->start_time = scheduler_.wall_now();
  call->started = scheduler_.now();
  call->caller_invite = invite;
  call->caller_invite_branch = std::string(invite.top_via()->branch);

  Leg& a = call->legs[kCaller];
  a.zone = zone;
  a.peer = target;
  a.signalling_source = from;
  a.call_id = std::string(*invite.call_id());
  a.remote_tag = std::string(caller_from.tag());
  a.local_tag = ids_.tag();
  a.local_party = sip::format_name_addr(caller_to.display_name, caller_to.uri_text);
  a.remote_party = sip::format_name_addr(caller_from.display_name, caller_from.uri_text);
  auto contacts = invite.contacts();
  a.remote_target = contacts && !contacts->entries.empty()
                        ? std::string(contacts->entries.front().uri_text)
                        : std::string(caller_from.uri_text);
  if (auto rr = invite.record_routes()) {
    for (const auto& r : *rr) a.route_set.push_back(fmt::format("<{}>", r.uri_text));
  }
  a.user = uri_user(caller_from);
  a.media.remote = audio_address;
  a.media.remote_port = audio->port;
  if (auto rtcp = sdp->media[audio->media_index].rtcp_port) a.media.remote_rtcp_port = *rtcp;

  Leg& b = call->legs[kCallee];
  b.zone = callee_zone;
  b.peer = peer;
  b.signalling_source = peer;
  b.call_id = ids_.call_id();
  b.local_tag = ids_.tag();
  b.local_party = sip::format_name_addr(caller_from.display_name,
                                        fmt::format("sip:{}@{}", from_user, from_host));
  b.remote_party = sip::format_name_addr("", fmt::format("sip:{}@{}", callee_user, to_host));
  b.remote_target = peer.port() == 5060
                        ? fmt::format("sip:{}@{}", callee_user, peer.address().to_string())
                        : fmt::format("sip:{}@{}:{}", callee_user, peer.address().to_string(),
                                      peer.port());
  b.user = callee_user;
  b.local_cseq = 1;

  if (auto media = allocate_media(*call, zone, callee_zone); !media) {
    reply(zone, target, invite, media.error());
    return;
  }
  auto offer = rewrite_for(*call, kCallee, invite.body());
  if (!offer) {
    ports_.release(a.media.dataplane_port, a.media.local_port);
    ports_.release(b.media.dataplane_port, b.media.local_port);
    reply(zone, target, invite, 400, fmt::format("Bad SDP ({})", sip::to_string(offer.error())));
    return;
  }

  calls_.emplace(call->id, call);
  by_caller_call_id_.emplace(caller_key(zone, a.call_id), call->id);
  by_callee_call_id_.emplace(b.call_id, call->id);
  metrics_.call_started();
  respond_caller(call, 100);

  sip::RequestSpec spec;
  spec.method = Method::kInvite;
  spec.request_uri = b.remote_target;
  spec.via_host = zones_[callee_zone].address;
  spec.via_port = zones_[callee_zone].port;
  spec.branch = ids_.branch();
  spec.from = b.local_party;
  spec.from_tag = b.local_tag;
  spec.to = b.remote_party;
  spec.call_id = b.call_id;
  spec.cseq = b.local_cseq;
  spec.max_forwards = max_forwards - 1;
  spec.contact = contact(callee_zone);
  auto builder = sip::make_request(spec);
  builder.add(sip::HeaderId::kAllow, std::string(kAllow));
  builder.body("application/sdp", std::move(*offer));
  std::string bytes = builder.build();
  call->callee_invite = *sip::Message::parse(bytes);
  spdlog::info("call {}: {} -> {} ({} -> {})", call->id, a.user, b.user, zones_[zone].name,
               zones_[callee_zone].name);
  start_transaction(call, kCallee, Method::kInvite, spec.branch, std::move(bytes));
  call->ring_timer = scheduler_.schedule(timers_.ring_timeout, [this, id = call->id] {
    auto it = calls_.find(id);
    if (it == calls_.end() || it->second->state != CallState::kCalling) return;
    it->second->ring_timer = 0;
    fail_call(it->second, 408, CallResult::kFailed);
  });
}

// --- requests on existing calls -----------------------------------------------------------------

void B2bua::caller_request(const CallPtr& call, const Endpoint& from, const sip::Message& msg) {
  const Leg& a = call->legs[kCaller];
  switch (msg.method()) {
    case Method::kInvite:
      if (msg.to()->tag().empty() && msg.top_via()->branch == call->caller_invite_branch) {
        // A retransmission: answer with what we last said.
        if (!call->last_response.empty()) transport_.send(a.zone, a.peer, call->last_response);
        return;
      }
      reply(a.zone, response_target(from, *msg.top_via()), msg, 488,
            "Not Acceptable Here (re-INVITE not supported)", a.local_tag);
      return;
    case Method::kAck:
      handle_ack(call, msg);
      return;
    case Method::kCancel:
      handle_cancel(call, from, msg);
      return;
    case Method::kBye:
      handle_bye(call, kCaller, response_target(from, *msg.top_via()), msg);
      return;
    case Method::kOptions:
      reply(a.zone, response_target(from, *msg.top_via()), msg, 200, {}, a.local_tag);
      return;
    default:
      reply(a.zone, response_target(from, *msg.top_via()), msg, 501, {}, a.local_tag);
      return;
  }
}

void B2bua::callee_request(const CallPtr& call, const sip::Message& msg) {
  const Leg& b = call->legs[kCallee];
  // The callee's requests are answered at the trunk/target address we use for it.
  const Endpoint to = b.peer;
  switch (msg.method()) {
    case Method::kAck:
      return;  // we never answer the callee's requests with a final INVITE response
    case Method::kBye:
      handle_bye(call, kCallee, to, msg);
      return;
    case Method::kInvite:
      reply(b.zone, to, msg, 488, "Not Acceptable Here (re-INVITE not supported)", b.local_tag);
      return;
    case Method::kOptions:
      reply(b.zone, to, msg, 200, {}, b.local_tag);
      return;
    case Method::kCancel:
      reply(b.zone, to, msg, 481, {}, b.local_tag);
      return;
    default:
      reply(b.zone, to, msg, 501, {}, b.local_tag);
      return;
  }
}

void B2bua::handle_ack(const CallPtr& call, const sip::Message& ack) {
  if (call->final_status == 0) return;  // nothing to acknowledge yet
  if (call->response_timer) {
    scheduler_.cancel(call->response_timer);
    call->response_timer = 0;
  }
  if (call->final_status >= 300) return;  // ACK for our error response: transaction over
  if (ack.to()->tag() != call->legs[kCaller].local_tag) return;
  if (call->state == CallState::kAnswered) {
    call->state = CallState::kConfirmed;
    send_callee_ack(call);
  }
}

void B2bua::handle_cancel(const CallPtr& call, const Endpoint& from, const sip::Message& cancel) {
  const Leg& a = call->legs[kCaller];
  const Endpoint to = response_target(from, *cancel.top_via());
  if (cancel.top_via()->branch != call->caller_invite_branch) {
    reply(a.zone, to, cancel, 481, {}, a.local_tag);
    return;
  }
  reply(a.zone, to, cancel, 200, {}, a.local_tag);
  if (call->final_status != 0) return;  // too late: the INVITE already has its final response
  spdlog::info("call {}: cancelled by the caller", call->id);
  respond_caller(call, 487);
  send_cancel(call);
  end_call(call, CallResult::kCancelled, 487);
}

void B2bua::handle_bye(const CallPtr& call, Side side, const Endpoint& to, const sip::Message& bye) {
  const Leg& leg = call->legs[side];
  const bool established = side == kCaller ? call->final_status >= 200 && call->final_status < 300
                                           : call->callee_answered;
  if (!established) {
    reply(leg.zone, to, bye, 481, {}, leg.local_tag);
    return;
  }
  if (bye.to()->tag() != leg.local_tag) {
    reply(leg.zone, to, bye, 481, {}, leg.local_tag);
    return;
  }
  reply(leg.zone, to, bye, 200, {}, leg.local_tag);
  if (call->state == CallState::kEnded) return;  // a retransmitted BYE
  spdlog::info("call {}: {} hung up", call->id, side == kCaller ? "caller" : "callee");
  send_bye(call, side == kCaller ? kCallee : kCaller);
  end_call(call, CallResult::kAnswered, 200);
}

// --- responses ----------------------------------------------------------------------------------

void B2bua::handle_response(size_t zone, const sip::Message& msg) {
  auto call_id = msg.call_id();
  auto cseq = msg.cseq();
  auto via = msg.top_via();
  if (!call_id || !cseq || !via || !msg.to()) {
    metrics_.sip_dropped("bad_response");
    return;
  }
  Side side = kCallee;
  CallPtr call = find_callee_dialog(*call_id);
  if (!call || call->legs[kCallee].zone != zone) {
    side = kCaller;
    call = find_caller_dialog(zone, *call_id);
  }
  if (!call) {
    metrics_.sip_dropped("stray_response");
    return;
  }
  if (side == kCallee && cseq->method == Method::kInvite) {
    invite_response(call, msg);
    return;
  }
  if (msg.status_code() >= 200) stop_transaction(*call, side, via->branch);
}

void B2bua::invite_response(const CallPtr& call, const sip::Message& msg) {
  Leg& b = call->legs[kCallee];
  const int code = msg.status_code();
  const std::string_view branch = msg.top_via()->branch;
  if (!call->callee_invite || branch != call->callee_invite->top_via()->branch) {
    metrics_.sip_dropped("stray_response");
    return;
  }
  if (!b.invite) {
    // The transaction already has its final response: this is a retransmission of it.
    if (code >= 300) {
      transport_.send(b.zone, b.peer, sip::make_non2xx_ack(*call->callee_invite, msg).build());
    } else if (code >= 200 && !call->callee_ack.empty()) {
      transport_.send(b.zone, b.peer, call->callee_ack);
    }
    return;
  }
  // Any response stops INVITE retransmissions (RFC 3261 §17.1.1.2).
  if (b.invite->timer) {
    scheduler_.cancel(b.invite->timer);
    b.invite->timer = 0;
  }
  if (code == 100) return;
  const sip::NameAddr to = *msg.to();
  if (code < 300) {
    if (!to.tag().empty()) b.remote_tag = std::string(to.tag());
    auto contacts = msg.contacts();
    if (contacts && !contacts->entries.empty()) {
      b.remote_target = std::string(contacts->entries.front().uri_text);
    }
    if (auto rr = msg.record_routes(); rr && !rr->empty()) {
      b.route_set.clear();
      for (auto it = rr->rbegin(); it != rr->rend(); ++it) {
        b.route_set.push_back(fmt::format("<{}>", it->uri_text));
      }
    }
  }
  if (code < 200) {
    call->callee_provisional = true;
    if (call->cancel_pending && !call->cancel_sent) send_cancel(call);
    if (call->final_status != 0) return;
    std::string body;
    if (is_sdp(msg)) {
      relay_answer(call, msg);
      if (call->state == CallState::kEnded) return;
      body = call->caller_answer_sdp;
    }
    respond_caller(call, code, msg.reason_phrase(), std::move(body));
    return;
  }
  b.invite.reset();
  if (call->ring_timer) {
    scheduler_.cancel(call->ring_timer);
    call->ring_timer = 0;
  }
  if (code >= 300) {
    const std::string ack = sip::make_non2xx_ack(*call->callee_invite, msg).build();
    transport_.send(b.zone, b.peer, ack);
    if (call->final_status != 0 || call->state == CallState::kEnded) return;
    spdlog::info("call {}: callee answered {} {}", call->id, code, msg.reason_phrase());
    respond_caller(call, code, msg.reason_phrase());
    const CallResult result =
        code == 486 || code == 600 ? CallResult::kBusy : CallResult::kFailed;
    end_call(call, result, code);
    return;
  }
  // 2xx.
  call->callee_answered = true;
  if (call->final_status != 0 || call->state == CallState::kEnded) {
    // The caller gave up meanwhile (CANCEL/timeout race): confirm and hang up the callee.
    send_callee_ack(call);
    send_bye(call, kCallee);
    return;
  }
  if (is_sdp(msg)) {
    relay_answer(call, msg);
    if (call->state == CallState::kEnded) return;
  }
  if (call->caller_answer_sdp.empty()) {
    spdlog::warn("call {}: 2xx from the callee without an SDP answer", call->id);
    send_callee_ack(call);
    send_bye(call, kCallee);
    respond_caller(call, 502, "Bad Gateway (no SDP answer)");
    end_call(call, CallResult::kFailed, 502);
    return;
  }
  call->state = CallState::kAnswered;
  call->answer_time = scheduler_.wall_now();
  spdlog::info("call {}: answered", call->id);
  respond_caller(call, code, msg.reason_phrase(), call->caller_answer_sdp);
}

// An SDP answer from the callee (183 or 2xx): learn its media, rewrite it for the caller and
// program the dataplane at once so early media flows.
void B2bua::relay_answer(const CallPtr& call, const sip::Message& msg) {
  auto sdp = sip::parse_sdp(msg.body());
  std::optional<sip::MediaEndpoint> audio;
  if (sdp) audio = sip::first_audio_endpoint(*sdp);
  const api::Address address = audio ? api::Address::parse(audio->address) : api::Address{};
  if (!sdp || !audio || address.family != api::AddressFamily::kIpv4) {
    spdlog::warn("call {}: unusable SDP answer from the callee", call->id);
    if (msg.status_code() >= 200) {
      send_callee_ack(call);
      send_bye(call, kCallee);
      respond_caller(call, 502, "Bad Gateway (bad SDP answer)");
      end_call(call, CallResult::kFailed, 502);
    }
    return;
  }
  MediaLeg& media = call->legs[kCallee].media;
  media.remote = address;
  media.remote_port = audio->port;
  media.remote_rtcp_port = sdp->media[audio->media_index].rtcp_port.value_or(0);
  auto rewritten = rewrite_for(*call, kCaller, msg.body());
  if (!rewritten) return;
  call->caller_answer_sdp = std::move(*rewritten);
  program_session(call);
}

// --- messages we send ---------------------------------------------------------------------------

void B2bua::respond_caller(const CallPtr& call, int code, std::string_view reason,
                           std::string body) {
  const Leg& a = call->legs[kCaller];
  auto response = sip::make_response(*call->caller_invite, code, reason,
                                     code > 100 ? std::string_view(a.local_tag) : "");
  if (code > 100 && code < 300) response.add(sip::HeaderId::kContact, contact(a.zone));
  if (code >= 200 && code < 300) response.add(sip::HeaderId::kAllow, std::string(kAllow));
  if (!body.empty()) response.body("application/sdp", std::move(body));
  call->last_response = response.build();
  transport_.send(a.zone, a.peer, call->last_response);
  if (code < 200) return;
  // Final responses are retransmitted over UDP until the caller's ACK (§13.3.1.4, §17.2.1).
  call->final_status = code;
  call->response_interval = timers_.t1;
  call->response_deadline = scheduler_.now() + 64 * timers_.t1;
  scheduler_.cancel(call->response_timer);
  call->response_timer = scheduler_.schedule(call->response_interval,
                                             [this, id = call->id] { retransmit_response(id); });
}

void B2bua::retransmit_response(uint64_t call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  CallPtr call = it->second;
  call->response_timer = 0;
  if (scheduler_.now() >= call->response_deadline) {
    if (call->final_status < 300 && call->state == CallState::kAnswered) {
      spdlog::warn("call {}: no ACK from the caller; hanging up", call->id);
      send_bye(call, kCaller);
      send_bye(call, kCallee);
      end_call(call, CallResult::kFailed, 408);
    }
    return;
  }
  const Leg& a = call->legs[kCaller];
  transport_.send(a.zone, a.peer, call->last_response);
  call->response_interval = std::min(call->response_interval * 2, timers_.t2);
  const auto until_deadline =
      std::chrono::ceil<std::chrono::milliseconds>(call->response_deadline - scheduler_.now());
  call->response_timer = scheduler_.schedule(std::min(call->response_interval, until_deadline),
                                             [this, call_id] { retransmit_response(call_id); });
}

void B2bua::send_callee_ack(const CallPtr& call) {
  Leg& b = call->legs[kCallee];
  sip::RequestSpec spec;
  spec.method = Method::kAck;
  spec.request_uri = b.remote_target;
  spec.via_host = zones_[b.zone].address;
  spec.via_port = zones_[b.zone].port;
  spec.branch = ids_.branch();
  spec.from = b.local_party;
  spec.from_tag = b.local_tag;
  spec.to = b.remote_party;
  spec.to_tag = b.remote_tag;
  spec.call_id = b.call_id;
  spec.cseq = call->callee_invite ? call->callee_invite->cseq()->number : 1;
  spec.routes = b.route_set;
  call->callee_ack = sip::make_request(spec).build();
  transport_.send(b.zone, b.peer, call->callee_ack);
}

void B2bua::send_bye(const CallPtr& call, Side side) {
  Leg& leg = call->legs[side];
  sip::RequestSpec spec;
  spec.method = Method::kBye;
  spec.request_uri = leg.remote_target;
  spec.via_host = zones_[leg.zone].address;
  spec.via_port = zones_[leg.zone].port;
  spec.branch = ids_.branch();
  spec.from = leg.local_party;
  spec.from_tag = leg.local_tag;
  spec.to = leg.remote_party;
  spec.to_tag = leg.remote_tag;
  spec.call_id = leg.call_id;
  spec.cseq = ++leg.local_cseq;
  spec.routes = leg.route_set;
  start_transaction(call, side, Method::kBye, spec.branch, sip::make_request(spec).build());
}

// CANCEL may only follow a provisional response (RFC 3261 §9.1); until then it is held back.
void B2bua::send_cancel(const CallPtr& call) {
  Leg& b = call->legs[kCallee];
  if (!b.invite || call->cancel_sent) return;  // final response already in: nothing to cancel
  if (!call->callee_provisional) {
    call->cancel_pending = true;
    return;
  }
  call->cancel_sent = true;
  const std::string branch(call->callee_invite->top_via()->branch);
  start_transaction(call, kCallee, Method::kCancel, branch,
                    sip::make_cancel(*call->callee_invite).build());
}

void B2bua::start_transaction(const CallPtr& call, Side side, Method method, std::string branch,
                              std::string bytes) {
  Leg& leg = call->legs[side];
  transport_.send(leg.zone, leg.peer, bytes);
  ClientTransaction tx;
  tx.method = method;
  tx.branch = branch;
  tx.bytes = std::move(bytes);
  tx.interval = timers_.t1;
  tx.deadline = scheduler_.now() + 64 * timers_.t1;
  tx.timer = scheduler_.schedule(tx.interval, [this, id = call->id, side, branch] {
    retransmit(id, side, branch);
  });
  if (method == Method::kInvite) {
    leg.invite = std::move(tx);
  } else {
    leg.requests.push_back(std::move(tx));
  }
}

// Timer A/E: resend with the interval doubled (capped at T2 except for INVITE); Timer B/F: give up.
void B2bua::retransmit(uint64_t call_id, Side side, const std::string& branch) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  CallPtr call = it->second;
  Leg& leg = call->legs[side];
  ClientTransaction* tx = nullptr;
  const bool is_invite = leg.invite && leg.invite->branch == branch;
  if (is_invite) {
    tx = &*leg.invite;
  } else {
    for (auto& r : leg.requests) {
      if (r.branch == branch && r.method != Method::kInvite) tx = &r;
    }
  }
  if (tx == nullptr) return;
  tx->timer = 0;
  if (scheduler_.now() >= tx->deadline) {
    const Method method = tx->method;
    stop_transaction(*call, side, branch);
    if (method == Method::kInvite && call->state == CallState::kCalling) {
      spdlog::info("call {}: no response from the callee", call->id);
      leg.invite.reset();
      if (call->final_status == 0) respond_caller(call, 408);
      end_call(call, CallResult::kFailed, 408);
    } else if (method == Method::kInvite) {
      leg.invite.reset();
    }
    return;
  }
  transport_.send(leg.zone, leg.peer, tx->bytes);
  tx->interval = is_invite ? tx->interval * 2 : std::min(tx->interval * 2, timers_.t2);
  // Timer B/F fires at its deadline even when the next retransmission would come later.
  const auto until_deadline =
      std::chrono::ceil<std::chrono::milliseconds>(tx->deadline - scheduler_.now());
  tx->timer = scheduler_.schedule(std::min(tx->interval, until_deadline), [this, call_id, side, branch] {
    retransmit(call_id, side, branch);
  });
}

void B2bua::stop_transaction(Call& call, Side side, std::string_view branch) {
  Leg& leg = call.legs[side];
  // A CANCEL shares its INVITE's branch; the CANCEL's final response ends only the CANCEL.
  std::erase_if(leg.requests, [&](ClientTransaction& tx) {
    if (tx.branch != branch) return false;
    scheduler_.cancel(tx.timer);
    return true;
  });
}

}  // namespace sbc::cp
