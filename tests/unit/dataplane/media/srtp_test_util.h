// Helpers of the SRTP tests: hex test vectors to bytes, keys, and a plain RTP/RTCP packet in a
// buffer with room for the trailer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "dataplane/media/srtp_key.h"
#include "dataplane/media/srtp_suite.h"

namespace sbc::dp::test {

// "80 0f 12 34" or "800f1234" (spaces ignored) to bytes.
inline std::vector<uint8_t> hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else if (c == ' ' || c == '\n')
      continue;
    else
      throw std::invalid_argument("bad hex");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd hex");
  return out;
}

inline std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A key of the suite's length whose bytes are seed, seed+1, ...
inline SrtpMasterKey key_for(SrtpSuite suite, uint8_t seed) {
  std::vector<uint8_t> bytes(key_salt_length(suite));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(seed + i);
  return *SrtpMasterKey::create(suite, bytes);
}

// An RTP packet (V=2, PT 0) with `payload` bytes of 0xab, in a buffer with kMaxSrtpTrailer spare.
struct Packet {
  std::vector<uint8_t> buffer;
  size_t length = 0;
  std::vector<uint8_t> bytes() const { return {buffer.begin(), buffer.begin() + length}; }
};

inline Packet rtp_packet(uint32_t ssrc, uint16_t seq, size_t payload = 160) {
  Packet p;
  p.length = 12 + payload;
  p.buffer.assign(p.length + kMaxSrtpTrailer, 0);
  p.buffer[0] = 0x80;
  p.buffer[2] = static_cast<uint8_t>(seq >> 8);
  p.buffer[3] = static_cast<uint8_t>(seq);
  p.buffer[4] = 0x00;
  p.buffer[7] = static_cast<uint8_t>(seq * 160);
  for (int i = 0; i < 4; ++i) p.buffer[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (size_t i = 12; i < p.length; ++i) p.buffer[i] = 0xab;
  return p;
}

// An RTCP receiver report without report blocks plus `extra` bytes (a second packet's worth).
inline Packet rtcp_packet(uint32_t ssrc, size_t extra = 16) {
  Packet p;
  p.length = 8 + extra;
  p.buffer.assign(p.length + kMaxSrtpTrailer, 0);
  p.buffer[0] = 0x80;
  p.buffer[1] = 201;
  p.buffer[3] = 1;
  for (int i = 0; i < 4; ++i) p.buffer[4 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (size_t i = 8; i < p.length; ++i) p.buffer[i] = static_cast<uint8_t>(i);
  return p;
}

}  // namespace sbc::dp::test
