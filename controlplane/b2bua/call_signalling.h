// The messages the B2BUA originates on a call's legs: responses to the caller's INVITE (a 2xx
// retransmitted until the ACK, §13.3.1.4), answers to in-dialog requests, INVITE, CANCEL and BYE
// in client transactions of the TransactionLayer (which retransmits them and ACKs non-2xx
// finals), the ACK of a 2xx directly (it is the dialog's, not a transaction's, §13.2.2.4).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/ended_calls.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/message.h"

namespace sbc::cp {

// What an ACK or BYE on any dialog our INVITE to the callee created needs (views into a Call or
// an EndedCall, used at once).
struct InviteOrigin {
  const SipPeer& peer;
  std::string_view call_id;
  std::string_view local_party;
  std::string_view local_tag;
  std::string_view remote_party;
  std::string_view invite_uri;
  std::string_view invite_branch;
  uint32_t cseq;

  static InviteOrigin of(const Call& call);
  static InviteOrigin of(const EndedCall& ended);
};

class CallSignalling {
 public:
  using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;
  // `unacked`: our 2xx to the caller was retransmitted until 64*T1 without an ACK.
  CallSignalling(const B2buaContext& ctx, std::function<void(const CallPtr&)> unacked)
      : ctx_(ctx), unacked_(std::move(unacked)) {}

  // Answers `request` (received on `peer.zone`) in its server transaction.
  // `server`: our Server header on that leg (Leg::user_agent; "" for none).
  void reply(const SipPeer& peer, const sip::Message& request, int code,
             std::string_view reason = {}, std::string_view to_tag = {},
             std::string_view server = {});
  // Answers the caller's INVITE; a 2xx is retransmitted until the caller's ACK.
  void respond_caller(const CallPtr& call, int code, std::string_view reason = {},
                      std::string body = {}, const ExtraHeaders& extra = {});
  // The INVITE that opens `leg`'s dialog, our first request on it: its Request-URI (the leg's
  // remote target), Via and a new branch, From with our tag, To, Call-ID and CSeq, our Contact on
  // that side, Allow, and `offer` as its SDP. The caller adds what is its own (identity headers,
  // credentials, timers).
  [[nodiscard]] sip::RequestSpec new_invite(const Leg& leg, std::string offer) const;
  // Sends our INVITE to the callee (its spec built by the call setup) and keeps what CANCEL and
  // the ACKs copy from it; false when the layer refused it.
  bool send_invite(const CallPtr& call, sip::RequestSpec spec);
  void send_bye(const CallPtr& call, Side side);
  // CANCEL may only follow a provisional response (RFC 3261 §9.1); until then it is held back.
  void send_cancel(const CallPtr& call);
  void send_callee_ack(const CallPtr& call);
  // The ACK of the 2xx `msg` (its dialog: To tag, Contact, Record-Route) and a BYE on that dialog
  // in a transaction nobody owns.
  void ack_dialog(const InviteOrigin& origin, const sip::Message& msg);
  void bye_dialog(const InviteOrigin& origin, const sip::Message& msg);
  // CANCEL of that INVITE (same Request-URI, branch and CSeq, §9.1) in a transaction nobody owns.
  void cancel_invite(const InviteOrigin& origin);
  // Our INVITE has its final response (or we gave up on it).
  void close_invite(Call& call);
  // --- mid-call (mid_call.h) ---
  // A request on `side`'s dialog in a client transaction of the call (re-INVITE, UPDATE, INFO,
  // MESSAGE, NOTIFY): the dialog's next CSeq, a new branch, our Contact on INVITE and UPDATE
  // (target refresh), `extra` headers, the body. Its transaction and CSeq; nullopt when the layer
  // refused it (logged).
  std::optional<std::pair<TransactionId, uint32_t>> send_in_dialog(const CallPtr& call, Side side,
                                                                   sip::Method method,
                                                                   const ExtraHeaders& extra,
                                                                   std::string content_type,
                                                                   std::string body);
  // The ACK of the 2xx to our re-INVITE `cseq` on `side`'s dialog (with the answer when that
  // re-INVITE had no offer); kept in the call, sent again when that 2xx is.
  void send_reinvite_ack(Call& call, Side side, uint32_t cseq, std::string body);
  // Answers an in-dialog request on `side`'s leg, received from `peer`: a 2xx to INVITE or UPDATE
  // carries our Contact and Allow. The response as sent ("" when the layer sent none).
  std::string respond_in_dialog(const Call& call, Side side, const SipPeer& peer,
                                const sip::Message& request, int code, std::string_view reason,
                                const ExtraHeaders& extra = {}, std::string content_type = {},
                                std::string body = {});

  // A BYE or CANCEL transaction of the call is over.
  void stop_transaction(Call& call, TransactionId id);

  // Our Contact on a leg toward `peer` (its listener, with ;transport= for TCP/TLS; a SIPS URI
  // on a secure dialog, which only a TLS leg can be), with `user` as its user part if any.
  [[nodiscard]] std::string contact(const SipPeer& peer, bool sips = false,
                                    std::string_view user = {}) const;
  // A request spec's Via for a message toward `peer`.
  void set_via(sip::RequestSpec& spec, const SipPeer& peer) const;

 private:
  // The listener a message toward `peer` leaves from: Via sent-by and Contact host/port.
  [[nodiscard]] Endpoint local_endpoint(const SipPeer& peer) const;
  // A request on `leg`'s dialog (§12.2.1.1): our party and tag, the peer's party, tag and target,
  // the route set. Callers set branch and CSeq.
  [[nodiscard]] sip::RequestSpec dialog_request(const Leg& leg, sip::Method method) const;
  // CANCEL for our INVITE to the callee, from the fields kept in the Call.
  [[nodiscard]] sip::OutgoingRequest invite_twin(const Call& call, sip::Method method,
                                                 std::string_view to_tag) const;
  // Sends a request in a client transaction on `side`'s leg; false when the layer refused it.
  bool start_transaction(const CallPtr& call, Side side, sip::OutgoingRequest request);
  void retransmit_response(uint64_t call_id);
  void abandon_invite(uint64_t call_id);

  const B2buaContext& ctx_;
  std::function<void(const CallPtr&)> unacked_;
};

}  // namespace sbc::cp
