// Registrar settings: [registrar].
#pragma once

#include <cstdint>

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

}  // namespace sbc::cp
