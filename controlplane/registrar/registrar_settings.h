// Registrar settings: [registrar], and the per-zone registration keys of [zone.NAME].
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sbc::cp {

struct RegistrarConfig {        // [registrar]
  uint32_t min_expires = 60;    // shorter requests get 423 + Min-Expires
  uint32_t max_expires = 3600;  // longer requests are granted this
  uint32_t default_expires = 3600;
  uint32_t nat_expires = 60;       // granted to a client behind NAT (its Contact is not where the
                                   // REGISTER came from), so it re-registers and keeps its pinhole
  uint32_t max_contacts = 5;       // bindings per user; beyond it the oldest is replaced
  uint32_t max_bindings = 100000;  // all users
  bool operator==(const RegistrarConfig&) const = default;
};

// What the SBC sends a NATed client between its registrations to keep its pinhole open.
enum class NatKeepaliveMode : uint8_t {
  kNone,
  kOptions,  // an OPTIONS request (answered by every UA; Kamailio nathelper's default)
  kCrlf,     // a CRLFCRLF ping (RFC 5626 §4.4.1; a UA discards it)
};
[[nodiscard]] constexpr std::string_view to_string(NatKeepaliveMode k) {
  switch (k) {
    case NatKeepaliveMode::kOptions: return "options";
    case NatKeepaliveMode::kCrlf: return "crlf";
    case NatKeepaliveMode::kNone: break;
  }
  return "none";
}

// How a relaying zone's REGISTERs name their clients upstream (b2bua/register_relay.h).
enum class RegisterRelayMode : uint8_t {
  kContact,  // the SBC's own Contact per client contact (sip:sbc-r-TOKEN@...): nothing leaks
  kPath,     // the client's own Contact, with a Path (RFC 3327) through the SBC
};
[[nodiscard]] constexpr std::string_view to_string(RegisterRelayMode m) {
  return m == RegisterRelayMode::kPath ? "path" : "contact";
}

// [zone.NAME] register_relay, register_relay_mode, nat_keepalive, nat_keepalive_interval: how an
// access zone serves REGISTER.
struct ZoneRegistration {
  // The trunk whose registrar the zone's REGISTERs are relayed to (b2bua/register_relay.h); "":
  // the SBC's own registrar answers them.
  std::string relay_trunk;
  RegisterRelayMode relay_mode = RegisterRelayMode::kContact;
  NatKeepaliveMode keepalive = NatKeepaliveMode::kNone;
  std::chrono::seconds keepalive_interval{30};
  bool operator==(const ZoneRegistration&) const = default;
};

}  // namespace sbc::cp
