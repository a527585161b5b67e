#include "controlplane/sip/uri.h"

#include "controlplane/sip/lexer.h"

namespace sbc::cp::sip {
namespace {

constexpr bool is_unreserved(char c) {
  if (lex::is_alnum(c)) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')': return true;
    default: return false;
  }
}

// Checks that text uses only unreserved characters, %HH escapes and the extra characters given.
bool valid_escaped(std::string_view text, std::string_view extra) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !lex::is_hex(text[i + 1]) || !lex::is_hex(text[i + 2])) {
        return false;
      }
      i += 2;
      continue;
    }
    if (!is_unreserved(c) && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool valid_hostname(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!lex::is_alnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

bool valid_ipv6(std::string_view host) {
  if (host.size() < 2) return false;
  size_t colons = 0;
  for (char c : host) {
    if (c == ':')
      ++colons;
    else if (!lex::is_hex(c) && c != '.')
      return false;
  }
  return colons >= 2;
}

// Splits "name=value&name=value" into params (escaped text kept as written).
std::expected<std::vector<Param>, ParseError> parse_uri_headers(std::string_view text) {
  std::vector<Param> out;
  while (true) {
    const size_t amp = text.find('&');
    const std::string_view item = text.substr(0, amp);
    const size_t eq = item.find('=');
    if (item.empty() || eq == 0 || eq == std::string_view::npos) {
      return std::unexpected(ParseError::kBadUri);
    }
    Param p{item.substr(0, eq), item.substr(eq + 1), true};
    if (!valid_escaped(p.name, "[]/?:+$") || !valid_escaped(p.value, "[]/?:+$")) {
      return std::unexpected(ParseError::kBadUri);
    }
    out.push_back(p);
    if (amp == std::string_view::npos) return out;
    text = text.substr(amp + 1);
  }
}

std::expected<Uri, ParseError> parse_tel(Uri uri, std::string_view rest) {
  const size_t semi = rest.find(';');
  uri.user = rest.substr(0, semi);
  if (uri.user.empty() || !valid_escaped(uri.user, "+#*"))
    return std::unexpected(ParseError::kBadUri);
  if (semi != std::string_view::npos) {
    auto params = parse_params(rest.substr(semi));
    if (!params) return std::unexpected(ParseError::kBadUri);
    uri.params = std::move(*params);
  }
  return uri;
}

// The rest of a SIP URI after "sip:" or "sips:", each step filling uri and returning what follows.
using UriRest = std::expected<std::string_view, ParseError>;

// userinfo: up to the first '@' (an unescaped '@' may appear nowhere else in a SIP URI).
UriRest parse_userinfo(Uri& uri, std::string_view rest) {
  const size_t at = rest.find('@');
  if (at == std::string_view::npos) return rest;
  const std::string_view userinfo = rest.substr(0, at);
  const size_t pw = userinfo.find(':');
  uri.user = userinfo.substr(0, pw);
  if (pw != std::string_view::npos) {
    uri.password = userinfo.substr(pw + 1);
    if (!valid_escaped(uri.password, "&=+$,")) return std::unexpected(ParseError::kBadUri);
  }
  if (uri.user.empty() || !valid_escaped(uri.user, "&=+$,;?/")) {
    return std::unexpected(ParseError::kBadUri);
  }
  return rest.substr(at + 1);
}

// host: "[IPv6]" or a hostname / IPv4 address, ending at ':', ';', '?' or the end.
UriRest parse_host(Uri& uri, std::string_view rest) {
  size_t host_end = 0;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::unexpected(ParseError::kBadUri);
    uri.host = rest.substr(1, close - 1);
    uri.host_is_ipv6 = true;
    if (!valid_ipv6(uri.host)) return std::unexpected(ParseError::kBadUri);
    host_end = close + 1;
  } else {
    while (host_end < rest.size() && rest[host_end] != ':' && rest[host_end] != ';' &&
           rest[host_end] != '?') {
      ++host_end;
    }
    uri.host = rest.substr(0, host_end);
    if (!valid_hostname(uri.host)) return std::unexpected(ParseError::kBadUri);
  }
  return rest.substr(host_end);
}

// hostport: the host, then an optional ":port" (at most 5 digits, at most 65535).
UriRest parse_hostport(Uri& uri, std::string_view rest) {
  auto after_host = parse_host(uri, rest);
  if (!after_host) return after_host;
  rest = *after_host;
  if (rest.empty() || rest[0] != ':') return rest;
  size_t n = 1;
  while (n < rest.size() && lex::is_digit(rest[n])) ++n;
  const auto port = parse_decimal(rest.substr(1, n - 1), 5);
  if (!port || *port > 65535) return std::unexpected(ParseError::kBadUri);
  uri.port = static_cast<uint16_t>(*port);
  return rest.substr(n);
}

// ;params ?headers: everything after hostport (returns the empty remainder).
UriRest parse_params_and_headers(Uri& uri, std::string_view rest) {
  const size_t q = rest.find('?');
  const std::string_view params = rest.substr(0, q);
  if (!params.empty()) {
    if (params[0] != ';') return std::unexpected(ParseError::kBadUri);
    auto parsed = parse_params(params);
    if (!parsed) return std::unexpected(ParseError::kBadUri);
    for (const auto& p : *parsed) {
      if (!valid_escaped(p.name, "[]/:&+$") || !valid_escaped(p.value, "[]/:&+$")) {
        return std::unexpected(ParseError::kBadUri);
      }
    }
    uri.params = std::move(*parsed);
  }
  if (q != std::string_view::npos) {
    auto headers = parse_uri_headers(rest.substr(q + 1));
    if (!headers) return std::unexpected(headers.error());
    uri.headers = std::move(*headers);
  }
  return std::string_view{};
}

}  // namespace

const Param* Uri::param(std::string_view name) const {
  return find_param(params, name);
}

std::string_view Uri::transport() const {
  const Param* p = param("transport");
  return p != nullptr ? p->value : std::string_view{};
}

bool Uri::loose_route() const {
  return param("lr") != nullptr;
}

std::string Uri::host_port() const {
  std::string out;
  if (host_is_ipv6) {
    out.reserve(host.size() + 8);
    out += '[';
    out += host;
    out += ']';
  } else {
    out = host;
  }
  if (port) {
    out += ':';
    out += std::to_string(*port);
  }
  return out;
}

bool is_absolute_uri(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 >= text.size()) return false;
  if (!lex::is_alpha(text[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    const char c = text[i];
    if (!lex::is_alnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"') return false;
  }
  return true;
}

std::expected<Uri, ParseError> parse_uri(std::string_view text) {
  if (!is_absolute_uri(text)) return std::unexpected(ParseError::kBadUri);
  Uri uri;
  uri.text = text;
  const size_t colon = text.find(':');
  const std::string_view scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (iequals(scheme, "sip")) {
    uri.scheme = UriScheme::kSip;
  } else if (iequals(scheme, "sips")) {
    uri.scheme = UriScheme::kSips;
  } else if (iequals(scheme, "tel")) {
    uri.scheme = UriScheme::kTel;
    return parse_tel(std::move(uri), rest);
  } else {
    uri.scheme = UriScheme::kOther;
    return uri;
  }

  auto after_userinfo = parse_userinfo(uri, rest);
  if (!after_userinfo) return std::unexpected(after_userinfo.error());
  auto after_hostport = parse_hostport(uri, *after_userinfo);
  if (!after_hostport) return std::unexpected(after_hostport.error());
  if (auto tail = parse_params_and_headers(uri, *after_hostport); !tail) {
    return std::unexpected(tail.error());
  }
  return uri;
}

}  // namespace sbc::cp::sip
