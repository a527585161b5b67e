// name-addr / addr-spec values of From, To, Contact, Route, Record-Route, Reply-To, Refer-To,
// P-Asserted-Identity (RFC 3261 §20.10, §25.1). Views into the header value.
#pragma once

#include <expected>
#include <string_view>
#include <vector>

#include "controlplane/sip/params.h"
#include "controlplane/sip/parse_error.h"
#include "controlplane/sip/uri.h"

namespace sbc::cp::sip {

struct NameAddr {
  std::string_view display_name;  // without surrounding quotes (escapes kept); may be empty
  bool display_quoted = false;
  std::string_view uri_text;  // inside <...>, or the bare addr-spec
  Uri uri;
  bool angle_brackets = false;  // written as name-addr ("<...>")
  std::vector<Param> params;    // header parameters after the URI (";tag=...;expires=...")

  // The ;tag= value, "" when absent.
  [[nodiscard]] std::string_view tag() const;
  [[nodiscard]] const Param* param(std::string_view name) const;
};

// Parses one name-addr or addr-spec followed by header parameters. For an addr-spec (no <>),
// everything after the first ';' is a header parameter, as RFC 3261 §20.10 requires.
[[nodiscard]] std::expected<NameAddr, ParseError> parse_name_addr(std::string_view value);

// Formats "display" <uri>;tag=tag (display quoted when not empty; tag omitted when empty).
// display_name is quoted-string content as NameAddr::display_name holds it: its quoted-pairs
// are written unchanged, a bare '"', a lone '\\' and control bytes are escaped, a line fold
// (or a stray CR or LF) with the LWS after it becomes one space. Plain text works too (a backslash
// in it starts a quoted-pair).
[[nodiscard]] std::string format_name_addr(std::string_view display_name, std::string_view uri,
                                           std::string_view tag = {});

}  // namespace sbc::cp::sip
