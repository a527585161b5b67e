// The callee's answers relayed to the caller: every response to our INVITE (provisional, final
// failure, 2xx, forks and retransmissions), the callee's dialog learnt from them, its SDP answer
// parsed once, anchored for the caller and programmed; and the responses to our other requests.
#pragma once

#include <string_view>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_dialogs.h"
#include "controlplane/b2bua/call_media.h"
#include "controlplane/b2bua/call_signalling.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/b2bua/reliable_provisionals.h"
#include "controlplane/b2bua/session_timers.h"
#include "controlplane/b2bua/trunk_challenge.h"
#include "controlplane/b2bua/trunk_failover.h"

namespace sbc::cp {

class AnswerRelay {
 public:
  AnswerRelay(const B2buaContext& ctx, CallSignalling& signalling, CallTeardown& teardown,
              CallMedia& media, CallDialogs& dialogs, SessionTimers& timers,
              ReliableProvisionals& provisionals, TrunkFailover& failover)
      : ctx_(ctx),
        signalling_(signalling),
        teardown_(teardown),
        media_(media),
        dialogs_(dialogs),
        timers_(timers),
        provisionals_(provisionals),
        failover_(failover),
        challenge_(ctx, signalling) {}

  // A response in one of a live call's client transactions.
  void call_response(const CallPtr& call, TransactionId id, const sip::Message& msg);
  // A response to our INVITE to the callee (`id` 0: its transaction is gone).
  void invite_response(const CallPtr& call, TransactionId id, const sip::Message& msg);
  // The caller PRACKed the 18x with our answer: the callee's 2xx that waited for it goes now.
  void release_answer(const CallPtr& call);

 private:
  void provisional(const CallPtr& call, const sip::Message& msg);
  // A 2xx after the INVITE's final response: retransmitted, or from another fork.
  void late_answer(const CallPtr& call, const sip::Message& msg);
  void final_failure(const CallPtr& call, const sip::Message& msg);
  void callee_answered(const CallPtr& call, const sip::Message& msg);
  // The caller gets the callee's 2xx (with our answer): the call is answered.
  void answer_caller(const CallPtr& call, int code, std::string_view reason);
  void learn_callee_dialog(Call& call, const sip::Message& msg);
  // An SDP answer (`text`, the message's session description) from the callee; an unusable
  // one in a final response ends the call.
  void refuse_answer(const CallPtr& call, const sip::Message& msg, MediaRefusal refusal);
  void relay_answer(const CallPtr& call, const sip::Message& msg, std::string_view text);
  // A 2xx from another fork than the dialog the call confirmed: its own ACK, then a BYE.
  void forked_answer(const CallPtr& call, const sip::Message& msg);
  // A 2xx to an INVITE failover abandoned (Call::abandoned_invites): ACKed and BYE'd on its own
  // dialog. false when `msg` answers none of them.
  bool abandoned_answer(const CallPtr& call, const sip::Message& msg);

  const B2buaContext& ctx_;
  CallSignalling& signalling_;
  CallTeardown& teardown_;
  CallMedia& media_;
  CallDialogs& dialogs_;
  SessionTimers& timers_;
  ReliableProvisionals& provisionals_;
  TrunkFailover& failover_;
  TrunkChallenge challenge_;
};

}  // namespace sbc::cp
