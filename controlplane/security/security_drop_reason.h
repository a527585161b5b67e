// Why the edge security dropped a SIP message or closed a TCP/TLS connection on accept, without
// an answer (the reason label of sbc_security_dropped_total). Defined once with its name table,
// like the dataplane's drop reasons (dataplane/fastpath/counters.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sbc::cp {

enum class SecurityDropReason : uint8_t {
  kAcl,             // the zone's ACL (or its trunks' allow lists) does not admit the source
  kBanned,          // the source is banned
  kRateLimited,     // over the source's request bucket (messages)
  kScanner,         // a scanner's User-Agent (svmap, friendly-scanner, ...)
  kConnectionRate,  // over max_connection_rate (connections)
  kCount,
};
inline constexpr size_t kSecurityDropReasonCount = static_cast<size_t>(SecurityDropReason::kCount);

inline constexpr std::array<std::string_view, kSecurityDropReasonCount> kSecurityDropReasonNames = {
    "acl", "banned", "rate_limited", "scanner", "connection_rate"};
static_assert(kSecurityDropReasonNames.back() == "connection_rate",
              "kSecurityDropReasonNames must follow enum SecurityDropReason");

constexpr std::string_view to_string(SecurityDropReason reason) {
  return kSecurityDropReasonNames[static_cast<size_t>(reason)];
}

}  // namespace sbc::cp
