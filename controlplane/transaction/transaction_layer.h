// The RFC 3261 §17 transaction layer: owns every client and server transaction, matches received
// messages to them (transaction_key.h), runs their timers on the Scheduler, sends through the
// SipTransport and reports to one TransactionUser.
//
// Received requests: retransmissions are absorbed (the last response re-sent), the ACK of a
// non-2xx final response is absorbed inside its INVITE transaction; anything else reaches the TU
// with a new server transaction (ACKs of 2xx without one). The TU answers with respond(), which
// stamps the top Via per RFC 3581 and sends along §18.2.2.
// Sent requests: send_request() starts a client transaction that retransmits over UDP, ACKs
// non-2xx finals itself and reports responses and timeouts to the TU.
//
// Bounded: beyond max_transactions live server transactions a new request gets a stateless 503
// (ACKs are dropped), beyond it live client transactions send_request() refuses.
// Single-threaded: everything runs on the event loop that drives the Scheduler.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controlplane/observability/metrics.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/message.h"
#include "controlplane/transaction/client_transaction.h"
#include "controlplane/transaction/server_transaction.h"
#include "controlplane/transaction/transaction_user.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

// What the layer did, for tests, logs and `show`; counters only grow.
struct TransactionStats {
  uint64_t absorbed_requests = 0;   // retransmitted requests and non-2xx ACKs kept from the TU
  uint64_t absorbed_responses = 0;  // retransmitted final responses kept from the TU
  uint64_t retransmissions = 0;     // requests (A, E) and responses (G) we re-sent
  uint64_t timeouts = 0;            // Timer B / F / H fired
  uint64_t abandoned = 0;           // server transactions the TU never answered
  uint64_t over_limit = 0;          // requests refused or dropped at max_transactions
  uint64_t stray_responses = 0;     // responses matching no client transaction (not 2xx INVITE)
};

enum class SendError : uint8_t {
  kMalformed,  // the request has no branch, or is an ACK (sent outside transactions)
  kDuplicate,  // a client transaction with that branch and method is live
  kLimit,      // max_transactions client transactions are live
};
[[nodiscard]] std::string_view to_string(SendError error);

class TransactionLayer {
 public:
  static constexpr size_t kDefaultMaxTransactions = 50000;  // each of client and server

  TransactionLayer(Scheduler& scheduler, SipTransport& transport, TransactionUser& tu,
                   Metrics& metrics, TransactionTimers timers = {},
                   size_t max_transactions = kDefaultMaxTransactions);
  ~TransactionLayer();
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // One received message that parsed. A request needs a top Via that parses and a CSeq (ACK
  // included); the caller drops those without (sip::answerable()).
  void on_message(const SipPeer& from, const sip::Message& message);

  // Starts a client transaction for `request` (one we built, not ACK; never parsed back) toward
  // `to`. `owner` is handed back with its responses and errors.
  std::expected<TransactionId, SendError> send_request(const SipPeer& to,
                                                       sip::OutgoingRequest request,
                                                       uint64_t owner);
  // Ends a client transaction without telling the TU (it stopped waiting for it).
  void abandon(TransactionId id);
  // The transport reports `to` unreachable: its pending client transactions fail (§17.1.4).
  void on_transport_error(const SipPeer& to);

  // Sends the TU's response to `request` (built with sip::make_response, whose status code and
  // To tag the builder keeps as fields) in the request's server transaction, its top Via stamped
  // per RFC 3581. Returns the bytes sent (the TU may keep a 2xx to retransmit it, §13.3.1.4); ""
  // when the request has no server transaction or its state allows no such response (logged,
  // counted as a drop). `zone` is the zone the request arrived on.
  std::string respond(size_t zone, const sip::Message& request, sip::MessageBuilder response);
  // Same, for a response the TU already built for this request's source (a stored one).
  bool respond(size_t zone, const sip::Message& request, sip::OutgoingResponse response);
  // Answers `request` from `from` without keeping state (the stateless UAS of RFC 3261 §8.2.7),
  // ending the request's server transaction: for requests refused before any dialog logic
  // (malformed, unknown sources). A flood of them then costs no memory, and a forged source gets
  // one response per request, never Timer G's retransmissions.
  void respond_stateless(const SipPeer& from, const sip::Message& request,
                         sip::MessageBuilder response);
  // The To tag of a stateless response to `request` (§8.2.6.2): a keyed hash of its Call-ID,
  // From tag and top Via branch, so each retransmission of the request gets the same tag without
  // any state kept. The key is drawn once per layer, so tags cannot be predicted from outside.
  [[nodiscard]] std::string stateless_tag(const sip::Message& request) const;

  // The limit of each of server and client transactions ([sbcd] transaction_capacity); a lower
  // one refuses new transactions until enough of the live ones end.
  void set_max_transactions(size_t max) { max_transactions_ = max; }
  [[nodiscard]] size_t max_transactions() const { return max_transactions_; }
  [[nodiscard]] size_t client_transactions() const { return clients_.size(); }
  [[nodiscard]] size_t server_transactions() const { return servers_.size(); }
  [[nodiscard]] const ClientTransaction* client(TransactionId id) const;
  // The server transaction `request` belongs to (ACK: its INVITE's), nullptr when none.
  [[nodiscard]] const ServerTransaction* server(size_t zone, const sip::Message& request) const;
  [[nodiscard]] const TransactionStats& stats() const { return stats_; }
  [[nodiscard]] const TransactionTimers& timers() const { return timers_; }

  // --- for the transactions ---
  [[nodiscard]] Scheduler& scheduler() { return scheduler_; }
  [[nodiscard]] SipTransport& transport() { return transport_; }
  [[nodiscard]] TransactionUser& tu() { return tu_; }
  [[nodiscard]] TransactionStats& stats() { return stats_; }
  void client_timer(TransactionId id, ClientTransaction::Timer timer);
  void server_timer(const std::string& key, ServerTransaction::Timer timer);

 private:
  void on_request(const SipPeer& from, const sip::Message& request);
  void on_response(const SipPeer& from, const sip::Message& response);
  [[nodiscard]] ServerTransaction* find_server(size_t zone, const sip::Message& request) const;
  bool send_in(ServerTransaction& tx, sip::OutgoingResponse response);
  void refuse_over_limit(const SipPeer& from, const sip::Message& request);
  void erase_client_if_done(TransactionId id);
  void erase_server_if_done(const std::string& key);

  Scheduler& scheduler_;
  SipTransport& transport_;
  TransactionUser& tu_;
  Metrics& metrics_;
  TransactionTimers timers_;
  size_t max_transactions_;
  std::array<unsigned char, 32> tag_key_{};  // stateless_tag()'s HMAC key
  TransactionId next_id_ = 1;
  std::unordered_map<TransactionId, std::unique_ptr<ClientTransaction>> clients_;
  std::unordered_map<std::string, TransactionId> client_keys_;  // client_key() -> id
  std::unordered_map<std::string, std::unique_ptr<ServerTransaction>> servers_;  // by ServerKey
  TransactionStats stats_;
};

}  // namespace sbc::cp
