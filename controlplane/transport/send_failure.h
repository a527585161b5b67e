// Why a SIP message could not be handed to the kernel (the reason label of
// sbc_sip_send_failures_total). Defined once with its name table, like the dataplane's drop
// reasons (dataplane/fastpath/counters.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sbc::cp {

enum class SendFailure : uint8_t {
  kNoListener,        // the zone has no listener of the transport to send from
  kError,             // the socket refused the datagram
  kConnectionClosed,  // the connection is closed, or its send queue is full
  kNoTls,             // TLS toward a peer, but no [tls] configured
  kLimit,             // a new connection would break a connection limit
  kCount,
};
inline constexpr size_t kSendFailureCount = static_cast<size_t>(SendFailure::kCount);

inline constexpr std::array<std::string_view, kSendFailureCount> kSendFailureNames = {
    "no_listener", "error", "connection_closed", "no_tls", "limit"};
static_assert(kSendFailureNames.back() == "limit", "kSendFailureNames must follow SendFailure");

constexpr std::string_view to_string(SendFailure failure) {
  return kSendFailureNames[static_cast<size_t>(failure)];
}

}  // namespace sbc::cp
