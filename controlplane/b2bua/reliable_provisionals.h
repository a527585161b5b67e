// Reliable provisional responses (RFC 3262, 100rel and PRACK), terminated per leg as a B2BUA
// does: each dialog acknowledges its own. Toward the caller (we are its UAS) our 18x go reliably
// when its INVITE supports 100rel and its zone's policy allows: RSeq numbered, one unacknowledged
// at a time (later ones queue), retransmitted from T1 doubling until its PRACK, and a 2xx
// waits for the PRACK of an 18x that carried our answer; no PRACK within 64*T1 fails the call
// with 500 (§3). Toward the callee (we are its UAC) our INVITE offers or requires 100rel by the
// callee side's policy, and each reliable 18x is PRACKed on its own early dialog (a forking
// callee has several), in RSeq order, retransmissions and stale ones discarded (§4).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"

namespace sbc::cp {

class ReliableProvisionals {
 public:
  ReliableProvisionals(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown,
                       std::function<void(const CallPtr&)> answer_released)
      : ctx_(ctx),
        signalling_(signalling),
        teardown_(teardown),
        answer_released_(std::move(answer_released)) {}

  // The caller's INVITE against its side's 100rel policy: false when it was refused (420 for a
  // Require the zone turned off, 421 when the zone requires 100rel and the INVITE lacks it).
  bool admit(const SipPeer& from, const sip::Message& invite, Rel100 policy) const;
  // Whether our 18x to this caller go reliably (set on the new call).
  [[nodiscard]] static bool reliable_toward(const sip::Message& invite, Rel100 policy);
  // Our INVITE toward the callee: Supported or Require: 100rel by the callee side's policy.
  static void offer(Rel100 policy, sip::RequestSpec& spec);

  // A provisional response (101-199) to the caller: reliable or not, as the call has it.
  void respond_caller(const CallPtr& call, int code, std::string_view reason, std::string body);
  // The callee's 2xx is to be relayed: true when it must wait for the PRACK of an 18x carrying
  // our answer (answer_released() is called once it arrives).
  bool answer_waits(const CallPtr& call, int code, std::string_view reason);
  // The caller has our SDP answer from a PRACKed 18x: the 2xx carries none.
  [[nodiscard]] static bool answered_early(const Call& call) {
    return call.caller_provisionals.answer_acked;
  }
  // A PRACK from the caller (§3): 200 when it acknowledges our unacknowledged 18x, else 481.
  void prack(const CallPtr& call, const SipPeer& reply_to, const sip::Message& prack);
  // A 101-199 from the callee (its early dialog already learnt): false when it is to be ignored
  // (a retransmitted or out-of-order reliable one); a new reliable one is PRACKed.
  bool callee_provisional(const CallPtr& call, const sip::Message& msg);
  // The early dialog `tag` of our INVITE (created on first sight, bounded); nullptr beyond the
  // bound.
  static EarlyDialog* early_dialog(Call& call, std::string_view tag);
  // The early dialog `tag` of our INVITE if one was seen, else nullptr.
  [[nodiscard]] static const EarlyDialog* find_early_dialog(const Call& call, std::string_view tag);

  static constexpr size_t kMaxQueued = 4;
  static constexpr size_t kMaxEarlyDialogs = 8;

 private:
  void send_next(const CallPtr& call);
  void retransmit(uint64_t call_id);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
  std::function<void(const CallPtr&)> answer_released_;
};

}  // namespace sbc::cp
