// How one side of a call is written, per zone with trunk overrides (number_in, number_out,
// tech_prefix, trust_identity, headers_pass, headers_remove, header_add, user_agent): the
// numbers in its Request-URI, To, From and P-Asserted-Identity (number_rules.h), whether its
// asserted identities are believed and ours are shown to it (RFC 3325, caller_identity.h), which
// of the other side's headers it gets (header_rules.h) and what the SBC calls itself there.
#pragma once

#include <optional>
#include <string>

#include "controlplane/normalize/header_rules.h"
#include "controlplane/normalize/number_rules.h"

namespace sbc::cp {

struct NormalizationPolicy {
  NumberRules number_in;    // numbers this side sends, into the SBC's form
  NumberRules number_out;   // the SBC's form, into what this side expects
  std::string tech_prefix;  // in front of the Request-URI user toward this side
  // This side is in our trust domain (RFC 3325): its P-Asserted-Identity is believed, and ours
  // reaches it even when the caller asked for privacy. Untrusted by default.
  bool trust_identity = false;
  HeaderRules headers;
  // User-Agent on the requests and Server on the responses the SBC sends to this side; empty:
  // neither (nothing names the SBC's or the other side's software).
  std::string user_agent;
  bool operator==(const NormalizationPolicy&) const = default;
};

// A trunk's own settings: each one set replaces its zone's.
struct NormalizationPolicyOverride {
  std::optional<NumberRules> number_in;
  std::optional<NumberRules> number_out;
  std::optional<std::string> tech_prefix;
  std::optional<bool> trust_identity;
  std::optional<HeaderRules> headers;  // any of headers_pass, headers_remove, header_add
  std::optional<std::string> user_agent;

  [[nodiscard]] NormalizationPolicy over(const NormalizationPolicy& zone) const;
  bool operator==(const NormalizationPolicyOverride&) const = default;
};

}  // namespace sbc::cp
