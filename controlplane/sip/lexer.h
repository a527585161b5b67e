// Internal lexical helpers of the SIP parsers (not part of the public API).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sbc::cp::sip::lex {

// Character classes, one table lookup per byte (the parsers' hot loops run over every byte).
enum : uint8_t {
  kClassToken = 1,      // RFC 3261 token character
  kClassWord = 2,       // RFC 3261 word character (token + separators allowed in Call-ID)
  kClassLws = 4,        // SP, HTAB, CR, LF
  kClassForbidden = 8,  // control bytes never allowed in a header value (not HTAB, CR, LF)
  kClassDigit = 16,
  kClassHex = 32,
  kClassSpecial = 64,  // bytes the message parser must look at: CR, LF, '"', forbidden bytes
};

constexpr std::array<uint8_t, 256> make_class_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    // RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" /
    // "'" / "~")
    constexpr std::string_view kTokenMarks = "-.!%*_+`'~";
    // word adds "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}"
    constexpr std::string_view kWordMarks = "()<>:\\\"/[]?{}";
    const bool token = alpha || digit || kTokenMarks.find(static_cast<char>(c)) != kTokenMarks.npos;
    if (token) v |= kClassToken;
    if (token || kWordMarks.find(static_cast<char>(c)) != kWordMarks.npos) v |= kClassWord;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') v |= kClassLws;
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
      v |= kClassForbidden | kClassSpecial;
    }
    if (c == '\r' || c == '\n' || c == '"') v |= kClassSpecial;
    if (digit) v |= kClassDigit;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kClassHex;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kClass = make_class_table();

constexpr uint8_t char_class(char c) {
  return kClass[static_cast<unsigned char>(c)];
}
constexpr bool is_lws(char c) {
  return (char_class(c) & kClassLws) != 0;
}
constexpr bool is_digit(char c) {
  return (char_class(c) & kClassDigit) != 0;
}
constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
constexpr bool is_token_char(char c) {
  return (char_class(c) & kClassToken) != 0;
}
// As in Call-ID.
constexpr bool is_word_char(char c) {
  return (char_class(c) & kClassWord) != 0;
}
constexpr bool is_hex(char c) {
  return (char_class(c) & kClassHex) != 0;
}
// Control bytes never allowed inside a header value (HTAB allowed; CR/LF handled by framing).
constexpr bool is_forbidden_ctl(char c) {
  return (char_class(c) & kClassForbidden) != 0;
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
