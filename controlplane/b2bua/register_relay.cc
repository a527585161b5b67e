#include "controlplane/b2bua/register_relay.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "controlplane/b2bua/register_handler.h"
#include "controlplane/sip/auth.h"
#include "controlplane/sip/builder.h"

namespace sbc::cp {
namespace {

using std::chrono::seconds;

std::optional<uint32_t> to_seconds(std::string_view text) {
  const auto value = sip::parse_decimal(text, 10);
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(std::min<uint64_t>(*value, std::numeric_limits<uint32_t>::max()));
}

// The expiry a Contact asks for: its expires parameter, else the Expires header, else the
// registrar's default (RFC 3261 §10.2.1.1).
uint32_t asked_expiry(const sip::NameAddr& entry, std::optional<uint32_t> expires_header,
                      uint32_t default_expires) {
  if (const sip::Param* p = entry.param("expires")) {
    if (auto value = to_seconds(p->value)) return *value;
  }
  return expires_header.value_or(default_expires);
}

// A challenge with stale=true (RFC 7616 §3.3): the client's nonce expired, its password is fine.
bool stale_challenge(const sip::Message& msg) {
  for (const auto& h : msg.headers()) {
    if (h.id != sip::HeaderId::kWwwAuthenticate && h.id != sip::HeaderId::kProxyAuthenticate) {
      continue;
    }
    const auto challenge = sip::parse_auth_header(h.value, sip::ParseError::kBadChallenge);
    if (!challenge) continue;
    if (const auto stale = challenge->param("stale"); stale && sip::iequals(*stale, "true")) {
      return true;
    }
  }
  return false;
}

}  // namespace

RegisterRelay::RegisterRelay(B2buaContext& ctx, CallSignalling& signalling)
    : ctx_(ctx), signalling_(signalling), sweep_(ctx.scheduler, kSweep, [this] { sweep(); }) {}

void RegisterRelay::handle_register(const SipPeer& from, const sip::Message& request) {
  const auto to = request.to();
  const std::string user = to ? std::string(to->uri.user) : std::string();
  if (auto refusal = ctx_.registrar.refusal(user, from, request)) {
    answer_register(ctx_, from, request, *refusal);
    return;
  }
  if (user.empty()) {
    respond(from, request, 400, "Bad Request (To has no user)");
    return;
  }
  // Each new contact holds a token until the upstream accepts or the sweep forgets it: an
  // address-of-record holds at most twice max_contacts of them (the registrar keeps max_contacts).
  const auto contacts = request.contacts();
  const size_t asked = contacts && !contacts->wildcard ? contacts->entries.size() : 0;
  const size_t bound = 2 * std::max<size_t>(ctx_.config.registrar.max_contacts, 1);
  if (asked > bound) {
    respond(from, request, 403, "Forbidden (too many contacts)");
    return;
  }
  const std::string key = fmt::format("{}/{}", from.zone, user);
  auto it = aors_.find(key);
  if (it == aors_.end()) {
    if (aors_.size() >= ctx_.config.registrar.max_bindings) {
      respond(from, request, 503, "Service Unavailable (registrar full)");
      return;
    }
    Aor aor;
    aor.zone = from.zone;
    aor.user = user;
    aor.call_id = ctx_.ids.call_id();
    aor.from_tag = ctx_.ids.tag();
    it = aors_.emplace(key, std::move(aor)).first;
  }
  Aor& aor = it->second;
  if (aor.pending) {
    // One REGISTER at a time on the upstream dialog (its CSeq orders them): another device of
    // the same address-of-record tries again in a moment.
    auto response = sip::make_response(request, 500, "Server Internal Error (REGISTER pending)",
                                       request.to()->tag().empty() ? ctx_.ids.tag() : "");
    response.add(sip::HeaderId::kRetryAfter, "1");
    ctx_.layer.respond(from.zone, request, std::move(response));
    ctx_.security.metrics().register_answered(500);
    return;
  }
  if (aor.contacts.size() + asked > bound) {
    std::erase_if(aor.contacts, [&](const auto& entry) {
      if (entry.second.granted_s != 0) return false;  // bound upstream
      tokens_.erase(entry.second.token);
      return true;
    });
  }
  if (aor.contacts.size() + asked > bound) {
    respond(from, request, 403, "Forbidden (too many contacts)");
    return;
  }
  if (cached(aor, from, request)) {
    answer_from_cache(aor, from, request);
    return;
  }
  relay(aor, key, from, request);
}

bool RegisterRelay::cached(const Aor& aor, const SipPeer& from, const sip::Message& request) const {
  const auto contacts = request.contacts();
  if (!contacts || contacts->wildcard || contacts->entries.empty()) return false;
  const auto expires_header = request.expires().value_or(std::nullopt);
  const auto call_id = request.call_id();
  const auto cseq = request.cseq();
  if (!call_id || !cseq) return false;
  const auto now = ctx_.scheduler.now();
  const auto bindings = ctx_.registrar.lookup(aor.user, now);
  for (const sip::NameAddr& entry : contacts->entries) {
    if (asked_expiry(entry, expires_header, ctx_.config.registrar.default_expires) == 0) {
      return false;  // a removal: the upstream must know
    }
    const auto up = aor.contacts.find(entry.uri_text);
    // Half of the upstream's binding left at least, as a client would refresh it.
    if (up == aor.contacts.end() ||
        (up->second.expires - now) * 2 < seconds(up->second.granted_s)) {
      return false;
    }
    const auto binding = std::ranges::find_if(
        bindings, [&](const Binding* b) { return b->contact == entry.uri_text; });
    if (binding == bindings.end()) return false;
    const Binding& b = **binding;
    if (b.peer.remote != from.remote || b.peer.transport != from.transport ||
        b.call_id != *call_id || cseq->number <= b.cseq) {
      return false;
    }
  }
  return true;
}

void RegisterRelay::answer_from_cache(Aor& aor, const SipPeer& from, const sip::Message& request) {
  const auto now = ctx_.scheduler.now();
  RelayedRegister relayed;
  relayed.max_expires = std::numeric_limits<uint32_t>::max();
  const auto contacts = request.contacts();  // cached(): parsed, with entries
  for (const sip::NameAddr& entry : contacts->entries) {
    const UpstreamBinding& up = aor.contacts.find(entry.uri_text)->second;
    const auto left = std::chrono::floor<seconds>(up.expires - now).count();
    relayed.max_expires = std::min(relayed.max_expires, static_cast<uint32_t>(left));
    relayed.contacts.push_back(RelayedContact{
        .contact = std::string(entry.uri_text), .token = up.token, .upstream_expires = up.expires});
  }
  const RegisterResult result =
      ctx_.registrar.on_register(aor.user, from, request, now, ctx_.scheduler.wall_now(), &relayed);
  ctx_.metrics.register_relayed("cached");
  answer_register(ctx_, from, request, result);
}

void RegisterRelay::relay(Aor& aor, const std::string& key, const SipPeer& from,
                          const sip::Message& request) {
  const std::string& trunk_name = ctx_.config.zones.at(from.zone).registration.relay_trunk;
  const auto trunk = std::ranges::find(ctx_.config.trunks, trunk_name, &TrunkConfig::name);
  const auto peer =
      trunk == ctx_.config.trunks.end()
          ? std::nullopt
          : ctx_.router.bound_trunk_peer(static_cast<size_t>(trunk - ctx_.config.trunks.begin()),
                                         ctx_.scheduler.now());
  if (!peer) {
    ctx_.metrics.register_relayed("failed");
    respond(from, request, 503, "Service Unavailable (upstream registrar unreachable)");
    return;
  }
  const bool path =
      ctx_.config.zones.at(from.zone).registration.relay_mode == RegisterRelayMode::kPath;
  InFlight flight{.aor = key,
                  .from = from,
                  .request = request,
                  .credentials = request.count(sip::HeaderId::kAuthorization) +
                                     request.count(sip::HeaderId::kProxyAuthorization) >
                                 0,
                  .contacts = {},
                  .asked = {},
                  .path = path,
                  .deadline = {}};
  std::string contact = upstream_contacts(aor, key, request, *peer, path, flight);
  const std::string domain = trunk->fromdomain.empty() ? trunk->host : trunk->fromdomain;
  sip::RequestSpec spec;
  spec.method = sip::Method::kRegister;
  spec.request_uri = peer_uri({}, *peer);
  signalling_.set_via(spec, *peer);
  spec.branch = ctx_.ids.branch();
  spec.from = fmt::format("<sip:{}@{}>", aor.user, domain);
  spec.from_tag = aor.from_tag;
  spec.to = spec.from;
  spec.call_id = aor.call_id;
  spec.cseq = ++aor.cseq;
  spec.contact = std::move(contact);
  if (const auto expires = request.expires().value_or(std::nullopt)) {
    spec.headers.emplace_back(sip::HeaderId::kExpires, fmt::format("{}", *expires));
  }
  if (path && !flight.contacts.empty()) {
    // Our Contact form with the first contact's token, made a loose route (RFC 3327 §4.2).
    std::string hop = signalling_.contact(*peer, false, flight.contacts.front().token);
    hop.insert(hop.size() - 1, ";lr");
    spec.headers.emplace_back(sip::HeaderId::kPath, std::move(hop));
    spec.headers.emplace_back(sip::HeaderId::kSupported, "path");
  }
  // The client's answer to the upstream's challenge, as it signed it.
  for (const auto& h : request.headers()) {
    if (h.id == sip::HeaderId::kAuthorization || h.id == sip::HeaderId::kProxyAuthorization) {
      spec.headers.emplace_back(h.id, std::string(h.value));
    }
  }
  auto id = ctx_.layer.send_request(*peer, sip::build_request(spec), 0);
  if (!id) {
    ctx_.metrics.register_relayed("failed");
    respond(from, request, 503, "Service Unavailable (upstream registrar unreachable)");
    return;
  }
  aor.pending = *id;
  flight.deadline = Timer(ctx_.scheduler, kUpstreamTimeout, [this, id = *id] {
    ctx_.layer.abandon(id);
    failed(id, TransactionError::kTimeout);
  });
  in_flight_.emplace(*id, std::move(flight));
}

std::string RegisterRelay::upstream_contacts(Aor& aor, const std::string& key,
                                             const sip::Message& request, const SipPeer& peer,
                                             bool path, InFlight& flight) {
  const auto contacts = request.contacts();
  if (contacts->wildcard) return "*";
  const auto expires_header = request.expires().value_or(std::nullopt);
  std::string contact;
  for (const sip::NameAddr& entry : contacts->entries) {
    auto known = aor.contacts.find(entry.uri_text);
    if (known == aor.contacts.end()) {
      // Not bound upstream yet (expires now): the token stays the same through the challenge,
      // and the sweep forgets it if the registration never succeeds.
      UpstreamBinding fresh{.token = std::string(kRelayTokenPrefix) + ctx_.ids.tag(),
                            .expires = ctx_.scheduler.now(),
                            .granted_s = 0};
      tokens_[fresh.token] = key;
      known = aor.contacts.emplace(std::string(entry.uri_text), std::move(fresh)).first;
    }
    const std::string& token = known->second.token;
    const uint32_t asked =
        asked_expiry(entry, expires_header, ctx_.config.registrar.default_expires);
    if (!contact.empty()) contact += ", ";
    if (path) {
      // The client's Contact as it sent it (RFC 3327 leaves it to the registrar), its parameters
      // (+sip.instance, reg-id, q) included.
      contact += fmt::format("<{}>", entry.uri_text);
      for (const sip::Param& p : entry.params) {
        if (sip::iequals(p.name, "expires")) continue;
        contact +=
            p.has_value ? fmt::format(";{}={}", p.name, p.value) : fmt::format(";{}", p.name);
      }
    } else {
      contact += signalling_.contact(peer, false, token);
    }
    if (entry.param("expires") != nullptr) contact += fmt::format(";expires={}", asked);
    flight.contacts.push_back(RelayedContact{
        .contact = std::string(entry.uri_text), .token = token, .upstream_expires = {}});
    flight.asked.push_back(asked);
  }
  return contact;
}

bool RegisterRelay::response(TransactionId id, const sip::Message& msg) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return false;
  const int code = msg.status_code();
  if (code < 200) return true;
  const InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  auto aor = aors_.find(flight.aor);
  if (aor != aors_.end()) aor->second.pending.reset();
  if (code < 300 && aor != aors_.end()) {
    accepted(aor->second, flight, msg);
  } else {
    refused(flight, msg);
  }
  return true;
}

bool RegisterRelay::transaction_error(TransactionId id, TransactionError error) {
  if (!in_flight_.contains(id)) return false;
  failed(id, error);
  return true;
}

void RegisterRelay::failed(TransactionId id, TransactionError error) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  if (auto aor = aors_.find(flight.aor); aor != aors_.end()) aor->second.pending.reset();
  ctx_.metrics.register_relayed("failed");
  spdlog::info("register relay: no answer from the upstream registrar for {} ({})", flight.aor,
               to_string(error));
  if (error == TransactionError::kTimeout) {
    respond(flight.from, flight.request, 408, "Request Timeout (no answer from the registrar)");
  } else {
    respond(flight.from, flight.request, 503,
            "Service Unavailable (upstream registrar unreachable)");
  }
}

void RegisterRelay::accepted(Aor& aor, const InFlight& flight, const sip::Message& msg) {
  const auto now = ctx_.scheduler.now();
  const auto header_expires = msg.expires().value_or(std::nullopt);
  const auto granted_contacts = msg.contacts();
  // What the upstream granted the Contact we sent for `relayed`: its expires parameter in the
  // 200 (the entry with our token as its user, or in path mode the client's own URI), else the
  // Expires header, else what was asked.
  auto granted = [&](const RelayedContact& relayed, uint32_t asked) -> uint32_t {
    if (granted_contacts) {
      for (const sip::NameAddr& entry : granted_contacts->entries) {
        if (flight.path ? entry.uri_text != relayed.contact : entry.uri.user != relayed.token) {
          continue;
        }
        if (const sip::Param* p = entry.param("expires")) {
          if (auto value = to_seconds(p->value)) return *value;
        }
      }
    }
    return header_expires.value_or(asked);
  };
  if (const auto asked = flight.request.contacts(); asked && asked->wildcard) {
    for (const auto& [uri, up] : aor.contacts) tokens_.erase(up.token);
    aor.contacts.clear();
  }
  RelayedRegister relayed;
  relayed.max_expires = std::numeric_limits<uint32_t>::max();
  relayed.contacts = flight.contacts;
  for (size_t i = 0; i < relayed.contacts.size(); ++i) {
    const std::string& uri = relayed.contacts[i].contact;
    const std::string& token = relayed.contacts[i].token;
    const uint32_t asked = flight.asked[i];
    const uint32_t g = asked == 0 ? 0 : granted(relayed.contacts[i], asked);
    if (g == 0) {
      if (auto up = aor.contacts.find(uri); up != aor.contacts.end()) {
        tokens_.erase(up->second.token);
        aor.contacts.erase(up);
      }
      continue;
    }
    aor.contacts[uri] =
        UpstreamBinding{.token = token, .expires = now + seconds(g), .granted_s = g};
    relayed.contacts[i].upstream_expires = now + seconds(g);
    tokens_[token] = flight.aor;
    relayed.max_expires = std::min(relayed.max_expires, g);
  }
  const RegisterResult result = ctx_.registrar.on_register(
      aor.user, flight.from, flight.request, now, ctx_.scheduler.wall_now(), &relayed);
  ctx_.metrics.register_relayed("accepted");
  // Proven by the upstream's digest: its source gets the dataplane's trusted budget while
  // registered, as a locally authenticated client's does.
  if (result.code == 200 && flight.credentials) trust_registered(ctx_, aor.user, flight.from);
  spdlog::debug("register relay: {} registered upstream ({} contact(s))", aor.user,
                aor.contacts.size());
  answer_register(ctx_, flight.from, flight.request, result);
}

void RegisterRelay::refused(const InFlight& flight, const sip::Message& msg) {
  const int code = msg.status_code();
  const bool challenge = code == 401 || code == 407;
  const auto& request = flight.request;
  auto response = sip::make_response(request, code, msg.reason_phrase(),
                                     request.to()->tag().empty() ? ctx_.ids.tag() : "");
  for (const auto& h : msg.headers()) {
    if (h.id == sip::HeaderId::kWwwAuthenticate || h.id == sip::HeaderId::kProxyAuthenticate ||
        h.id == sip::HeaderId::kMinExpires || h.id == sip::HeaderId::kRetryAfter) {
      response.add(h.id, std::string(h.value));
    }
  }
  if ((challenge && flight.credentials && !stale_challenge(msg)) || code == 403 || code == 404) {
    ctx_.security.upstream_refused(flight.from, request);
  }
  ctx_.metrics.register_relayed(challenge ? "challenged" : "refused");
  ctx_.layer.respond(flight.from.zone, request, std::move(response));
  ctx_.security.metrics().register_answered(code);
}

void RegisterRelay::respond(const SipPeer& from, const sip::Message& request, int code,
                            std::string_view reason) {
  RegisterResult r;
  r.code = code;
  r.reason = std::string(reason);
  answer_register(ctx_, from, request, r);
}

void RegisterRelay::sweep() {
  const auto now = ctx_.scheduler.now();
  for (auto it = aors_.begin(); it != aors_.end();) {
    Aor& aor = it->second;
    std::erase_if(aor.contacts, [&](const auto& entry) {
      if (entry.second.expires > now) return false;
      tokens_.erase(entry.second.token);
      return true;
    });
    it = aor.contacts.empty() && !aor.pending ? aors_.erase(it) : std::next(it);
  }
  sweep_ = Timer(ctx_.scheduler, kSweep, [this] { sweep(); });
}

}  // namespace sbc::cp
