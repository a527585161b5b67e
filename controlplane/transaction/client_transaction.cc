#include "controlplane/transaction/client_transaction.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "controlplane/sip/builder.h"
#include "controlplane/transaction/transaction_layer.h"

namespace sbc::cp {

std::string_view to_string(ClientTransaction::State state) {
  using S = ClientTransaction::State;
  switch (state) {
    case S::kCalling: return "calling";
    case S::kTrying: return "trying";
    case S::kProceeding: return "proceeding";
    case S::kCompleted: return "completed";
    case S::kAccepted: return "accepted";
    case S::kTerminated: return "terminated";
  }
  return "unknown";
}

ClientTransaction::ClientTransaction(TransactionLayer& layer, TransactionId id, uint64_t owner,
                                     std::string key, SipPeer to, sip::OutgoingRequest request)
    : layer_(layer),
      id_(id),
      owner_(owner),
      key_(std::move(key)),
      to_(std::move(to)),
      request_(std::move(request)),
      invite_(request_.method == sip::Method::kInvite),
      state_(invite_ ? State::kCalling : State::kTrying) {}

ClientTransaction::~ClientTransaction() = default;

void ClientTransaction::arm(Timer timer, std::chrono::milliseconds delay) {
  timers_[static_cast<size_t>(timer)] =
      cp::Timer(layer_.scheduler(), delay,
                [layer = &layer_, id = id_, timer] { layer->client_timer(id, timer); });
}

void ClientTransaction::disarm(Timer timer) {
  timers_[static_cast<size_t>(timer)].cancel();
}

void ClientTransaction::terminate() {
  state_ = State::kTerminated;
  for (Timer t : {Timer::kRetransmit, Timer::kTimeout, Timer::kLinger}) disarm(t);
}

void ClientTransaction::fail(TransactionError error) {
  terminate();
  if (error == TransactionError::kTimeout) ++layer_.stats().timeouts;
  layer_.tu().on_transaction_error(id_, owner_, error);
}

void ClientTransaction::start() {
  layer_.transport().send(to_, request_.bytes);
  // Timers A / E retransmit over UDP only; Timer B / F bound the wait either way (§17.1.1.2,
  // §17.1.2.2).
  interval_ = layer_.timers().t1;
  if (!reliable()) arm(Timer::kRetransmit, interval_);
  arm(Timer::kTimeout, layer_.timers().timer_64t1());
}

void ClientTransaction::on_timer(Timer timer) {
  const TransactionTimers& t = layer_.timers();
  switch (timer) {
    case Timer::kRetransmit:
      if (state_ == State::kCalling) {
        // Timer A: doubles without a cap; Timer B ends it.
        layer_.transport().send(to_, request_.bytes);
        ++layer_.stats().retransmissions;
        interval_ *= 2;
        arm(Timer::kRetransmit, interval_);
      } else if (state_ == State::kTrying || state_ == State::kProceeding) {
        // Timer E: doubles up to T2 while Trying; T2 once a provisional came (§17.1.2.2).
        layer_.transport().send(to_, request_.bytes);
        ++layer_.stats().retransmissions;
        interval_ = state_ == State::kTrying ? std::min(interval_ * 2, t.t2) : t.t2;
        arm(Timer::kRetransmit, interval_);
      }
      return;
    case Timer::kTimeout:
      // Timer B (Calling), Timer F (Trying, Proceeding), or the INVITE Proceeding guard.
      if (state_ == State::kCalling || state_ == State::kTrying || state_ == State::kProceeding) {
        spdlog::debug("sip: transaction {} ({}) timed out in {}", id_, request_.method_text,
                      to_string(state_));
        fail(TransactionError::kTimeout);
      }
      return;
    case Timer::kLinger:  // Timer D, K or M
      terminate();
      return;
  }
}

void ClientTransaction::on_transport_error() {
  if (state_ == State::kCalling || state_ == State::kTrying || state_ == State::kProceeding) {
    fail(TransactionError::kTransport);
  }
}

void ClientTransaction::abandon() {
  terminate();
}

void ClientTransaction::on_response(const SipPeer& from, const sip::Message& response) {
  if (invite_) {
    invite_response(from, response);
  } else {
    non_invite_response(from, response);
  }
}

void ClientTransaction::invite_response(const SipPeer& from, const sip::Message& response) {
  const int code = response.status_code();
  const TransactionTimers& t = layer_.timers();
  switch (state_) {
    case State::kCalling:
    case State::kProceeding:
      disarm(Timer::kRetransmit);
      if (code < 200) {
        // Timer B stops with the first provisional (§17.1.1.2); the guard takes its place.
        if (state_ == State::kCalling) arm(Timer::kTimeout, t.proceeding_guard);
        state_ = State::kProceeding;
      } else if (code < 300) {
        // RFC 6026: Accepted, so retransmitted or forked 2xx still reach the TU for its ACK.
        disarm(Timer::kTimeout);
        state_ = State::kAccepted;
        arm(Timer::kLinger, t.timer_64t1());  // Timer M
      } else {
        disarm(Timer::kTimeout);
        send_ack(response);
        state_ = State::kCompleted;
        // Timer D: at least 32 s over UDP (to absorb retransmitted finals), 0 over TCP/TLS.
        if (reliable()) {
          terminate();
        } else {
          arm(Timer::kLinger, std::max(std::chrono::milliseconds(32000), t.timer_64t1()));
        }
      }
      layer_.tu().on_response(id_, owner_, from, response);
      return;
    case State::kAccepted:
      if (code >= 200 && code < 300) {
        layer_.tu().on_response(id_, owner_, from, response);
      } else {
        ++layer_.stats().absorbed_responses;
      }
      return;
    case State::kCompleted:
      // A retransmitted final: the ACK went missing (§17.1.1.2).
      if (code >= 300) layer_.transport().send(to_, ack_);
      ++layer_.stats().absorbed_responses;
      return;
    case State::kTrying:
    case State::kTerminated: return;
  }
}

void ClientTransaction::non_invite_response(const SipPeer& from, const sip::Message& response) {
  const int code = response.status_code();
  switch (state_) {
    case State::kTrying:
    case State::kProceeding:
      if (code < 200) {
        state_ = State::kProceeding;
      } else {
        disarm(Timer::kRetransmit);
        disarm(Timer::kTimeout);
        state_ = State::kCompleted;
        // Timer K: T4 over UDP (absorbs retransmitted finals), 0 over TCP/TLS.
        if (reliable()) {
          terminate();
        } else {
          arm(Timer::kLinger, layer_.timers().t4);
        }
      }
      layer_.tu().on_response(id_, owner_, from, response);
      return;
    case State::kCompleted: ++layer_.stats().absorbed_responses; return;
    case State::kCalling:
    case State::kAccepted:
    case State::kTerminated: return;
  }
}

void ClientTransaction::send_ack(const sip::Message& response) {
  ack_ = sip::make_non2xx_ack(request_, response).build();
  layer_.transport().send(to_, ack_);
}

}  // namespace sbc::cp
