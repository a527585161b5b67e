#include "dataplane/media/rtcp_monitor.h"

#include <span>

#include "dataplane/media/rtcp_report.h"

namespace sbc::dp {

uint32_t RtcpMonitor::ntp16(uint64_t tsc, uint64_t tsc_hz) {
  if (ntp16_per_tsc_q32_ == 0 && tsc_hz != 0) {
    ntp16_per_tsc_q32_ = ((uint64_t{65536} << 32) + tsc_hz - 1) / tsc_hz;
  }
  return static_cast<uint32_t>((static_cast<unsigned __int128>(tsc) * ntp16_per_tsc_q32_) >> 32);
}

void RtcpMonitor::on_packet(const uint8_t* data, uint32_t len, uint64_t arrival_tsc,
                            uint64_t tsc_hz, const RtcpMonitor& reverse) {
  const auto parsed = parse_rtcp(std::span<const uint8_t>(data, len));
  if (!parsed) {
    malformed_.store(malformed_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return;
  }
  const uint32_t now = ntp16(arrival_tsc, tsc_hz);
  if (parsed->has_sr && parsed->sr_ntp_mid != 0) {
    relayed_sr_[next_sr_].store((uint64_t{parsed->sr_ntp_mid} << 32) | now,
                                std::memory_order_relaxed);
    next_sr_ = static_cast<uint8_t>((next_sr_ + 1) % kSrMemory);
  }
  if (!parsed->has_block) return;
  const RtcpReportBlock& b = parsed->block;
  report_.store((uint64_t{b.fraction_lost} << 56) |
                    (uint64_t{static_cast<uint32_t>(b.cumulative_lost) & 0xffffffu} << 32) |
                    b.jitter,
                std::memory_order_relaxed);
  reports_.store(reports_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (b.lsr == 0) return;
  for (const auto& slot : reverse.relayed_sr_) {
    const uint64_t sr = slot.load(std::memory_order_relaxed);
    if (static_cast<uint32_t>(sr >> 32) != b.lsr) continue;
    const uint32_t rtt16 = now - static_cast<uint32_t>(sr) - b.dlsr;  // modulo 2^32
    if (rtt16 < kMaxRtt16) {
      rtt_us_.store(static_cast<uint32_t>((uint64_t{rtt16} * 1000000) >> 16),
                    std::memory_order_relaxed);
    }
    return;
  }
}

RtcpQuality RtcpMonitor::snapshot() const {
  RtcpQuality q;
  const uint64_t report = report_.load(std::memory_order_relaxed);
  q.fraction_lost = static_cast<uint8_t>(report >> 56);
  uint32_t lost = static_cast<uint32_t>(report >> 32) & 0xffffffu;
  if (lost & 0x800000u) lost |= 0xff000000u;
  q.cumulative_lost = static_cast<int32_t>(lost);
  q.jitter = static_cast<uint32_t>(report);
  q.rtt_us = rtt_us_.load(std::memory_order_relaxed);
  q.reports = reports_.load(std::memory_order_relaxed);
  q.malformed = malformed_.load(std::memory_order_relaxed);
  return q;
}

}  // namespace sbc::dp
