#include "controlplane/sip/name_addr.h"

#include <string>

#include "controlplane/sip/lexer.h"
#include "controlplane/sip/method.h"

namespace sbc::cp::sip {
namespace {

// Unquoted display names are a sequence of tokens separated by LWS (RFC 3261 §25.1).
bool valid_token_display(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (lex::is_lws(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && !lex::is_lws(text[j])) ++j;
    if (!is_token(text.substr(i, j - i))) return false;
    i = j;
  }
  return true;
}

}  // namespace

std::string_view NameAddr::tag() const {
  const Param* p = param("tag");
  return p != nullptr ? p->value : std::string_view{};
}

const Param* NameAddr::param(std::string_view name) const {
  return find_param(params, name);
}

std::expected<NameAddr, ParseError> parse_name_addr(std::string_view value) {
  NameAddr out;
  std::string_view s = trim_lws(value);
  if (s.empty()) return std::unexpected(ParseError::kBadNameAddr);

  std::string_view after;  // text after the URI: header parameters
  if (s[0] == '"') {
    const size_t q = lex::quoted_length(s);
    if (q == 0) return std::unexpected(ParseError::kBadQuotedString);
    out.display_name = s.substr(1, q - 2);
    out.display_quoted = true;
    s = lex::skip_lws(s.substr(q));
    if (s.empty() || s[0] != '<') return std::unexpected(ParseError::kBadNameAddr);
  }
  const size_t lt = s.find('<');
  if (lt != std::string_view::npos) {
    if (!out.display_quoted) {
      const std::string_view display = trim_lws(s.substr(0, lt));
      if (!valid_token_display(display)) return std::unexpected(ParseError::kBadNameAddr);
      out.display_name = display;
    }
    const size_t gt = s.find('>', lt);
    if (gt == std::string_view::npos) return std::unexpected(ParseError::kBadNameAddr);
    out.uri_text = s.substr(lt + 1, gt - lt - 1);
    out.angle_brackets = true;
    after = s.substr(gt + 1);
  } else {
    // addr-spec: the URI ends at the first ';' (RFC 3261 §20.10) or at LWS.
    size_t end = 0;
    while (end < s.size() && s[end] != ';' && !lex::is_lws(s[end])) ++end;
    out.uri_text = s.substr(0, end);
    after = s.substr(end);
    // A URI with headers must be a name-addr (RFC 3261 §20.10; RFC 4475 regbadct).
    if (out.uri_text.find('?') != std::string_view::npos) {
      return std::unexpected(ParseError::kBadNameAddr);
    }
  }
  auto uri = parse_uri(out.uri_text);
  if (!uri) return std::unexpected(uri.error());
  out.uri = std::move(*uri);

  after = lex::skip_lws(after);
  if (!after.empty()) {
    if (after[0] != ';') return std::unexpected(ParseError::kBadNameAddr);
    auto params = parse_params(after);
    if (!params) return std::unexpected(params.error());
    out.params = std::move(*params);
  }
  return out;
}

std::string format_name_addr(std::string_view display_name, std::string_view uri,
                             std::string_view tag) {
  std::string out;
  out.reserve(display_name.size() + uri.size() + tag.size() + 12);
  if (!display_name.empty()) {
    out += '"';
    for (size_t i = 0; i < display_name.size(); ++i) {
      const char c = display_name[i];
      if (c == '\\' && i + 1 < display_name.size() && display_name[i + 1] != '\r' &&
          display_name[i + 1] != '\n') {
        out += c;  // a quoted-pair, as NameAddr::display_name keeps them: written unchanged
        out += display_name[++i];
      } else if (c == '\r' || c == '\n') {
        // A line fold (CRLF + WSP) is LWS, which reads as one SP (RFC 3261 §7.3.1); a bare CR or
        // LF is turned into one too. No quoted-pair may hold CR or LF, and no value may end the
        // header line.
        while (i + 1 < display_name.size() && lex::is_lws(display_name[i + 1])) ++i;
        out += ' ';
      } else if (c == '"' || c == '\\' || lex::is_forbidden_ctl(c)) {
        out += '\\';
        out += c;
      } else {
        out += c;
      }
    }
    out += "\" ";
  }
  out += '<';
  out += uri;
  out += '>';
  if (!tag.empty()) {
    out += ";tag=";
    out += tag;
  }
  return out;
}

}  // namespace sbc::cp::sip
