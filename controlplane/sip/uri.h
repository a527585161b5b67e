// SIP/SIPS/tel URIs (RFC 3261 §19.1, RFC 3966). Views into the text given to parse_uri().
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/params.h"
#include "controlplane/sip/parse_error.h"

namespace sbc::cp::sip {

// kOther: a syntactically absolute URI of another scheme (e.g. "mailto:", "isbn:"); only Uri::text
// is set. RFC 3261 lets such URIs appear in To/From and the Request-URI (answered with 416).
enum class UriScheme : uint8_t { kSip, kSips, kTel, kOther };

struct Uri {
  UriScheme scheme = UriScheme::kSip;
  std::string_view user;      // escaped as written; for tel: the telephone-subscriber number
  std::string_view password;  // empty when absent
  std::string_view host;      // without the [] of an IPv6 reference; empty for tel:
  bool host_is_ipv6 = false;
  std::optional<uint16_t> port;
  std::vector<Param> params;   // uri-parameters (";transport=udp;lr")
  std::vector<Param> headers;  // "?name=value&..." (names/values as written, escaped)
  std::string_view text;       // the whole URI as written

  [[nodiscard]] bool is_sip_or_sips() const {
    return scheme == UriScheme::kSip || scheme == UriScheme::kSips;
  }
  // Lookup helpers (case-insensitive names).
  [[nodiscard]] const Param* param(std::string_view name) const;
  [[nodiscard]] std::string_view transport() const;  // value of ;transport=, "" if absent
  [[nodiscard]] bool loose_route() const;            // ;lr present
  // "host" or "[v6]" as it appears in a URI, plus ":port" when a port is present.
  [[nodiscard]] std::string host_port() const;
};

// Parses an absolute sip:, sips: or tel: URI (scheme case-insensitive); any other absolute URI
// yields scheme kOther. Empty hosts, ports > 65535, unbalanced IPv6 brackets, bad escapes,
// control characters or whitespace -> kBadUri.
[[nodiscard]] std::expected<Uri, ParseError> parse_uri(std::string_view text);

// True if text is an absolute URI of any scheme (RFC 3986 scheme ":" then no whitespace, <, >
// or quotes).
[[nodiscard]] bool is_absolute_uri(std::string_view text);

}  // namespace sbc::cp::sip
