// Test signals and comparison for the codec tests: a speech-like signal and the best-lag
// normalised correlation and SNR of a decoded signal against it.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

namespace sbc::dp::test {

// Three tones in the telephone band under a 4 Hz envelope, peak about -6 dBov, at 8 kHz.
inline std::vector<int16_t> speech_like(size_t samples, size_t start = 0) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    const double t = static_cast<double>(i + start) / 8000.0;
    const double envelope = 0.6 + 0.4 * std::sin(2 * std::numbers::pi * 4 * t);
    const double v = 0.5 * std::sin(2 * std::numbers::pi * 440 * t) +
                     0.3 * std::sin(2 * std::numbers::pi * 1130 * t) +
                     0.2 * std::sin(2 * std::numbers::pi * 2210 * t);
    out[i] = static_cast<int16_t>(16000.0 * envelope * v);
  }
  return out;
}

struct Match {
  int lag = 0;               // output[i + lag] matches input[i]
  double correlation = 0.0;  // normalised, -1..1
  double snr_db = 0.0;       // input power over (output - input) power at that lag
};

// Searches lags 0..max_lag (codec delay) over the second half of the signals (past the codecs'
// start-up).
inline Match best_match(const std::vector<int16_t>& input, const std::vector<int16_t>& output,
                        int max_lag) {
  Match best;
  best.correlation = -2.0;
  const size_t from = input.size() / 2;
  for (int lag = 0; lag <= max_lag; ++lag) {
    double xy = 0, xx = 0, yy = 0, err = 0;
    for (size_t i = from; i + static_cast<size_t>(lag) < output.size() && i < input.size(); ++i) {
      const double x = input[i];
      const double y = output[i + static_cast<size_t>(lag)];
      xy += x * y;
      xx += x * x;
      yy += y * y;
      err += (x - y) * (x - y);
    }
    if (xx == 0 || yy == 0) continue;
    const double c = xy / std::sqrt(xx * yy);
    if (c > best.correlation) {
      best.correlation = c;
      best.lag = lag;
      best.snr_db = err == 0 ? 99.0 : 10.0 * std::log10(xx / err);
    }
  }
  return best;
}

}  // namespace sbc::dp::test
