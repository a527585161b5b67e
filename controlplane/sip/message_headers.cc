// Message accessors of the extension headers (typed values in header_values.h and auth.h).
#include "controlplane/sip/message.h"

namespace sbc::cp::sip {
namespace {

std::expected<std::vector<std::string_view>, ParseError> option_tags(const Message& m,
                                                                     HeaderId id) {
  std::vector<std::string_view> out;
  for (const auto& h : m.headers()) {
    if (h.id != id) continue;
    auto tags = parse_option_tags(h.value);
    if (!tags) return std::unexpected(tags.error());
    out.insert(out.end(), tags->begin(), tags->end());
  }
  return out;
}

std::expected<std::vector<AuthHeader>, ParseError> auth_headers(const Message& m, HeaderId id,
                                                                ParseError error) {
  std::vector<AuthHeader> out;
  for (const auto& h : m.headers()) {
    if (h.id != id) continue;
    auto a = parse_auth_header(h.value, error);
    if (!a) return std::unexpected(a.error());
    out.push_back(std::move(*a));
  }
  return out;
}

// A single-valued header: nullopt when absent, kDuplicateHeader when repeated, else parse().
template <typename Parse>
auto single(const Message& m, HeaderId id, Parse&& parse)
    -> std::expected<std::optional<typename decltype(parse(std::string_view{}))::value_type>,
                     ParseError> {
  using T = typename decltype(parse(std::string_view{}))::value_type;
  const size_t n = m.count(id);
  if (n == 0) return std::optional<T>{};
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  auto v = parse(m.header(id));
  if (!v) return std::unexpected(v.error());
  return std::optional<T>(std::move(*v));
}

}  // namespace

std::expected<std::vector<std::string_view>, ParseError> Message::supported() const {
  return option_tags(*this, HeaderId::kSupported);
}

std::expected<std::vector<std::string_view>, ParseError> Message::require() const {
  return option_tags(*this, HeaderId::kRequire);
}

std::expected<std::vector<std::string_view>, ParseError> Message::proxy_require() const {
  return option_tags(*this, HeaderId::kProxyRequire);
}

std::expected<std::vector<std::string_view>, ParseError> Message::unsupported() const {
  return option_tags(*this, HeaderId::kUnsupported);
}

std::expected<std::vector<AllowedMethod>, ParseError> Message::allow() const {
  std::vector<AllowedMethod> out;
  for (const auto& h : headers_) {
    if (h.id != HeaderId::kAllow) continue;
    auto methods = parse_allow(h.value);
    if (!methods) return std::unexpected(methods.error());
    out.insert(out.end(), methods->begin(), methods->end());
  }
  return out;
}

std::expected<std::vector<AuthHeader>, ParseError> Message::authorizations() const {
  return auth_headers(*this, HeaderId::kAuthorization, ParseError::kBadCredentials);
}

std::expected<std::vector<AuthHeader>, ParseError> Message::proxy_authorizations() const {
  return auth_headers(*this, HeaderId::kProxyAuthorization, ParseError::kBadCredentials);
}

std::expected<std::vector<AuthHeader>, ParseError> Message::www_authenticates() const {
  return auth_headers(*this, HeaderId::kWwwAuthenticate, ParseError::kBadChallenge);
}

std::expected<std::vector<AuthHeader>, ParseError> Message::proxy_authenticates() const {
  return auth_headers(*this, HeaderId::kProxyAuthenticate, ParseError::kBadChallenge);
}

std::expected<std::optional<SessionExpires>, ParseError> Message::session_expires() const {
  return single(*this, HeaderId::kSessionExpires, parse_session_expires);
}

// Written out rather than through single(): GCC 12 warns (maybe-uninitialized) about
// expected<optional<uint32_t>> built from optional<uint32_t>.
std::expected<std::optional<uint32_t>, ParseError> Message::min_se() const {
  const size_t n = count(HeaderId::kMinSe);
  if (n == 0) return std::optional<uint32_t>{};
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  const auto v = parse_min_se(header(HeaderId::kMinSe));
  if (!v) return std::unexpected(v.error());
  return *v;
}

std::expected<std::optional<uint32_t>, ParseError> Message::rseq() const {
  const size_t n = count(HeaderId::kRSeq);
  if (n == 0) return std::optional<uint32_t>{};
  if (n > 1) return std::unexpected(ParseError::kDuplicateHeader);
  const auto v = parse_rseq(header(HeaderId::kRSeq));
  if (!v) return std::unexpected(v.error());
  return *v;
}

std::expected<std::optional<RAck>, ParseError> Message::rack() const {
  return single(*this, HeaderId::kRAck, parse_rack);
}

std::expected<std::vector<Reason>, ParseError> Message::reasons() const {
  auto values = this->values(HeaderId::kReason);
  if (!values) return std::unexpected(ParseError::kBadReason);
  std::vector<Reason> out;
  out.reserve(values->size());
  for (std::string_view v : *values) {
    auto r = parse_reason(v);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

std::expected<std::optional<RetryAfter>, ParseError> Message::retry_after() const {
  return single(*this, HeaderId::kRetryAfter, parse_retry_after);
}

std::expected<std::optional<std::string_view>, ParseError> Message::date() const {
  return single(*this, HeaderId::kDate,
                [](std::string_view v) -> std::expected<std::string_view, ParseError> {
                  if (!is_sip_date(v)) return std::unexpected(ParseError::kBadDate);
                  return trim_lws(v);
                });
}

}  // namespace sbc::cp::sip
