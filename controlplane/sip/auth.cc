#include "controlplane/sip/auth.h"

#include "controlplane/sip/header_values.h"
#include "controlplane/sip/lexer.h"
#include "controlplane/sip/method.h"
#include "controlplane/sip/params.h"

namespace sbc::cp::sip {
namespace {

// Unquoted auth-param values: tokens, plus the ':' '/' '@' '=' some clients leave unquoted
// (e.g. uri=sip:host). Separators, quotes, whitespace and control bytes end the value.
bool is_unquoted_value_char(char c) {
  return !lex::is_lws(c) && !lex::is_forbidden_ctl(c) && c != ',' && c != '"' && c != ';';
}

std::string required(const AuthHeader& h, std::string_view name, bool& ok) {
  auto v = h.param(name);
  if (!v || v->empty()) {
    ok = false;
    return {};
  }
  return std::move(*v);
}

}  // namespace

bool AuthHeader::is_digest() const {
  return iequals(scheme, "Digest");
}

const AuthParam* AuthHeader::find(std::string_view name) const {
  for (const auto& p : params) {
    if (iequals(p.name, name)) return &p;
  }
  return nullptr;
}

std::optional<std::string> AuthHeader::param(std::string_view name) const {
  const AuthParam* p = find(name);
  if (p == nullptr) return std::nullopt;
  return p->quoted ? unquote(p->value) : std::string(p->value);
}

std::expected<AuthHeader, ParseError> parse_auth_header(std::string_view value, ParseError error) {
  std::string_view s = trim_lws(value);
  size_t i = 0;
  while (i < s.size() && !lex::is_lws(s[i])) ++i;
  AuthHeader out;
  out.scheme = s.substr(0, i);
  if (!is_token(out.scheme)) return std::unexpected(error);
  s = lex::skip_lws(s.substr(i));
  if (s.empty()) return std::unexpected(error);  // auth-param is mandatory in SIP's grammar
  while (true) {
    size_t n = 0;
    while (n < s.size() && lex::is_token_char(s[n])) ++n;
    AuthParam p;
    p.name = s.substr(0, n);
    if (n == 0) return std::unexpected(error);
    s = lex::skip_lws(s.substr(n));
    if (s.empty() || s[0] != '=') return std::unexpected(error);
    s = lex::skip_lws(s.substr(1));
    if (!s.empty() && s[0] == '"') {
      const size_t q = lex::quoted_length(s);
      if (q == 0) return std::unexpected(ParseError::kBadQuotedString);
      p.value = s.substr(0, q);
      p.quoted = true;
      s = s.substr(q);
    } else {
      size_t v = 0;
      while (v < s.size() && is_unquoted_value_char(s[v])) ++v;
      if (v == 0) return std::unexpected(error);
      p.value = s.substr(0, v);
      s = s.substr(v);
    }
    // Digest uses about a dozen parameters; the cap keeps the duplicate check below cheap on
    // hostile input (it is quadratic in the count).
    if (out.params.size() >= kMaxAuthParams || out.find(p.name) != nullptr) {
      return std::unexpected(error);
    }
    out.params.push_back(p);
    s = lex::skip_lws(s);
    if (s.empty()) return out;
    if (s[0] != ',') return std::unexpected(error);
    s = lex::skip_lws(s.substr(1));
  }
}

std::expected<DigestCredentials, ParseError> digest_credentials(const AuthHeader& header) {
  if (!header.is_digest()) return std::unexpected(ParseError::kBadCredentials);
  bool ok = true;
  DigestCredentials d;
  d.username = required(header, "username", ok);
  d.realm = required(header, "realm", ok);
  d.nonce = required(header, "nonce", ok);
  d.uri = required(header, "uri", ok);
  d.response = required(header, "response", ok);
  if (!ok) return std::unexpected(ParseError::kBadCredentials);
  d.algorithm = header.param("algorithm").value_or("");
  d.qop = header.param("qop").value_or("");
  d.nc = header.param("nc").value_or("");
  d.cnonce = header.param("cnonce").value_or("");
  d.opaque = header.param("opaque").value_or("");
  // With qop, nc and cnonce are mandatory (RFC 2617 §3.2.2).
  if (!d.qop.empty() && (d.nc.empty() || d.cnonce.empty())) {
    return std::unexpected(ParseError::kBadCredentials);
  }
  return d;
}

std::expected<DigestChallenge, ParseError> digest_challenge(const AuthHeader& header) {
  if (!header.is_digest()) return std::unexpected(ParseError::kBadChallenge);
  bool ok = true;
  DigestChallenge c;
  c.realm = required(header, "realm", ok);
  c.nonce = required(header, "nonce", ok);
  if (!ok) return std::unexpected(ParseError::kBadChallenge);
  c.algorithm = header.param("algorithm").value_or("");
  c.opaque = header.param("opaque").value_or("");
  c.domain = header.param("domain").value_or("");
  c.stale = iequals(header.param("stale").value_or(""), "true");
  const std::string qop = header.param("qop").value_or("");
  std::string_view rest(qop);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = trim_lws(rest.substr(0, comma));
    if (!is_token(item)) return std::unexpected(ParseError::kBadChallenge);
    c.qop.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return c;
}

std::string quoted_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace sbc::cp::sip
