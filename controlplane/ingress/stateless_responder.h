// The one place sbcd answers a request statelessly (RFC 3261 §8.2.7): every refusal made while
// no call exists (policy, unknown sources, capacity, challenges), so a flood of them holds no
// server transactions and a forged source gets one response per request, never Timer G's
// retransmissions. Sent through the TransactionLayer, which ends the request's server
// transaction and stamps the top Via (RFC 3581).
#pragma once

#include <string_view>

#include "controlplane/security/edge_security.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/message.h"
#include "controlplane/transaction/transaction_layer.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

class StatelessResponder {
 public:
  explicit StatelessResponder(TransactionLayer& layer) : layer_(layer) {}

  // The response to `request`, for the caller to add headers to before send(). Its To tag, when
  // the request has none and code > 100, is the layer's deterministic stateless tag: every
  // retransmission of the request gets the same response.
  [[nodiscard]] sip::MessageBuilder response(const sip::Message& request, int code,
                                             std::string_view reason = {}) const;
  // Sends `response` to `request` from `from` (toward its top Via).
  void send(const SipPeer& from, const sip::Message& request, sip::MessageBuilder response);
  // A refusal without extra headers.
  void reject(const SipPeer& from, const sip::Message& request, int code,
              std::string_view reason = {});
  // A digest challenge (401/407) with the authenticator's challenge headers.
  void challenge(const SipPeer& from, const sip::Message& request, const AuthDecision& auth);

 private:
  TransactionLayer& layer_;
};

}  // namespace sbc::cp
