// Every call the B2BUA holds, live or ended but still owed something, found by its id (also the
// dataplane session id), by the Call-ID we gave the callee, or by the caller's zone and Call-ID.
// It counts the live ones, which [sbcd] call_capacity bounds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controlplane/b2bua/call.h"

namespace sbc::cp {

class CallTable {
 public:
  using CallPtr = std::shared_ptr<Call>;
  using Map = std::unordered_map<uint64_t, CallPtr>;

  // The caller's dialog key: the same Call-ID may come from two zones.
  [[nodiscard]] static std::string caller_key(size_t zone, std::string_view call_id);

  // A new live call, found by both of its dialogs from now on.
  void add(const CallPtr& call);
  // The call ends (kEnded): no longer live, still found until erase().
  void end(Call& call);
  // A new INVITE reuses an ended call's Call-ID: that call is no longer found by it.
  void forget_caller_dialog(const Call& call);
  // `side`'s dialog of `call` becomes `leg` (a handled transfer's target takes the transferor's
  // place): the call is found by the new dialog, no longer by the old one.
  void replace_dialog(Call& call, Side side, Leg leg);
  void erase(uint64_t id);

  [[nodiscard]] CallPtr find(uint64_t id) const;
  [[nodiscard]] CallPtr find_callee_dialog(std::string_view call_id) const;
  [[nodiscard]] CallPtr find_caller_dialog(size_t zone, std::string_view call_id) const;
  [[nodiscard]] bool contains(uint64_t id) const { return calls_.contains(id); }

  [[nodiscard]] const Map& all() const { return calls_; }
  [[nodiscard]] size_t size() const { return calls_.size(); }
  [[nodiscard]] size_t live() const { return live_; }

 private:
  CallPtr find_indexed(const std::unordered_map<std::string, uint64_t>& index,
                       const std::string& key) const;

  Map calls_;
  std::unordered_map<std::string, uint64_t> by_callee_call_id_;  // Call-IDs we generated
  std::unordered_map<std::string, uint64_t> by_caller_call_id_;  // caller_key(zone, Call-ID)
  size_t live_ = 0;
};

}  // namespace sbc::cp
