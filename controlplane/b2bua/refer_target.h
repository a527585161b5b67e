// The Refer-To of a REFER relayed from one leg to the other (RFC 3515).
//
// Blind transfer: the transfer target's user at the SBC's own address on the transferee's side,
// so the transferee's new INVITE comes to the SBC and is routed, authenticated and admitted as any
// new call. Attended transfer (Refer-To with Replaces, RFC 3891): the replaced call's party on the
// transferee's side, at its Contact there, with the Replaces of its own dialog with us
// (dialog_replaces.h); the transferee (or the PBX holding both calls) joins that party directly.
// Either way nothing of the transferor's side crosses: its host, port, URI parameters, headers
// and dialog identifiers stay behind.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/sip/replaces.h"

namespace sbc::cp {

struct ReferRefusal {
  int code = 0;
  std::string reason;
};

struct ReferTo {
  std::string user;                       // the target's user (sip, sips) or number (tel)
  std::optional<sip::Replaces> replaces;  // an attended transfer
};

// `refer_to`: the Refer-To value as received. 400 for a malformed target or Replaces, or a blind
// target without a user; 416 for a scheme other than sip, sips or tel.
[[nodiscard]] std::expected<ReferTo, ReferRefusal> parse_refer_to(std::string_view refer_to);

// A blind transfer's Refer-To: `target`'s user at `our_contact`, our Contact toward the
// transferee ("<sip:host:port;transport=tcp>", CallSignalling::contact()).
[[nodiscard]] std::expected<std::string, ReferRefusal> blind_target(const ReferTo& target,
                                                                    std::string_view our_contact);

// An attended transfer's Refer-To: `contact` (the replaced call's party on the transferee's side,
// its dialog's remote target) with `replaces` (its dialog with us, oriented for it) as a URI
// header.
[[nodiscard]] std::string attended_target(std::string_view contact, const sip::Replaces& replaces);

}  // namespace sbc::cp
