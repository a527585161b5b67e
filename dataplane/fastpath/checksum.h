// Internet checksum helpers (RFC 1071 / RFC 1624), DPDK-free so unit tests cover them directly.
//
// Values are 16-bit words exactly as they sit in the packet (network byte order, loaded natively):
// one's-complement sums are byte-order independent as long as every operand uses the same order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sbc::dp {

inline uint32_t checksum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

// One's-complement sum of a buffer (odd trailing byte padded with zero, as on the wire), 64 bits
// at a time: 32-bit halves summed into 64 bits and folded at the end give the same value as
// 16-bit words (2^16 - 1 divides 2^32 - 1), in a quarter of the additions, on two independent
// chains. SRTP rewrites a whole datagram, so this runs over every protected or unprotected
// payload.
inline uint32_t checksum_partial(const void* data, size_t len, uint32_t sum = 0) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t acc = sum;
  uint64_t acc2 = 0;  // a second chain of additions, so two run at once
  for (; len >= 16; p += 16, len -= 16) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    acc += (a & 0xffffffff) + (a >> 32);
    acc2 += (b & 0xffffffff) + (b >> 32);
  }
  acc += acc2;
  if (len >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    acc += (word & 0xffffffff) + (word >> 32);
    p += 8;
    len -= 8;
  }
  if (len >= 4) {
    uint32_t word;
    std::memcpy(&word, p, 4);
    acc += word;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t word;
    std::memcpy(&word, p, 2);
    acc += word;
    p += 2;
    len -= 2;
  }
  if (len == 1) {
    uint16_t word = 0;
    std::memcpy(&word, p, 1);
    acc += word;
  }
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  return checksum_fold(static_cast<uint32_t>(acc));
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word changing from m to m'.
inline uint16_t checksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// Same for a 32-bit field (an IPv4 address) as two words.
inline uint16_t checksum_update32(uint16_t check, uint32_t old_value, uint32_t new_value) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_value) + static_cast<uint16_t>(~(old_value >> 16));
  sum += (new_value & 0xffff) + (new_value >> 16);
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// The IPv4 header checksum after the TTL goes from `old_ttl` to `new_ttl`: the TTL shares its
// 16-bit word with the protocol (`protocol`). Both words are built from values, so a caller that
// stores the new TTL need not load the header word it just wrote a byte of (that load would wait
// for the store to land).
inline uint16_t checksum_update_ttl(uint16_t check, uint8_t old_ttl, uint8_t new_ttl,
                                    uint8_t protocol) {
  const uint8_t old_bytes[2] = {old_ttl, protocol};
  const uint8_t new_bytes[2] = {new_ttl, protocol};
  uint16_t old_word;
  uint16_t new_word;
  std::memcpy(&old_word, old_bytes, 2);
  std::memcpy(&new_word, new_bytes, 2);
  return checksum_update16(check, old_word, new_word);
}

// A UDP checksum field: 0 means "none" on IPv4, so a computed 0 is sent as 0xffff (RFC 768).
inline uint16_t udp_checksum_field(uint16_t computed) {
  return computed == 0 ? 0xffff : computed;
}

// The UDP checksum field of a whole IPv4 datagram (pseudo-header + header + payload), with the
// header's own checksum field read as 0. For a payload that changed (SRTP protect/unprotect).
inline uint16_t udp4_checksum(uint32_t src_be, uint32_t dst_be, const void* udp, size_t udp_len) {
  const uint8_t pseudo_tail[4] = {0, 17, static_cast<uint8_t>(udp_len >> 8),
                                  static_cast<uint8_t>(udp_len)};
  uint32_t sum = checksum_partial(&src_be, 4);
  sum = checksum_partial(&dst_be, 4, sum);
  sum = checksum_partial(pseudo_tail, 4, sum);
  const auto* bytes = static_cast<const uint8_t*>(udp);
  sum = checksum_partial(bytes, 6, sum);  // ports and length; the checksum field (6..7) skipped
  sum = checksum_partial(bytes + 8, udp_len - 8, sum);
  return udp_checksum_field(static_cast<uint16_t>(~checksum_fold(sum)));
}

}  // namespace sbc::dp
