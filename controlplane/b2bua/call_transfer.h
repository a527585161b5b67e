// A blind transfer the SBC carries out itself (RFC 3515 with `refer = handle` on the
// transferor's side), for transferees that cannot or may not be sent a REFER (a carrier that
// refuses them, a policy that keeps transfers inside the SBC).
//
// The REFER gets 202 and a NOTIFY "100 Trying". The SBC places the call itself: the target's
// user routed as a call from the transferee's side (its routes, DIDs and registered users, the
// toll-fraud rules for a trunk), our INVITE offering the transferee's own description on the
// SBC's media address on the target's side (the same profile and keys the transferor's leg
// used; the direction sendrecv). Each provisional is reported to the transferor as a sipfrag.
// When the target answers with a description the transferor's leg could carry, its dialog takes
// the transferor's place in the call (the dataplane session updated in place, found by its
// Call-ID from then on), the transferor gets NOTIFY "200 OK" and our BYE, and a transferee that
// was on hold is re-INVITEd with the target's description so its media resumes. The transferee
// sees none of this but that re-INVITE: its dialog, address and port on the SBC stay. A trunk
// that challenges our INVITE gets its credentials, as for any call (trunk_challenge.h).
//
// A target that fails (a final error, no answer within the ring timeout, an answer the leg cannot
// carry) leaves the call as it was; the transferor gets the failure as a sipfrag and can take the
// call back. A transferor that hangs up while the transfer runs gets 200 and its part ends there;
// should the transfer then fail, the call ends. Offers from either side wait (500 with
// Retry-After) while a transfer runs. An attended transfer (Refer-To with Replaces) is relayed as
// with `refer = relay`: its parties join each other directly.
#pragma once

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_media.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/transaction/transaction_user.h"

namespace sbc::cp {

class CallTransfer {
 public:
  CallTransfer(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown,
               CallMedia& media)
      : ctx_(ctx), signalling_(signalling), teardown_(teardown), media_(media) {}

  // A REFER from `side` under `refer = handle`: true when taken here (202, or refused), false
  // when it is to be relayed instead (an attended transfer, a call adopted after a restart whose
  // descriptions sbcd no longer has).
  bool refer(const CallPtr& call, Side side, const SipPeer& reply_to, const sip::Message& msg);
  // A response in one of the transfer's transactions (our INVITE to the target, the transferee's
  // resuming re-INVITE): true when it was one.
  bool response(const CallPtr& call, TransactionId id, const sip::Message& msg);
  bool transaction_error(const CallPtr& call, TransactionId id, TransactionError error);
  // A BYE from the transferor while our INVITE to the target is open: answered 200, the call
  // goes on. true when taken here.
  bool transferor_bye(const CallPtr& call, Side side, const SipPeer& reply_to,
                      const sip::Message& bye);

 private:
  // A REFER refused: its status code and reason ("": the code's own).
  using Refusal = std::pair<int, std::string>;
  // Where the target is and who calls it.
  struct Target {
    Route route;
    CallerIdentity identity;
  };

  // The transfer's INVITE to the target, or the refusal of the REFER.
  std::expected<void, Refusal> place(const CallPtr& call, Side transferor, std::string_view user,
                                     uint32_t refer_cseq);
  // The target `user` routed as the transferee's own call would be (routes, DIDs, registered
  // users), its identity normalised, a trunk's toll-fraud rules judged on the transferor's side.
  [[nodiscard]] std::expected<Target, Refusal> target(const Call& call, Side transferor,
                                                      std::string_view user) const;
  // The offer to the target, media anchored on its side (a pair leased into `transfer` when that
  // is another dataplane port).
  [[nodiscard]] std::expected<std::string, Refusal> offer_toward(Call& call, const Route& route,
                                                                 Transfer& transfer) const;
  // The target's leg (`leg`: peer, dialog identifiers, parties, Request-URI); the headers its
  // side's normalisation adds.
  NamedHeaders address_target(const Target& target, Leg& leg) const;
  // Our INVITE (or its retry with credentials) to the target; false when the layer refused it.
  bool send_invite(const Call& call, Transfer& transfer, sip::RequestSpec spec);
  // The target's trunk challenged it: sent again with the trunk's credentials (true).
  bool answer_challenge(const CallPtr& call, const sip::Message& challenge);
  void invite_response(const CallPtr& call, const sip::Message& msg);
  void answered(const CallPtr& call, const sip::Message& msg);
  // The target's leg takes the transferor's place: dialogs, indexes, CDR names, media.
  void swap_in(const CallPtr& call);
  // The transferee was on hold: re-INVITEd with the target's description.
  void resume_transferee(const CallPtr& call, const ReceivedSdp& target);
  void resume_response(const CallPtr& call, const sip::Message& msg);
  // The transfer failed with `code`: reported, the call as it was (or ended, its transferor gone).
  void failed(const CallPtr& call, int code, std::string_view reason);
  void ring_timeout(uint64_t id);
  void cancel(const CallPtr& call);
  // A sipfrag NOTIFY to the transferor (RFC 3515 §2.4.5); `final`: its subscription ends.
  void notify(const CallPtr& call, int code, std::string_view reason, bool final);
  [[nodiscard]] InviteOrigin origin(const Call& call) const;

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
  CallMedia& media_;
};

}  // namespace sbc::cp
