// Builders of RTCP packets for the quality tests.
#pragma once

#include <cstdint>
#include <vector>

namespace sbc::dp::test {

inline void put32(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x >> 24));
  v.push_back(static_cast<uint8_t>(x >> 16));
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}

struct Block {
  uint32_t ssrc = 0x0a0b0c0d;
  uint8_t fraction = 0;
  int32_t cumulative = 0;
  uint32_t jitter = 0;
  uint32_t lsr = 0;
  uint32_t dlsr = 0;
};

inline void put_block(std::vector<uint8_t>& v, const Block& b) {
  put32(v, b.ssrc);
  put32(v, (uint32_t{b.fraction} << 24) | (static_cast<uint32_t>(b.cumulative) & 0xffffff));
  put32(v, 1000);
  put32(v, b.jitter);
  put32(v, b.lsr);
  put32(v, b.dlsr);
}

// An SR with NTP time (sec, frac) and optionally one report block.
inline std::vector<uint8_t> sr(uint32_t ntp_sec, uint32_t ntp_frac, const Block* block = nullptr) {
  std::vector<uint8_t> v;
  const uint32_t words = 6 + (block ? 6 : 0);
  put32(v, (0x80u | (block ? 1u : 0u)) << 24 | (200u << 16) | words);
  put32(v, 0x01020304);
  put32(v, ntp_sec);
  put32(v, ntp_frac);
  put32(v, 12345);
  put32(v, 10);
  put32(v, 1600);
  if (block) put_block(v, *block);
  return v;
}

inline std::vector<uint8_t> rr(const Block& block) {
  std::vector<uint8_t> v;
  put32(v, (0x81u << 24) | (201u << 16) | 7);
  put32(v, 0x05060708);
  put_block(v, block);
  return v;
}

}  // namespace sbc::dp::test
