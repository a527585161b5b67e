#include "controlplane/registrar/registrar.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <limits>
#include <utility>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;

constexpr uint16_t kSipPort = 5060;
constexpr uint16_t kSipsPort = 5061;

RegisterResult refuse(int code, std::string reason) {
  RegisterResult r;
  r.code = code;
  r.reason = std::move(reason);
  return r;
}

// A v4-mapped IPv6 address is its IPv4 address everywhere (security contract).
ip::address normalized(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// Whether host:port (port absent: default_port) names `endpoint`. Host names never match: the
// packet came from an address, and a name in Contact says nothing about where that is.
bool same_place(std::string_view host, std::optional<uint16_t> port, uint16_t default_port,
                const Endpoint& endpoint) {
  boost::system::error_code ec;
  const ip::address a = ip::make_address(std::string(host), ec);
  if (ec) return false;
  return normalized(a) == normalized(endpoint.address()) &&
         port.value_or(default_port) == endpoint.port();
}

// RFC 3261 §10.3 / RFC 3581: the client is behind NAT when what it says about itself (Contact,
// Via sent-by, or received/rport added on the way) is not where the packet came from. Over
// TCP/TLS the source port is the connection's, so such clients usually count as NATed too, which
// keeps their connection refreshed by short registrations.
bool behind_nat(const sip::Uri& contact, const sip::Via& via, const Endpoint& source) {
  const bool contact_tls =
      contact.scheme == sip::UriScheme::kSips || sip::iequals(contact.transport(), "tls");
  if (!same_place(contact.host, contact.port, contact_tls ? kSipsPort : kSipPort, source)) {
    return true;
  }
  const uint16_t via_default = sip::iequals(via.transport, "TLS") ? kSipsPort : kSipPort;
  if (!same_place(via.host, via.port, via_default, source)) return true;
  if (via.received) {
    boost::system::error_code ec;
    const ip::address r = ip::make_address(std::string(*via.received), ec);
    if (ec || normalized(r) != normalized(source.address())) return true;
  }
  return via.rport && *via.rport != source.port();
}

std::string contact_value(const Binding& b, std::chrono::steady_clock::time_point now) {
  // Seconds left, rounded up so a live binding never shows expires=0 (which means removed).
  const auto left = std::chrono::ceil<std::chrono::seconds>(b.expires - now).count();
  return "<" + b.contact + ">;expires=" + std::to_string(std::max<int64_t>(left, 1));
}

// delta-seconds of a Contact's expires parameter; values beyond 64 bits are just long (RFC 3261
// §20.19 caps at 2**32-1 anyway, and max_expires clamps them).
std::optional<uint64_t> parse_expires_param(std::string_view text) {
  if (text.size() > 19 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::numeric_limits<uint64_t>::max();
  }
  return sip::parse_decimal(text, 19);
}

// One Contact of the request, checked and with its granted duration.
struct Pending {
  std::string_view uri;
  uint32_t expires = 0;  // granted; 0: remove
  bool nated = false;
};

// What a REGISTER must carry, read from the request.
struct RegisterRequest {
  std::string_view call_id;
  sip::CSeq cseq;
  sip::Via via;  // the top one
  sip::ContactList contacts;
  std::optional<uint32_t> expires;  // the Expires header
};

// The headers on_register needs: To naming the authenticated user (else 403), Call-ID, CSeq, Via,
// Contact and Expires valid (else 400), a Call-ID not too long to store.
std::expected<RegisterRequest, RegisterResult> read_register(std::string_view user,
                                                             const sip::Message& request) {
  const auto to = request.to();
  if (!to) return std::unexpected(refuse(400, "Bad Request (To)"));
  if (!to->uri.is_sip_or_sips() || to->uri.user != user) {
    return std::unexpected(refuse(403, "Forbidden (To is not the authenticated user)"));
  }
  const auto call_id = request.call_id();
  const auto cseq = request.cseq();
  auto via = request.top_via();
  auto contacts = request.contacts();
  const auto expires_header = request.expires();
  if (!call_id || !cseq || !via || !contacts || !expires_header) {
    return std::unexpected(refuse(400, ""));
  }
  if (call_id->size() > kMaxCallIdLength) {
    return std::unexpected(refuse(400, "Bad Request (Call-ID too long)"));
  }
  return RegisterRequest{.call_id = *call_id,
                         .cseq = *cseq,
                         .via = std::move(*via),
                         .contacts = std::move(*contacts),
                         .expires = *expires_header};
}

// §10.3 step 7: the same Call-ID with a CSeq not higher is an old or reordered request.
bool out_of_order(const Binding& b, std::string_view call_id, uint32_t cseq) {
  return b.call_id == call_id && cseq <= b.cseq;
}

// One Contact checked (a SIP URI, not too long, a valid expires param) with its duration: the
// expires param, else the Expires header, else default_expires; 423 below min_expires (0, a
// removal, excepted); granted: clamped to max_expires, and to nat_expires when NATed.
std::expected<Pending, RegisterResult> check_contact(const sip::NameAddr& entry,
                                                     std::optional<uint32_t> expires_header,
                                                     const sip::Via& via, const Endpoint& source,
                                                     const RegistrarConfig& config,
                                                     const RelayedRegister* relayed) {
  if (!entry.uri.is_sip_or_sips()) {
    return std::unexpected(refuse(400, "Bad Request (Contact is not a SIP URI)"));
  }
  if (entry.uri_text.size() > kMaxContactUriLength) {
    return std::unexpected(refuse(400, "Bad Request (Contact too long)"));
  }
  uint64_t requested = config.default_expires;
  if (const sip::Param* p = entry.param("expires")) {
    const auto v = parse_expires_param(p->value);
    if (!v) return std::unexpected(refuse(400, "Bad Request (Contact expires)"));
    requested = *v;
  } else if (expires_header) {
    requested = *expires_header;
  }
  if (requested != 0 && requested < config.min_expires) {
    RegisterResult r = refuse(423, "");
    r.min_expires = config.min_expires;
    return std::unexpected(r);
  }
  Pending p{.uri = entry.uri_text, .expires = 0, .nated = behind_nat(entry.uri, via, source)};
  uint64_t granted = std::min<uint64_t>(requested, config.max_expires);
  if (p.nated && config.nat_expires > 0) granted = std::min<uint64_t>(granted, config.nat_expires);
  if (relayed != nullptr && granted > 0) {
    granted = std::clamp<uint64_t>(relayed->max_expires, 1, granted);
  }
  p.expires =
      static_cast<uint32_t>(std::min<uint64_t>(granted, std::numeric_limits<uint32_t>::max()));
  return p;
}

// Every Contact checked, in order; the first refusal is the answer.
std::expected<std::vector<Pending>, RegisterResult> check_contacts(
    const std::vector<sip::NameAddr>& entries, std::optional<uint32_t> expires_header,
    const sip::Via& via, const Endpoint& source, const RegistrarConfig& config,
    const RelayedRegister* relayed) {
  std::vector<Pending> pending;
  pending.reserve(entries.size());
  for (const sip::NameAddr& entry : entries) {
    auto p = check_contact(entry, expires_header, via, source, config, relayed);
    if (!p) return std::unexpected(std::move(p.error()));
    pending.push_back(*p);
  }
  return pending;
}

// Applies the checked Contacts to the user's bindings (most recent first): a binding the request
// is out of order for stays as it is; otherwise the contact's binding is removed and, unless its
// duration is 0, added back at the front as `like` with this contact and duration. Beyond
// max_contacts the oldest binding is replaced.
void update_bindings(std::vector<Binding>& list, const std::vector<Pending>& pending,
                     const Binding& like, std::chrono::steady_clock::time_point now,
                     size_t max_contacts, const RelayedRegister* relayed) {
  for (const Pending& p : pending) {
    const auto it = std::find_if(list.begin(), list.end(),
                                 [&](const Binding& b) { return b.contact == p.uri; });
    if (it != list.end() && out_of_order(*it, like.call_id, like.cseq)) continue;
    if (it != list.end()) list.erase(it);
    if (p.expires == 0) continue;
    Binding binding = like;
    binding.contact = std::string(p.uri);
    binding.expires = now + std::chrono::seconds(p.expires);
    binding.nated = p.nated;
    if (relayed != nullptr) {
      const auto relay = std::ranges::find(relayed->contacts, p.uri, &RelayedContact::contact);
      if (relay != relayed->contacts.end()) {
        binding.relay_token = relay->token;
        binding.upstream_expires = relay->upstream_expires;
      }
    }
    list.insert(list.begin(), std::move(binding));
    if (list.size() > max_contacts) list.pop_back();  // the oldest binding is replaced
  }
}

}  // namespace

Registrar::Registrar(const RegistrarConfig& config) : config_(config) {}

size_t Registrar::remove_user(std::string_view user) {
  auto it = users_.find(user);
  if (it == users_.end()) return 0;
  const size_t removed = it->second.size();
  reindex(&it->second, nullptr);
  size_ -= removed;
  users_.erase(it);
  return removed;
}

bool Registrar::remove_contact(std::string_view user, std::string_view contact) {
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  auto& list = it->second;
  const auto found =
      std::ranges::find_if(list, [&](const Binding& b) { return b.contact == contact; });
  if (found == list.end()) return false;
  if (!found->relay_token.empty()) relay_users_.erase(found->relay_token);
  list.erase(found);
  --size_;
  if (list.empty()) users_.erase(it);
  return true;
}

RegisterResult Registrar::on_register(std::string_view user, const SipPeer& from,
                                      const sip::Message& request, TimePoint now,
                                      std::chrono::system_clock::time_point wall_now,
                                      const RelayedRegister* relayed) {
  const auto req = read_register(user, request);
  if (!req) return req.error();

  // Work on a copy of the user's live bindings; it replaces the stored list only on success.
  const auto found = users_.find(user);
  const size_t stored = found == users_.end() ? 0 : found->second.size();
  std::vector<Binding> list;
  if (found != users_.end()) {
    for (const Binding& b : found->second) {
      if (b.expires > now) list.push_back(b);
    }
  }
  const size_t live = list.size();

  if (req->contacts.wildcard) {
    if (!req->expires || *req->expires != 0) {
      return refuse(400, "Bad Request (Contact * needs Expires: 0)");
    }
    std::erase_if(
        list, [&](const Binding& b) { return !out_of_order(b, req->call_id, req->cseq.number); });
  } else if (!req->contacts.entries.empty()) {
    const auto pending = check_contacts(req->contacts.entries, req->expires, req->via, from.remote,
                                        config_, relayed);
    if (!pending) return pending.error();
    const Binding like{
        .user = std::string(user),
        .contact = {},  // each binding's own, as its expiry and NAT flag
        .peer = from,
        .call_id = std::string(req->call_id),
        .cseq = req->cseq.number,
        .expires = {},
        .registered = wall_now,
        .nated = false,
        .user_agent =
            std::string(request.header(sip::HeaderId::kUserAgent).substr(0, kMaxUserAgentLength)),
        .relay_token = {},  // each binding's own (relayed)
        .upstream_expires = {},
    };
    update_bindings(list, *pending, like, now, std::max<uint32_t>(config_.max_contacts, 1),
                    relayed);
    if (list.size() > live && size_ - stored + list.size() > config_.max_bindings) {
      return refuse(503, "Service Unavailable (registrar full)");
    }
  }
  return store(user, found, stored, std::move(list), now);
}

RegisterResult Registrar::store(std::string_view user, Users::iterator found, size_t stored,
                                std::vector<Binding> list, TimePoint now) {
  RegisterResult result;
  for (const Binding& b : list) result.contacts.push_back(contact_value(b, now));
  size_ = size_ - stored + list.size();
  reindex(found == users_.end() ? nullptr : &found->second, &list);
  if (list.empty()) {
    if (found != users_.end()) users_.erase(found);
  } else if (found != users_.end()) {
    found->second = std::move(list);
  } else {
    users_.emplace(std::string(user), std::move(list));
  }
  return result;
}

std::optional<RegisterResult> Registrar::refusal(std::string_view user, const SipPeer& from,
                                                 const sip::Message& request) const {
  const auto req = read_register(user, request);
  if (!req) return req.error();
  if (req->contacts.wildcard) {
    if (req->expires.value_or(1) != 0) {
      return refuse(400, "Bad Request (Contact * needs Expires: 0)");
    }
    return std::nullopt;
  }
  const auto pending =
      check_contacts(req->contacts.entries, req->expires, req->via, from.remote, config_, nullptr);
  if (!pending) return pending.error();
  return std::nullopt;
}

void Registrar::reindex(const std::vector<Binding>* before, const std::vector<Binding>* after) {
  if (before != nullptr) {
    for (const Binding& b : *before) {
      if (!b.relay_token.empty()) relay_users_.erase(b.relay_token);
    }
  }
  if (after != nullptr) {
    for (const Binding& b : *after) {
      if (!b.relay_token.empty()) relay_users_[b.relay_token] = b.user;
    }
  }
}

const Binding* Registrar::find_relayed(std::string_view token, TimePoint now) const {
  const auto user = relay_users_.find(std::string(token));
  if (user == relay_users_.end()) return nullptr;
  for (const Binding* b : lookup(user->second, now)) {
    if (b->relay_token == token) return b;
  }
  return nullptr;
}

std::vector<const Binding*> Registrar::lookup(std::string_view user, TimePoint now) const {
  std::vector<const Binding*> out;
  const auto it = users_.find(user);
  if (it == users_.end()) return out;
  for (const Binding& b : it->second) {
    if (b.expires > now) out.push_back(&b);
  }
  return out;
}

size_t Registrar::expire(TimePoint now) {
  size_t dropped = 0;
  for (auto it = users_.begin(); it != users_.end();) {
    dropped += std::erase_if(it->second, [&](const Binding& b) {
      if (b.expires > now) return false;
      if (!b.relay_token.empty()) relay_users_.erase(b.relay_token);
      return true;
    });
    it = it->second.empty() ? users_.erase(it) : std::next(it);
  }
  size_ -= dropped;
  return dropped;
}

std::vector<const Binding*> Registrar::all(TimePoint now) const {
  std::vector<const Binding*> out;
  for (const auto& [user, list] : users_) {
    for (const Binding& b : list) {
      if (b.expires > now) out.push_back(&b);
    }
  }
  return out;
}

}  // namespace sbc::cp
