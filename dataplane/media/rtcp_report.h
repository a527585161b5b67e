// RTCP report parsing (RFC 3550 6.4) from untrusted bytes: a compound packet is walked header by
// header, every length checked against what is left, and the first SR's sender info and the first
// report block (SR or RR) are returned. No allocation; a malformed packet is an error value.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

namespace sbc::dp {

enum class RtcpError : uint8_t {
  kTooShort,       // less than one RTCP header
  kBadVersion,     // not version 2
  kBadLength,      // a header's length runs past the datagram
  kBadBlockCount,  // more report blocks than the packet's length holds
  kNoReport,       // a well-formed compound packet without SR or RR (e.g. BYE alone)
};
std::string_view to_string(RtcpError e);

struct RtcpReportBlock {
  uint32_t ssrc = 0;            // the source this block reports on
  uint8_t fraction_lost = 0;    // /256, since the previous report
  int32_t cumulative_lost = 0;  // 24-bit signed
  uint32_t highest_seq = 0;     // extended
  uint32_t jitter = 0;          // RTP clock units of the reported stream
  uint32_t lsr = 0;             // middle 32 bits of the NTP time of the last SR received; 0: none
  uint32_t dlsr = 0;            // 1/65536 s since that SR
};

struct RtcpSummary {
  bool has_sr = false;
  uint32_t sr_ssrc = 0;
  uint32_t sr_ntp_mid = 0;  // middle 32 bits of the SR's NTP timestamp (what an RR's LSR echoes)
  bool has_block = false;
  RtcpReportBlock block;
};

std::expected<RtcpSummary, RtcpError> parse_rtcp(std::span<const uint8_t> packet);

}  // namespace sbc::dp
