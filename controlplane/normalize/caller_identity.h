// Who calls whom, across the trust boundary (RFC 3325, RFC 3323): the caller's numbers and
// identity read from its INVITE under its side's policy, and what of them our INVITE to the
// callee's side carries under that side's.
//
// - A P-Asserted-Identity (else a P-Preferred-Identity) is believed only from a trusted side
//   (trust_identity); from any other it is dropped. A caller that authenticated with digest is
//   asserted as its user instead: the SBC vouches for what it checked.
// - The asserted identity goes on as P-Asserted-Identity at the SBC's own host on that side
//   (nothing of the caller's side leaks). A caller that asked for privacy (`Privacy: id`) keeps
//   it from untrusted sides: they get no P-Asserted-Identity; a trusted side gets it with the
//   Privacy header, and withholds it further itself.
// - Any privacy asked for (id, user, header) makes our From anonymous
//   ("Anonymous" <sip:anonymous@anonymous.invalid>, RFC 3323 §4.1.1.3), unless a trunk's fromuser
//   fills it (an account, not the caller).
// - Numbers go through the caller side's number_in into the SBC's form, then through the callee
//   side's number_out (number_rules.h), with the tech prefix on the Request-URI only.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "controlplane/normalize/header_rules.h"
#include "controlplane/normalize/normalization_policy.h"
#include "controlplane/sip/message.h"

namespace sbc::cp {

// What the caller's Privacy header asks for (RFC 3323 §4.2, RFC 3325 §9.3).
struct PrivacyRequest {
  bool id = false;    // withhold the asserted identity from untrusted hops
  bool user = false;  // "user" or "header": an anonymous From
  [[nodiscard]] bool any() const { return id || user; }
  // The Privacy value we send on: "id", "user;id", ...; "" when none.
  [[nodiscard]] std::string to_string() const;
  bool operator==(const PrivacyRequest&) const = default;
};
[[nodiscard]] PrivacyRequest parse_privacy(std::string_view value);

struct CallerIdentity {
  std::string called;    // the Request-URI user, in the SBC's form
  std::string calling;   // the From user, in the SBC's form
  std::string display;   // the From display name
  std::string asserted;  // the asserted identity's user, in the SBC's form; "" when none
  std::string asserted_display;
  PrivacyRequest privacy;
  // The caller side's number_in: the numbers of headers passed with headers_rewrite are read
  // with it when our INVITE is written.
  NumberRules number_in;
  bool operator==(const CallerIdentity&) const = default;
};

// The caller's identity from its INVITE, as the caller's side (`policy`) is trusted and writes
// numbers. `authenticated_user`: the digest user the caller proved to be ("" when none).
[[nodiscard]] CallerIdentity read_caller_identity(const NormalizationPolicy& policy,
                                                  const sip::Message& invite,
                                                  std::string_view authenticated_user);

// Users as URIs carry them ('#' escaped).
struct CalleeIdentity {
  std::string request_user;  // the tech prefix and the called number
  std::string called;        // To user
  std::string calling;       // From user (a trunk's fromuser goes instead: Route)
  std::string display;       // From display name
  bool anonymous = false;    // privacy: the From is anonymous
  // P-Asserted-Identity, Privacy and User-Agent, then the headers passed and added
  // (header_rules.h), in that order.
  NamedHeaders headers;
};

// What our INVITE to the callee's side (`policy`) carries. `identity_host`: the host of our
// From on that side (a trunk's fromdomain, else the SBC's address there), also that of the
// P-Asserted-Identity. `caller_headers`: the caller's INVITE's, which the header rules pass.
[[nodiscard]] CalleeIdentity write_callee_identity(const NormalizationPolicy& policy,
                                                   const CallerIdentity& caller,
                                                   std::span<const sip::HeaderField> caller_headers,
                                                   std::string_view identity_host);

// A header value of name-addrs (Diversion, History-Info, P-Charge-Info) with each sip, sips or
// tel URI written as sip:USER@host: USER through `in` then `out` (a tel number without its
// separators), `host` ours; display names and header parameters kept. nullopt when a value
// does not parse or its user cannot be carried (the header is then left out).
[[nodiscard]] std::optional<std::string> rewrite_identity_header(std::string_view value,
                                                                 const NumberRules& in,
                                                                 const NumberRules& out,
                                                                 std::string_view host);

inline constexpr std::string_view kAnonymousUri = "sip:anonymous@anonymous.invalid";

}  // namespace sbc::cp
