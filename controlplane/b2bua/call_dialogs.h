// A call's two dialogs once they exist: the requests either side sends on its dialog (ACK,
// CANCEL, BYE here; PRACK to ReliableProvisionals; re-INVITE, UPDATE, INFO, MESSAGE, NOTIFY,
// REFER, OPTIONS to MidCall), hanging up as the other side is owed, the max_call_duration limit,
// and the ended calls' records answering what still arrives for them.
#pragma once

#include <chrono>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_records.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/b2bua/call_transfer.h"
#include "controlplane/b2bua/mid_call.h"
#include "controlplane/b2bua/reliable_provisionals.h"

namespace sbc::cp {

class CallDialogs {
 public:
  CallDialogs(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown,
              CallRecords& records, MidCall& mid_call, ReliableProvisionals& provisionals,
              CallTransfer& transfer)
      : ctx_(ctx),
        signalling_(signalling),
        teardown_(teardown),
        records_(records),
        mid_call_(mid_call),
        provisionals_(provisionals),
        transfer_(transfer) {}

  // A request on the caller's dialog of `call`; false when it is a new call instead (an INVITE
  // reusing an ended call's Call-ID), which the call setup takes.
  [[nodiscard]] bool caller_request(const CallPtr& call, const SipPeer& from,
                                    const sip::Message& msg);
  void callee_request(const CallPtr& call, const SipPeer& from, const sip::Message& msg);
  // Answers a request on an ended call's dialog (482, BYE 200/481); false when it is none of
  // its business (a new call reusing the Call-ID, a stray ACK, ...).
  bool ended_request(const SipPeer& from, const sip::Message& msg);
  // A 2xx for a call that is over (its record): ACK it; BYE its dialog unless already done. Also
  // one from a silent trunk the call left (failover).
  void ended_answer(EndedCall& ended, const sip::Message& msg);
  // [sbcd] max_call_duration from the answer; `elapsed`: how long the call has been answered
  // already (an adopted call).
  void start_duration_limit(const CallPtr& call, std::chrono::milliseconds elapsed = {});

 private:
  void abandoned_answer(EndedCall& ended, const sip::Message& msg);
  void handle_ack(const CallPtr& call, const sip::Message& ack);
  void handle_cancel(const CallPtr& call, const SipPeer& from, const sip::Message& cancel);
  void handle_bye(const CallPtr& call, Side side, const SipPeer& to, const sip::Message& bye);
  // A new INVITE without a To tag on the caller's dialog: refused as merged or retransmitted
  // (true), or a new call reusing an ended call's Call-ID (false).
  bool repeated_invite(const CallPtr& call, const SipPeer& from, const sip::Message& msg);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
  CallRecords& records_;
  MidCall& mid_call_;
  ReliableProvisionals& provisionals_;
  CallTransfer& transfer_;
};

}  // namespace sbc::cp
