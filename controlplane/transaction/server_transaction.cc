#include "controlplane/transaction/server_transaction.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "controlplane/transaction/transaction_key.h"
#include "controlplane/transaction/transaction_layer.h"

namespace sbc::cp {

std::string_view to_string(ServerTransaction::State state) {
  using S = ServerTransaction::State;
  switch (state) {
    case S::kTrying: return "trying";
    case S::kProceeding: return "proceeding";
    case S::kCompleted: return "completed";
    case S::kConfirmed: return "confirmed";
    case S::kAccepted: return "accepted";
    case S::kTerminated: return "terminated";
  }
  return "unknown";
}

ServerTransaction::ServerTransaction(TransactionLayer& layer, std::string key, bool rfc2543,
                                     SipPeer from, SipPeer to, const sip::Message& request)
    : layer_(layer),
      key_(std::move(key)),
      rfc2543_(rfc2543),
      from_(std::move(from)),
      to_(std::move(to)),
      invite_(request.method() == sip::Method::kInvite),
      state_(invite_ ? State::kProceeding : State::kTrying),
      request_to_tag_(rfc2543 ? to_tag(request) : std::string()) {}

ServerTransaction::~ServerTransaction() = default;

void ServerTransaction::arm(Timer timer, std::chrono::milliseconds delay) {
  timers_[static_cast<size_t>(timer)] =
      cp::Timer(layer_.scheduler(), delay,
                [layer = &layer_, key = key_, timer] { layer->server_timer(key, timer); });
}

void ServerTransaction::disarm(Timer timer) {
  timers_[static_cast<size_t>(timer)].cancel();
}

void ServerTransaction::terminate() {
  state_ = State::kTerminated;
  for (Timer t : {Timer::kRetransmit, Timer::kTimeout, Timer::kLinger}) disarm(t);
}

void ServerTransaction::linger(std::chrono::milliseconds unreliable_delay) {
  if (reliable()) {
    terminate();
  } else {
    arm(Timer::kLinger, unreliable_delay);
  }
}

void ServerTransaction::start() {
  // A non-INVITE request is retransmitted for 64*T1 at most (Timer F): a TU that has not answered
  // by then will not be heard anyway. An INVITE may ring for minutes: the TU bounds that.
  arm(Timer::kTimeout, invite_ ? layer_.timers().proceeding_guard : layer_.timers().timer_64t1());
}

bool ServerTransaction::to_tag_matches(const sip::Message& request) const {
  if (!rfc2543_) return true;
  const std::string tag = to_tag(request);
  if (request.method() == sip::Method::kAck) {
    return tag == (response_to_tag_.empty() ? request_to_tag_ : response_to_tag_);
  }
  return tag == request_to_tag_;
}

void ServerTransaction::on_retransmission() {
  ++layer_.stats().absorbed_requests;
  // Trying has nothing to re-send (§17.2.2); Accepted leaves 2xx retransmission to the TU
  // (RFC 6026 §8.5); Confirmed and Terminated absorb silently.
  if (state_ == State::kProceeding || state_ == State::kCompleted) {
    if (!last_response_.empty()) layer_.transport().send(to_, last_response_);
  }
}

bool ServerTransaction::on_ack(const sip::Message&) {
  switch (state_) {
    case State::kCompleted:
      // §17.2.1: Confirmed; Timer I absorbs further ACK retransmissions.
      disarm(Timer::kRetransmit);
      disarm(Timer::kTimeout);
      state_ = State::kConfirmed;
      linger(layer_.timers().t4);
      ++layer_.stats().absorbed_requests;
      return true;
    case State::kConfirmed:
    case State::kTerminated: ++layer_.stats().absorbed_requests; return true;
    case State::kAccepted:  // the ACK of a 2xx (RFC 2543 peers reuse the branch): the TU's
    case State::kProceeding:
    case State::kTrying: return false;
  }
  return false;
}

bool ServerTransaction::respond(sip::OutgoingResponse response) {
  const TransactionTimers& t = layer_.timers();
  const int code = response.code;
  if (state_ == State::kAccepted && invite_ && code >= 200 && code < 300) {
    // The TU retransmitting its 2xx (RFC 6026 §8.6): passed to the transport.
    layer_.transport().send(to_, response.bytes);
    return true;
  }
  if (state_ != State::kTrying && state_ != State::kProceeding) return false;
  layer_.transport().send(to_, response.bytes);
  if (rfc2543_) response_to_tag_ = std::move(response.to_tag);
  last_response_ = std::move(response.bytes);
  if (code < 200) {
    state_ = State::kProceeding;
    return true;
  }
  disarm(Timer::kTimeout);  // the guard
  if (!invite_) {
    state_ = State::kCompleted;
    linger(t.timer_64t1());  // Timer J
    return true;
  }
  if (code < 300) {
    state_ = State::kAccepted;
    arm(Timer::kTimeout, t.timer_64t1());  // Timer L
    return true;
  }
  state_ = State::kCompleted;
  interval_ = t.t1;
  if (!reliable()) arm(Timer::kRetransmit, interval_);  // Timer G
  arm(Timer::kTimeout, t.timer_64t1());                 // Timer H
  return true;
}

void ServerTransaction::on_timer(Timer timer) {
  switch (timer) {
    case Timer::kRetransmit:  // Timer G
      if (state_ != State::kCompleted) return;
      layer_.transport().send(to_, last_response_);
      ++layer_.stats().retransmissions;
      interval_ = std::min(interval_ * 2, layer_.timers().t2);
      arm(Timer::kRetransmit, interval_);
      return;
    case Timer::kTimeout:
      if (state_ == State::kCompleted && invite_) {
        // Timer H: the ACK never came (§17.2.1).
        ++layer_.stats().timeouts;
        spdlog::debug("sip: no ACK for a final response to {}", from_.remote.address().to_string());
      } else if (state_ == State::kTrying || state_ == State::kProceeding) {
        ++layer_.stats().abandoned;
        spdlog::warn("sip: server transaction ended unanswered (from {})",
                     from_.remote.address().to_string());
      }
      terminate();  // Timer H, L or the guard
      return;
    case Timer::kLinger:  // Timer I or J
      terminate();
      return;
  }
}

}  // namespace sbc::cp
