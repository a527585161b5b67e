#include "controlplane/b2bua/call_records.h"

#include "controlplane/b2bua/call_cdr.h"

namespace sbc::cp {

std::vector<std::string> CallRecords::zone_names() const {
  std::vector<std::string> names;
  names.reserve(config_.zones.size());
  for (const ZoneConfig& z : config_.zones) names.push_back(z.name);
  return names;
}

void CallRecords::persist(const Call& call) {
  if (store_ != nullptr) store_->save_call(call, zone_names());
}

void CallRecords::note_ended(const Call& call) {
  if (store_ != nullptr && store_->holds(call.id)) store_->mark_ended(call.id, make_cdr(call));
}

// The store marks the call ended (with the CDR so far) when it ends, the CDR file gets the CDR,
// then the store drops the call. Whatever part of that a crash loses (the store commits in
// batches), the next sbcd (B2bua::restore_calls) reads the CDR file's tail: a call whose CDR is
// there is over and is neither written again nor adopted; a call marked ended without it gets its
// stored CDR. So each CDR is written once. (A call whose end was not committed and whose CDR was
// not written yet is adopted again: its parties are gone, so the media timeout ends it, and its
// one CDR then says media_timeout.)
void CallRecords::write_cdr(const Call& call) {
  const nlohmann::json record = make_cdr(call);
  if (store_ != nullptr) store_->mark_ended(call.id, record);
  if (cdr_ != nullptr) cdr_->write(record);
  if (store_ != nullptr) store_->remove_call(call.id);
}

}  // namespace sbc::cp
