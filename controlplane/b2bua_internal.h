// Helpers shared by the B2BUA's source files (b2bua*.cc); not part of its interface.
#pragma once

#include <string_view>

#include "sip/message.h"

namespace sbc::cp {

inline constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS";

// True for a message with a non-empty application/sdp body.
bool is_sdp(const sip::Message& msg);

}  // namespace sbc::cp
