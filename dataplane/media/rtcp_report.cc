#include "dataplane/media/rtcp_report.h"

namespace sbc::dp {

namespace {
constexpr uint8_t kSr = 200;
constexpr uint8_t kRr = 201;
constexpr size_t kHeader = 4;
constexpr size_t kSenderInfo = 20;
constexpr size_t kBlock = 24;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

RtcpReportBlock read_block(const uint8_t* p) {
  RtcpReportBlock b;
  b.ssrc = be32(p);
  b.fraction_lost = p[4];
  uint32_t lost = (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
  if (lost & 0x800000u) lost |= 0xff000000u;  // sign-extend the 24-bit field
  b.cumulative_lost = static_cast<int32_t>(lost);
  b.highest_seq = be32(p + 8);
  b.jitter = be32(p + 12);
  b.lsr = be32(p + 16);
  b.dlsr = be32(p + 20);
  return b;
}
}  // namespace

std::string_view to_string(RtcpError e) {
  switch (e) {
    case RtcpError::kTooShort: return "too_short";
    case RtcpError::kBadVersion: return "bad_version";
    case RtcpError::kBadLength: return "bad_length";
    case RtcpError::kBadBlockCount: return "bad_block_count";
    case RtcpError::kNoReport: return "no_report";
  }
  return "unknown";
}

std::expected<RtcpSummary, RtcpError> parse_rtcp(std::span<const uint8_t> packet) {
  if (packet.size() < kHeader + 4) return std::unexpected(RtcpError::kTooShort);
  RtcpSummary out;
  bool any_report = false;
  size_t offset = 0;
  // Each iteration consumes at least one header: bounded by the datagram's size.
  while (offset + kHeader <= packet.size()) {
    const uint8_t* p = packet.data() + offset;
    if ((p[0] >> 6) != 2) return std::unexpected(RtcpError::kBadVersion);
    const size_t count = p[0] & 0x1f;
    const uint8_t type = p[1];
    const size_t bytes = (size_t{(uint32_t{p[2]} << 8) | p[3]} + 1) * 4;
    if (bytes > packet.size() - offset) return std::unexpected(RtcpError::kBadLength);
    if (type == kSr || type == kRr) {
      const size_t fixed = kHeader + 4 + (type == kSr ? kSenderInfo : 0);
      if (bytes < fixed || count * kBlock > bytes - fixed) {
        return std::unexpected(RtcpError::kBadBlockCount);
      }
      any_report = true;
      if (type == kSr && !out.has_sr) {
        out.has_sr = true;
        out.sr_ssrc = be32(p + 4);
        // NTP timestamp at p+8 (seconds) and p+12 (fraction): the middle 32 bits.
        out.sr_ntp_mid = (be32(p + 8) << 16) | (be32(p + 12) >> 16);
      }
      if (count > 0 && !out.has_block) {
        out.has_block = true;
        out.block = read_block(p + fixed);
      }
    }
    offset += bytes;
  }
  if (offset != packet.size()) return std::unexpected(RtcpError::kBadLength);  // trailing bytes
  if (!any_report) return std::unexpected(RtcpError::kNoReport);
  return out;
}

}  // namespace sbc::dp
