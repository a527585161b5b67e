// How one side of a call runs its dialog, per zone with trunk overrides: the session timer asked
// of it (RFC 4028), whether its provisional responses are sent and taken reliably (RFC 3262),
// and whether it may transfer calls (REFER, RFC 3515). Timers and PRACKs are terminated per leg:
// each dialog has its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sbc::cp {

// Reliable provisional responses (100rel, PRACK) on one side.
enum class Rel100 : uint8_t {
  kOff,        // never: our INVITE does not offer it, our 18x to it go unreliably, and a
               // request that requires it gets 420 Bad Extension
  kSupported,  // when the peer wants it: `Supported: 100rel` in our INVITE; our 18x reliable
               // when its INVITE supports it
  kRequired,   // always: `Require: 100rel` in our INVITE; an INVITE without it gets 421
};

// "off", "supported", "required" (as in sbc.conf).
[[nodiscard]] std::string_view to_string(Rel100 mode);
[[nodiscard]] std::optional<Rel100> parse_rel100(std::string_view text);

// What a REFER (call transfer, RFC 3515) from this side gets.
enum class ReferPolicy : uint8_t {
  kRelay,   // relayed to the other side with the Refer-To pointing at the SBC (refer_target.h)
  kRefuse,  // 403: this side may not transfer calls
  kHandle,  // the SBC places the new call itself and bridges it (call_transfer.h)
};

// "relay", "refuse", "handle" (as in sbc.conf).
[[nodiscard]] std::string_view to_string(ReferPolicy policy);
[[nodiscard]] std::optional<ReferPolicy> parse_refer_policy(std::string_view text);

struct DialogPolicy {
  // Session timer (RFC 4028): the interval we ask for (0: none offered, a peer's is still
  // honoured) and the shortest we accept.
  uint32_t session_expires_s = 1800;
  uint32_t min_se_s = 90;
  Rel100 rel100 = Rel100::kSupported;
  ReferPolicy refer = ReferPolicy::kRelay;
  bool operator==(const DialogPolicy&) const = default;
};

// A trunk's own settings: each one set replaces its zone's.
struct DialogPolicyOverride {
  std::optional<uint32_t> session_expires_s;
  std::optional<uint32_t> min_se_s;
  std::optional<Rel100> rel100;
  std::optional<ReferPolicy> refer;

  [[nodiscard]] DialogPolicy over(const DialogPolicy& zone) const;
  bool operator==(const DialogPolicyOverride&) const = default;
};

}  // namespace sbc::cp
