// Header names, resolved through one constexpr table: case-insensitive, compact forms included
// (RFC 3261 §7.3.3, RFC 3265, 3515, 3892, 4028, 3841, 4474). Unknown names become kOther; the
// message keeps their text.
#pragma once

#include <cstdint>
#include <string_view>

namespace sbc::cp::sip {

enum class HeaderId : uint8_t {
  kOther,
  kAccept,
  kAcceptContact,
  kAcceptEncoding,
  kAcceptLanguage,
  kAlertInfo,
  kAllow,
  kAllowEvents,
  kAuthenticationInfo,
  kAuthorization,
  kCallId,
  kCallInfo,
  kContact,
  kContentDisposition,
  kContentEncoding,
  kContentLanguage,
  kContentLength,
  kContentType,
  kCSeq,
  kDate,
  kDiversion,
  kErrorInfo,
  kEvent,
  kExpires,
  kFrom,
  kHistoryInfo,
  kIdentity,
  kInReplyTo,
  kMaxForwards,
  kMimeVersion,
  kMinExpires,
  kMinSe,
  kOrganization,
  kPAssertedIdentity,
  kPPreferredIdentity,
  kPath,
  kPriority,
  kPrivacy,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRAck,
  kReason,
  kRecordRoute,
  kReferTo,
  kReferredBy,
  kRejectContact,
  kReplaces,
  kReplyTo,
  kRequestDisposition,
  kRequire,
  kRetryAfter,
  kRoute,
  kRSeq,
  kServer,
  kServiceRoute,
  kSessionExpires,
  kSubject,
  kSubscriptionState,
  kSupported,
  kTimestamp,
  kTo,
  kUnsupported,
  kUserAgent,
  kVia,
  kWarning,
  kWwwAuthenticate,
  kCount,  // number of ids; not a header
};

// Resolves a header name (long or compact form, any case). kOther when unknown.
[[nodiscard]] HeaderId header_id(std::string_view name);
// Canonical long name as written on output ("Call-ID", "CSeq", "WWW-Authenticate"); "" for kOther.
[[nodiscard]] std::string_view header_name(HeaderId id);
// True for headers whose value is a comma-separated list that Message::values() may split
// (Via, Contact, Route, Record-Route, Path, Service-Route, Allow, Supported, Require, ...).
[[nodiscard]] bool is_list_header(HeaderId id);

}  // namespace sbc::cp::sip
