// Generic ;name=value parameters and the small lexical helpers shared by the header parsers.
// All results are views into the text passed in.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "controlplane/sip/parse_error.h"

namespace sbc::cp::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // empty when the parameter has no '=' (e.g. ";lr"); quotes kept
  bool has_value = false;
};

// Parses "name[=value]" items separated by ';' (text after the leading ';' of the first one; a
// leading ';' is accepted). Whitespace around ';' and '=' is skipped (LWS incl. folding).
[[nodiscard]] std::expected<std::vector<Param>, ParseError> parse_params(std::string_view text);

// Case-insensitive lookup by name; nullptr when absent.
[[nodiscard]] const Param* find_param(std::span<const Param> params, std::string_view name);

// Splits a list header value on commas that are outside quoted strings and <...>; trims LWS around
// each element. Fails with kBadQuotedString on an unterminated quote and kBadHeaderLine on an
// empty element.
[[nodiscard]] std::expected<std::vector<std::string_view>, ParseError> split_list(
    std::string_view value);

// Trims SP, HTAB, CR and LF at both ends (folded header values contain CRLF + WSP).
[[nodiscard]] std::string_view trim_lws(std::string_view text);
// ASCII case-insensitive equality.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);
// Parses an unsigned decimal with no sign, at most max_digits digits; nullopt on anything else.
[[nodiscard]] std::optional<uint64_t> parse_decimal(std::string_view text, size_t max_digits = 10);

}  // namespace sbc::cp::sip
