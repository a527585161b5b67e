// A parsed SIP message: owns its bytes; everything else is a view into them.
//
// Parsing does the minimum up front (framing, start line, one index entry per header field, limit
// checks). Header values are interpreted only when an accessor is called; each accessor parses on
// every call and returns std::expected, so no result depends on a previous call. Views returned by
// accessors (and inside Via/NameAddr/Uri results) stay valid as long as any copy of the Message
// lives: copies share the immutable buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/auth.h"
#include "controlplane/sip/header_table.h"
#include "controlplane/sip/header_values.h"
#include "controlplane/sip/method.h"
#include "controlplane/sip/name_addr.h"
#include "controlplane/sip/params.h"
#include "controlplane/sip/parse_error.h"
#include "controlplane/sip/uri.h"
#include "controlplane/sip/via.h"

namespace sbc::cp::sip {

// Hard limits; exceeding each yields its own ParseError.
struct Limits {
  size_t max_message = 64 * 1024;     // kMessageTooLarge
  size_t max_headers = 128;           // kTooManyHeaders
  size_t max_header_line = 8 * 1024;  // kHeaderLineTooLong (one field incl. folded lines)
  // kTooManyVias (values, after splitting lists). RFC 4475 longreq carries 34 valid Vias; more
  // than 64 hops exceeds any sane Max-Forwards path.
  size_t max_vias = 64;
  size_t max_body = 32 * 1024;  // kBodyTooLarge
};

// How the bytes arrived. Datagram: a missing Content-Length means the body is the rest of the
// datagram, bytes beyond Content-Length are ignored. Stream: Content-Length is mandatory.
enum class Framing : uint8_t { kDatagram, kStream };

struct HeaderField {
  HeaderId id = HeaderId::kOther;
  std::string_view name;   // as written (e.g. "v", "VIA", "X-Custom")
  std::string_view value;  // trimmed; may contain folded CRLF+WSP, which parsers treat as LWS
};

struct CSeq {
  uint32_t number = 0;
  Method method = Method::kOther;
  std::string_view method_text;
};

struct ContactList {
  bool wildcard = false;          // "Contact: *" (REGISTER removal of all bindings)
  std::vector<NameAddr> entries;  // empty when wildcard or when no Contact header
};

// What validate() found wrong, and in which header (kOther for the start line or the framing).
struct Invalid {
  ParseError error = ParseError::kEmpty;
  HeaderId header = HeaderId::kOther;
};

class Message {
 public:
  // Frames and indexes one message. The buffer is moved in and owned by the result.
  [[nodiscard]] static std::expected<Message, ParseError> parse(
      std::string bytes, const Limits& limits = {}, Framing framing = Framing::kDatagram);

  // --- Start line -------------------------------------------------------------------------
  [[nodiscard]] bool is_request() const { return is_request_; }
  [[nodiscard]] bool is_response() const { return !is_request_; }
  [[nodiscard]] Method method() const { return method_; }  // requests only
  [[nodiscard]] std::string_view method_text() const { return method_text_; }
  [[nodiscard]] std::string_view request_uri_text() const { return request_uri_; }
  // The Request-URI parsed (scheme kOther for schemes other than sip/sips/tel: answer 416).
  [[nodiscard]] std::expected<Uri, ParseError> request_uri() const;
  [[nodiscard]] int status_code() const { return status_code_; }  // responses only
  [[nodiscard]] std::string_view reason_phrase() const { return reason_; }
  [[nodiscard]] std::string_view start_line() const { return start_line_; }
  // The SIP-Version as written. Requests may carry any "SIP/x.y" (validate() reports kBadVersion,
  // a server answers 505, RFC 4475 badvers); responses are always SIP/2.0.
  [[nodiscard]] std::string_view sip_version() const { return version_; }

  // --- Raw access ---------------------------------------------------------------------------
  [[nodiscard]] std::string_view raw() const;  // the framed message (start line .. body end)
  [[nodiscard]] std::string_view body() const { return body_; }
  [[nodiscard]] std::span<const HeaderField> headers() const { return headers_; }
  // Offset inside raw() of a view obtained from this message (or a copy of it).
  [[nodiscard]] size_t offset_of(std::string_view view) const;

  // First field with this id / this name (case-insensitive, compact forms resolved); nullptr if
  // none.
  [[nodiscard]] const HeaderField* find(HeaderId id) const;
  [[nodiscard]] const HeaderField* find(std::string_view name) const;
  // Value of the first field, "" when absent.
  [[nodiscard]] std::string_view header(HeaderId id) const;
  [[nodiscard]] std::string_view header(std::string_view name) const;
  [[nodiscard]] size_t count(HeaderId id) const;
  // All values of a header across all its fields, comma lists split outside quotes and <>
  // (meaningful for list headers: Via, Contact, Route, Record-Route, Allow, Supported, ...).
  [[nodiscard]] std::expected<std::vector<std::string_view>, ParseError> values(HeaderId id) const;

  // --- Typed accessors (parse on each call) --------------------------------------------------
  // All Via values, top first. kMissingHeader when there is none.
  [[nodiscard]] std::expected<std::vector<Via>, ParseError> vias() const;
  [[nodiscard]] std::expected<Via, ParseError> top_via() const;
  [[nodiscard]] std::expected<NameAddr, ParseError> from() const;
  [[nodiscard]] std::expected<NameAddr, ParseError> to() const;
  [[nodiscard]] std::expected<std::string_view, ParseError> call_id() const;
  [[nodiscard]] std::expected<CSeq, ParseError> cseq() const;
  // nullopt when absent (callers decide: a proxy/B2BUA treats it as 70).
  [[nodiscard]] std::expected<std::optional<uint32_t>, ParseError> max_forwards() const;
  [[nodiscard]] std::expected<ContactList, ParseError> contacts() const;
  [[nodiscard]] std::expected<std::optional<MediaType>, ParseError> content_type() const;
  // nullopt when absent (datagram framing); the framed body length always equals it when present.
  [[nodiscard]] std::expected<std::optional<uint32_t>, ParseError> content_length() const;
  [[nodiscard]] std::expected<std::optional<uint32_t>, ParseError> expires() const;
  [[nodiscard]] std::expected<std::vector<NameAddr>, ParseError> routes() const;
  [[nodiscard]] std::expected<std::vector<NameAddr>, ParseError> record_routes() const;

  // --- Extension headers (message_headers.cc); absent headers give an empty list / nullopt ---
  // Option tags of all Supported / Require / Proxy-Require / Unsupported fields.
  [[nodiscard]] std::expected<std::vector<std::string_view>, ParseError> supported() const;
  [[nodiscard]] std::expected<std::vector<std::string_view>, ParseError> require() const;
  [[nodiscard]] std::expected<std::vector<std::string_view>, ParseError> proxy_require() const;
  [[nodiscard]] std::expected<std::vector<std::string_view>, ParseError> unsupported() const;
  [[nodiscard]] std::expected<std::vector<AllowedMethod>, ParseError> allow() const;
  // One entry per field, in order (a request may carry credentials for several realms).
  [[nodiscard]] std::expected<std::vector<AuthHeader>, ParseError> authorizations() const;
  [[nodiscard]] std::expected<std::vector<AuthHeader>, ParseError> proxy_authorizations() const;
  [[nodiscard]] std::expected<std::vector<AuthHeader>, ParseError> www_authenticates() const;
  [[nodiscard]] std::expected<std::vector<AuthHeader>, ParseError> proxy_authenticates() const;
  [[nodiscard]] std::expected<std::optional<SessionExpires>, ParseError> session_expires() const;
  [[nodiscard]] std::expected<std::optional<uint32_t>, ParseError> min_se() const;
  [[nodiscard]] std::expected<std::optional<uint32_t>, ParseError> rseq() const;
  [[nodiscard]] std::expected<std::optional<RAck>, ParseError> rack() const;
  [[nodiscard]] std::expected<std::vector<Reason>, ParseError> reasons() const;
  [[nodiscard]] std::expected<std::optional<RetryAfter>, ParseError> retry_after() const;
  // The Date value when present and in RFC 1123 GMT form; kBadDate otherwise.
  [[nodiscard]] std::expected<std::optional<std::string_view>, ParseError> date() const;

  // Checks what every transaction needs (RFC 3261 §8.1.1 / §8.2): a sip/sips/tel Request-URI
  // that parses and has no headers (other schemes pass: answer 416); Via, From, To, Call-ID, CSeq
  // present and valid; From and To single; CSeq method == request method (requests); Max-Forwards
  // valid when present; Contact, Content-Type, Expires and Date valid when present. Requests
  // that framing could only delimit loosely (datagrams with a bad, conflicting or too large
  // Content-Length, or a request line with extra spaces or a malformed Request-URI) parse, so a
  // server can answer them, and fail here. The first problem found is returned; a server answers
  // 505 for kBadVersion and 400 for the rest.
  [[nodiscard]] std::expected<void, ParseError> validate() const;
  // validate() with the header the problem was found in (for a Warning header or a log line).
  [[nodiscard]] std::expected<void, Invalid> diagnose() const;

 private:
  Message() = default;

  std::shared_ptr<const std::string> buffer_;  // shared: copies keep views valid
  size_t begin_ = 0;                           // framed message within *buffer_ (after CRLFs)
  size_t size_ = 0;
  bool is_request_ = false;
  Method method_ = Method::kOther;
  std::string_view method_text_;
  std::string_view request_uri_;
  int status_code_ = 0;
  std::string_view reason_;
  std::string_view start_line_;
  std::string_view version_;
  // A request-line or body-framing problem that still let the message be delimited (see
  // validate()).
  std::optional<ParseError> defect_;
  std::vector<HeaderField> headers_;
  std::string_view body_;

  friend class MessageParser;
};

// Stream (TCP/TLS) framing: the length of the first complete message at the start of buffer,
// after skipping leading CRLF keep-alives (their count is added to the returned length, so the
// caller consumes both). kIncomplete when more bytes are needed; a limit error when they never
// could form a valid message.
[[nodiscard]] std::expected<size_t, ParseError> stream_frame_length(std::string_view buffer,
                                                                    const Limits& limits = {});

// Standard reason phrase for a status code ("Ringing", "Not Found"); "" for unknown codes.
[[nodiscard]] std::string_view default_reason_phrase(int code);

}  // namespace sbc::cp::sip
