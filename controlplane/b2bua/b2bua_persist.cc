// The B2BUA across sbcd restarts: established calls kept in the CallStore, adopted again by the
// next sbcd, their CDRs written exactly once.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.h"

namespace sbc::cp {

std::vector<std::string> B2bua::zone_names() const {
  std::vector<std::string> names;
  names.reserve(config_.zones.size());
  for (const ZoneConfig& z : config_.zones) names.push_back(z.name);
  return names;
}

void B2bua::persist(const CallPtr& call) {
  if (store_ != nullptr) store_->save_call(*call, zone_names());
}

void B2bua::note_ended(const Call& call) {
  if (store_ != nullptr && store_->holds(call.id)) store_->mark_ended(call.id, make_cdr(call));
}

// The store marks the call ended (with the CDR so far) when it ends, the CDR file gets the CDR,
// then the store drops the call. Whatever part of that a crash loses (the store commits in
// batches), the next sbcd (restore_calls) reads the CDR file's tail: a call whose CDR is there is
// over and is neither written again nor adopted; a call marked ended without it gets its stored
// CDR. So each CDR is written once. (A call whose end was not committed and whose CDR was not
// written yet is adopted again: its parties are gone, so the media timeout ends it, and its one
// CDR then says media_timeout.)
void B2bua::write_cdr(const Call& call) {
  const nlohmann::json record = make_cdr(call);
  if (store_ != nullptr) store_->mark_ended(call.id, record);
  if (cdr_ != nullptr) cdr_->write(record);
  if (store_ != nullptr) store_->remove_call(call.id);
}

bool B2bua::adoptable(const Call& call) const {
  if (calls_.contains(call.id)) {
    spdlog::error("call {}: not adopted: a call with this id exists", call.id);
    return false;
  }
  if (!call.caller_invite) {
    spdlog::error("call {}: not adopted: the caller's INVITE was not kept", call.id);
    return false;
  }
  for (const Leg& leg : call.legs) {
    if (leg.peer.zone >= config_.zones.size()) {
      spdlog::error("call {}: not adopted: zone {} does not exist", call.id, leg.peer.zone);
      return false;
    }
  }
  return true;
}

void B2bua::resume_established(Call& call) {
  // Established on both sides: every dialog flag as after the caller's ACK.
  call.state = CallState::kConfirmed;
  if (call.final_status == 0) call.final_status = 200;
  call.callee_provisional = true;
  call.callee_answered = true;
  call.caller_acked = true;
  // on_dataplane_up() upserts it (same legs: the latches survive) and reconcile keeps it.
  call.media.mark_programmed();
  const auto age = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                                scheduler_.wall_now() - call.start_time),
                            std::chrono::milliseconds(0));
  call.started = scheduler_.now() - age;
  if (call.admission) call.admission = security_.readmit_call(call.admission->ticket());
}

bool B2bua::adopt(Call adopted) {
  auto call = std::make_shared<Call>(std::move(adopted));
  const uint64_t id = call->id;
  if (!adoptable(*call)) return false;
  // The media ports stay with the session the dataplane still runs.
  if (auto claimed = call->media.claim_ports(ports_); !claimed) {
    spdlog::error("call {}: not adopted: media port {}: {}", id,
                  call->media.leg(claimed.error().side).local_port,
                  to_string(claimed.error().error));
    return false;
  }
  resume_established(*call);

  calls_.add(call);  // an adopted call is live: it counts against call_capacity
  next_call_id_ = std::max(next_call_id_, id + 1);
  metrics_.call_started();
  std::chrono::milliseconds answered{};
  if (call->answer_time) {
    answered = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                            scheduler_.wall_now() - *call->answer_time),
                        std::chrono::milliseconds(0));
  }
  start_duration_limit(call, answered);
  spdlog::info("call {}: adopted ({} -> {}, answered {} s ago)", id, call->legs[kCaller].user,
               call->legs[kCallee].user,
               std::chrono::duration_cast<std::chrono::seconds>(answered).count());
  return true;
}

std::expected<RestoredCalls, std::string> B2bua::restore_calls() {
  RestoredCalls out;
  if (store_ == nullptr) return out;
  auto stored = store_->load_calls(zone_names());
  if (!stored) return std::unexpected(stored.error());
  for (const auto& [id, why] : stored->dropped) {
    spdlog::error("call {}: kept state not usable ({}); dropped", id, why);
    ++out.dropped;
  }
  // A CDR already in the file was written just before the crash: never twice.
  const auto written = cdr_ != nullptr ? cdr_->written_call_ids() : std::unordered_set<uint64_t>{};
  for (auto& [id, record] : stored->ended) {
    if (!written.contains(id)) {
      if (cdr_ != nullptr) cdr_->write(record);
      ++out.cdrs_written;
    }
    store_->remove_call(id);
  }
  for (Call& call : stored->live) {
    const uint64_t id = call.id;
    if (written.contains(id)) {
      store_->remove_call(id);  // over: its CDR is written
      continue;
    }
    if (adopt(std::move(call))) {
      ++out.adopted;
    } else {
      store_->remove_call(id);
      ++out.dropped;
    }
  }
  return out;
}

}  // namespace sbc::cp
