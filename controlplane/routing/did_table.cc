#include "controlplane/routing/did_table.h"

#include <algorithm>

namespace sbc::cp {
namespace {

bool serves(const DidConfig& did, std::string_view trunk) {
  return did.trunks.empty() || std::ranges::find(did.trunks, trunk) != did.trunks.end();
}

}  // namespace

DidTable::DidTable(const std::vector<DidConfig>& dids) {
  for (const DidConfig& did : dids) {
    if (did.numbers.empty()) {
      by_prefix_[""].push_back(&did);
      continue;
    }
    for (const std::string& prefix : did.numbers) by_prefix_[prefix].push_back(&did);
  }
}

const DidConfig* DidTable::match(std::string_view trunk, std::string_view number) const {
  // Longest prefix first; at one length an entry naming the trunk before a general one.
  for (size_t length = number.size() + 1; length-- > 0;) {
    auto it = by_prefix_.find(number.substr(0, length));
    if (it == by_prefix_.end()) continue;
    const DidConfig* general = nullptr;
    for (const DidConfig* did : it->second) {
      if (!serves(*did, trunk)) continue;
      if (!did->trunks.empty()) return did;
      if (!general) general = did;
    }
    if (general) return general;
  }
  return nullptr;
}

}  // namespace sbc::cp
