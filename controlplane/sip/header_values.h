// Typed values of the SIP header fields a B2BUA inspects beyond the core set: media types, option
// tags, Allow, Date, Session-Expires / Min-SE (RFC 4028), RSeq / RAck (RFC 3262), Reason
// (RFC 3326) and Retry-After. Each parser takes one header value (or one list element) and
// returns views into it; nothing is allocated except the vectors of results.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/method.h"
#include "controlplane/sip/params.h"
#include "controlplane/sip/parse_error.h"

namespace sbc::cp::sip {

struct MediaType {
  std::string_view type;     // "application"
  std::string_view subtype;  // "sdp"
  std::vector<Param> params;
  // Case-insensitive match of type/subtype.
  [[nodiscard]] bool is(std::string_view t, std::string_view s) const;
  // Value of a parameter with surrounding quotes removed (escapes kept); "" when absent.
  [[nodiscard]] std::string_view param(std::string_view name) const;
};

// type "/" subtype *(";" parameter) (RFC 3261 §20.15). kBadContentType on anything else.
[[nodiscard]] std::expected<MediaType, ParseError> parse_media_type(std::string_view value);

// One comma list of option tags (Supported, Require, Proxy-Require, Unsupported). An empty value
// is an empty list (RFC 3261 allows "Supported:" with nothing). Each tag must be a token.
[[nodiscard]] std::expected<std::vector<std::string_view>, ParseError> parse_option_tags(
    std::string_view value);

struct AllowedMethod {
  Method method = Method::kOther;
  std::string_view text;
};
// One comma list of methods (Allow). Empty value: empty list. Each method must be a token.
[[nodiscard]] std::expected<std::vector<AllowedMethod>, ParseError> parse_allow(
    std::string_view value);

// RFC 1123 date as SIP requires it (RFC 3261 §20.17): "Sat, 13 Nov 2010 23:29:00 GMT", zone GMT
// only, fields in range. Returns false for anything else (RFC 4475 baddate uses "EST").
[[nodiscard]] bool is_sip_date(std::string_view value);

// Session-Expires: delta-seconds *(";" se-params) with refresher=uac|uas (RFC 4028 §4).
struct SessionExpires {
  enum class Refresher : uint8_t { kNone, kUac, kUas };
  uint32_t delta = 0;
  Refresher refresher = Refresher::kNone;
  std::vector<Param> params;
};
[[nodiscard]] std::expected<SessionExpires, ParseError> parse_session_expires(
    std::string_view value);
// Min-SE: delta-seconds *(";" generic-param) (RFC 4028 §5).
[[nodiscard]] std::expected<uint32_t, ParseError> parse_min_se(std::string_view value);

// RSeq: response-num, 1 .. 2**31-1 (RFC 3262 §7.1).
[[nodiscard]] std::expected<uint32_t, ParseError> parse_rseq(std::string_view value);
// RAck: response-num LWS CSeq-num LWS Method (RFC 3262 §7.2).
struct RAck {
  uint32_t rseq = 0;
  uint32_t cseq = 0;
  Method method = Method::kOther;
  std::string_view method_text;
};
[[nodiscard]] std::expected<RAck, ParseError> parse_rack(std::string_view value);

// One Reason value: protocol *(";" reason-params) with cause=N and text="..." (RFC 3326).
struct Reason {
  std::string_view protocol;  // "SIP", "Q.850", or an extension token
  std::optional<uint32_t> cause;
  std::string_view text;  // without the quotes, escapes kept; "" when absent
  std::vector<Param> params;
};
[[nodiscard]] std::expected<Reason, ParseError> parse_reason(std::string_view value);

// Retry-After: delta-seconds [ comment ] *(";" retry-param) with duration=N (RFC 3261 §20.33).
struct RetryAfter {
  uint32_t seconds = 0;
  std::string_view comment;  // inside the parentheses; "" when absent
  std::optional<uint32_t> duration;
  std::vector<Param> params;
};
[[nodiscard]] std::expected<RetryAfter, ParseError> parse_retry_after(std::string_view value);

// Removes the quotes of a quoted-string and resolves its quoted-pairs; a value without quotes is
// returned as is. Used where a caller needs the text itself (digest parameters, boundaries).
[[nodiscard]] std::string unquote(std::string_view value);

}  // namespace sbc::cp::sip
