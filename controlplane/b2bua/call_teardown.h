// How a call ends: each side's dialog hung up as that side is owed, the call marked ended (its
// admission given back, its CDR noted), its media session retired, and the call erased once its
// transactions are over, leaving an EndedCall record to absorb what may still arrive.
#pragma once

#include <cstdint>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_records.h"
#include "controlplane/b2bua/call_signalling.h"

namespace sbc::cp {

class CallTeardown {
 public:
  CallTeardown(const B2buaContext& ctx, CallSignalling& signalling, CallRecords& records)
      : ctx_(ctx), signalling_(signalling), records_(records) {}

  // Ends a call's dialog with one side, honouring what that side is owed first: the callee's 2xx
  // is ACKed before its BYE (§13.2.2.4), an unanswered callee gets CANCEL, and the caller's BYE
  // waits for its ACK of our 2xx or the 2xx's retransmission timeout (§15).
  void hang_up_callee(const CallPtr& call);
  void hang_up_caller(const CallPtr& call);
  // Ends a call for a local reason: the caller gets `code` if it has no final response yet,
  // established dialogs get a BYE, a ringing callee gets a CANCEL.
  void fail_call(const CallPtr& call, int code, CallResult result);
  // The call is over (each side already told): counted, noted, its media retired.
  void end_call(const CallPtr& call, CallResult result, int code);
  // Our 2xx to the caller was never ACKed (§13.3.1.4): the dialog ends; a BYE that waited for
  // the ACK goes now (§15).
  void caller_never_acked(const CallPtr& call);
  // A new call refused for its offer's media before it was set up (the caller has its 488): its
  // CDR (media_refusal) and its count as a failed call all the same.
  void record_refused_offer(uint64_t id, const sip::Message& invite, MediaRefusal refusal);

 private:
  void teardown_media(const CallPtr& call);
  void erase_call(uint64_t id);
  // Keeps what an ended call's dialogs may still need as an EndedCall record.
  void remember(const Call& call);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallRecords& records_;
};

}  // namespace sbc::cp
