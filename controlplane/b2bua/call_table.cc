#include "controlplane/b2bua/call_table.h"

#include <fmt/core.h>

namespace sbc::cp {

std::string CallTable::caller_key(size_t zone, std::string_view call_id) {
  return fmt::format("{}/{}", zone, call_id);
}

void CallTable::add(const CallPtr& call) {
  const Leg& a = call->legs[kCaller];
  calls_.emplace(call->id, call);
  by_caller_call_id_.insert_or_assign(caller_key(a.peer.zone, a.call_id), call->id);
  by_callee_call_id_.insert_or_assign(call->legs[kCallee].call_id, call->id);
  if (call->state != CallState::kEnded) ++live_;
}

void CallTable::end(Call& call) {
  if (call.state == CallState::kEnded) return;
  call.state = CallState::kEnded;
  if (calls_.contains(call.id)) --live_;
}

void CallTable::forget_caller_dialog(const Call& call) {
  const Leg& a = call.legs[kCaller];
  auto it = by_caller_call_id_.find(caller_key(a.peer.zone, a.call_id));
  if (it != by_caller_call_id_.end() && it->second == call.id) by_caller_call_id_.erase(it);
}

void CallTable::replace_dialog(Call& call, Side side, Leg leg) {
  if (side == kCaller) {
    forget_caller_dialog(call);
    by_caller_call_id_.insert_or_assign(caller_key(leg.peer.zone, leg.call_id), call.id);
  } else {
    if (auto c = by_callee_call_id_.find(call.legs[kCallee].call_id);
        c != by_callee_call_id_.end() && c->second == call.id) {
      by_callee_call_id_.erase(c);
    }
    by_callee_call_id_.insert_or_assign(leg.call_id, call.id);
  }
  call.legs[side] = std::move(leg);
}

void CallTable::erase(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  const Call& call = *it->second;
  forget_caller_dialog(call);
  if (auto c = by_callee_call_id_.find(call.legs[kCallee].call_id);
      c != by_callee_call_id_.end() && c->second == id) {
    by_callee_call_id_.erase(c);
  }
  if (call.state != CallState::kEnded) --live_;
  calls_.erase(it);
}

CallTable::CallPtr CallTable::find(uint64_t id) const {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second;
}

CallTable::CallPtr CallTable::find_indexed(const std::unordered_map<std::string, uint64_t>& index,
                                           const std::string& key) const {
  auto it = index.find(key);
  return it == index.end() ? nullptr : find(it->second);
}

CallTable::CallPtr CallTable::find_callee_dialog(std::string_view call_id) const {
  return find_indexed(by_callee_call_id_, std::string(call_id));
}

CallTable::CallPtr CallTable::find_caller_dialog(size_t zone, std::string_view call_id) const {
  return find_indexed(by_caller_call_id_, caller_key(zone, call_id));
}

}  // namespace sbc::cp
