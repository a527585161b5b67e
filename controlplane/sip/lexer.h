// Internal lexical helpers of the SIP parsers (not part of the public API).
#pragma once

#include <cstddef>
#include <string_view>

namespace sbc::cp::sip::lex {

constexpr bool is_lws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
constexpr bool is_token_char(char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~': return true;
    default: return false;
  }
}
// RFC 3261 §25.1: word = 1*(token characters / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/"
// / "[" / "]" / "?" / "{" / "}"), as in Call-ID.
constexpr bool is_word_char(char c) {
  if (is_token_char(c)) return true;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '{':
    case '}': return true;
    default: return false;
  }
}
constexpr bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Control bytes never allowed inside a header value (HTAB allowed; CR/LF handled by framing).
constexpr bool is_forbidden_ctl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t' && c != '\r' && c != '\n') || u == 0x7f;
}

inline std::string_view skip_lws(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_lws(s[i])) ++i;
  return s.substr(i);
}

// Length of a quoted string starting at s[0] == '"' (including both quotes), or 0 when it is not
// terminated or contains a bad escape (quoted-pair may not escape CR or LF).
inline size_t quoted_length(std::string_view s) {
  if (s.empty() || s[0] != '"') return 0;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      if (i + 1 >= s.size() || s[i + 1] == '\r' || s[i + 1] == '\n') return 0;
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

}  // namespace sbc::cp::sip::lex
