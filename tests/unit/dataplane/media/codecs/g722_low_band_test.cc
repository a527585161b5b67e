// G722LowBand against spandsp's G.722 in its 8 kHz mode, which it replaces: the same bytes from
// the encoder and the same samples from the decoder, for signals that reach every limit of the
// arithmetic (silence, speech-like tones, full scale, noise bursts, a sweep) and for arbitrary
// bytes, fed in frames of varying size so that the state carries across calls.
#include "dataplane/media/codecs/g722_low_band.h"

#include <gtest/gtest.h>
#include <spandsp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/dataplane/media/codecs/test_signal.h"

namespace sbc::dp {
namespace {

std::vector<uint8_t> spandsp_encode(const std::vector<int16_t>& pcm) {
  g722_encode_state_t* state = g722_encode_init(nullptr, 64000, G722_SAMPLE_RATE_8000);
  std::vector<uint8_t> out(pcm.size());
  const int bytes = g722_encode(state, out.data(), pcm.data(), static_cast<int>(pcm.size()));
  g722_encode_free(state);
  out.resize(static_cast<size_t>(std::max(bytes, 0)));
  return out;
}

std::vector<int16_t> spandsp_decode(const std::vector<uint8_t>& g722) {
  g722_decode_state_t* state = g722_decode_init(nullptr, 64000, G722_SAMPLE_RATE_8000);
  std::vector<int16_t> out(g722.size());
  const int samples = g722_decode(state, out.data(), g722.data(), static_cast<int>(g722.size()));
  g722_decode_free(state);
  out.resize(static_cast<size_t>(std::max(samples, 0)));
  return out;
}

// Calls `code(offset, count)` over [0, size) in frames of varying size.
template <typename Code>
void in_frames(size_t size, Code code) {
  const std::array<size_t, 5> frames{160, 80, 1, 240, 37};
  size_t at = 0;
  for (size_t n = 0; at < size; ++n) {
    const size_t count = std::min(frames[n % frames.size()], size - at);
    code(at, count);
    at += count;
  }
}

std::vector<uint8_t> our_encode(const std::vector<int16_t>& pcm) {
  G722LowBand encoder;
  std::vector<uint8_t> out(pcm.size());
  in_frames(pcm.size(), [&](size_t at, size_t count) {
    encoder.encode(std::span(pcm).subspan(at, count), out.data() + at);
  });
  return out;
}

std::vector<int16_t> our_decode(const std::vector<uint8_t>& g722) {
  G722LowBand decoder;
  std::vector<int16_t> out(g722.size());
  in_frames(g722.size(), [&](size_t at, size_t count) {
    decoder.decode(std::span(g722).subspan(at, count), out.data() + at);
  });
  return out;
}

struct Signal {
  std::string name;
  std::vector<int16_t> pcm;
};

std::vector<Signal> signals() {
  std::vector<Signal> out;
  out.push_back({"silence", std::vector<int16_t>(8000, 0)});
  out.push_back({"speech_like", test::speech_like(40000)});
  std::vector<int16_t> loud(16000);
  std::vector<int16_t> square(16000);
  std::vector<int16_t> sweep(16000);
  for (size_t i = 0; i < loud.size(); ++i) {
    const double t = static_cast<double>(i) / 8000.0;
    loud[i] = static_cast<int16_t>(32767.0 * std::sin(2 * std::numbers::pi * 1000 * t));
    square[i] = (i / 13) % 2 == 0 ? int16_t{32767} : int16_t{-32768};
    sweep[i] =
        static_cast<int16_t>(20000.0 * std::sin(2 * std::numbers::pi * (50.0 + 1900.0 * t) * t));
  }
  out.push_back({"full_scale_sine", std::move(loud)});
  out.push_back({"full_scale_square", std::move(square)});
  out.push_back({"sweep", std::move(sweep)});
  std::mt19937 random(4733);
  std::uniform_int_distribution<int> any(-32768, 32767);
  std::normal_distribution<double> quiet(0.0, 300.0);
  std::vector<int16_t> noise(40000);
  for (size_t i = 0; i < noise.size(); ++i) {
    // Bursts of full-range noise between stretches of quiet noise: the scale factor swings
    // from its floor to its ceiling and back.
    noise[i] = (i / 2000) % 2 == 0
                   ? static_cast<int16_t>(any(random))
                   : static_cast<int16_t>(std::clamp(quiet(random), -32768.0, 32767.0));
  }
  out.push_back({"noise_bursts", std::move(noise)});
  return out;
}

TEST(G722LowBandTest, EncodesExactlyAsSpandspDoes) {
  for (const Signal& signal : signals()) {
    const std::vector<uint8_t> expected = spandsp_encode(signal.pcm);
    const std::vector<uint8_t> actual = our_encode(signal.pcm);
    ASSERT_EQ(expected.size(), signal.pcm.size()) << signal.name;
    const auto mismatch = std::ranges::mismatch(expected, actual);
    EXPECT_EQ(mismatch.in1, expected.end())
        << signal.name << ": first difference at sample " << (mismatch.in1 - expected.begin());
  }
}

TEST(G722LowBandTest, DecodesExactlyAsSpandspDoes) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> streams;
  for (const Signal& signal : signals())
    streams.emplace_back(signal.name, spandsp_encode(signal.pcm));
  // Any byte is a valid code (the upper sub-band's bits are ignored in this mode).
  std::mt19937 random(722);
  std::vector<uint8_t> bytes(40000);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
  streams.emplace_back("random_bytes", std::move(bytes));
  for (const auto& [name, g722] : streams) {
    const std::vector<int16_t> expected = spandsp_decode(g722);
    const std::vector<int16_t> actual = our_decode(g722);
    ASSERT_EQ(expected.size(), g722.size()) << name;
    const auto mismatch = std::ranges::mismatch(expected, actual);
    EXPECT_EQ(mismatch.in1, expected.end())
        << name << ": first difference at sample " << (mismatch.in1 - expected.begin());
  }
}

TEST(G722LowBandTest, UpperSubBandIsSilence) {
  std::vector<uint8_t> out(4000);
  G722LowBand encoder;
  const std::vector<int16_t> pcm = test::speech_like(out.size());
  encoder.encode(pcm, out.data());
  EXPECT_TRUE(std::ranges::all_of(out, [](uint8_t b) { return (b & 0xC0) == 0xC0; }));
}

}  // namespace
}  // namespace sbc::dp
