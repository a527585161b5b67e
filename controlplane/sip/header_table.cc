#include "controlplane/sip/header_table.h"

#include <array>
#include <cstddef>
#include <cstdint>

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

// Long names are found through an open-addressing hash table built at compile time: the hash
// reads the length and three characters (case-folded), so a lookup costs one hash, usually one
// probe and one case-insensitive compare. Every name is parsed per received header field, so
// this is on the parser's hot path. The multipliers make today's table collision-free.
constexpr size_t kSlots = 256;

constexpr size_t name_hash(std::string_view name) {
  const size_t n = name.size();
  return (n * 32 + static_cast<size_t>(to_lower(name[0])) * 31 +
          static_cast<size_t>(to_lower(name[n / 2])) * 23 +
          static_cast<size_t>(to_lower(name[n - 1])) * 107) %
         kSlots;
}

struct NameIndex {
  std::array<uint8_t, kSlots> slot{};  // 0: empty, else the HeaderId value
  size_t max_probe = 0;
  std::array<uint8_t, 26> compact{};  // compact form letter -> HeaderId value (0: none)
};

constexpr NameIndex make_index() {
  NameIndex index;
  for (size_t i = 1; i < kTable.size(); ++i) {
    size_t h = name_hash(kTable[i].name);
    size_t probe = 0;
    while (index.slot[h] != 0) {
      h = (h + 1) % kSlots;
      ++probe;
    }
    index.slot[h] = static_cast<uint8_t>(i);
    if (probe > index.max_probe) index.max_probe = probe;
    if (kTable[i].compact != '\0') {
      index.compact[static_cast<size_t>(kTable[i].compact - 'a')] = static_cast<uint8_t>(i);
    }
  }
  return index;
}

constexpr NameIndex kIndex = make_index();

// Case-insensitive compare against a table name (letters, digits and '-' only): OR-ing 0x20
// folds letter case, and bytes below 0x20 (which 0x20 would fold onto '-' or digits) never match.
inline bool same_name(std::string_view table_name, std::string_view name) {
  if (table_name.size() != name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || ((c | 0x20) != (static_cast<unsigned char>(table_name[i]) | 0x20))) {
      return false;
    }
  }
  return true;
}
static_assert(kIndex.max_probe <= 2, "header name hash clusters; change name_hash");

}  // namespace

HeaderId header_id(std::string_view name) {
  if (name.empty()) return HeaderId::kOther;
  if (name.size() == 1) {
    const char c = to_lower(name[0]);
    if (c < 'a' || c > 'z') return HeaderId::kOther;
    return static_cast<HeaderId>(kIndex.compact[static_cast<size_t>(c - 'a')]);
  }
  size_t h = name_hash(name);
  for (size_t probe = 0; probe <= kIndex.max_probe; ++probe) {
    const uint8_t id = kIndex.slot[h];
    if (id == 0) return HeaderId::kOther;
    if (same_name(kTable[id].name, name)) return static_cast<HeaderId>(id);
    h = (h + 1) % kSlots;
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
