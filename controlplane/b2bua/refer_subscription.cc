#include "controlplane/b2bua/refer_subscription.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

#include "controlplane/sip/params.h"

namespace sbc::cp {

void ReferSubscriptions::add(Side transferor, uint32_t transferor_cseq, uint32_t relayed_cseq) {
  if (refers_.size() == kMax) refers_.erase(refers_.begin());
  Refer refer{transferor, {}};
  refer.cseq[transferor] = transferor_cseq;
  refer.cseq[transferor == kCaller ? kCallee : kCaller] = relayed_cseq;
  refers_.push_back(refer);
}

void ReferSubscriptions::restore(std::vector<Refer> refers) {
  if (refers.size() > kMax) refers.erase(refers.begin(), refers.end() - kMax);
  refers_ = std::move(refers);
}

std::string ReferSubscriptions::map_event(Side from, sip::Method method,
                                          std::string_view event) const {
  const size_t semicolon = event.find(';');
  const std::string_view package = sip::trim_lws(event.substr(0, semicolon));
  if (semicolon == std::string_view::npos || !sip::iequals(package, "refer")) {
    return std::string(event);
  }
  auto params = sip::parse_params(event.substr(semicolon + 1));
  if (!params) return std::string(event);
  const sip::Param* id = sip::find_param(*params, "id");
  const auto number = id != nullptr ? sip::parse_decimal(id->value) : std::nullopt;
  if (!number) return std::string(event);
  // NOTIFYs come from the transferee, SUBSCRIBEs from the transferor (the subscriber).
  const bool from_transferor = method == sip::Method::kSubscribe;
  const auto refer = std::ranges::find_if(refers_, [&](const Refer& r) {
    return (r.transferor == from) == from_transferor && r.cseq[from] == *number;
  });
  if (refer == refers_.end()) return std::string(event);
  const Side to = from == kCaller ? kCallee : kCaller;
  std::string mapped(package);
  for (const sip::Param& param : *params) {
    if (&param == id) {
      mapped += fmt::format(";id={}", refer->cseq[to]);
    } else {
      mapped += fmt::format(";{}{}{}", param.name, param.has_value ? "=" : "", param.value);
    }
  }
  return mapped;
}

}  // namespace sbc::cp
