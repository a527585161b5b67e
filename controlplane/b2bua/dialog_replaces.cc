#include "controlplane/b2bua/dialog_replaces.h"

namespace sbc::cp {
namespace {

// The leg of `call` facing `zone` whose dialog `r` names (RFC 3891 §3: the to-tag is compared
// with our tag, the from-tag with the peer's).
std::optional<Side> named_leg(const Call& call, size_t zone, const sip::Replaces& r) {
  for (Side side : {kCaller, kCallee}) {
    const Leg& leg = call.legs[side];
    if (leg.peer.zone == zone && leg.call_id == r.call_id && leg.local_tag == r.to_tag &&
        !leg.remote_tag.empty() && leg.remote_tag == r.from_tag) {
      return side;
    }
  }
  return std::nullopt;
}

}  // namespace

std::expected<ReplacedLeg, ReplacesRefusal> find_replaced(const CallTable& calls, size_t zone,
                                                          const sip::Replaces& replaces,
                                                          size_t toward_zone) {
  // The Call-ID is the peer's when it placed the call, ours when we did.
  CallTable::CallPtr call = calls.find_caller_dialog(zone, replaces.call_id);
  std::optional<Side> side = call ? named_leg(*call, zone, replaces) : std::nullopt;
  if (!side) {
    call = calls.find_callee_dialog(replaces.call_id);
    side = call ? named_leg(*call, zone, replaces) : std::nullopt;
  }
  if (!side) return std::unexpected(ReplacesRefusal{481, "Call/Transaction Does Not Exist"});
  if (call->state == CallState::kEnded) {
    return std::unexpected(ReplacesRefusal{603, "Declined (the replaced call is over)"});
  }
  if (replaces.early_only && call->state != CallState::kCalling) {
    return std::unexpected(ReplacesRefusal{486, "Busy Here (the replaced call was answered)"});
  }
  ReplacedLeg replaced{std::move(call), *side};
  if (replaced.far().peer.zone != toward_zone || replaced.far().remote_tag.empty()) {
    return std::unexpected(ReplacesRefusal{
        481, "Call/Transaction Does Not Exist (the replaced call's other party is elsewhere)"});
  }
  return replaced;
}

}  // namespace sbc::cp
