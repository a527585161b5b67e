// Error values of the SIP message layer. Every malformed or oversized input maps to exactly one of
// these; nothing in the layer throws or crashes on untrusted bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace sbc::cp::sip {

enum class ParseError : uint8_t {
  // Framing and hard limits (each limit has its own value so drops can be counted by cause).
  kEmpty,              // no bytes, or only whitespace / keep-alive CRLFs
  kMessageTooLarge,    // datagram or frame larger than Limits::max_message
  kTooManyHeaders,     // more header fields than Limits::max_headers
  kHeaderLineTooLong,  // one header field (with folded lines) longer than Limits::max_header_line
  kTooManyVias,        // more Via values than Limits::max_vias
  kBodyTooLarge,       // Content-Length above Limits::max_body
  kNoHeaderEnd,        // no empty line (CRLF CRLF) terminating the header section
  kIncomplete,         // stream framing only: more bytes are needed
  kBodyTruncated,      // Content-Length announces more bytes than were received
  kInvalidCharacter,   // NUL or other control byte where the grammar forbids it
  // Start line.
  kBadStartLine,
  kBadMethod,
  kBadRequestUri,
  kBadVersion,     // anything but SIP/2.0
  kBadStatusCode,  // not three digits 100..699
  // Header section.
  kBadHeaderLine,    // no colon, empty or invalid header name, bad line folding
  kMissingHeader,    // a header the accessor requires is absent
  kDuplicateHeader,  // a single-valued header appears more than once with different values
  kBadVia,
  kBadNameAddr,  // From/To/Contact/Route syntax
  kBadUri,
  kBadCallId,
  kBadCSeq,
  kCSeqMethodMismatch,  // CSeq method differs from the request method
  kBadMaxForwards,
  kBadContentLength,
  kBadContentType,
  kBadExpires,
  kBadParameter,     // malformed ;name=value parameter
  kBadQuotedString,  // unterminated quoted string or bad escape
  kBadDate,          // Date not in RFC 1123 form with "GMT" (RFC 3261 §20.17, RFC 4475 baddate)
  kBadOptionTag,     // Supported / Require / Proxy-Require / Unsupported
  kBadAllow,
  kBadCredentials,  // Authorization / Proxy-Authorization
  kBadChallenge,    // WWW-Authenticate / Proxy-Authenticate
  kBadSessionExpires,
  kBadMinSe,
  kBadRSeq,
  kBadRAck,
  kBadReason,
  kBadRetryAfter,
  kBadMultipart,          // multipart body without a usable boundary or with broken delimiters
  kTooManyParts,          // multipart body with more parts than the parser accepts
  kLast = kTooManyParts,  // not an error: the highest value (for iteration in tests and metrics)
};

// A stable, lower-case, snake_case name (used for logs and as a metrics label value).
[[nodiscard]] std::string_view to_string(ParseError error);

}  // namespace sbc::cp::sip
