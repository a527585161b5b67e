// An INVITE as a caller sends it, with the headers a test adds.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "controlplane/sip/message.h"

namespace sbc::cp::testing {

inline sip::Message invite(std::string_view ruri_user, std::string_view from,
                           std::string_view extra = {}) {
  std::string text = "INVITE sip:" + std::string(ruri_user) +
                     "@192.0.2.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: " +
                     std::string(from) +
                     ";tag=a1\r\n"
                     "To: <sip:" +
                     std::string(ruri_user) +
                     "@192.0.2.1>\r\n"
                     "Call-ID: c1@192.0.2.10\r\n"
                     "CSeq: 1 INVITE\r\n"
                     "Contact: <sip:pbx@192.0.2.10:5060>\r\n" +
                     std::string(extra) + "Content-Length: 0\r\n\r\n";
  auto m = sip::Message::parse(std::move(text));
  EXPECT_TRUE(m.has_value());
  return *m;
}

}  // namespace sbc::cp::testing
