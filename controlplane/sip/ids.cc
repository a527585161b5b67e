#include "controlplane/sip/ids.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace sbc::cp::sip {
namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

uint8_t IdGenerator::next_byte() {
  if (used_ == pool_.size()) {
    // A CSPRNG that cannot produce bytes leaves no safe way to make identifiers: stop loudly.
    if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) {
      std::fputs("sbc: RAND_bytes failed; cannot generate SIP identifiers\n", stderr);
      std::abort();
    }
    used_ = 0;
  }
  return pool_[used_++];
}

std::string IdGenerator::hex(size_t n) {
  std::string out(n, '0');
  for (size_t i = 0; i < n; i += 2) {
    const uint8_t b = next_byte();
    out[i] = kHex[b >> 4];
    if (i + 1 < n) out[i + 1] = kHex[b & 0x0f];
  }
  return out;
}

std::string IdGenerator::tag() {
  return hex(16);
}

std::string IdGenerator::branch() {
  std::string out = "z9hG4bK";
  out += hex(22);
  return out;
}

std::string IdGenerator::call_id(std::string_view host) {
  std::string out = hex(32);
  if (!host.empty()) {
    out += '@';
    out += host;
  }
  return out;
}

}  // namespace sbc::cp::sip
