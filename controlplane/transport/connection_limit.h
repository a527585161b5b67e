// The connection limit a new TCP/TLS connection would break (the reason label of
// sbc_sip_connections_refused_total: the limit's option name). Defined once with its name table,
// like the dataplane's drop reasons (dataplane/fastpath/counters.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sbc::cp {

enum class ConnectionLimit : uint8_t {
  kMaxConnections,            // [sip] max_connections (inbound and outbound pools apart)
  kMaxConnectionsPerAddress,  // [sip] max_connections_per_address (inbound only)
  kCount,
};
inline constexpr size_t kConnectionLimitCount = static_cast<size_t>(ConnectionLimit::kCount);

inline constexpr std::array<std::string_view, kConnectionLimitCount> kConnectionLimitNames = {
    "max_connections", "max_connections_per_address"};
static_assert(kConnectionLimitNames.back() == "max_connections_per_address",
              "kConnectionLimitNames must follow enum ConnectionLimit");

constexpr std::string_view to_string(ConnectionLimit limit) {
  return kConnectionLimitNames[static_cast<size_t>(limit)];
}

}  // namespace sbc::cp
