// Per-stream RTP reception statistics (RFC 3550 appendix A): sequence tracking with probation,
// cycles and restart (A.1), packets expected and lost (A.3), interarrival jitter (A.8) in RTP
// clock units from the arrival TSC.
//
// Written only by the worker that owns the stream (one call per relayed packet: no allocation, no
// division after the first packet, a handful of branches); the control thread reads the
// published totals (relaxed atomics, one 64-bit word for expected|received so they agree).
#pragma once

#include <atomic>
#include <cstdint>

namespace sbc::dp {

struct RtpQuality {
  uint64_t received = 0;  // valid RTP packets counted by A.1 (duplicates included, as RFC 3550)
  uint64_t expected = 0;  // A.3, summed over every SSRC / restart the stream saw
  int64_t lost = 0;       // expected - received; negative with duplicates
  uint32_t jitter = 0;    // A.8, RTP clock units
  uint32_t clock_hz = 0;  // the clock the jitter is in
};

class alignas(64) RtpStats {
 public:
  static constexpr uint32_t kDefaultClockHz = 8000;
  static constexpr uint16_t kMaxDropout = 3000;
  static constexpr uint16_t kMaxMisorder = 100;
  static constexpr uint16_t kMinSequential = 2;

  // Before publication (control thread): the RTP clock rate of the stream's payload.
  void set_clock(uint32_t clock_hz) { clock_hz_ = clock_hz == 0 ? kDefaultClockHz : clock_hz; }

  // One UDP payload that arrived on the stream at `arrival_tsc`. Anything that is not an RTP
  // version 2 packet (too short, RTCP multiplexed on the port) is ignored.
  void on_packet(const uint8_t* data, uint32_t len, uint64_t arrival_tsc, uint64_t tsc_hz);

  [[nodiscard]] RtpQuality snapshot() const;

 private:
  void init_seq(uint16_t seq);
  void fold_totals();  // a new SSRC or a restart: keep what the previous run counted
  void publish();

  uint64_t rtp_per_tsc_q32_ = 0;  // RTP clock ticks per TSC tick, Q32; computed on first packet
  uint32_t clock_hz_ = kDefaultClockHz;
  uint32_t ssrc_ = 0;
  uint32_t cycles_ = 0;  // count of sequence number cycles << 16
  uint32_t base_seq_ = 0;
  uint32_t bad_seq_ = 0;
  uint32_t received_ = 0;        // every run
  uint32_t prior_expected_ = 0;  // runs before this one
  int32_t transit_ = 0;
  uint32_t jitter_q4_ = 0;  // jitter * 16
  uint16_t max_seq_ = 0;
  uint16_t probation_ = 0;
  std::atomic<uint32_t> pub_jitter_{0};  // published for the control thread
  bool started_ = false;
  bool have_transit_ = false;
  std::atomic<uint64_t> pub_counts_{0};  // published: expected << 32 | received
};
static_assert(sizeof(RtpStats) == 64);

}  // namespace sbc::dp
