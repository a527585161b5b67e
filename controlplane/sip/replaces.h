// The Replaces header (RFC 3891): the dialog an INVITE takes over, by Call-ID and tags as the
// receiver of the INVITE sees them (to-tag: the receiver's own tag, from-tag: its peer's). It
// travels as a header of its own in an INVITE, or escaped inside a Refer-To URI
// ("sip:carol@host?Replaces=callid%3Bto-tag%3D1%3Bfrom-tag%3D2") for an attended transfer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sbc::cp::sip {

struct Replaces {
  std::string call_id;
  std::string to_tag;
  std::string from_tag;
  bool early_only = false;  // take over an early dialog only (486 once it is confirmed)
};

// "callid;to-tag=X;from-tag=Y[;early-only]" (other parameters ignored); nullopt when the Call-ID
// or either tag is missing or empty, or the value is longer than a header we would relay.
[[nodiscard]] std::optional<Replaces> parse_replaces(std::string_view value);

// The header value, parameters in RFC 3891's order.
[[nodiscard]] std::string format_replaces(const Replaces& replaces);

// A URI header's value as written (RFC 3261 §25.1 hvalue) decoded: nullopt on a malformed
// escape or an escaped NUL.
[[nodiscard]] std::optional<std::string> unescape_uri_header(std::string_view value);

// `value` escaped for a URI header: everything but letters, digits and "-_.!~*'()" as %XX.
[[nodiscard]] std::string escape_uri_header(std::string_view value);

}  // namespace sbc::cp::sip
