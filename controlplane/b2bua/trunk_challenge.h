// A carrier's challenge to our INVITE (401/407) answered with its trunk's credentials
// (`username`/`secret` in [trunk.NAME], RFC 3261 §22.2): the same INVITE again, on the same
// Call-ID and From tag, with the next CSeq, a new branch and our Authorization (or
// Proxy-Authorization). The caller sees nothing of it but the ringing going on. Credentials are
// never asked of the caller nor sent toward it.
//
// Bounded: a challenge to our answered challenge is taken once more only when it says our nonce
// was stale; otherwise the credentials were refused and the call fails as before (503 to the
// caller). A trunk without credentials, or a challenge we cannot answer (not Digest MD5/SHA-256
// with qop auth or none), fails the same way.
#pragma once

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_signalling.h"

namespace sbc::cp {

// The trunk `call` goes to when it has credentials; nullptr otherwise.
[[nodiscard]] const TrunkConfig* credentialed_trunk(const std::vector<TrunkConfig>& trunks,
                                                    const Call& call);

// The exception: a caller on a zone that relays its REGISTERs to the trunk `call` goes to
// (register_relay.h), which holds no credentials of its own, authenticates with the registrar's
// server itself, as it registered (a hosted PBX's phone). Its challenge goes back to the caller
// and the caller's Authorization / Proxy-Authorization go to that trunk, and to no other.
[[nodiscard]] bool passes_caller_credentials(const Config& config, const Call& call);
// Copies the caller's credentials into `spec` (our INVITE) when passes_caller_credentials().
void add_caller_credentials(const Config& config, const Call& call, sip::RequestSpec& spec);

class TrunkChallenge {
 public:
  // One answer, plus one for a stale nonce.
  static constexpr uint8_t kMaxAnswers = 2;

  TrunkChallenge(const B2buaContext& ctx, CallSignalling& signalling)
      : ctx_(ctx), signalling_(signalling) {}

  // The callee's 401/407 to our INVITE: true when our INVITE went again with the credentials.
  bool answer(const CallPtr& call, const sip::Message& challenge);

 private:
  const B2buaContext& ctx_;
  CallSignalling& signalling_;
};

}  // namespace sbc::cp
