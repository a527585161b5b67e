// Random protocol identifiers: tags, Via branches and Call-IDs, from OpenSSL's CSPRNG (unguessable
// identifiers are part of the defence against spoofed in-dialog requests and CANCELs).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sbc::cp::sip {

// Not thread-safe; one per event loop. Draws random bytes in batches to keep RAND_bytes calls rare.
class IdGenerator {
 public:
  IdGenerator() = default;

  // 16 lower-case hex characters (64 bits).
  [[nodiscard]] std::string tag();
  // "z9hG4bK" + 22 hex characters (88 bits).
  [[nodiscard]] std::string branch();
  // 32 hex characters (128 bits), "@host" appended when host is not empty.
  [[nodiscard]] std::string call_id(std::string_view host = {});
  // n random hex characters.
  [[nodiscard]] std::string hex(size_t n);

 private:
  uint8_t next_byte();

  std::array<uint8_t, 256> pool_{};
  size_t used_ = pool_.size();  // empty: refilled on first use
};

}  // namespace sbc::cp::sip
