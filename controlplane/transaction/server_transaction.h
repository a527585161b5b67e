// One server transaction (RFC 3261 §17.2): the INVITE state machine (Proceeding, Completed,
// Confirmed, Accepted per RFC 6026, Terminated; timers G, H, I, L) or the non-INVITE one (Trying,
// Proceeding, Completed, Terminated; timer J). Owned by the TransactionLayer, which feeds it
// retransmitted requests, ACKs, the TU's responses and timer events and erases it once
// terminated.
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

class ServerTransaction {
 public:
  enum class State : uint8_t {
    kTrying,      // non-INVITE received, no response yet
    kProceeding,  // INVITE received, or a provisional sent
    kCompleted,   // a final response sent (non-2xx for INVITE)
    kConfirmed,   // INVITE only: the ACK for the non-2xx arrived
    kAccepted,    // INVITE only: a 2xx sent; the TU retransmits it until its ACK
    kTerminated,
  };
  enum class Timer : uint8_t { kRetransmit, kTimeout, kLinger };  // G, H/J/L/guard, I

  // `key` is the transaction's ServerKey; `to` where its responses go.
  ServerTransaction(TransactionLayer& layer, std::string key, bool rfc2543, SipPeer from,
                    SipPeer to, const sip::Message& request);
  ~ServerTransaction();
  ServerTransaction(const ServerTransaction&) = delete;
  ServerTransaction& operator=(const ServerTransaction&) = delete;

  // Arms the guard that ends a transaction the TU never answers.
  void start();
  // The same request again: absorbed, the last response (if any) re-sent (§17.2.1, §17.2.2).
  void on_retransmission();
  // An ACK matching this INVITE transaction. True when absorbed (the ACK of a non-2xx final);
  // false when it belongs to the TU (Accepted: the ACK of a 2xx).
  bool on_ack(const sip::Message& ack);
  // The TU's response, built (its code and To tag beside the bytes). False when the state allows
  // no such response.
  bool respond(sip::OutgoingResponse response);
  void on_timer(Timer timer);

  // RFC 2543 matching also compares To tags: the request's for requests, the one our response
  // carried for an ACK.
  [[nodiscard]] bool to_tag_matches(const sip::Message& request) const;
  [[nodiscard]] const std::string& key() const { return key_; }
  [[nodiscard]] const SipPeer& source() const { return from_; }
  [[nodiscard]] const SipPeer& target() const { return to_; }
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool invite() const { return invite_; }
  [[nodiscard]] bool terminated() const { return state_ == State::kTerminated; }

 private:
  [[nodiscard]] bool reliable() const { return is_stream(to_.transport); }
  void arm(Timer timer, std::chrono::milliseconds delay);
  void disarm(Timer timer);
  void terminate();
  // Timer I / J: linger to absorb retransmissions over UDP, end at once over TCP/TLS.
  void linger(std::chrono::milliseconds unreliable_delay);

  TransactionLayer& layer_;
  std::string key_;
  bool rfc2543_;
  SipPeer from_;
  SipPeer to_;
  bool invite_;
  State state_;
  std::string request_to_tag_;   // RFC 2543 matching
  std::string response_to_tag_;  // the To tag of our last response (RFC 2543 ACK matching)
  std::string last_response_;
  std::chrono::milliseconds interval_{};  // current Timer G interval
  std::array<cp::Timer, 3> timers_;       // by Timer; cancelled when the transaction goes
};

[[nodiscard]] std::string_view to_string(ServerTransaction::State state);

}  // namespace sbc::cp
