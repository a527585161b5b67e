// The Refer-To of a REFER relayed from one leg to the other (RFC 3515): the transfer target's
// user at the SBC's own address on the transferee's side, so the transferee's new INVITE comes
// to the SBC and is routed, authenticated and admitted as any new call. Nothing of the
// transferor's side crosses: its host, port, URI parameters and headers stay behind.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace sbc::cp {

struct ReferRefusal {
  int code = 0;
  std::string reason;
};

// `refer_to`: the Refer-To value as received; `our_contact`: our Contact toward the transferee
// ("<sip:host:port;transport=tcp>", CallSignalling::contact()). The new Refer-To value, or the
// response the REFER gets: 400 for a malformed or user-less target, 416 for a scheme other than
// sip, sips or tel, 501 for an attended transfer (Replaces: not supported yet).
[[nodiscard]] std::expected<std::string, ReferRefusal> refer_target(std::string_view refer_to,
                                                                    std::string_view our_contact);

}  // namespace sbc::cp
