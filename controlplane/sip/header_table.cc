#include "sip/header_table.h"

#include <array>
#include <cstddef>

namespace sbc::cp::sip {
namespace {

struct HeaderEntry {
  HeaderId id;
  std::string_view name;  // canonical long form
  char compact;           // compact form (lower case), '\0' when none
  bool list;              // comma-separated list header
};

// One row per HeaderId (same order as the enum, checked below at compile time).
constexpr std::array<HeaderEntry, static_cast<size_t>(HeaderId::kCount)> kTable{{
    {HeaderId::kOther, "", '\0', false},
    {HeaderId::kAccept, "Accept", '\0', true},
    {HeaderId::kAcceptContact, "Accept-Contact", 'a', true},
    {HeaderId::kAcceptEncoding, "Accept-Encoding", '\0', true},
    {HeaderId::kAcceptLanguage, "Accept-Language", '\0', true},
    {HeaderId::kAlertInfo, "Alert-Info", '\0', true},
    {HeaderId::kAllow, "Allow", '\0', true},
    {HeaderId::kAllowEvents, "Allow-Events", 'u', true},
    {HeaderId::kAuthenticationInfo, "Authentication-Info", '\0', false},
    {HeaderId::kAuthorization, "Authorization", '\0', false},
    {HeaderId::kCallId, "Call-ID", 'i', false},
    {HeaderId::kCallInfo, "Call-Info", '\0', true},
    {HeaderId::kContact, "Contact", 'm', true},
    {HeaderId::kContentDisposition, "Content-Disposition", '\0', false},
    {HeaderId::kContentEncoding, "Content-Encoding", 'e', true},
    {HeaderId::kContentLanguage, "Content-Language", '\0', true},
    {HeaderId::kContentLength, "Content-Length", 'l', false},
    {HeaderId::kContentType, "Content-Type", 'c', false},
    {HeaderId::kCSeq, "CSeq", '\0', false},
    {HeaderId::kDate, "Date", '\0', false},
    {HeaderId::kDiversion, "Diversion", '\0', true},
    {HeaderId::kErrorInfo, "Error-Info", '\0', true},
    {HeaderId::kEvent, "Event", 'o', false},
    {HeaderId::kExpires, "Expires", '\0', false},
    {HeaderId::kFrom, "From", 'f', false},
    {HeaderId::kHistoryInfo, "History-Info", '\0', true},
    {HeaderId::kIdentity, "Identity", 'y', false},
    {HeaderId::kInReplyTo, "In-Reply-To", '\0', true},
    {HeaderId::kMaxForwards, "Max-Forwards", '\0', false},
    {HeaderId::kMimeVersion, "MIME-Version", '\0', false},
    {HeaderId::kMinExpires, "Min-Expires", '\0', false},
    {HeaderId::kMinSe, "Min-SE", '\0', false},
    {HeaderId::kOrganization, "Organization", '\0', false},
    {HeaderId::kPAssertedIdentity, "P-Asserted-Identity", '\0', true},
    {HeaderId::kPPreferredIdentity, "P-Preferred-Identity", '\0', true},
    {HeaderId::kPath, "Path", '\0', true},
    {HeaderId::kPriority, "Priority", '\0', false},
    {HeaderId::kPrivacy, "Privacy", '\0', false},
    {HeaderId::kProxyAuthenticate, "Proxy-Authenticate", '\0', false},
    {HeaderId::kProxyAuthorization, "Proxy-Authorization", '\0', false},
    {HeaderId::kProxyRequire, "Proxy-Require", '\0', true},
    {HeaderId::kRAck, "RAck", '\0', false},
    {HeaderId::kReason, "Reason", '\0', true},
    {HeaderId::kRecordRoute, "Record-Route", '\0', true},
    {HeaderId::kReferTo, "Refer-To", 'r', false},
    {HeaderId::kReferredBy, "Referred-By", 'b', false},
    {HeaderId::kRejectContact, "Reject-Contact", 'j', true},
    {HeaderId::kReplaces, "Replaces", '\0', false},
    {HeaderId::kReplyTo, "Reply-To", '\0', false},
    {HeaderId::kRequestDisposition, "Request-Disposition", 'd', true},
    {HeaderId::kRequire, "Require", '\0', true},
    {HeaderId::kRetryAfter, "Retry-After", '\0', false},
    {HeaderId::kRoute, "Route", '\0', true},
    {HeaderId::kRSeq, "RSeq", '\0', false},
    {HeaderId::kServer, "Server", '\0', false},
    {HeaderId::kServiceRoute, "Service-Route", '\0', true},
    {HeaderId::kSessionExpires, "Session-Expires", 'x', false},
    {HeaderId::kSubject, "Subject", 's', false},
    {HeaderId::kSubscriptionState, "Subscription-State", '\0', false},
    {HeaderId::kSupported, "Supported", 'k', true},
    {HeaderId::kTimestamp, "Timestamp", '\0', false},
    {HeaderId::kTo, "To", 't', false},
    {HeaderId::kUnsupported, "Unsupported", '\0', true},
    {HeaderId::kUserAgent, "User-Agent", '\0', false},
    {HeaderId::kVia, "Via", 'v', true},
    {HeaderId::kWarning, "Warning", '\0', true},
    {HeaderId::kWwwAuthenticate, "WWW-Authenticate", '\0', false},
}};

constexpr bool table_matches_enum() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].id) != i) return false;
  }
  return true;
}
static_assert(table_matches_enum(), "kTable rows must follow HeaderId order");

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

constexpr bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

}  // namespace

HeaderId header_id(std::string_view name) {
  if (name.size() == 1) {
    const char c = to_lower(name[0]);
    for (const auto& entry : kTable) {
      if (entry.compact == c) return entry.id;
    }
    return HeaderId::kOther;
  }
  for (size_t i = 1; i < kTable.size(); ++i) {
    if (iequal(kTable[i].name, name)) return kTable[i].id;
  }
  return HeaderId::kOther;
}

std::string_view header_name(HeaderId id) {
  const auto i = static_cast<size_t>(id);
  return i < kTable.size() ? kTable[i].name : std::string_view{};
}

bool is_list_header(HeaderId id) {
  const auto i = static_cast<size_t>(id);
  return i < kTable.size() && kTable[i].list;
}

}  // namespace sbc::cp::sip
