// The B2BUA across sbcd restarts: established calls kept in the CallStore (CallRecords) are
// adopted again by the next sbcd, the CDRs of calls that ended just before it written once.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "controlplane/b2bua/b2bua.h"

namespace sbc::cp {
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
  setup_.reserve_id(id);
  metrics_.call_started();
  std::chrono::milliseconds answered{};
  if (call->answer_time) {
    answered = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                            scheduler_.wall_now() - *call->answer_time),
                        std::chrono::milliseconds(0));
  }
  dialogs_.start_duration_limit(call, answered);
  session_timers_.adopt(call);
  spdlog::info("call {}: adopted ({} -> {}, answered {} s ago)", id, call->legs[kCaller].user,
               call->legs[kCallee].user,
               std::chrono::duration_cast<std::chrono::seconds>(answered).count());
  return true;
}

std::expected<RestoredCalls, std::string> B2bua::restore_calls() {
  RestoredCalls out;
  CallStore* store = records_.store();
  CdrWriter* cdr = records_.cdr();
  if (store == nullptr) return out;
  auto stored = store->load_calls(records_.zone_names());
  if (!stored) return std::unexpected(stored.error());
  for (const auto& [id, why] : stored->dropped) {
    spdlog::error("call {}: kept state not usable ({}); dropped", id, why);
    ++out.dropped;
  }
  // A CDR already in the file was written just before the crash: never twice.
  const auto written = cdr != nullptr ? cdr->written_call_ids() : std::unordered_set<uint64_t>{};
  for (auto& [id, record] : stored->ended) {
    if (!written.contains(id)) {
      if (cdr != nullptr) cdr->write(record);
      ++out.cdrs_written;
    }
    store->remove_call(id);
  }
  for (Call& call : stored->live) {
    const uint64_t id = call.id;
    if (written.contains(id)) {
      store->remove_call(id);  // over: its CDR is written
      continue;
    }
    if (adopt(std::move(call))) {
      ++out.adopted;
    } else {
      store->remove_call(id);
      ++out.dropped;
    }
  }
  return out;
}

}  // namespace sbc::cp
