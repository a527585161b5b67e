#include "controlplane/transport/sip_transport.h"

#include <algorithm>
#include <cctype>

namespace sbc::cp {

std::string_view via_token(Transport transport) {
  switch (transport) {
    case Transport::kUdp: return "UDP";
    case Transport::kTcp: return "TCP";
    case Transport::kTls: return "TLS";
  }
  return "UDP";
}

std::string_view to_string(Transport transport) {
  switch (transport) {
    case Transport::kUdp: return "udp";
    case Transport::kTcp: return "tcp";
    case Transport::kTls: return "tls";
  }
  return "udp";
}

std::optional<Transport> parse_transport(std::string_view text) {
  const auto equals = [&](std::string_view name) {
    return std::ranges::equal(text, name, [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
  };
  for (const Transport t : {Transport::kUdp, Transport::kTcp, Transport::kTls}) {
    if (equals(to_string(t))) return t;
  }
  return std::nullopt;
}

}  // namespace sbc::cp
