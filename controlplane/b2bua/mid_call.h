// Requests inside an established call (RFC 3261 §14, RFC 3311, RFC 6086, RFC 3428, RFC 6665),
// from either leg, relayed on the other leg's dialog as a B2BUA does: its own CSeq, Via, Contact
// and tags there, nothing of the sending side's topology.
//
// re-INVITE and UPDATE carry an offer (a re-INVITE may carry none: the other side's offer then
// comes in its 2xx and the answer in the offerer's ACK). The offer is anchored toward the other
// side, keeping what each leg negotiated (its transport and SRTP suite, a new key accepted as
// re-keying; its codec): hold and resume pass as the direction attributes say, c=0.0.0.0 as
// 0.0.0.0. The dataplane session is updated in place (new peer addresses, keys) only once the
// exchange succeeded; a refused or failed one leaves the call and its media exactly as they were.
// One offer/answer exchange per call at a time: an offer from the side that has one in progress
// gets 500 with Retry-After (§14.2), one crossing ours on the other side 491 (glare, §14.2; the
// endpoints retry on their §14.1 timers). A re-INVITE that times out or gets 481 means that
// dialog is gone: the call ends.
//
// A re-INVITE or UPDATE that went through refreshes both dialogs' session timers; it carries each
// leg's Session-Expires (session_timers.h). An UPDATE without an offer (a session refresh) is
// relayed like the requests below.
//
// INFO, MESSAGE and NOTIFY are relayed with their body and the headers that give it meaning
// (Event, Subscription-State, Info-Package, Content-Disposition); their response comes back with
// its status.
#pragma once

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_media.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/b2bua/call_transfer.h"
#include "controlplane/b2bua/refer_target.h"
#include "controlplane/b2bua/session_timers.h"
#include "controlplane/transaction/transaction_user.h"

namespace sbc::cp {

class MidCall {
 public:
  // Relayed requests in flight per call beyond the offer/answer exchange; more get 500 with
  // Retry-After.
  static constexpr size_t kMaxRelayed = 8;

  MidCall(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown,
          CallMedia& media, SessionTimers& timers, CallTransfer& transfer)
      : ctx_(ctx),
        signalling_(signalling),
        teardown_(teardown),
        media_(media),
        timers_(timers),
        transfer_(transfer) {}

  // A re-INVITE, UPDATE, INFO, MESSAGE or NOTIFY on `side`'s dialog; responses go to `reply_to`.
  void request(const CallPtr& call, Side side, const SipPeer& reply_to, const sip::Message& msg);
  // An ACK on `side`'s dialog: true when it acknowledges our 2xx to its re-INVITE.
  bool ack(const CallPtr& call, Side side, const sip::Message& ack);
  // A response in one of the call's client transactions: true when the transaction is one of
  // ours (a relayed request), handled then.
  bool response(const CallPtr& call, TransactionId id, const sip::Message& msg);
  // A 2xx to one of our re-INVITEs, already ACKed, again (in its transaction or after it): our
  // ACK was lost and goes again (§13.2.2.4). False for anything else.
  bool repeated_answer(const CallPtr& call, const sip::Message& msg);
  // Our relayed request failed (Timer B/F, transport): true when it was one of ours.
  bool transaction_error(const CallPtr& call, TransactionId id, TransactionError error);

 private:
  void offer(const CallPtr& call, Side side, const SipPeer& reply_to, const sip::Message& msg);
  // Both early dialogs completed their first offer/answer reliably: an UPDATE may change it.
  [[nodiscard]] static bool early_offer_answer_done(const Call& call);
  // INFO, MESSAGE, NOTIFY, OPTIONS, a bodiless UPDATE, a REFER: to the other leg with its body
  // and the headers that describe it (a NOTIFY's refer subscription id mapped), plus `extra`.
  // Our request's CSeq there; nullopt when it was refused (500 sent).
  std::optional<uint32_t> relay(const CallPtr& call, Side side, const SipPeer& reply_to,
                                const sip::Message& msg, CallSignalling::ExtraHeaders extra = {});
  // A REFER (RFC 3515) as its side's policy says: refused (403), carried out by the SBC
  // (call_transfer.h), or relayed with the Refer-To
  // pointing at the SBC on the other side (refer_target.h); the transferee's NOTIFYs come back
  // through the dialog as any NOTIFY.
  void refer(const CallPtr& call, Side side, const SipPeer& reply_to, const sip::Message& msg);
  // The Refer-To relayed to the transferee for `refer_to` (refer_target.h), or the REFER's refusal.
  std::expected<std::string, ReferRefusal> transfer_target(const Call& call, Side side,
                                                           std::string_view refer_to) const;
  // The other side's response to our re-INVITE or UPDATE.
  void offer_answered(const CallPtr& call, const sip::Message& msg);
  // Its 2xx when our request carried the offer: the answer taken and anchored for the offerer.
  void answer_received(const CallPtr& call, RelayedRequest& request, const sip::Message& msg);
  // Its 2xx to our offer-less re-INVITE: its offer anchored for the offerer, our ACK held until
  // the offerer's ACK brings the answer.
  void counter_offer(const CallPtr& call, RelayedRequest& request, const sip::Message& msg);
  // Our 2xx to `side`'s re-INVITE, retransmitted until its ACK (§13.3.1.4).
  void answer_reinvite(const CallPtr& call, Side side, uint32_t cseq, std::string response);
  void retransmit_answer(uint64_t call_id);
  // A final failure of our re-INVITE or UPDATE passed to the offerer; 408/481 end the call.
  void offer_failed(const CallPtr& call, const RelayedRequest& request, int code,
                    std::string_view reason);
  // The other side's offer-less exchange went wrong after its 2xx (no usable offer in it, or no
  // usable answer in the offerer's ACK): that 2xx is ACKed and the call ends.
  void abandon_exchange(const CallPtr& call, Side side, uint32_t cseq, std::string_view why);
  // The exchange is done: hold state, which way RTP may flow (from the directions `offerer`'s
  // offer and the other side's answer give), the dataplane session, the session timers.
  void program(const CallPtr& call, Side offerer, const ReceivedSdp& offer,
               const ReceivedSdp& answer);
  // The anchored stream of a description received mid-call; nullopt when it has none we can
  // anchor (unparsable, no IPv4 audio, an address the media policy refuses).
  std::optional<ReceivedSdp> read_sdp(std::string_view text) const;
  // The description in `msg` from `from`, read, checked against its leg and anchored toward the
  // other side (which bumps our o= version there); nullopt when any step fails.
  struct CheckedSdp {
    ReceivedSdp sdp;
    std::optional<SrtpLeg> srtp;
    std::string anchored;
  };
  std::optional<CheckedSdp> checked_sdp(Call& call, Side from, const sip::Message& msg) const;
  void refuse(const Call& call, Side side, const SipPeer& reply_to, const sip::Message& msg,
              MediaRefusal refusal);
  void retry_later(const Call& call, Side side, const SipPeer& reply_to, const sip::Message& msg);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
  CallMedia& media_;
  SessionTimers& timers_;
  CallTransfer& transfer_;
};

}  // namespace sbc::cp
