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

}  // namespace

Registrar::Registrar(const RegistrarConfig& config) : config_(config) {}

size_t Registrar::remove_user(std::string_view user) {
  auto it = users_.find(user);
  if (it == users_.end()) return 0;
  const size_t removed = it->second.size();
  size_ -= removed;
  users_.erase(it);
  return removed;
}

RegisterResult Registrar::on_register(std::string_view user, const SipPeer& from,
                                      const sip::Message& request, TimePoint now,
                                      std::chrono::system_clock::time_point wall_now) {
  const auto to = request.to();
  if (!to) return refuse(400, "Bad Request (To)");
  if (!to->uri.is_sip_or_sips() || to->uri.user != user) {
    return refuse(403, "Forbidden (To is not the authenticated user)");
  }
  const auto call_id = request.call_id();
  const auto cseq = request.cseq();
  const auto via = request.top_via();
  const auto contacts = request.contacts();
  const auto expires_header = request.expires();
  if (!call_id || !cseq || !via || !contacts || !expires_header) return refuse(400, "");
  if (call_id->size() > kMaxCallIdLength) return refuse(400, "Bad Request (Call-ID too long)");

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

  // §10.3 step 7: the same Call-ID with a CSeq not higher is an old or reordered request.
  const auto out_of_order = [&](const Binding& b) {
    return b.call_id == *call_id && cseq->number <= b.cseq;
  };

  if (contacts->wildcard) {
    if (!*expires_header || **expires_header != 0) {
      return refuse(400, "Bad Request (Contact * needs Expires: 0)");
    }
    std::erase_if(list, [&](const Binding& b) { return !out_of_order(b); });
  } else if (!contacts->entries.empty()) {
    std::vector<Pending> pending;
    pending.reserve(contacts->entries.size());
    for (const sip::NameAddr& entry : contacts->entries) {
      if (!entry.uri.is_sip_or_sips()) return refuse(400, "Bad Request (Contact is not a SIP URI)");
      if (entry.uri_text.size() > kMaxContactUriLength) {
        return refuse(400, "Bad Request (Contact too long)");
      }
      uint64_t requested = config_.default_expires;
      if (const sip::Param* p = entry.param("expires")) {
        const auto v = parse_expires_param(p->value);
        if (!v) return refuse(400, "Bad Request (Contact expires)");
        requested = *v;
      } else if (*expires_header) {
        requested = **expires_header;
      }
      if (requested != 0 && requested < config_.min_expires) {
        RegisterResult r = refuse(423, "");
        r.min_expires = config_.min_expires;
        return r;
      }
      Pending p{
          .uri = entry.uri_text, .expires = 0, .nated = behind_nat(entry.uri, *via, from.remote)};
      uint64_t granted = std::min<uint64_t>(requested, config_.max_expires);
      if (p.nated && config_.nat_expires > 0)
        granted = std::min<uint64_t>(granted, config_.nat_expires);
      p.expires =
          static_cast<uint32_t>(std::min<uint64_t>(granted, std::numeric_limits<uint32_t>::max()));
      pending.push_back(p);
    }
    const size_t max_contacts = std::max<uint32_t>(config_.max_contacts, 1);
    const std::string user_agent(
        request.header(sip::HeaderId::kUserAgent).substr(0, kMaxUserAgentLength));
    for (const Pending& p : pending) {
      const auto it = std::find_if(list.begin(), list.end(),
                                   [&](const Binding& b) { return b.contact == p.uri; });
      if (it != list.end() && out_of_order(*it)) continue;
      if (it != list.end()) list.erase(it);
      if (p.expires == 0) continue;
      list.insert(list.begin(), Binding{
                                    .user = std::string(user),
                                    .contact = std::string(p.uri),
                                    .peer = from,
                                    .call_id = std::string(*call_id),
                                    .cseq = cseq->number,
                                    .expires = now + std::chrono::seconds(p.expires),
                                    .registered = wall_now,
                                    .nated = p.nated,
                                    .user_agent = user_agent,
                                });
      if (list.size() > max_contacts) list.pop_back();  // the oldest binding is replaced
    }
    if (list.size() > live && size_ - stored + list.size() > config_.max_bindings) {
      return refuse(503, "Service Unavailable (registrar full)");
    }
  }

  RegisterResult result;
  for (const Binding& b : list) result.contacts.push_back(contact_value(b, now));
  size_ = size_ - stored + list.size();
  if (list.empty()) {
    if (found != users_.end()) users_.erase(found);
  } else if (found != users_.end()) {
    found->second = std::move(list);
  } else {
    users_.emplace(std::string(user), std::move(list));
  }
  return result;
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
    dropped += std::erase_if(it->second, [&](const Binding& b) { return b.expires <= now; });
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
