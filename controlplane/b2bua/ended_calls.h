// Ended calls, remembered in a few hundred bytes each once their Call (with its messages, SDP and
// media state) is gone: enough to answer what may still arrive on their dialogs (RFC 3261):
// a late retransmission of the caller's INVITE (482), a BYE that crossed ours (200), a 2xx
// retransmitted because our ACK was lost (the same ACK again), and a 2xx of a dialog we never
// confirmed, late after our CANCEL or from another fork (ACK, then BYE).
//
// Bounded on its own, apart from live calls: at capacity the oldest record is forgotten first,
// counted as evicted when it was still inside its retransmission window. Records expire after
// the time given to add(); lookups never return an expired one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/runtime/scheduler.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

// Our INVITE to a trunk that stayed silent and was left for the next one (trunk_failover.h): what
// its dialog needs if that trunk answers 2xx late after all (an ACK and a BYE, never the call).
struct AbandonedInvite {
  SipPeer peer;
  std::string uri;
  std::string branch;
  std::string local_party;
  std::string remote_party;
  uint32_t cseq = 0;
  bool answered = false;  // its 2xx came (and was BYE'd): a retransmission is only ACKed
};

struct EndedCall {
  uint64_t id = 0;  // the call's id (logs)
  Scheduler::Clock::time_point expires{};
  // --- the caller's dialog (sbcd was UAS) ---
  std::string caller_key;      // zone and Call-ID, as the B2BUA indexes callers
  std::string caller_branch;   // top Via branch of the caller's INVITE
  std::string caller_tag;      // our To tag toward the caller
  bool caller_dialog = false;  // the caller got our 2xx: a BYE on that dialog is answered 200
  // --- our INVITE to the callee (sbcd was UAC): what an ACK or BYE of any of its dialogs needs ---
  SipPeer callee_peer;
  std::string callee_call_id;
  std::string callee_tag;  // our From tag
  std::string callee_local_party;
  std::string callee_remote_party;
  std::string callee_invite_uri;
  std::string callee_invite_branch;
  uint32_t callee_invite_cseq = 0;
  // To tags of the callee's dialogs that are over (the confirmed one, forks we ACKed and BYE'd):
  // a 2xx on one of them again gets its ACK only. At most kMaxDialogs.
  std::vector<std::string> callee_dialogs;
  // The callee's challenge went to the caller: the caller's retry (same Call-ID) is sent on this
  // Call-ID and tag with the next CSeq, as a UAC answering a challenge does (RFC 3261 §22.2).
  bool challenge_passed = false;
  // INVITEs to silent trunks the call left (failover) that may still answer 2xx: each such
  // answer gets an ACK and, once, a BYE, also after the call ended.
  std::vector<AbandonedInvite> abandoned;

  static constexpr size_t kMaxDialogs = 8;
};

class EndedCalls {
 public:
  // Retention classes: each is a FIFO in the order of add(), as every record of a class lives
  // equally long.
  enum class Retention : uint8_t { kLinger, kLong };

  explicit EndedCalls(size_t capacity) : capacity_(capacity) {}
  EndedCalls(const EndedCalls&) = delete;
  EndedCalls& operator=(const EndedCalls&) = delete;

  // Remembers `call` until call.expires; when full, the oldest record goes first.
  void add(EndedCall call, Retention retention, Scheduler::Clock::time_point now);
  // The live record of the caller dialog `caller_key` / our callee Call-ID; nullptr when none.
  [[nodiscard]] EndedCall* find_caller(std::string_view caller_key,
                                       Scheduler::Clock::time_point now);
  [[nodiscard]] EndedCall* find_callee(std::string_view call_id, Scheduler::Clock::time_point now);
  // Forgets the records expired at `now`.
  void expire(Scheduler::Clock::time_point now);
  // A new limit; records beyond it are forgotten, oldest first.
  void set_capacity(size_t capacity, Scheduler::Clock::time_point now);

  [[nodiscard]] size_t size() const { return queues_[0].size() + queues_[1].size(); }
  [[nodiscard]] size_t capacity() const { return capacity_; }
  // Records forgotten before they expired (the table was full): retransmissions of those calls
  // find nothing.
  [[nodiscard]] uint64_t evicted() const { return evicted_; }

 private:
  void pop_oldest(Scheduler::Clock::time_point now);
  void pop(std::deque<EndedCall>& queue);

  size_t capacity_;
  uint64_t evicted_ = 0;
  // std::deque keeps references to its elements across push_back and pop_front, so the indexes
  // hold views into the records' own strings.
  std::array<std::deque<EndedCall>, 2> queues_;
  std::unordered_map<std::string_view, EndedCall*> by_caller_;
  std::unordered_map<std::string_view, EndedCall*> by_callee_;
};

}  // namespace sbc::cp
