// The dataplane's control operations, one core function each. The socket front end
// (ControlServer) only decodes a message and calls one of these; tests call them directly too.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "api/control_protocol.h"
#include "dataplane/fastpath/counters.h"
#include "dataplane/fastpath/datapath.h"
#include "dataplane/fastpath/port.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/source_table.h"

namespace sbc::dp {

class ControlService {
 public:
  // `workers`: the counter blocks of every worker (read with relaxed loads). `sources` and
  // `media_ports` are the ones the workers read (Datapath).
  ControlService(std::vector<Port> ports, SessionTable& table, SourceTable& sources,
                 MediaPortRange& media_ports, std::vector<const WorkerCounters*> workers,
                 uint64_t tsc_hz);

  api::HelloReply hello(const api::Hello& hello) const;
  api::Result session_add(const api::SessionAdd& add, uint64_t now_tsc);
  api::Result session_delete(const api::SessionDelete& del);
  // Source table: add (or replace), delete (kNotFound when absent or expired), flush.
  api::Result source_add(const api::SourceAdd& add, uint64_t now_tsc);
  api::Result source_delete(const api::SourceDelete& del, uint64_t now_tsc);
  api::Result source_flush();
  api::Result media_ports_set(const api::MediaPortsSet& range);
  // Applies a Batch's items in order, each through the single-item operation above; one Result
  // per item, so a refused item fails only itself.
  api::BatchReply batch(const api::Batch& batch, uint64_t now_tsc);
  // kNotFound (as a Result) for an unknown session id.
  std::expected<api::StatsReply, api::Result> stats(const api::StatsQuery& query,
                                                    uint64_t now_tsc) const;
  api::DumpReply dump(const api::DumpQuery& query, uint64_t now_tsc) const;
  // Hands `deliver` one event per session silent for its media_timeout_ms (since creation or the
  // last upsert if no packet came since). A session counts as reported, and is skipped from then
  // on, only once `deliver` returns true (the event reached at least one client); returns how
  // many were delivered.
  using Deliver = std::function<bool(const api::MediaTimeoutEvent&)>;
  size_t scan_media_timeouts(uint64_t now_tsc, const Deliver& deliver);
  // Periodic housekeeping: frees records whose RCU grace period is over and sweeps expired
  // source entries (workers already read them as absent).
  void housekeeping(uint64_t now_tsc) {
    table_.reclaim();
    sources_.expire(now_tsc);
  }

  // Sum over workers of one drop reason / event (tests, shutdown log).
  [[nodiscard]] uint64_t drops(Drop reason) const;
  [[nodiscard]] uint64_t events(Event event) const;
  [[nodiscard]] const std::vector<Port>& ports() const { return ports_; }

 private:
  api::LegStats leg_stats(const Session& session, size_t leg, uint64_t now_tsc) const;
  uint32_t idle_ms(uint64_t since_tsc, uint64_t now_tsc) const;

  std::vector<Port> ports_;
  SessionTable& table_;
  SourceTable& sources_;
  MediaPortRange& media_ports_;
  std::vector<const WorkerCounters*> workers_;
  uint64_t tsc_hz_;
};

}  // namespace sbc::dp
