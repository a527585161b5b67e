#include "dataplane/media/rtp_stats.h"

namespace sbc::dp {

namespace {
constexpr uint32_t kSeqMod = 1u << 16;
constexpr int64_t kMaxTransitStep = int64_t{1} << 24;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
}  // namespace

void RtpStats::init_seq(uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;  // so seq == bad_seq is false
  cycles_ = 0;
}

void RtpStats::fold_totals() {
  if (started_ && probation_ == 0) {
    prior_expected_ += cycles_ + max_seq_ - base_seq_ + 1;
  }
  have_transit_ = false;
}

void RtpStats::publish() {
  uint32_t expected = prior_expected_;
  if (started_ && probation_ == 0) expected += cycles_ + max_seq_ - base_seq_ + 1;
  pub_counts_.store((uint64_t{expected} << 32) | received_, std::memory_order_relaxed);
  pub_jitter_.store(jitter_q4_ >> 4, std::memory_order_relaxed);
}

void RtpStats::on_packet(const uint8_t* data, uint32_t len, uint64_t arrival_tsc, uint64_t tsc_hz) {
  if (len < 12 || (data[0] >> 6) != 2) return;
  const uint8_t pt = data[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return;  // RTCP multiplexed on the RTP port (RFC 5761)
  const uint16_t seq = be16(data + 2);
  const uint32_t rtp_ts = be32(data + 4);
  const uint32_t ssrc = be32(data + 8);

  if (!started_ || ssrc != ssrc_) {  // a new source: A.1's first packet, with probation
    fold_totals();
    started_ = true;
    ssrc_ = ssrc;
    init_seq(seq);
    max_seq_ = static_cast<uint16_t>(seq - 1);
    probation_ = kMinSequential;
  }

  // RFC 3550 A.1 update_seq().
  const uint16_t udelta = static_cast<uint16_t>(seq - max_seq_);
  if (probation_ != 0) {
    if (seq == static_cast<uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ != 0) return;
      init_seq(seq);
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = seq;
      return;
    }
  } else if (udelta < kMaxDropout) {
    if (seq < max_seq_) cycles_ += kSeqMod;  // wrapped
    max_seq_ = seq;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    if (seq != bad_seq_) {  // a very large jump: believe it only when the next packet follows
      bad_seq_ = (seq + 1) & (kSeqMod - 1);
      return;
    }
    fold_totals();  // two sequential packets after a jump: the sender restarted
    init_seq(seq);
  }
  // else: a duplicate or a reordered packet; counted as received (A.3).
  ++received_;

  // RFC 3550 A.8: transit time in RTP units; jitter kept scaled by 16.
  if (rtp_per_tsc_q32_ == 0 && tsc_hz != 0) {
    rtp_per_tsc_q32_ = ((uint64_t{clock_hz_} << 32) + tsc_hz - 1) / tsc_hz;
  }
  const auto arrival =
      static_cast<uint32_t>((static_cast<unsigned __int128>(arrival_tsc) * rtp_per_tsc_q32_) >> 32);
  const auto transit = static_cast<int32_t>(arrival - rtp_ts);
  if (have_transit_) {
    int64_t d = int64_t{transit} - transit_;
    if (d < 0) d = -d;
    if (d > kMaxTransitStep) d = kMaxTransitStep;  // keeps the sum in range
    jitter_q4_ = static_cast<uint32_t>(int64_t{jitter_q4_} + d - ((jitter_q4_ + 8) >> 4));
  }
  transit_ = transit;
  have_transit_ = true;
  publish();
}

RtpQuality RtpStats::snapshot() const {
  const uint64_t counts = pub_counts_.load(std::memory_order_relaxed);
  RtpQuality q;
  q.expected = counts >> 32;
  q.received = counts & 0xffffffffu;
  q.lost = static_cast<int64_t>(q.expected) - static_cast<int64_t>(q.received);
  q.jitter = pub_jitter_.load(std::memory_order_relaxed);
  q.clock_hz = clock_hz_;
  return q;
}

}  // namespace sbc::dp
