// Keep-alives: the bytes a peer sends between messages only to keep a NAT binding or a
// connection open (RFC 5626 §3.5.1 CRLF keep-alives; RFC 3261 §7.5 CRLFs before a start line).
// The one test of what a keep-alive is: the transports count them, the parser and the stream
// framer skip them before a message, the ingress stage never parses them.
#pragma once

#include <cstddef>
#include <string_view>

namespace sbc::cp::sip {

// The number of keep-alive bytes (CR, LF) `data` starts with.
[[nodiscard]] size_t keepalive_prefix(std::string_view data);

// `data` (a datagram, or what a stream framed) is a keep-alive, never a message: one or more CR
// and LF bytes and nothing else.
[[nodiscard]] bool is_keepalive(std::string_view data);

}  // namespace sbc::cp::sip
