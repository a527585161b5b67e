// Multipart bodies (RFC 2046 §5.1, RFC 5621 for SIP): the parts of a body delimited by the
// boundary of its Content-Type, each part's MIME headers and body as views into the message body.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string_view>
#include <vector>

#include "controlplane/sip/header_values.h"
#include "controlplane/sip/message.h"

namespace sbc::cp::sip {

// More parts than a SIP body reasonably carries (SDP + ISUP + a few more) is refused.
inline constexpr size_t kMaxBodyParts = 16;
inline constexpr size_t kMaxPartHeaders = 16;

struct BodyPart {
  std::vector<HeaderField> headers;  // ids from the SIP header table (Content-Type, ...)
  std::string_view body;

  // First header with this id, nullptr when absent.
  [[nodiscard]] const HeaderField* find(HeaderId id) const;
  // nullopt when the part has no Content-Type (text/plain by RFC 2046 default).
  [[nodiscard]] std::expected<std::optional<MediaType>, ParseError> content_type() const;
};

// Splits body on boundary (the Content-Type parameter, quotes removed). The preamble and the
// epilogue are ignored; a missing opening or closing delimiter, a bad part header section, a bad
// boundary or more than kMaxBodyParts parts are errors (kBadMultipart / kTooManyParts).
[[nodiscard]] std::expected<std::vector<BodyPart>, ParseError> parse_multipart(
    std::string_view body, std::string_view boundary);

// The session description of a message: the body itself when it is application/sdp, else the
// first application/sdp part of a multipart/* body (nested multiparts searched up to 3 levels);
// nullopt when there is none. Errors: a bad Content-Type or a malformed multipart body.
[[nodiscard]] std::expected<std::optional<std::string_view>, ParseError> find_sdp(
    const Message& message);

}  // namespace sbc::cp::sip
