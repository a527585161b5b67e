// Replaces (RFC 3891) across the B2BUA. A peer names a dialog of its own with the SBC: one leg of
// a call through us. The peer on the call's other leg knows only that leg's dialog, so a
// Replaces crosses as the other leg's Call-ID and tags, oriented for that peer, and nothing of
// the first side's identifiers leaks across.
//
// Used for an attended transfer (a REFER whose Refer-To carries Replaces, mid_call.cc) and for an
// INVITE with Replaces (call pickup, a transfer completed through the SBC, call_setup.cc).
#pragma once

#include <expected>
#include <string>

#include "controlplane/b2bua/call_table.h"
#include "controlplane/sip/replaces.h"

namespace sbc::cp {

struct ReplacesRefusal {
  int code = 0;
  std::string reason;
};

// A leg a Replaces named, and the same call's other leg: the far party.
struct ReplacedLeg {
  CallTable::CallPtr call;
  Side side = kCaller;  // the leg the Replaces named

  [[nodiscard]] const Leg& far() const { return call->legs[side == kCaller ? kCallee : kCaller]; }
  // The far party's dialog with us as a Replaces for it (to-tag: its tag, from-tag: ours).
  [[nodiscard]] sip::Replaces far_replaces(bool early_only) const {
    return {far().call_id, far().remote_tag, far().local_tag, early_only};
  }
};

// The leg `replaces` names among the calls' legs facing `zone`, matched as RFC 3891 §3 says (its
// to-tag is our tag on that leg, its from-tag the peer's), whose far party is in `toward_zone`
// (where the Replaces is going). Refusals as the RFC's UAS gives them: 481 (no such dialog, or its
// far party is not in toward_zone), 603 (the call is over), 486 (early-only and the call was
// answered).
[[nodiscard]] std::expected<ReplacedLeg, ReplacesRefusal> find_replaced(
    const CallTable& calls, size_t zone, const sip::Replaces& replaces, size_t toward_zone);

}  // namespace sbc::cp
