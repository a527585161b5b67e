// Helpers shared by the B2BUA's source files; not part of its interface.
#pragma once

#include <fmt/core.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/message.h"
#include "controlplane/sip/multipart.h"

namespace sbc::cp {

inline constexpr std::string_view kAllow =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK, INFO, MESSAGE, NOTIFY, REFER, SUBSCRIBE";

// The session description a message carries: its application/sdp body, or the application/sdp
// part of a multipart body (SIP-I/SIP-T carriers send SDP + ISUP); empty when there is none (or
// the body is malformed). A view into the message.
inline std::string_view sdp_of(const sip::Message& msg) {
  auto sdp = sip::find_sdp(msg);
  return sdp && *sdp ? **sdp : std::string_view{};
}

// The branch of our ACK for the 2xx of dialog `to_tag` of our INVITE (branch `invite_branch`):
// the same for every retransmission of that 2xx, so the ACK re-sent is the ACK first sent
// (§13.2.2.4), whether the call or only its EndedCall record answers it.
inline std::string ack_branch(std::string_view invite_branch, std::string_view to_tag) {
  return fmt::format("{}.{:x}", invite_branch, std::hash<std::string_view>{}(to_tag)&0xffffffffu);
}

// The first Contact URI of a message; empty when it has none.
inline std::string first_contact(const sip::Message& msg) {
  auto contacts = msg.contacts();
  if (!contacts || contacts->entries.empty()) return {};
  return std::string(contacts->entries.front().uri_text);
}

// Route set of a dialog from a response's Record-Route, as the UAC uses it: reversed (§12.1.2).
inline std::vector<std::string> uac_route_set(const sip::Message& msg) {
  std::vector<std::string> routes;
  if (auto rr = msg.record_routes(); rr) {
    for (auto it = rr->rbegin(); it != rr->rend(); ++it) {
      routes.push_back(fmt::format("<{}>", it->uri_text));
    }
  }
  return routes;
}

}  // namespace sbc::cp
