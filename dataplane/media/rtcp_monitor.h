// What a stream's RTCP says about call quality, for one RTCP stream of a relayed session:
// - the peer's own view from its report blocks (fraction lost, cumulative lost, jitter);
// - the round trip SBC <-> peer (RFC 3550 6.4.1): the SBC remembers when it relayed each SR from
//   the other leg (the SR's NTP middle 32 bits and the relay time); when this leg's peer answers
//   with a report block whose LSR names that SR, RTT = arrival - relayed - DLSR.
//
// Written only by the worker owning the stream; `reverse` (the other leg's RTCP stream, owned by
// another worker perhaps) is only read, one 64-bit atomic per remembered SR. Plain RTCP only: on
// an SRTCP leg the relay must pass the bytes after unprotect (see relay_detail::observe_quality).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace sbc::dp {

struct RtcpQuality {
  uint32_t reports = 0;         // report blocks seen from the peer
  uint32_t malformed = 0;       // RTCP packets that did not parse (still relayed)
  uint8_t fraction_lost = 0;    // the peer's last report: /256
  int32_t cumulative_lost = 0;  // the peer's last report
  uint32_t jitter = 0;          // the peer's last report, RTP clock units
  uint32_t rtt_us = 0;          // last round trip SBC <-> peer; 0: none measured
};

class alignas(64) RtcpMonitor {
 public:
  static constexpr size_t kSrMemory = 4;
  static constexpr uint32_t kMaxRtt16 = 30u << 16;  // a longer "round trip" is a stale LSR

  void on_packet(const uint8_t* data, uint32_t len, uint64_t arrival_tsc, uint64_t tsc_hz,
                 const RtcpMonitor& reverse);

  [[nodiscard]] RtcpQuality snapshot() const;

 private:
  uint32_t ntp16(uint64_t tsc, uint64_t tsc_hz);  // TSC in 1/65536 s, modulo 2^32

  uint64_t ntp16_per_tsc_q32_ = 0;
  std::array<std::atomic<uint64_t>, kSrMemory> relayed_sr_{};  // ntp_mid << 32 | relay time
  std::atomic<uint64_t> report_{0};  // fraction << 56 | (cumulative & 0xffffff) << 32 | jitter
  std::atomic<uint32_t> rtt_us_{0};
  std::atomic<uint32_t> reports_{0};
  std::atomic<uint32_t> malformed_{0};
  uint8_t next_sr_ = 0;
};
static_assert(sizeof(RtcpMonitor) == 64);

}  // namespace sbc::dp
