// One Via value (RFC 3261 §20.42, RFC 3581 rport). Views into the header value.
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

// The RFC 3261 branch prefix that marks a globally unique branch.
inline constexpr std::string_view kBranchMagicCookie = "z9hG4bK";

struct Via {
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "SCTP", "WS", ... (as written)
  std::string_view host;              // sent-by host, without [] for IPv6
  bool host_is_ipv6 = false;
  std::optional<uint16_t> port;  // sent-by port
  std::string_view branch;       // "" when absent
  std::optional<std::string_view> received;
  bool rport_present = false;     // ";rport" with or without a value
  std::optional<uint16_t> rport;  // ";rport=N"
  std::optional<std::string_view> maddr;
  std::optional<uint8_t> ttl;
  std::vector<Param> params;  // all parameters, in order
  std::string_view text;      // the whole Via value

  // Branch starts with the magic cookie (RFC 3261 §8.1.1.7).
  [[nodiscard]] bool rfc3261_branch() const;
  [[nodiscard]] const Param* param(std::string_view name) const;
};

// Parses one Via value (not a comma list). Bad sent-protocol, host, port, ttl, rport or received
// -> kBadVia; bad parameter syntax -> kBadParameter.
[[nodiscard]] std::expected<Via, ParseError> parse_via(std::string_view value);

// Formats "SIP/2.0/<transport> host[:port];branch=<branch>[;rport]" (IPv6 hosts get brackets).
[[nodiscard]] std::string format_via(std::string_view transport, std::string_view host,
                                     std::optional<uint16_t> port, std::string_view branch,
                                     bool rport = true);

}  // namespace sbc::cp::sip
