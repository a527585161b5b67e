// The B2BUA's front: requests from the transaction layer, out-of-dialog requests, new calls.
#include "controlplane/b2bua/b2bua.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/b2bua/b2bua_internal.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/multipart.h"

namespace sbc::cp {
namespace {

using sip::Method;

std::string uri_user(const sip::NameAddr& na) {
  return std::string(na.uri.user);
}

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
  policy.methods = {Method::kInvite, Method::kAck,     Method::kBye,
                    Method::kCancel, Method::kOptions, Method::kRegister};
  return policy;
}

std::string_view sdp_of(const sip::Message& msg) {
  auto sdp = sip::find_sdp(msg);
  return sdp && *sdp ? **sdp : std::string_view{};
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
             EdgeSecurity& security, Registrar& registrar, CdrWriter* cdr, B2buaTimers timers)
    : config_(config),
      scheduler_(scheduler),
      transport_(transport),
      dataplane_(dataplane),
      ports_(ports),
      metrics_(metrics),
      security_(security),
      registrar_(registrar),
      cdr_(cdr),
      timers_(timers),
      router_(config.zones, config.trunks, registrar, transport),
      // Session ids start from the wall clock so a restarted sbcd does not reuse the ids of
      // sessions a running dataplane still holds.
      next_call_id_(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                              scheduler.wall_now().time_since_epoch())
                                              .count())
                    << 20),
      limits_(resolve_capacity(config, dataplane.max_sessions())),
      ended_(limits_.ended_calls),
      retired_(dataplane),
      layer_(scheduler, transport, *this, metrics, transaction_timers(timers),
             limits_.transactions) {
  for (const ZoneConfig& z : config.zones) trunk_zones_.push_back(config.is_trunk_zone(z.name));
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

void B2bua::set_zone_address(size_t zone, const boost::asio::ip::address& address) {
  router_.set_zone_address(zone, address);
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

std::optional<size_t> B2bua::zone_index(std::string_view name) const {
  for (size_t i = 0; i < config_.zones.size(); ++i) {
    if (config_.zones[i].name == name && !config_.zones[i].retired) return i;
  }
  return std::nullopt;
}

Endpoint B2bua::local_endpoint(const SipPeer& peer) const {
  if (!peer.local.address().is_unspecified()) return peer.local;
  if (auto local = transport_.local_endpoint(peer.zone, peer.transport)) return *local;
  return Endpoint(router_.zone_address(peer.zone).value_or(boost::asio::ip::address()),
                  config_.zones[peer.zone].sip_port);
}

void B2bua::set_via(sip::RequestSpec& spec, const SipPeer& peer) const {
  const Endpoint local = local_endpoint(peer);
  spec.via_transport = std::string(via_token(peer.transport));
  spec.via_host = local.address().to_string();
  spec.via_port = local.port();
}

std::string B2bua::contact(const SipPeer& peer, bool sips) const {
  const Endpoint local = local_endpoint(peer);
  if (sips && peer.transport == Transport::kTls) {
    return fmt::format("<sips:{}:{}>", local.address().to_string(), local.port());
  }
  if (peer.transport == Transport::kUdp) {
    return fmt::format("<sip:{}:{}>", local.address().to_string(), local.port());
  }
  return fmt::format("<sip:{}:{};transport={}>", local.address().to_string(), local.port(),
                     to_string(peer.transport));
}

// --- receive ------------------------------------------------------------------------------------

// Requests that passed the SipIngress (ingress/sip_ingress.h) and the transaction layer.
void B2bua::on_request(const SipPeer& from, const sip::Message& request) {
  handle_request(from, request);
}

void B2bua::on_response(TransactionId id, uint64_t owner, const SipPeer& from,
                        const sip::Message& response) {
  handle_response(id, owner, from, response);
}

void B2bua::handle_request(const SipPeer& from, const sip::Message& msg) {
  const size_t zone = from.zone;
  if (!source_allowed(from, msg)) return;
  const std::string_view call_id = *msg.call_id();
  if (CallPtr call = calls_.find_callee_dialog(call_id);
      call && call->legs[kCallee].peer.zone == zone) {
    callee_request(call, from, msg);
    return;
  }
  if (CallPtr call = calls_.find_caller_dialog(zone, call_id)) {
    caller_request(call, from, msg);
    return;
  }
  if (ended_request(from, msg)) return;
  const bool has_to_tag = !msg.to()->tag().empty();
  switch (msg.method()) {
    case Method::kInvite:
      if (has_to_tag) {
        reject(from, msg, 481);
      } else {
        new_call(from, msg);
      }
      return;
    case Method::kAck: metrics_.sip_dropped(SipDropReason::kStrayAck); return;
    case Method::kRegister: handle_register(from, msg); return;
    case Method::kBye:
    case Method::kCancel: reject(from, msg, 481); return;
    default: {
      // Out of dialog: OPTIONS answered 200, anything else 405; both statelessly, so a flood of
      // them holds no server transactions.
      auto response = stateless_response(msg, msg.method() == Method::kOptions ? 200 : 405);
      response.add(sip::HeaderId::kAllow, std::string(kAllow));
      responder_.send(from, msg, std::move(response));
      return;
    }
  }
}

void B2bua::reply(const SipPeer& peer, const sip::Message& request, int code,
                  std::string_view reason, std::string_view to_tag) {
  std::string tag(to_tag);
  if (tag.empty() && code > 100 && request.to() && request.to()->tag().empty()) tag = ids_.tag();
  layer_.respond(peer.zone, request, sip::make_response(request, code, reason, tag));
}

// --- new calls ----------------------------------------------------------------------------------

void B2bua::new_call(const SipPeer& from, const sip::Message& invite) {
  if (!within_limits(from, invite)) return;
  const auto caller = identify_caller(from, invite);
  if (!caller || !valid_invite(from, invite)) return;
  std::string callee_user(invite.request_uri()->user);
  auto route = router_.route(from, callee_user, invite.from()->uri.user, scheduler_.now());
  if (!route) {
    reject(from, invite, route.error().code, route.error().reason);
    return;
  }
  auto offer = take_offer(from, invite);
  if (!offer) return;
  auto admission = admit(from, invite, *caller, *route, callee_user);
  if (!admission) return;
  CallPtr call = build_call(from, invite, *caller, *route, callee_user);
  call->admission = std::move(*admission);
  auto sdp = open_media(*call, *offer);
  if (!sdp) {
    reject(from, invite, sdp.error().code, sdp.error().reason);
    return;  // the call's admission and ports go with it
  }
  send_invite(call, invite.max_forwards()->value_or(70) - 1, std::move(*sdp));
}

bool B2bua::within_limits(const SipPeer& from, const sip::Message& invite) {
  if (invite.max_forwards()->value_or(70) == 0) {
    reject(from, invite, 483);
    return false;
  }
  if (calls_.live() >= limits_.calls) {
    ++calls_refused_;
    metrics_.capacity_exceeded("calls", 1);
    spdlog::debug("sip: 503 to a new call: {} calls in progress (sbcd.call_capacity)",
                  calls_.live());
    auto response = stateless_response(invite, 503, "Service Unavailable (call capacity)");
    response.add(sip::HeaderId::kRetryAfter, fmt::format("{}", kCapacityRetryAfter));
    responder_.send(from, invite, std::move(response));
    return false;
  }
  return true;
}

bool B2bua::valid_invite(const SipPeer& from, const sip::Message& invite) {
  const sip::NameAddr caller_from = *invite.from();
  auto ruri = invite.request_uri();
  if (!ruri || ruri->scheme == sip::UriScheme::kOther) {
    reject(from, invite, 416);
    return false;
  }
  if (ruri->user.empty()) {
    reject(from, invite, 484, "Address Incomplete (no user in the Request-URI)");
    return false;
  }
  // What we copy into our INVITE is bounded here, so the message we build stays well inside
  // every parser limit of the peer (and ours).
  if (ruri->user.size() > kMaxUserLength) {
    reject(from, invite, 414);
    return false;
  }
  if (caller_from.uri.user.size() > kMaxUserLength ||
      caller_from.display_name.size() > kMaxDisplayNameLength) {
    reject(from, invite, 400, "Bad Request (From too long)");
    return false;
  }
  return true;
}

// The offer: this release anchors the first audio stream of an offer in the INVITE. Parsed here
// once; the call keeps what it needs of it.
std::optional<B2bua::Offer> B2bua::take_offer(const SipPeer& from, const sip::Message& invite) {
  const std::string_view text = sdp_of(invite);
  if (text.empty()) {
    reject(from, invite, 488, "Not Acceptable Here (offer in INVITE required)");
    return std::nullopt;
  }
  auto sdp = SdpBody::parse(text);
  if (!sdp) {
    reject(from, invite, 400, fmt::format("Bad SDP ({})", sip::to_string(sdp.error())));
    return std::nullopt;
  }
  auto audio = usable_audio(sdp->description());
  if (!audio) {
    reject(from, invite, 488, fmt::format("Not Acceptable Here ({})", audio.error()));
    return std::nullopt;
  }
  return Offer{std::move(*sdp), *audio};
}

// Toll fraud costs money on calls toward carriers; then admission control for every call.
std::optional<AdmissionLease> B2bua::admit(const SipPeer& from, const sip::Message& invite,
                                           const Caller& caller, const Route& route,
                                           std::string& callee_user) {
  if (route.kind == RouteKind::kTrunk) {
    auto fraud = security_.check_fraud(caller.account, callee_user);
    if (!fraud) {
      reject(from, invite, fraud.error().code, fraud.error().reason);
      return std::nullopt;
    }
    callee_user = std::move(*fraud);  // the trunk gets the number the rules judged
  }
  // The trunk the call goes to or comes from.
  const std::string_view trunk = route.trunk ? config_.trunks[*route.trunk].name : caller.account;
  auto lease = security_.admit_call({trunk, caller.user});
  if (!lease) {
    const AdmissionRefusal& refusal = lease.error();
    auto response = stateless_response(invite, refusal.code, refusal.reason);
    if (refusal.retry_after) {
      response.add(sip::HeaderId::kRetryAfter, fmt::format("{}", *refusal.retry_after));
    }
    responder_.send(from, invite, std::move(response));
    return std::nullopt;
  }
  return std::move(*lease);
}

// The call record and both dialogs: the caller's from its INVITE, ours toward the route.
B2bua::CallPtr B2bua::build_call(const SipPeer& from, const sip::Message& invite,
                                 const Caller& caller, const Route& route,
                                 const std::string& callee_user) {
  const sip::NameAddr caller_from = *invite.from();
  const sip::NameAddr caller_to = *invite.to();
  auto call = std::make_shared<Call>();
  call->id = next_call_id_++;
  call->account = caller.account;
  call->start_time = scheduler_.wall_now();
  call->started = scheduler_.now();
  call->caller_invite = invite;
  call->caller_invite_branch = std::string(invite.top_via()->branch);

  Leg& a = call->legs[kCaller];
  a.peer = response_target(from, *invite.top_via());
  a.signalling_source = from.remote;
  a.call_id = std::string(*invite.call_id());
  a.remote_tag = std::string(caller_from.tag());
  a.local_tag = ids_.tag();
  a.local_party = sip::format_name_addr(caller_to.display_name, caller_to.uri_text);
  a.remote_party = sip::format_name_addr(caller_from.display_name, caller_from.uri_text);
  auto contacts = invite.contacts();
  a.remote_target = contacts && !contacts->entries.empty()
                        ? std::string(contacts->entries.front().uri_text)
                        : std::string(caller_from.uri_text);
  auto rr = invite.record_routes();
  if (rr) {
    for (const auto& r : *rr) a.route_set.push_back(fmt::format("<{}>", r.uri_text));
  }
  // §12.1.1: a SIPS Request-URI, or a SIPS top Record-Route (else Contact), makes the dialog
  // secure and our Contact a SIPS URI.
  const auto is_sips = [](std::string_view uri) {
    auto parsed = sip::parse_uri(uri);
    return parsed && parsed->scheme == sip::UriScheme::kSips;
  };
  a.sips = invite.request_uri()->scheme == sip::UriScheme::kSips ||
           (rr && !rr->empty() ? is_sips(rr->front().uri_text) : is_sips(a.remote_target));
  a.user = uri_user(caller_from);

  Leg& b = call->legs[kCallee];
  b.peer = route.peer;
  b.signalling_source = route.peer.remote;
  b.call_id = ids_.call_id();
  b.local_tag = ids_.tag();
  b.local_party = sip::format_name_addr(caller_from.display_name, route.from_uri());
  b.remote_party = sip::format_name_addr("", route.to_uri(callee_user));
  b.remote_target = route.request_uri(callee_user);
  b.user = callee_user;
  b.local_cseq = 1;
  return call;
}

// Registers the call, tells the caller we are trying, sends our INVITE and bounds the ringing.
void B2bua::send_invite(const CallPtr& call, uint32_t max_forwards, std::string offer) {
  const Leg& a = call->legs[kCaller];
  const Leg& b = call->legs[kCallee];
  calls_.add(call);
  metrics_.call_started();
  respond_caller(call, 100);

  sip::RequestSpec spec;
  spec.method = Method::kInvite;
  spec.request_uri = b.remote_target;
  set_via(spec, b.peer);
  spec.branch = ids_.branch();
  spec.from = b.local_party;
  spec.from_tag = b.local_tag;
  spec.to = b.remote_party;
  spec.call_id = b.call_id;
  spec.cseq = b.local_cseq;
  spec.max_forwards = max_forwards;
  spec.contact = contact(b.peer);
  spec.headers.emplace_back(sip::HeaderId::kAllow, std::string(kAllow));
  spec.content_type = "application/sdp";
  spec.body = std::move(offer);
  call->callee_invite_uri = spec.request_uri;
  call->callee_invite_branch = spec.branch;
  call->callee_invite_cseq = spec.cseq;
  spdlog::info("call {}: {} -> {} ({} -> {})", call->id, a.user, b.user,
               config_.zones[a.peer.zone].name, config_.zones[b.peer.zone].name);
  if (!start_transaction(call, kCallee, sip::build_request(spec))) {
    fail_call(call, 503, CallResult::kFailed);
    return;
  }
  call->ring_timer = Timer(scheduler_, timers_.ring_timeout, [this, id = call->id] {
    CallPtr call = calls_.find(id);
    if (!call || call->state != CallState::kCalling) return;
    fail_call(call, 408, CallResult::kFailed);
  });
}

std::optional<B2bua::Caller> B2bua::identify_caller(const SipPeer& from,
                                                    const sip::Message& invite) {
  const size_t zone = from.zone;
  if (trunk_zones_[zone]) {
    const auto trunk = router_.trunk_of(zone, from.remote.address());
    return Caller{trunk ? config_.trunks[*trunk].name : config_.zones[zone].name, ""};
  }
  const AuthDecision auth = security_.authenticate(from, invite);
  switch (auth.kind) {
    case AuthDecision::Kind::kChallenge: challenge(from, invite, auth); return std::nullopt;
    case AuthDecision::Kind::kAuthenticated:
      // The identity a carrier bills is the authenticated one: a user may not call as another.
      if (invite.from()->uri.user != auth.user) {
        reject(from, invite, 403, "Forbidden (From is not the authenticated user)");
        return std::nullopt;
      }
      return Caller{auth.user, auth.user};
    case AuthDecision::Kind::kTrusted:
    case AuthDecision::Kind::kNotRequired: break;
  }
  return Caller{"zone:" + config_.zones[zone].name, ""};
}

}  // namespace sbc::cp
