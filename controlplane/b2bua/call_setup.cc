#include "controlplane/b2bua/call_setup.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua_internal.h"
#include "controlplane/b2bua/call_normalization.h"
#include "controlplane/b2bua/dialog_replaces.h"
#include "controlplane/b2bua/trunk_challenge.h"
#include "controlplane/sip/builder.h"
#include "controlplane/transaction/response_via.h"

namespace sbc::cp {

namespace {

// A call the upstream registrar of a zone relaying REGISTER with Path (register_relay.h) sends
// to a client registered through us: its Request-URI is the client's own Contact, its top Route
// our Path URI, whose user is the binding's token.
std::optional<std::string> path_token(const sip::Message& invite) {
  const auto routes = invite.routes();
  if (!routes || routes->empty() || !is_relay_token(routes->front().uri.user)) return std::nullopt;
  return std::string(routes->front().uri.user);
}

}  // namespace

CallSetup::CallSetup(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown,
                     CallMedia& media, SessionTimers& timers, ReliableProvisionals& provisionals,
                     TrunkFailover& failover)
    : ctx_(ctx),
      signalling_(signalling),
      teardown_(teardown),
      media_(media),
      timers_(timers),
      provisionals_(provisionals),
      failover_(failover),
      // Session ids start from the wall clock so a restarted sbcd does not reuse the ids of
      // sessions a running dataplane still holds.
      next_call_id_(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                              ctx.scheduler.wall_now().time_since_epoch())
                                              .count())
                    << 20) {}

void CallSetup::new_call(const SipPeer& from, const sip::Message& invite, const Call* previous) {
  if (!within_limits(from, invite)) return;
  const auto caller = identify_caller(from, invite);
  if (!caller || !valid_invite(from, invite)) return;
  // Numbers in the SBC's form from here on: routes, fraud rules and CDRs see them so.
  const NormalizationPolicy caller_side = caller_normalization(ctx_, from);
  CallerIdentity identity = read_caller_identity(caller_side, invite, caller->user);
  if (ctx_.trunk_zones[from.zone]) {
    if (auto token = path_token(invite)) identity.called = std::move(*token);
  }
  auto route = ctx_.router.route(from, identity.called, ctx_.scheduler.now());
  if (!route) {
    ctx_.responder.reject(from, invite, route.error().code, route.error().reason);
    return;
  }
  // A relay token is the SBC's own Contact at an upstream registrar (register_relay.h): the
  // call is for the user registered with it, and the CDR says so.
  if (is_relay_token(identity.called)) identity.called = route->called_user;
  std::vector<std::pair<sip::HeaderId, std::string>> replaces;
  if (!take_replaces(from, invite, *route, replaces)) return;
  const auto dialog = dialog_policies(from, *route);
  if (auto min_se = SessionTimers::too_brief(invite, dialog[kCaller])) {
    // RFC 4028 §8.1: a session shorter than we accept; the caller retries with at least this.
    auto response = ctx_.responder.response(invite, 422);
    response.add(sip::HeaderId::kMinSe, fmt::format("{}", *min_se));
    ctx_.responder.send(from, invite, std::move(response));
    return;
  }
  if (!provisionals_.admit(from, invite, dialog[kCaller].rel100)) return;
  auto offer = take_offer(from, invite, *route);
  if (!offer) return;
  auto admission = admit(from, invite, *caller, *route, identity.called);
  if (!admission) return;
  CallPtr call = build_call(from, invite, *caller, *route, std::move(identity), previous);
  call->legs[kCaller].user_agent = caller_side.user_agent;
  call->admission = std::move(*admission);
  call->dialog = dialog;
  call->caller_provisionals.reliable =
      ReliableProvisionals::reliable_toward(invite, dialog[kCaller].rel100);
  timers_.negotiate_request(*call, kCaller, invite);
  auto sdp = media_.open_media(*call, *offer);
  if (!sdp) {
    ctx_.responder.reject(from, invite, sdp.error().code, sdp.error().reason);
    return;  // the call's admission and ports go with it
  }
  send_invite(call, *route, invite.max_forwards()->value_or(70) - 1, std::move(*sdp),
              std::move(replaces));
}

bool CallSetup::take_replaces(const SipPeer& from, const sip::Message& invite, const Route& route,
                              std::vector<std::pair<sip::HeaderId, std::string>>& headers) {
  const size_t count = invite.count(sip::HeaderId::kReplaces);
  if (count == 0) return true;
  const auto replaces =
      count == 1 ? sip::parse_replaces(invite.header(sip::HeaderId::kReplaces)) : std::nullopt;
  if (!replaces) {
    ctx_.responder.reject(from, invite, 400, "Bad Request (malformed Replaces)");
    return false;
  }
  auto replaced = find_replaced(ctx_.calls, from.zone, *replaces, route.peer.zone);
  if (!replaced) {
    spdlog::info("sip: INVITE with Replaces from {} refused: {} {}",
                 from.remote.address().to_string(), replaced.error().code, replaced.error().reason);
    ctx_.responder.reject(from, invite, replaced.error().code, replaced.error().reason);
    return false;
  }
  spdlog::info("sip: INVITE from {} replaces call {} ({} leg)", from.remote.address().to_string(),
               replaced->call->id, replaced->side == kCaller ? "caller" : "callee");
  headers.emplace_back(sip::HeaderId::kReplaces,
                       sip::format_replaces(replaced->far_replaces(replaces->early_only)));
  // The caller insisted the callee understand Replaces; so do we.
  const auto require = invite.require();
  if (require && std::ranges::find(*require, std::string_view("replaces")) != require->end()) {
    headers.emplace_back(sip::HeaderId::kRequire, "replaces");
  }
  return true;
}

bool CallSetup::within_limits(const SipPeer& from, const sip::Message& invite) {
  if (invite.max_forwards()->value_or(70) == 0) {
    ctx_.responder.reject(from, invite, 483);
    return false;
  }
  if (ctx_.calls.live() >= ctx_.limits.calls) {
    ++refused_at_capacity_;
    ctx_.metrics.capacity_exceeded("calls", 1);
    spdlog::debug("sip: 503 to a new call: {} calls in progress (sbcd.call_capacity)",
                  ctx_.calls.live());
    auto response = ctx_.responder.response(invite, 503, "Service Unavailable (call capacity)");
    response.add(sip::HeaderId::kRetryAfter, fmt::format("{}", kCapacityRetryAfter));
    ctx_.responder.send(from, invite, std::move(response));
    return false;
  }
  return true;
}

std::optional<CallSetup::Caller> CallSetup::identify_caller(const SipPeer& from,
                                                            const sip::Message& invite) {
  const size_t zone = from.zone;
  if (ctx_.trunk_zones[zone]) {
    const auto trunk = ctx_.router.trunk_of(zone, from.remote.address());
    return Caller{trunk ? ctx_.config.trunks[*trunk].name : ctx_.config.zones[zone].name, ""};
  }
  const AuthDecision auth = ctx_.security.authenticate(from, invite);
  switch (auth.kind) {
    case AuthDecision::Kind::kChallenge:
      ctx_.responder.challenge(from, invite, auth);
      return std::nullopt;
    case AuthDecision::Kind::kAuthenticated:
      // The identity a carrier bills is the authenticated one: a user may not call as another.
      if (invite.from()->uri.user != auth.user) {
        ctx_.responder.reject(from, invite, 403, "Forbidden (From is not the authenticated user)");
        return std::nullopt;
      }
      return Caller{auth.user, auth.user};
    case AuthDecision::Kind::kTrusted:
    case AuthDecision::Kind::kNotRequired: break;
  }
  return Caller{"zone:" + ctx_.config.zones[zone].name, ""};
}

bool CallSetup::valid_invite(const SipPeer& from, const sip::Message& invite) {
  const sip::NameAddr caller_from = *invite.from();
  auto ruri = invite.request_uri();
  if (!ruri || ruri->scheme == sip::UriScheme::kOther) {
    ctx_.responder.reject(from, invite, 416);
    return false;
  }
  if (ruri->user.empty()) {
    ctx_.responder.reject(from, invite, 484, "Address Incomplete (no user in the Request-URI)");
    return false;
  }
  // What we copy into our INVITE is bounded here, so the message we build stays well inside
  // every parser limit of the peer (and ours).
  if (ruri->user.size() > kMaxUserLength) {
    ctx_.responder.reject(from, invite, 414);
    return false;
  }
  if (caller_from.uri.user.size() > kMaxUserLength ||
      caller_from.display_name.size() > kMaxDisplayNameLength) {
    ctx_.responder.reject(from, invite, 400, "Bad Request (From too long)");
    return false;
  }
  return true;
}

// The offer: this release anchors the first audio stream of an offer in the INVITE. Parsed here
// once; the call keeps what it needs of it.
std::optional<CallOffer> CallSetup::take_offer(const SipPeer& from, const sip::Message& invite,
                                               const Route& route) {
  const std::string_view text = sdp_of(invite);
  if (text.empty()) {
    ctx_.responder.reject(from, invite, 488, "Not Acceptable Here (offer in INVITE required)");
    return std::nullopt;
  }
  auto sdp = SdpBody::parse(text);
  if (!sdp) {
    ctx_.responder.reject(from, invite, 400,
                          fmt::format("Bad SDP ({})", sip::to_string(sdp.error())));
    return std::nullopt;
  }
  auto audio = media_.usable_audio(sdp->description());
  if (!audio) {
    ctx_.responder.reject(from, invite, 488,
                          fmt::format("Not Acceptable Here ({})", audio.error()));
    return std::nullopt;
  }
  const auto [caller, callee] = media_policies(from, route);
  auto media = media_.negotiate_offer(next_call_id_, sdp->description().media[audio->media_index],
                                      caller, callee);
  if (!media) {
    auto response =
        ctx_.responder.response(invite, response_code(media.error()), "Not Acceptable Here");
    response.add(sip::HeaderId::kWarning, fmt::format("{} sbc \"{}\"", warning_code(media.error()),
                                                      warning_text(media.error())));
    ctx_.responder.send(from, invite, std::move(response));
    teardown_.record_refused_offer(next_call_id_++, invite, media.error());
    return std::nullopt;
  }
  return CallOffer{std::move(*sdp), *audio, std::move(media->caller), std::move(media->callee),
                   std::move(media->codecs)};
}

// A side's policy is its zone's, and over it the trunk's when the side is a trunk: the caller
// when it came from one, the callee when the call goes to one.
template <typename Policy, typename Override>
std::array<Policy, 2> CallSetup::side_policies(const SipPeer& from, const Route& route,
                                               Policy ZoneConfig::*zone_policy,
                                               Override TrunkConfig::*trunk_policy) const {
  const auto& zones = ctx_.config.zones;
  const auto& trunks = ctx_.config.trunks;
  Policy caller = zones[from.zone].*zone_policy;
  if (ctx_.trunk_zones[from.zone] && route.trunk) {
    caller = (trunks[*route.trunk].*trunk_policy).over(caller);
  }
  Policy callee = zones[route.peer.zone].*zone_policy;
  if (route.kind == RouteKind::kTrunk && route.trunk) {
    callee = (trunks[*route.trunk].*trunk_policy).over(callee);
  }
  return {std::move(caller), std::move(callee)};
}

std::array<MediaPolicy, 2> CallSetup::media_policies(const SipPeer& from,
                                                     const Route& route) const {
  return side_policies(from, route, &ZoneConfig::media, &TrunkConfig::media);
}

std::array<DialogPolicy, 2> CallSetup::dialog_policies(const SipPeer& from,
                                                       const Route& route) const {
  return side_policies(from, route, &ZoneConfig::dialog, &TrunkConfig::dialog);
}

std::vector<std::string> CallSetup::failover_trunks(const SipPeer& from, const Route& route) const {
  std::vector<std::string> names;
  const MediaPolicy media = media_policies(from, route)[kCallee];
  const DialogPolicy dialog = dialog_policies(from, route)[kCallee];
  for (size_t t : route.alternates) {
    auto alternate = ctx_.router.trunk_route(t);
    if (!alternate || alternate->peer.zone != route.peer.zone ||
        media_policies(from, *alternate)[kCallee] != media ||
        dialog_policies(from, *alternate)[kCallee] != dialog) {
      spdlog::debug("trunk {} is no alternate to trunk {}: another zone or media/dialog policy",
                    ctx_.config.trunks[t].name, ctx_.config.trunks[*route.trunk].name);
      continue;
    }
    names.push_back(ctx_.config.trunks[t].name);
  }
  return names;
}

// Toll fraud costs money on calls toward carriers; then admission control for every call.
std::optional<AdmissionLease> CallSetup::admit(const SipPeer& from, const sip::Message& invite,
                                               const Caller& caller, const Route& route,
                                               std::string& callee_user) {
  if (route.kind == RouteKind::kTrunk) {
    auto fraud = ctx_.security.check_fraud(caller.account, callee_user);
    if (!fraud) {
      ctx_.responder.reject(from, invite, fraud.error().code, fraud.error().reason);
      return std::nullopt;
    }
    callee_user = std::move(*fraud);  // the trunk gets the number the rules judged
  }
  // The trunk the call goes to or comes from.
  const std::string_view trunk =
      route.trunk ? ctx_.config.trunks[*route.trunk].name : caller.account;
  auto lease = ctx_.security.admit_call({trunk, caller.user});
  if (!lease) {
    const AdmissionRefusal& refusal = lease.error();
    auto response = ctx_.responder.response(invite, refusal.code, refusal.reason);
    if (refusal.retry_after) {
      response.add(sip::HeaderId::kRetryAfter, fmt::format("{}", *refusal.retry_after));
    }
    ctx_.responder.send(from, invite, std::move(response));
    return std::nullopt;
  }
  return std::move(*lease);
}

// The call record and both dialogs: the caller's from its INVITE, ours toward the route.
CallPtr CallSetup::build_call(const SipPeer& from, const sip::Message& invite, const Caller& caller,
                              const Route& route, CallerIdentity identity, const Call* previous) {
  const sip::NameAddr caller_from = *invite.from();
  const sip::NameAddr caller_to = *invite.to();
  auto call = std::make_shared<Call>();
  call->id = next_call_id_++;
  call->account = caller.account;
  call->start_time = ctx_.scheduler.wall_now();
  call->started = ctx_.scheduler.now();
  call->caller_invite = invite;
  call->caller_invite_branch = std::string(invite.top_via()->branch);

  Leg& a = call->legs[kCaller];
  a.peer = response_target(from, *invite.top_via());
  a.signalling_source = from.remote;
  a.call_id = std::string(*invite.call_id());
  a.remote_tag = std::string(caller_from.tag());
  a.local_tag = ctx_.ids.tag();
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
  a.user = identity.calling;
  call->identity = std::move(identity);

  if (route.kind == RouteKind::kTrunk && route.trunk) {
    call->callee_trunk = ctx_.config.trunks[*route.trunk].name;
    // A call with Replaces is bound to the dialog it replaces: it never changes trunk.
    if (invite.count(sip::HeaderId::kReplaces) == 0) {
      call->failover_trunks = failover_trunks(from, route);
    }
  }
  call->route = route.route_name;
  Leg& b = call->legs[kCallee];
  b.peer = route.peer;
  b.signalling_source = route.peer.remote;
  b.call_id = ctx_.ids.call_id();
  b.local_tag = ctx_.ids.tag();
  b.user = call->identity.called;
  b.local_cseq = 1;
  continue_challenged(from, a.call_id, previous, b);
  return call;
}

void CallSetup::continue_challenged(const SipPeer& from, std::string_view caller_call_id,
                                    const Call* previous, Leg& b) const {
  if (previous != nullptr && previous->challenge_passed) {
    const Leg& before = previous->legs[kCallee];
    if (before.peer.zone != b.peer.zone) return;
    b.call_id = before.call_id;
    b.local_tag = before.local_tag;
    b.local_cseq = previous->callee_invite_cseq + 1;
    return;
  }
  const EndedCall* ended = ctx_.ended.find_caller(CallTable::caller_key(from.zone, caller_call_id),
                                                  ctx_.scheduler.now());
  if (ended == nullptr || !ended->challenge_passed || ended->callee_peer.zone != b.peer.zone) {
    return;
  }
  b.call_id = ended->callee_call_id;
  b.local_tag = ended->callee_tag;
  b.local_cseq = ended->callee_invite_cseq + 1;
}

// Registers the call, tells the caller we are trying, sends our INVITE and bounds the ringing.
void CallSetup::send_invite(const CallPtr& call, const Route& route, uint32_t max_forwards,
                            std::string offer,
                            std::vector<std::pair<sip::HeaderId, std::string>> extra) {
  // From, To and Request-URI, and the headers the callee's side gets.
  auto named_headers = address_callee(ctx_, *call, route);
  const Leg& a = call->legs[kCaller];
  const Leg& b = call->legs[kCallee];
  ctx_.calls.add(call);
  ctx_.metrics.call_started();
  signalling_.respond_caller(call, 100);

  sip::RequestSpec spec = signalling_.new_invite(b, std::move(offer));
  spec.named_headers = std::move(named_headers);
  spec.max_forwards = max_forwards;
  std::ranges::move(extra, std::back_inserter(spec.headers));
  add_caller_credentials(ctx_.config, *call, spec);
  SessionTimers::offer(call->dialog[kCallee], spec);
  ReliableProvisionals::offer(call->dialog[kCallee].rel100, spec);
  spdlog::info("call {}: {} -> {} ({} -> {})", call->id, a.user, b.user,
               ctx_.config.zones[a.peer.zone].name, ctx_.config.zones[b.peer.zone].name);
  // Kept while the trunk rings: sent again with its credentials, or to the next trunk.
  if (!call->callee_trunk.empty()) call->callee_invite_spec = spec;
  if (!signalling_.send_invite(call, std::move(spec))) {
    teardown_.fail_call(call, 503, CallResult::kFailed);
    return;
  }
  failover_.sent(call);
  call->ring_timer =
      Timer(ctx_.scheduler, ctx_.timers.ring_timeout, [this, id = call->id] { ring_timeout(id); });
}

void CallSetup::ring_timeout(uint64_t id) {
  CallPtr call = ctx_.calls.find(id);
  if (!call || call->state != CallState::kCalling) return;
  teardown_.fail_call(call, 408, CallResult::kFailed);
}

}  // namespace sbc::cp
