// Helpers shared by the B2BUA's source files (b2bua*.cc); not part of its interface.
#pragma once

#include <string_view>

#include "sip/message.h"

namespace sbc::cp {

inline constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS";

// The session description a message carries: its application/sdp body, or the application/sdp
// part of a multipart body (SIP-I/SIP-T carriers send SDP + ISUP); empty when there is none (or
// the body is malformed). A view into the message.
std::string_view sdp_of(const sip::Message& msg);

}  // namespace sbc::cp
