#include "controlplane/sip/params.h"

#include "controlplane/sip/lexer.h"

namespace sbc::cp::sip {
namespace {

// Characters allowed in a parameter name or unquoted value: everything printable except the
// separators that structure header values. Stricter per-grammar checks belong to the callers.
constexpr bool is_param_char(char c) {
  if (lex::is_lws(c) || lex::is_forbidden_ctl(c)) return false;
  switch (c) {
    case ';':
    case '=':
    case '"':
    case ',':
    case '<':
    case '>':
    case '?': return false;
    default: return true;
  }
}

}  // namespace

std::string_view trim_lws(std::string_view text) {
  size_t b = 0;
  size_t e = text.size();
  while (b < e && lex::is_lws(text[b])) ++b;
  while (e > b && lex::is_lws(text[e - 1])) --e;
  return text.substr(b, e - b);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::optional<uint64_t> parse_decimal(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits || max_digits > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (!lex::is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::expected<std::vector<Param>, ParseError> parse_params(std::string_view text) {
  std::vector<Param> params;
  std::string_view s = lex::skip_lws(text);
  if (s.empty()) return params;
  if (s[0] == ';') {
    s = lex::skip_lws(s.substr(1));
    if (s.empty()) return std::unexpected(ParseError::kBadParameter);
  }
  while (true) {
    size_t i = 0;
    while (i < s.size() && is_param_char(s[i])) ++i;
    if (i == 0) return std::unexpected(ParseError::kBadParameter);
    Param p;
    p.name = s.substr(0, i);
    s = lex::skip_lws(s.substr(i));
    if (!s.empty() && s[0] == '=') {
      s = lex::skip_lws(s.substr(1));
      p.has_value = true;
      if (!s.empty() && s[0] == '"') {
        const size_t q = lex::quoted_length(s);
        if (q == 0) return std::unexpected(ParseError::kBadQuotedString);
        p.value = s.substr(0, q);
        s = s.substr(q);
      } else {
        size_t j = 0;
        // IPv6 references ("maddr=[::1]") contain no separators, so is_param_char covers them.
        while (j < s.size() && is_param_char(s[j])) ++j;
        if (j == 0) return std::unexpected(ParseError::kBadParameter);
        p.value = s.substr(0, j);
        s = s.substr(j);
      }
      s = lex::skip_lws(s);
    }
    params.push_back(p);
    if (s.empty()) return params;
    if (s[0] != ';') return std::unexpected(ParseError::kBadParameter);
    s = lex::skip_lws(s.substr(1));
    if (s.empty()) return std::unexpected(ParseError::kBadParameter);
  }
}

const Param* find_param(std::span<const Param> params, std::string_view name) {
  for (const auto& p : params) {
    if (iequals(p.name, name)) return &p;
  }
  return nullptr;
}

std::expected<std::vector<std::string_view>, ParseError> split_list(std::string_view value) {
  std::vector<std::string_view> out;
  size_t start = 0;
  int angle = 0;
  size_t i = 0;
  while (i <= value.size()) {
    if (i == value.size() || (value[i] == ',' && angle == 0)) {
      const std::string_view item = trim_lws(value.substr(start, i - start));
      if (item.empty()) return std::unexpected(ParseError::kBadHeaderLine);
      out.push_back(item);
      start = i + 1;
      ++i;
      continue;
    }
    const char c = value[i];
    if (c == '"') {
      const size_t q = lex::quoted_length(value.substr(i));
      if (q == 0) return std::unexpected(ParseError::kBadQuotedString);
      i += q;
      continue;
    }
    if (c == '<') ++angle;
    if (c == '>' && angle > 0) --angle;
    ++i;
  }
  return out;
}

}  // namespace sbc::cp::sip
