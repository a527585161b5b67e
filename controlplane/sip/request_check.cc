#include "controlplane/sip/request_check.h"

#include <fmt/format.h>

#include <algorithm>

#include "controlplane/sip/multipart.h"

namespace sbc::cp::sip {
namespace {

Rejection reject(int code, std::string_view reason = {}) {
  return Rejection{code, std::string(reason.empty() ? default_reason_phrase(code) : reason), {}};
}

// The warn-text of a 400: what was wrong, in words a log reader or an operator understands.
std::string describe(const Invalid& invalid) {
  const std::string_view name = header_name(invalid.header);
  switch (invalid.error) {
    case ParseError::kBadStartLine: return "Malformed request line";
    case ParseError::kBadRequestUri: return "Malformed Request-URI";
    case ParseError::kBodyTruncated: return "Content-Length larger than the body";
    case ParseError::kMissingHeader: return fmt::format("Missing {} header", name);
    case ParseError::kDuplicateHeader: return fmt::format("Repeated {} header", name);
    default: break;
  }
  if (name.empty()) return fmt::format("Malformed request ({})", to_string(invalid.error));
  return fmt::format("Malformed {} header", name);
}

Rejection bad_request(const RequestPolicy& policy, const std::string& text) {
  Rejection r = reject(400);
  r.headers.emplace_back(HeaderId::kWarning,
                         fmt::format("399 {} \"{}\"", policy.warning_agent, text));
  return r;
}

bool has_tag(const std::vector<std::string>& tags, std::string_view tag) {
  return std::ranges::any_of(tags, [&](const std::string& t) { return iequals(t, tag); });
}

bool carries_session_description(Method m) {
  return m == Method::kInvite || m == Method::kUpdate || m == Method::kPrack;
}

std::string join(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

std::optional<Rejection> check_method(const Message& m, const RequestPolicy& policy) {
  if (policy.methods.empty()) return std::nullopt;
  if (std::ranges::find(policy.methods, m.method()) != policy.methods.end() &&
      m.method() != Method::kOther) {
    return std::nullopt;
  }
  if (m.method() == Method::kOther) return reject(501);  // RFC 4475 mismatch02: 501 over 400
  Rejection r = reject(405);
  std::vector<std::string> names;
  for (Method allowed : policy.methods) names.emplace_back(method_name(allowed));
  r.headers.emplace_back(HeaderId::kAllow, join(names));
  return r;
}

std::optional<Rejection> check_extensions(const Message& m, const RequestPolicy& policy) {
  // RFC 3261 §8.2.2.3: Require is not checked on ACK or CANCEL (§16.3 likewise for proxies).
  if (m.method() == Method::kAck || m.method() == Method::kCancel) return std::nullopt;
  auto require = m.require();
  if (!require) return bad_request(policy, "Malformed Require header");
  auto proxy_require = m.proxy_require();
  if (!proxy_require) return bad_request(policy, "Malformed Proxy-Require header");
  std::vector<std::string> unknown;
  for (const auto* list : {&*require, &*proxy_require}) {
    for (std::string_view tag : *list) {
      if (!has_tag(policy.supported, tag) && !has_tag(unknown, tag)) unknown.emplace_back(tag);
    }
  }
  if (unknown.empty()) return std::nullopt;
  Rejection r = reject(420);
  r.headers.emplace_back(HeaderId::kUnsupported, join(unknown));
  return r;
}

bool accepted_type(const MediaType& type, const RequestPolicy& policy) {
  return std::ranges::any_of(policy.accept, [&](const std::string& a) {
    const size_t slash = a.find('/');
    return slash != std::string::npos &&
           type.is(std::string_view(a).substr(0, slash), std::string_view(a).substr(slash + 1));
  });
}

std::optional<Rejection> check_body(const Message& m, const RequestPolicy& policy) {
  if (!carries_session_description(m.method()) || m.body().empty()) return std::nullopt;
  // RFC 3261 §8.2.3: an unknown Content-Encoding gets 415 listing the encodings understood.
  auto encodings = m.values(HeaderId::kContentEncoding);
  if (!encodings) return bad_request(policy, "Malformed Content-Encoding header");
  for (std::string_view e : *encodings) {
    if (!iequals(e, "identity")) {
      Rejection r = reject(415);
      r.headers.emplace_back(HeaderId::kAcceptEncoding, "identity");
      return r;
    }
  }
  auto type = m.content_type();
  if (!type) return bad_request(policy, "Malformed Content-Type header");
  if (!*type) return bad_request(policy, "Missing Content-Type header");
  if (accepted_type(**type, policy)) return std::nullopt;
  if (policy.accept_multipart && iequals((*type)->type, "multipart") &&
      has_tag(policy.accept, "application/sdp")) {
    auto sdp = find_sdp(m);
    if (!sdp) return bad_request(policy, "Malformed multipart body");
    if (*sdp) return std::nullopt;
  }
  Rejection r = reject(415);
  r.headers.emplace_back(HeaderId::kAccept, join(policy.accept));
  return r;
}

// RFC 4475 sdp01: an INVITE whose Accept rules out every type an answer could use gets 406.
std::optional<Rejection> check_accept(const Message& m, const RequestPolicy& policy) {
  if (m.method() != Method::kInvite || m.find(HeaderId::kAccept) == nullptr) return std::nullopt;
  // An empty Accept is legal and means no body type is acceptable (RFC 3261 §20.1).
  const bool empty = std::ranges::all_of(m.headers(), [](const HeaderField& h) {
    return h.id != HeaderId::kAccept || trim_lws(h.value).empty();
  });
  auto ranges = empty ? std::expected<std::vector<std::string_view>, ParseError>{}
                      : m.values(HeaderId::kAccept);
  if (!ranges) return bad_request(policy, "Malformed Accept header");
  for (std::string_view range : *ranges) {
    auto mt = parse_media_type(range);
    if (!mt) return bad_request(policy, "Malformed Accept header");
    if (mt->is("*", "*") || accepted_type(*mt, policy)) return std::nullopt;
    if (mt->subtype == "*" && std::ranges::any_of(policy.accept, [&](const std::string& a) {
          return iequals(std::string_view(a).substr(0, a.find('/')), mt->type);
        })) {
      return std::nullopt;
    }
  }
  Rejection r = reject(406);
  r.headers.emplace_back(
      HeaderId::kWarning,
      fmt::format("399 {} \"No acceptable body type in Accept\"", policy.warning_agent));
  return r;
}

}  // namespace

bool answerable(const Message& message) {
  return message.is_request() && message.method() != Method::kAck && message.top_via() &&
         message.find(HeaderId::kCSeq) != nullptr;
}

std::optional<Rejection> check_request(const Message& m, const RequestPolicy& policy) {
  if (!m.is_request()) return std::nullopt;
  std::optional<Rejection> mismatch;
  if (auto valid = m.diagnose(); !valid) {
    const Invalid& invalid = valid.error();
    if (invalid.error == ParseError::kBadVersion) return reject(505);
    if (invalid.error != ParseError::kCSeqMethodMismatch) {
      return bad_request(policy, describe(invalid));
    }
    // The method is looked at before the CSeq agreement (RFC 4475 mismatch02: 501, not 400).
    mismatch = bad_request(policy, "CSeq method does not match the request method");
  }
  if (auto r = check_method(m, policy)) return r;
  if (mismatch) return mismatch;
  const auto uri = m.request_uri();  // parses: diagnose() checked it
  if (uri->scheme == UriScheme::kOther ||
      (uri->scheme == UriScheme::kTel && !policy.accept_tel_uri)) {
    return reject(416);
  }
  const auto max_forwards = m.max_forwards();
  if (max_forwards->value_or(70) == 0 &&
      !(m.method() == Method::kOptions && policy.max_forwards_zero_allowed_for_options)) {
    return reject(483);
  }
  if (auto r = check_extensions(m, policy)) return r;
  if (auto r = check_body(m, policy)) return r;
  if (auto r = check_accept(m, policy)) return r;
  return std::nullopt;
}

}  // namespace sbc::cp::sip
