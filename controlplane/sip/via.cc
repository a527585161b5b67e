#include "controlplane/sip/via.h"

#include "controlplane/sip/lexer.h"
#include "controlplane/sip/method.h"

namespace sbc::cp::sip {
namespace {

// Reads a token, then skips LWS.
std::string_view take_token(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && !lex::is_lws(s[i]) && s[i] != '/' && s[i] != ';' && s[i] != ':') ++i;
  const std::string_view tok = s.substr(0, i);
  s = lex::skip_lws(s.substr(i));
  return tok;
}

bool take_slash(std::string_view& s) {
  if (s.empty() || s[0] != '/') return false;
  s = lex::skip_lws(s.substr(1));
  return true;
}

bool valid_host(std::string_view host, bool ipv6) {
  if (host.empty()) return false;
  for (char c : host) {
    const bool ok = ipv6 ? (lex::is_hex(c) || c == ':' || c == '.')
                         : (lex::is_alnum(c) || c == '-' || c == '.');
    if (!ok) return false;
  }
  return true;
}

std::optional<uint16_t> to_port(std::string_view text) {
  const auto v = parse_decimal(text, 5);
  if (!v || *v > 65535) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

// sent-protocol = protocol-name SLASH protocol-version SLASH transport (LWS allowed around '/')
bool take_sent_protocol(std::string_view& s, Via& via) {
  via.protocol_name = take_token(s);
  if (!take_slash(s)) return false;
  via.protocol_version = take_token(s);
  if (!take_slash(s)) return false;
  via.transport = take_token(s);
  return is_token(via.protocol_name) && is_token(via.protocol_version) && is_token(via.transport);
}

// sent-by = host [ COLON port ]; LWS after it is skipped.
bool take_sent_by(std::string_view& s, Via& via) {
  if (s.empty()) return false;
  size_t end = 0;
  if (s[0] == '[') {
    end = s.find(']');
    if (end == std::string_view::npos) return false;
    via.host = s.substr(1, end - 1);
    via.host_is_ipv6 = true;
    ++end;
  } else {
    while (end < s.size() && s[end] != ':' && s[end] != ';' && !lex::is_lws(s[end])) ++end;
    via.host = s.substr(0, end);
  }
  if (!valid_host(via.host, via.host_is_ipv6)) return false;
  s = lex::skip_lws(s.substr(end));
  if (!s.empty() && s[0] == ':') {
    s = lex::skip_lws(s.substr(1));
    size_t n = 0;
    while (n < s.size() && lex::is_digit(s[n])) ++n;
    via.port = to_port(s.substr(0, n));
    if (!via.port) return false;
    s = lex::skip_lws(s.substr(n));
  }
  return true;
}

// Sets the fields of the parameters RFC 3261 and RFC 3581 define (branch, received, rport, maddr,
// ttl); false when one of them has a bad value.
bool read_via_params(Via& via) {
  for (const Param& p : via.params) {
    if (iequals(p.name, "branch")) {
      if (!p.has_value || !is_token(p.value)) return false;
      via.branch = p.value;
    } else if (iequals(p.name, "received")) {
      if (!p.has_value) return false;
      via.received = p.value;
    } else if (iequals(p.name, "rport")) {
      via.rport_present = true;
      if (p.has_value) {
        via.rport = to_port(p.value);
        if (!via.rport) return false;
      }
    } else if (iequals(p.name, "maddr")) {
      if (!p.has_value) return false;
      via.maddr = p.value;
    } else if (iequals(p.name, "ttl")) {
      const auto ttl = parse_decimal(p.has_value ? p.value : std::string_view{}, 3);
      if (!ttl || *ttl > 255) return false;
      via.ttl = static_cast<uint8_t>(*ttl);
    }
  }
  return true;
}

}  // namespace

bool Via::rfc3261_branch() const {
  return branch.starts_with(kBranchMagicCookie);
}

const Param* Via::param(std::string_view name) const {
  return find_param(params, name);
}

std::expected<Via, ParseError> parse_via(std::string_view value) {
  Via via;
  std::string_view s = trim_lws(value);
  via.text = s;
  if (!take_sent_protocol(s, via) || !take_sent_by(s, via)) {
    return std::unexpected(ParseError::kBadVia);
  }
  if (!s.empty()) {
    if (s[0] != ';') return std::unexpected(ParseError::kBadVia);
    auto params = parse_params(s);
    if (!params) return std::unexpected(params.error());
    via.params = std::move(*params);
  }
  if (!read_via_params(via)) return std::unexpected(ParseError::kBadVia);
  return via;
}

std::string format_via(std::string_view transport, std::string_view host,
                       std::optional<uint16_t> port, std::string_view branch, bool rport) {
  std::string out = "SIP/2.0/";
  out += transport;
  out += ' ';
  const bool ipv6 = host.find(':') != std::string_view::npos;
  if (ipv6) out += '[';
  out += host;
  if (ipv6) out += ']';
  if (port) {
    out += ':';
    out += std::to_string(*port);
  }
  out += ";branch=";
  out += branch;
  if (rport) out += ";rport";
  return out;
}

}  // namespace sbc::cp::sip
