// The implicit subscriptions relayed REFERs create (RFC 3515 §2.4.4). A NOTIFY names its
// subscription by the REFER's CSeq on the dialog it travels in (`Event: refer;id=N`, RFC 3515
// §2.4.6, RFC 6665 §8.2.1). The B2BUA numbers the transferee's dialog itself, so the transferee
// names our REFER's CSeq, which the transferor never saw: each relayed NOTIFY gets the id of the
// transferor's own REFER instead. Without that the transferor finds no subscription (481) and
// the transfer's progress never reaches it. The transferor's in-dialog SUBSCRIBE to the same
// subscription (a refresh, or Expires: 0 to end it) is mapped the other way.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_session.h"
#include "controlplane/sip/method.h"

namespace sbc::cp {

class ReferSubscriptions {
 public:
  // The latest REFERs of a call are remembered; older ones' NOTIFYs go with their id unchanged.
  static constexpr size_t kMax = 4;

  struct Refer {
    Side transferor = kCaller;
    std::array<uint32_t, 2> cseq{};  // the REFER's CSeq on each side's dialog
    bool operator==(const Refer&) const = default;
  };

  // A REFER from `transferor` (its CSeq on its dialog) relayed to the other side as our request
  // with `relayed_cseq` on that dialog.
  void add(Side transferor, uint32_t transferor_cseq, uint32_t relayed_cseq);
  // The Event header of a NOTIFY from `from` (the transferee) or a SUBSCRIBE from `from` (the
  // transferor), for the other side's dialog: a refer event's id mapped to that side's REFER;
  // anything else unchanged.
  [[nodiscard]] std::string map_event(Side from, sip::Method method, std::string_view event) const;

  // What the call store keeps, oldest first, so a transfer in progress across an sbcd restart
  // still reaches its transferor (call_store.cc); restore() keeps the newest kMax.
  [[nodiscard]] const std::vector<Refer>& refers() const { return refers_; }
  void restore(std::vector<Refer> refers);

 private:
  std::vector<Refer> refers_;
};

}  // namespace sbc::cp
