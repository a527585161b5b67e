// The vocabulary shared by the RFC 3261 §17 transaction layer and its transaction user (TU, the
// B2BUA): timer values, identifiers, errors and the callbacks the layer makes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "controlplane/sip/message.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

// RFC 3261 §17.1.1.1 / Table 4. Every other timer is derived from these three.
struct TransactionTimers {
  std::chrono::milliseconds t1{500};   // RTT estimate
  std::chrono::milliseconds t2{4000};  // longest retransmit interval of non-INVITE / responses
  std::chrono::milliseconds t4{5000};  // longest a message stays in the network
  // Not in the RFC: how long an INVITE transaction may stay in Proceeding (client: no final
  // response; server: the TU never answered). The TU bounds both itself (ring timeout, CANCEL);
  // this only keeps a TU bug from growing the table forever.
  std::chrono::milliseconds proceeding_guard{std::chrono::minutes(10)};

  [[nodiscard]] std::chrono::milliseconds timer_64t1() const { return 64 * t1; }  // B F H J L M
};

// Identifies a client transaction toward the TU; never 0 (0 means "no transaction").
using TransactionId = uint64_t;

enum class TransactionError : uint8_t {
  kTimeout,    // Timer B / F (or the Proceeding guard) fired before a final response
  kTransport,  // the transport reported that the hop is unreachable (§17.1.4)
};
[[nodiscard]] std::string_view to_string(TransactionError error);

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;

  // A request that is not a retransmission: one that created a server transaction (any method
  // but ACK; the TU answers it with TransactionLayer::respond), or an ACK no INVITE server
  // transaction absorbed (the ACK for a 2xx, which the TU owns).
  virtual void on_request(const SipPeer& from, const sip::Message& request) = 0;
  // A response to client transaction `id` (sent on behalf of `owner`): provisional responses
  // and the first final one. Every 2xx to an INVITE comes up (retransmissions and forks
  // included: the TU ACKs each, RFC 6026); id 0 and owner 0 for a 2xx to an INVITE whose
  // transaction is already gone. Retransmitted non-2xx finals never come up (absorbed, ACKed).
  virtual void on_response(TransactionId id, uint64_t owner, const SipPeer& from,
                           const sip::Message& response) = 0;
  // Client transaction `id` ended without a final response.
  virtual void on_transaction_error(TransactionId id, uint64_t owner, TransactionError error) = 0;
};

}  // namespace sbc::cp
