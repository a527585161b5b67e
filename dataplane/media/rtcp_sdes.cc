#include "dataplane/media/rtcp_sdes.h"

namespace sbc::dp {
namespace {

constexpr uint8_t kSdes = 202;
constexpr uint8_t kEnd = 0;

// FNV-1a, 64-bit: stable across processes and restarts, cheap on a few dozen bytes.
uint64_t fnv1a(const uint8_t* text, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; ++i) {
    h ^= text[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The item's text as hex digits of its hash (repeated past 16 digits); true when it changed.
bool mask_text(uint8_t* text, size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t h = fnv1a(text, len);
  bool changed = false;
  for (size_t i = 0; i < len; ++i) {
    const auto digit = static_cast<uint8_t>(kHex[(h >> (4 * (i % 16))) & 0xf]);
    changed |= text[i] != digit;
    text[i] = digit;
  }
  return changed;
}

// One SDES packet's chunks in `body[0, len)` (after its 4-octet header), `count` of them: each an
// SSRC, items up to an END item, padding to the next 32-bit boundary (RFC 3550 §6.5).
bool mask_chunks(uint8_t* body, size_t len, unsigned count) {
  bool changed = false;
  size_t at = 0;
  for (unsigned chunk = 0; chunk < count; ++chunk) {
    at += 4;  // SSRC/CSRC
    while (at < len && body[at] != kEnd) {
      if (at + 2 > len) return changed;
      const size_t text_len = body[at + 1];
      if (at + 2 + text_len > len) return changed;
      changed |= mask_text(body + at + 2, text_len);
      at += 2 + text_len;
    }
    if (at >= len) return changed;
    at = (at + 4) & ~size_t{3};  // past the END octet, to the chunk's 32-bit boundary
  }
  return changed;
}

}  // namespace

bool mask_rtcp_sdes(uint8_t* data, size_t len) noexcept {
  bool changed = false;
  size_t at = 0;
  while (at + 4 <= len) {
    const uint8_t* header = data + at;
    if ((header[0] >> 6) != 2) return changed;
    const size_t packet_len = 4 * (static_cast<size_t>((header[2] << 8) | header[3]) + 1);
    if (packet_len > len - at) return changed;
    if (header[1] == kSdes) {
      changed |= mask_chunks(data + at + 4, packet_len - 4, header[0] & 0x1f);
    }
    at += packet_len;
  }
  return changed;
}

}  // namespace sbc::dp
