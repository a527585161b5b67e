// G.722 at 64 kbit/s carrying 8 kHz PCM as its lower sub-band, the upper sub-band silent: one
// direction's ADPCM state, which encodes (8 kHz PCM -> one G.722 byte per sample, upper sub-band
// code 11) or decodes (a G.722 byte -> the lower sub-band's 8 kHz sample). The output is spandsp's
// in its 8 kHz mode (G722_SAMPLE_RATE_8000), byte for byte and sample for sample
// (tests/unit/dataplane/media/codecs/g722_low_band_test.cc compares them).
//
// Written by hand, after the recommendation's blocks and in its 16-bit fixed-point arithmetic,
// because spandsp's G.722 was most of a PCMU<->G.722 call's transcoding cost (sbc-codec-bench) and
// cannot be made faster from outside: its quantiser (block QUANTL) finds a sample's level by a
// linear search over 29 levels, a multiply and a branch each, whose exit mispredicts on almost
// every sample (about half of g722_encode's time under perf), and its predictor update is a
// chain of branches on signs. Each sample depends on the one before through the predictor, so
// what counts is the length of that chain. Here the quantiser scales all 29 levels at once (four
// vector multiplies, done while the previous sample's predictor update still runs) and counts
// those at or below the sample in four vector compares; the predictor's coefficient updates,
// which depend on the new sample only through signs, are computed for each outcome while the
// quantiser runs, so the chain waits only for a choice; and nothing branches on the signal. 20 ms
// on the lab VM (same run, 3 rounds): encoding 3.5 us against spandsp's 5.6, decoding 2.6
// against 2.8. Written with SSE2 intrinsics, which every x86-64 CPU has.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace sbc::dp {

class G722LowBand {
 public:
  // Encodes `pcm` into one byte per sample at `out` (room for pcm.size() bytes).
  void encode(std::span<const int16_t> pcm, uint8_t* out) noexcept;
  // Decodes `g722` (one byte per sample) into `out` (room for g722.size() samples).
  void decode(std::span<const uint8_t> g722, int16_t* out) noexcept;

  // The ADPCM state (the recommendation's names in the comments).
  struct State {
    int16_t estimate = 0;              // s: the signal estimate
    int16_t zero_estimate = 0;         // sz: the zero section's part of it
    int16_t reconstructed = 0;         // r, delayed one sample
    int16_t scale = 32;                // det: the quantiser's scale factor
    int16_t log_scale = 0;             // nb: its logarithm
    std::array<int16_t, 2> poles{};    // a1, a2
    std::array<int16_t, 2> partial{};  // p, delayed one and two samples
    // The zero section in 8 lanes, so that each of its steps is one vector operation; lanes 6
    // and 7 are spare (their coefficients stay 0).
    alignas(16) std::array<int16_t, 8> zeros{};    // b1..b6
    alignas(16) std::array<int16_t, 8> history{};  // d of the last samples, newest first
  };

 private:
  State state_;
};

}  // namespace sbc::dp
