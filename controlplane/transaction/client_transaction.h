// One client transaction (RFC 3261 §17.1): the INVITE state machine (Calling, Proceeding,
// Completed, Accepted per RFC 6026, Terminated; timers A, B, D, M) or the non-INVITE one (Trying,
// Proceeding, Completed, Terminated; timers E, F, K). Owned by the TransactionLayer, which feeds
// it responses and timer events and erases it once terminated.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/runtime/scheduler.h"
#include "controlplane/runtime/timer.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/message.h"
#include "controlplane/transaction/transaction_user.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

class TransactionLayer;

class ClientTransaction {
 public:
  enum class State : uint8_t {
    kCalling,     // INVITE sent, nothing back yet
    kTrying,      // non-INVITE sent, nothing back yet
    kProceeding,  // a provisional response arrived
    kCompleted,   // a final response (non-2xx for INVITE) arrived; absorbing retransmissions
    kAccepted,    // INVITE only: a 2xx arrived; later 2xx go to the TU too
    kTerminated,
  };
  enum class Timer : uint8_t { kRetransmit, kTimeout, kLinger };  // A/E, B/F/guard, D/K/M

  // `key` is its client_key(); `request` what it sends, as built (never parsed back).
  ClientTransaction(TransactionLayer& layer, TransactionId id, uint64_t owner, std::string key,
                    SipPeer to, sip::OutgoingRequest request);
  ~ClientTransaction();
  ClientTransaction(const ClientTransaction&) = delete;
  ClientTransaction& operator=(const ClientTransaction&) = delete;

  // Sends the request and arms the timers.
  void start();
  void on_response(const SipPeer& from, const sip::Message& response);
  void on_timer(Timer timer);
  // The transport cannot reach the hop (§17.1.4): the TU hears of it unless a final response
  // already came.
  void on_transport_error();
  // The TU no longer cares (e.g. it gave up waiting after a CANCEL): ends silently.
  void abandon();

  [[nodiscard]] TransactionId id() const { return id_; }
  [[nodiscard]] uint64_t owner() const { return owner_; }
  [[nodiscard]] const std::string& key() const { return key_; }
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool invite() const { return invite_; }
  [[nodiscard]] const SipPeer& peer() const { return to_; }
  [[nodiscard]] bool terminated() const { return state_ == State::kTerminated; }

 private:
  [[nodiscard]] bool reliable() const { return is_stream(to_.transport); }
  void arm(Timer timer, std::chrono::milliseconds delay);
  void disarm(Timer timer);
  void terminate();
  void fail(TransactionError error);
  void invite_response(const SipPeer& from, const sip::Message& response);
  void non_invite_response(const SipPeer& from, const sip::Message& response);
  // The ACK for a non-2xx final response (§17.1.1.3): same branch, the response's To.
  void send_ack(const sip::Message& response);

  TransactionLayer& layer_;
  TransactionId id_;
  uint64_t owner_;
  std::string key_;
  SipPeer to_;
  sip::OutgoingRequest request_;
  bool invite_;
  State state_;
  std::chrono::milliseconds interval_{};  // current Timer A / E interval
  std::string ack_;                       // sent for a non-2xx final; re-sent on its retransmits
  std::array<cp::Timer, 3> timers_;       // by Timer; cancelled when the transaction goes
};

[[nodiscard]] std::string_view to_string(ClientTransaction::State state);

}  // namespace sbc::cp
