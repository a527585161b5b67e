#include "dataplane/media/codecs/g722_low_band.h"

#if !defined(__SSE2__)
#error "G722LowBand is written with SSE2 intrinsics (x86-64)"
#endif
#include <emmintrin.h>

#include <algorithm>

namespace sbc::dp {
namespace {

using State = G722LowBand::State;

// The arithmetic below does not branch on the signal on purpose: a branch on a difference's sign
// mispredicts about every other sample, and the samples form one dependency chain. (Limits that
// are almost never reached may compile to branches: those predict well.)
int16_t saturate(int32_t v) {
  return static_cast<int16_t>(std::min(std::max(v, -32768), 32767));
}

int32_t limit(int32_t v, int32_t bound) {
  return std::min(std::max(v, -bound), bound);
}

// A coefficient times (1 - 2^-shift), as the recommendation's (c * 32640) >> 15 (shift 8) and
// (c * 32512) >> 15 (shift 7) round it: c + floor(-c / 2^shift).
int32_t leak(int32_t c, int shift) {
  return c + ((-c) >> shift);
}

// `magnitude` with the sign given by `negative` (0 or 1).
int32_t signed_by(int32_t negative, int32_t magnitude) {
  return (magnitude ^ -negative) + negative;
}

// Limits a reconstructed sample to the recommendation's 15 bits (block LIMIT).
int16_t saturate15(int32_t v) {
  return static_cast<int16_t>(std::min(std::max(v, -16384), 16383));
}

// INVQBL: the 6-bit code's quantised difference, in units of the scale factor / 32768 (Table 13).
constexpr std::array<int32_t, 64> kInverse6{
    -136,   -136,   -136,  -136,  -24808, -21904, -19008, -16704, -14984, -13512, -12280,
    -11192, -10232, -9360, -8576, -7856,  -7192,  -6576,  -6000,  -5456,  -4944,  -4464,
    -4008,  -3576,  -3168, -2776, -2400,  -2032,  -1688,  -1360,  -1040,  -728,   24808,
    21904,  19008,  16704, 14984, 13512,  12280,  11192,  10232,  9360,   8576,   7856,
    7192,   6576,   6000,  5456,  4944,   4464,   4008,   3576,   3168,   2776,   2400,
    2032,   1688,   1360,  1040,  728,    432,    136,    -432,   -136};

// INVQAL: the 4-bit (the 6-bit code's top bits) quantised difference, in units of the scale
// factor / 32768 (Table 14).
constexpr std::array<int32_t, 16> kInverse4{0,     -20456, -12896, -8968, -6288, -4240,
                                            -2584, -1200,  20456,  12896, 8968,  6288,
                                            4240,  2584,   1200,   0};

// LOGSCL: the log scale factor's step for each 4-bit code (Table 15's multipliers W, indexed by
// the code rather than by its magnitude).
constexpr std::array<int32_t, 16> kLogScaleStep{-60,  3042, 1198, 538, 334, 172, 58,  -30,
                                                3042, 1198, 538,  334, 172, 58,  -30, -60};

// SCALEL: 2^(fraction) for the log scale factor's 5 fractional bits, scaled by 2048 (Table 16).
constexpr std::array<int32_t, 32> kAntilog{
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008};

// QUANTL's 6-bit code (Table 7) for each sign and interval (1..30), with INVQAL's value of its
// top 4 bits, so that the quantised difference is one lookup away from the interval: positive
// differences count down from 61 (interval 1) to 32 (30); negative ones from 31 (interval 3) to
// 4 (30), with intervals 1 and 2 coded 63 and 62.
struct Level {
  int16_t inverse;  // kInverse4[code >> 2]
  uint8_t code;
};
constexpr std::array<std::array<Level, 31>, 2> kLevels = [] {
  std::array<std::array<Level, 31>, 2> levels{};
  for (int interval = 1; interval <= 30; ++interval) {
    const int positive = 62 - interval;
    const int negative = interval <= 2 ? 64 - interval : 34 - interval;
    levels[0][interval] = {static_cast<int16_t>(kInverse4[positive >> 2]),
                           static_cast<uint8_t>(positive)};
    levels[1][interval] = {static_cast<int16_t>(kInverse4[negative >> 2]),
                           static_cast<uint8_t>(negative)};
  }
  return levels;
}();

constexpr int32_t kMaxLogScale = 18432;

// SCALEL: the scale factor for a log scale factor's top bits (log_scale >> 6, 0..288): 2^(integer
// part - 8) times the fraction's antilog, in units of 1/4.
constexpr int32_t scale_of(int32_t index) {
  return ((kAntilog[index & 31] << 1) >> (9 - (index >> 5))) << 2;
}

// QUANTL's decision levels (Table 6), in units of the scale factor / 4096, preceded by three
// levels of 0 that pad them to four vectors: every magnitude is at or above those.
constexpr int kPadLevels = 3;
alignas(16) constexpr std::array<int16_t, 32> kDecisionLevels{
    0,   0,   0,   35,  72,  110,  150,  190,  233,  276,  323,  370,  422,  473,  530,  587,
    650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919};

constexpr uint8_t kUpperBandSilence = 0xC0;  // the 2-bit upper sub-band code of a zero difference

[[gnu::always_inline]] inline Level quantise(int16_t difference, int16_t scale) {
  // The recommendation's magnitude: ones' complement for negative differences.
  const int32_t negative = difference < 0;
  const auto magnitude = static_cast<int16_t>(difference ^ -negative);
  // The interval (1..30) is one more than the number of levels at or below the magnitude.
  // The levels scaled: (level * scale) >> 12 from the product's halves (at most 11676). The scale
  // is known a predictor update before the difference, so this runs beside that update.
  const __m128i scales = _mm_set1_epi16(scale);
  const auto* levels = reinterpret_cast<const __m128i*>(kDecisionLevels.data());
  const auto scaled = [&](int k) {
    const __m128i level = _mm_load_si128(levels + k);
    return _mm_or_si128(_mm_slli_epi16(_mm_mulhi_epi16(level, scales), 4),
                        _mm_srli_epi16(_mm_mullo_epi16(level, scales), 12));
  };
  // One bit per level, set where the level is above the magnitude: as the levels rise, the set
  // bits are the top ones, and the lowest set bit's index is the count at or below.
  const __m128i m = _mm_set1_epi16(magnitude);
  const auto above = [&](int half) {
    return static_cast<uint64_t>(_mm_movemask_epi8(_mm_packs_epi16(
        _mm_cmpgt_epi16(scaled(2 * half), m), _mm_cmpgt_epi16(scaled(2 * half + 1), m))));
  };
  const auto at_or_below =
      static_cast<int32_t>(__builtin_ctzll(above(0) | (above(1) << 16) | (uint64_t{1} << 32)));
  return kLevels[negative][at_or_below - kPadLevels + 1];
}

[[gnu::always_inline]] inline void adapt_scale(State& band, uint8_t code4) {
  // LOGSCL: leak, step, limit; SCALEL: back to a linear scale factor.
  band.log_scale = static_cast<int16_t>(
      std::min(std::max(((band.log_scale * 127) >> 7) + kLogScaleStep[code4], 0), kMaxLogScale));
  band.scale = static_cast<int16_t>(scale_of(band.log_scale >> 6));
}

// The pole section's update (UPPOL2, UPPOL1) and the older half of its estimate (FILTEP), for a
// new partial reconstruction of sign `negative`: they depend on the new sample only through
// that sign, so both outcomes are computed from the previous state while the quantiser runs, and
// the sign only picks one.
struct PoleUpdate {
  int32_t a1;
  int32_t a2;
  int32_t older_term;  // a2 times the previous reconstruction
};

[[gnu::always_inline]] inline PoleUpdate pole_update(const State& band, int32_t negative) {
  const int32_t flip1 = negative ^ static_cast<int32_t>(band.partial[0] < 0);
  const int32_t flip2 = negative ^ static_cast<int32_t>(band.partial[1] < 0);
  const int32_t pull = std::min(signed_by(1 - flip1, saturate(band.poles[0] * 4)), 32767);
  const int32_t a2 = limit(signed_by(flip2, 128) + (pull >> 7) + leak(band.poles[1], 7), 12288);
  const int32_t a1 = limit(signed_by(flip1, 192) + leak(band.poles[0], 8), 15360 - a2);
  return {a1, a2, (a2 * saturate(band.reconstructed * 2)) >> 15};
}

// Per lane (b * d) >> shift, exact where the result fits 16 bits: from the product's two halves.
template <int shift>
__m128i product_shifted(__m128i b, __m128i d) {
  return _mm_or_si128(_mm_slli_epi16(_mm_mulhi_epi16(b, d), 16 - shift),
                      _mm_srli_epi16(_mm_mullo_epi16(b, d), shift));
}

int32_t sum_lanes(__m128i v) {
  __m128i sum = _mm_madd_epi16(v, _mm_set1_epi16(1));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4e));
  return _mm_cvtsi128_si32(_mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xb1)));
}

// The zero section's update (UPZERO) and its estimate over the older differences (FILTEZ but
// for the newest tap), for a new difference that is positive, negative or zero (the coefficients
// step by +128, -128 or not at all): as with the poles, computed for all three while the
// quantiser runs. Lane arithmetic in 16 bits is exact here: a leaked coefficient plus or minus
// 128 stays within 16 bits, and a difference (at most 16384 * 20456 / 32768 in magnitude) doubled
// too.
struct ZeroUpdate {
  __m128i zeros;
  int32_t newest_coefficient;  // b1
  int32_t older_terms;         // b2..b6 times the differences one to five samples old
};

[[gnu::always_inline]] inline ZeroUpdate zero_update(__m128i leaked, __m128i step,
                                                     __m128i older_differences) {
  const __m128i zeros = _mm_add_epi16(leaked, step);
  return {zeros, static_cast<int16_t>(_mm_cvtsi128_si32(zeros)),
          sum_lanes(product_shifted<14>(zeros, older_differences))};
}

// `mask` (all ones or zero) ? a : b, without a branch.
[[gnu::always_inline]] inline ZeroUpdate choose(int32_t mask, const ZeroUpdate& a,
                                                const ZeroUpdate& b) {
  const __m128i lanes = _mm_set1_epi32(mask);
  return {_mm_or_si128(_mm_and_si128(lanes, a.zeros), _mm_andnot_si128(lanes, b.zeros)),
          (a.newest_coefficient & mask) | (b.newest_coefficient & ~mask),
          (a.older_terms & mask) | (b.older_terms & ~mask)};
}

[[gnu::always_inline]] inline void update_predictor(State& band, __m128i& zeros, __m128i& history,
                                                    int16_t quantised) {
  // Independent of the new difference.
  const PoleUpdate if_positive = pole_update(band, 0);
  const PoleUpdate if_negative = pole_update(band, 1);
  // A coefficient steps by 128 toward agreement of the new difference's sign with its tap's. Its
  // leak as the recommendation's product, not as leak() does it: -c overflows 16 bits at -32768.
  const __m128i leaked = product_shifted<15>(zeros, _mm_set1_epi16(32640));
  // UPZERO's step (128) in the six taps; the two spare lanes never step.
  const __m128i steps = _mm_setr_epi16(128, 128, 128, 128, 128, 128, 0, 0);
  const __m128i negative_taps = _mm_srai_epi16(history, 15);
  const __m128i step_up = _mm_sub_epi16(_mm_xor_si128(steps, negative_taps), negative_taps);
  const __m128i older = _mm_slli_si128(history, 2);  // DELAYA, the newest lane still empty
  const ZeroUpdate if_up = zero_update(leaked, step_up, older);
  const ZeroUpdate if_down =
      zero_update(leaked, _mm_sub_epi16(_mm_setzero_si128(), step_up), older);
  const ZeroUpdate if_zero = zero_update(leaked, _mm_setzero_si128(), older);

  // RECONS, PARREC, then the choices.
  const int16_t reconstructed = saturate(band.estimate + quantised);
  const int16_t partial = saturate(band.zero_estimate + quantised);
  const PoleUpdate& poles = partial < 0 ? if_negative : if_positive;
  // Chosen by masks: a choice the compiler turns into a branch on the sign would mispredict about
  // every other sample, and it sinks the three updates behind it.
  const int32_t up = -static_cast<int32_t>(quantised > 0);
  const int32_t down = -static_cast<int32_t>(quantised < 0);
  const ZeroUpdate zero = choose(up, if_up, choose(down, if_down, if_zero));

  // FILTEP, FILTEZ, PREDIC.
  const int32_t pole_estimate =
      saturate(((poles.a1 * saturate(reconstructed * 2)) >> 15) + poles.older_term);
  band.zero_estimate = saturate(zero.older_terms + ((zero.newest_coefficient * quantised) >> 14));
  band.estimate = saturate(pole_estimate + band.zero_estimate);

  band.reconstructed = reconstructed;
  band.poles = {static_cast<int16_t>(poles.a1), static_cast<int16_t>(poles.a2)};
  band.partial = {partial, band.partial[0]};
  zeros = zero.zeros;
  history = _mm_insert_epi16(older, quantised, 0);
}

// The zero section lives in registers while a buffer is coded.
__m128i load(const std::array<int16_t, 8>& lanes) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(lanes.data()));
}
void store(std::array<int16_t, 8>& lanes, __m128i v) {
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes.data()), v);
}

}  // namespace

void G722LowBand::encode(std::span<const int16_t> pcm, uint8_t* out) noexcept {
  // A local copy, so that the stores through `out` (which may alias anything) do not force the
  // state through memory on every sample.
  State band = state_;
  __m128i zeros = load(band.zeros);
  __m128i history = load(band.history);
  for (const int16_t sample : pcm) {
    // The recommendation's input is 15 bits; SUBTRA.
    const int16_t difference = saturate((sample >> 1) - band.estimate);
    const Level level = quantise(difference, band.scale);
    const auto quantised = static_cast<int16_t>((band.scale * level.inverse) >> 15);
    adapt_scale(band, level.code >> 2);
    update_predictor(band, zeros, history, quantised);
    *out++ = kUpperBandSilence | level.code;
  }
  store(band.zeros, zeros);
  store(band.history, history);
  state_ = band;
}

void G722LowBand::decode(std::span<const uint8_t> g722, int16_t* out) noexcept {
  State band = state_;
  __m128i zeros = load(band.zeros);
  __m128i history = load(band.history);
  for (const uint8_t byte : g722) {
    // The lower sub-band's 6 bits; the upper sub-band's 2 are not decoded.
    const uint8_t code = byte & 0x3F;
    // INVQBL, RECONS, LIMIT: the output; INVQAL: the predictor's (coarser) difference.
    const int16_t sample = saturate15(band.estimate + ((band.scale * kInverse6[code]) >> 15));
    const auto quantised = static_cast<int16_t>((band.scale * kInverse4[code >> 2]) >> 15);
    adapt_scale(band, code >> 2);
    update_predictor(band, zeros, history, quantised);
    *out++ = saturate(sample * 2);
  }
  store(band.zeros, zeros);
  store(band.history, history);
  state_ = band;
}

}  // namespace sbc::dp
