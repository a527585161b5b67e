// What outlives a call or sbcd: established calls kept in the CallStore for the next sbcd, and
// each call's CDR, written exactly once.
#pragma once

#include <string>
#include <vector>

#include "controlplane/b2bua/call.h"
#include "controlplane/b2bua/call_store.h"
#include "controlplane/config/config.h"
#include "controlplane/observability/cdr_writer.h"

namespace sbc::cp {

class CallRecords {
 public:
  // `cdr`: nullptr when no CDRs are written.
  CallRecords(const Config& config, CdrWriter* cdr) : config_(config), cdr_(cdr) {}

  // Established calls are written to `store` once confirmed and deleted once their CDR is
  // written (nullptr: nothing kept).
  void set_store(CallStore* store) { store_ = store; }
  [[nodiscard]] CallStore* store() const { return store_; }
  [[nodiscard]] CdrWriter* cdr() const { return cdr_; }

  void persist(const Call& call);     // a confirmed call, into the store
  void note_ended(const Call& call);  // the CDR so far, in case sbcd dies before write_cdr
  // The CDR, exactly once: kept in the store with the call until it is in the CDR file.
  void write_cdr(const Call& call);
  // The zones by index, as the store names them.
  [[nodiscard]] std::vector<std::string> zone_names() const;

 private:
  const Config& config_;
  CdrWriter* cdr_;
  CallStore* store_ = nullptr;
};

}  // namespace sbc::cp
