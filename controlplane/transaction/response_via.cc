#include "controlplane/transaction/response_via.h"

#include <fmt/core.h>

#include <utility>
#include <vector>

#include "controlplane/sip/params.h"

namespace sbc::cp {

SipPeer response_target(const SipPeer& from, const sip::Via& via) {
  if (is_stream(from.transport)) {
    // The connection first (the transport uses it while it is open); should it be gone, a new
    // one to the source address at the sent-by port (§18.2.2): the source port was ephemeral.
    SipPeer to = from;
    const uint16_t port = from.transport == Transport::kTls ? 5061 : 5060;
    to.remote = Endpoint(from.remote.address(), via.port.value_or(port));
    return to;
  }
  if (via.rport_present) return from;
  SipPeer to = from;
  to.remote = Endpoint(from.remote.address(), via.port.value_or(5060));
  return to;
}

std::string stamped_via(const sip::Via& via, const Endpoint& source) {
  const std::string address = source.address().to_string();
  std::string out =
      fmt::format("{}/{}/{} ", via.protocol_name, via.protocol_version, via.transport);
  out += via.host_is_ipv6 ? fmt::format("[{}]", via.host) : std::string(via.host);
  if (via.port) out += fmt::format(":{}", *via.port);
  for (const sip::Param& p : via.params) {
    if (sip::iequals(p.name, "received") || sip::iequals(p.name, "rport")) continue;
    out += ';';
    out += p.name;
    if (p.has_value) {
      out += '=';
      out += p.value;
    }
  }
  // Compared as addresses (an IPv6 sent-by may be written differently from to_string()); a
  // host name always differs from the source address.
  boost::system::error_code ec;
  const auto host = boost::asio::ip::make_address(std::string(via.host), ec);
  if (via.rport_present || ec || host != source.address()) out += ";received=" + address;
  if (via.rport_present) out += fmt::format(";rport={}", source.port());
  return out;
}

void stamp_received(sip::MessageBuilder& response, const sip::Via& request_via,
                    const Endpoint& source) {
  std::vector<std::string> vias;
  for (const auto& [name, value] : response.headers()) {
    if (sip::iequals(name, "Via") || sip::iequals(name, "v")) vias.push_back(value);
  }
  if (vias.empty()) return;
  // The first field may hold a comma list: only its first value (the top Via) changes.
  std::string& top = vias.front();
  if (!top.starts_with(request_via.text)) return;
  top = stamped_via(request_via, source) + top.substr(request_via.text.size());
  response.remove(sip::HeaderId::kVia);
  for (auto it = vias.rbegin(); it != vias.rend(); ++it) {
    response.prepend(sip::HeaderId::kVia, std::move(*it));
  }
}

}  // namespace sbc::cp
