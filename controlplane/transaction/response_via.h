// Where a response to a received request goes (RFC 3261 §18.2.2, RFC 3581) and the top Via it
// carries: ;received and ;rport stamped with the request's real source.
#pragma once

#include <string>

#include "controlplane/sip/builder.h"
#include "controlplane/sip/via.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

// Over TCP/TLS: back on the connection the request came in on, with the source address at the
// Via's sent-by port (5060, TLS 5061) as the target should that connection be gone. Over UDP: to
// the source address (what works behind NAT and what a forged Via cannot redirect), at the source
// port when the Via asks for ;rport, else at the Via's port (5060 when absent).
[[nodiscard]] SipPeer response_target(const SipPeer& from, const sip::Via& via);

// The request's top Via as the response carries it: with ;rport, ";received=<source
// ip>;rport=<source port>"; without, ";received=<source ip>" when the sent-by host is not that
// address (RFC 3261 §18.2.1, RFC 3581 §4). Any received/rport values the Via had are replaced.
[[nodiscard]] std::string stamped_via(const sip::Via& via, const Endpoint& source);

// Replaces the top Via of `response` (built by sip::make_response from `request`) with
// stamped_via(); other Via values stay as they are, in order.
void stamp_received(sip::MessageBuilder& response, const sip::Via& request_via,
                    const Endpoint& source);

}  // namespace sbc::cp
