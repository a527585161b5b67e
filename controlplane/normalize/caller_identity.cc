#include "controlplane/normalize/caller_identity.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>

#include "controlplane/sip/name_addr.h"
#include "controlplane/sip/params.h"

namespace sbc::cp {
namespace {

// What an asserted identity's user may be for us to write it into a URI of our own: a number or
// a plain user name (RFC 3261 unreserved characters), and short.
constexpr size_t kMaxAssertedUser = 64;

bool plain_user(std::string_view user) {
  return !user.empty() && user.size() <= kMaxAssertedUser && std::ranges::all_of(user, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-_.!~*'+#").find(c) != std::string_view::npos;
  });
}

// A tel: number without its visual separators (RFC 3966 §5.1.1).
std::string tel_number(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (std::string_view("-.()").find(c) == std::string_view::npos) out += c;
  }
  return out;
}

// A number as a URI's user part: '#' (tech prefixes, service codes) is not allowed there
// unescaped (RFC 3261 §25.1 user-unreserved).
std::string uri_user(std::string_view user) {
  std::string out;
  for (char c : user) out += c == '#' ? std::string("%23") : std::string(1, c);
  return out;
}

std::string identity_user(const sip::Uri& uri) {
  return uri.scheme == sip::UriScheme::kTel ? tel_number(uri.user) : std::string(uri.user);
}

struct Asserted {
  std::string user;
  std::string display;
};

// The first sip, sips or tel identity of the header's values whose user we can carry.
std::optional<Asserted> asserted_identity(const sip::Message& invite, sip::HeaderId id) {
  auto values = invite.values(id);
  if (!values) return std::nullopt;
  for (std::string_view value : *values) {
    auto identity = sip::parse_name_addr(value);
    if (!identity) continue;
    const std::string user = identity_user(identity->uri);
    if (identity->uri.scheme == sip::UriScheme::kOther || !plain_user(user)) continue;
    return Asserted{user, std::string(identity->display_name)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> rewrite_identity_header(std::string_view value, const NumberRules& in,
                                                   const NumberRules& out, std::string_view host) {
  auto values = sip::split_list(value);
  if (!values) return std::nullopt;
  std::string written;
  for (std::string_view entry : *values) {
    auto identity = sip::parse_name_addr(entry);
    if (!identity || identity->uri.scheme == sip::UriScheme::kOther) return std::nullopt;
    const std::string user = identity_user(identity->uri);
    if (!plain_user(user)) return std::nullopt;
    if (!written.empty()) written += ", ";
    written +=
        sip::format_name_addr(identity->display_name,
                              fmt::format("sip:{}@{}", uri_user(out.apply(in.apply(user))), host));
    for (const sip::Param& param : identity->params) {
      written += fmt::format(";{}{}{}", param.name, param.has_value ? "=" : "", param.value);
    }
  }
  return written;
}

PrivacyRequest parse_privacy(std::string_view value) {
  PrivacyRequest request;
  while (!value.empty()) {
    const size_t semi = value.find_first_of(";,");
    const std::string_view token = sip::trim_lws(value.substr(0, semi));
    if (sip::iequals(token, "id")) request.id = true;
    if (sip::iequals(token, "user") || sip::iequals(token, "header")) request.user = true;
    value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
  }
  return request;
}

std::string PrivacyRequest::to_string() const {
  if (user && id) return "user;id";
  if (user) return "user";
  return id ? "id" : "";
}

CallerIdentity read_caller_identity(const NormalizationPolicy& policy, const sip::Message& invite,
                                    std::string_view authenticated_user) {
  CallerIdentity id;
  if (auto ruri = invite.request_uri()) id.called = policy.number_in.apply(ruri->user);
  if (auto from = invite.from()) {
    id.calling = policy.number_in.apply(from->uri.user);
    id.display = std::string(from->display_name);
  }
  id.privacy = parse_privacy(invite.header(sip::HeaderId::kPrivacy));
  std::optional<Asserted> asserted;
  if (!authenticated_user.empty()) {
    asserted = Asserted{std::string(authenticated_user), id.display};
  } else if (policy.trust_identity) {
    asserted = asserted_identity(invite, sip::HeaderId::kPAssertedIdentity);
    if (!asserted) asserted = asserted_identity(invite, sip::HeaderId::kPPreferredIdentity);
  }
  if (asserted) {
    id.asserted = policy.number_in.apply(asserted->user);
    id.asserted_display = std::move(asserted->display);
  }
  id.number_in = policy.number_in;
  return id;
}

CalleeIdentity write_callee_identity(const NormalizationPolicy& policy,
                                     const CallerIdentity& caller,
                                     std::span<const sip::HeaderField> caller_headers,
                                     std::string_view identity_host) {
  CalleeIdentity out;
  out.called = uri_user(policy.number_out.apply(caller.called));
  out.request_user = uri_user(policy.tech_prefix) + out.called;
  out.calling = uri_user(policy.number_out.apply(caller.calling));
  out.anonymous = caller.privacy.any();
  out.display = out.anonymous ? "Anonymous" : caller.display;
  const bool show_identity = policy.trust_identity || !caller.privacy.id;
  if (!caller.asserted.empty() && show_identity) {
    const std::string uri =
        fmt::format("sip:{}@{}", uri_user(policy.number_out.apply(caller.asserted)), identity_host);
    out.headers.emplace_back("P-Asserted-Identity",
                             sip::format_name_addr(caller.asserted_display, uri));
  }
  if (policy.trust_identity && caller.privacy.any()) {
    out.headers.emplace_back("Privacy", caller.privacy.to_string());
  }
  if (!policy.user_agent.empty()) out.headers.emplace_back("User-Agent", policy.user_agent);
  policy.headers.apply(caller_headers, out.headers, [&](std::string_view value) {
    return rewrite_identity_header(value, caller.number_in, policy.number_out, identity_host);
  });
  return out;
}

}  // namespace sbc::cp
