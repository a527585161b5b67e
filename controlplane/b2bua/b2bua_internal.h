// Helpers shared by the B2BUA's source files (b2bua*.cc); not part of its interface.
#pragma once

#include <string>
#include <string_view>

#include "controlplane/sip/message.h"

namespace sbc::cp {

inline constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS";

// The session description a message carries: its application/sdp body, or the application/sdp
// part of a multipart body (SIP-I/SIP-T carriers send SDP + ISUP); empty when there is none (or
// the body is malformed). A view into the message.
std::string_view sdp_of(const sip::Message& msg);

// The branch of our ACK for the 2xx of dialog `to_tag` of our INVITE (branch `invite_branch`):
// the same for every retransmission of that 2xx, so the ACK re-sent is the ACK first sent
// (§13.2.2.4), whether the call or only its EndedCall record answers it.
std::string ack_branch(std::string_view invite_branch, std::string_view to_tag);

}  // namespace sbc::cp
