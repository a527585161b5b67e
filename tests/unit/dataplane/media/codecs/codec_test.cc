#include "dataplane/media/codecs/codec.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "dataplane/media/codecs/g729_codec.h"
#include "tests/unit/dataplane/media/codecs/test_signal.h"

namespace sbc::dp {
namespace {

struct RoundTrip {
  CodecId id;
  size_t frame;            // PCM samples per encode call
  double min_correlation;  // of the decoded signal with the input, best lag
};

class CodecRoundTripTest : public ::testing::TestWithParam<RoundTrip> {};

// A speech-like test signal (several tones, a slow envelope) through encode and decode: the
// decoded signal must correlate with the input (after the codec's delay) above the stated
// threshold. Waveform codecs (G.711, G.722) are also held to an SNR.
TEST_P(CodecRoundTripTest, DecodedSignalMatchesInput) {
  const RoundTrip& p = GetParam();
  auto codec = make_codec(p.id);
  ASSERT_TRUE(codec.has_value());
  const std::vector<int16_t> input = test::speech_like(8000);  // 1 s
  std::vector<int16_t> output;
  std::array<uint8_t, 1500> payload{};
  std::array<int16_t, 960> pcm{};
  for (size_t at = 0; at + p.frame <= input.size(); at += p.frame) {
    auto bytes = (*codec)->encode(std::span(input).subspan(at, p.frame), payload);
    ASSERT_TRUE(bytes.has_value()) << to_string(bytes.error());
    auto samples = (*codec)->decode(std::span(payload).first(*bytes), pcm);
    ASSERT_TRUE(samples.has_value()) << to_string(samples.error());
    ASSERT_EQ(*samples, p.frame);
    output.insert(output.end(), pcm.begin(), pcm.begin() + static_cast<ptrdiff_t>(*samples));
  }
  const test::Match match = test::best_match(input, output, 400);
  EXPECT_GE(match.correlation, p.min_correlation) << "lag " << match.lag;
  if (p.id == CodecId::pcmu || p.id == CodecId::pcma) {
    EXPECT_EQ(match.lag, 0);
    EXPECT_GE(match.snr_db, 30.0);
  }
  if (p.id == CodecId::g722) {
    EXPECT_GE(match.snr_db, 15.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecRoundTripTest,
                         ::testing::Values(RoundTrip{CodecId::pcmu, 160, 0.999},
                                           RoundTrip{CodecId::pcma, 160, 0.999},
                                           RoundTrip{CodecId::g722, 160, 0.98},
                                           RoundTrip{CodecId::opus, 160, 0.9},
                                           RoundTrip{CodecId::g729, 160, 0.8}),
                         [](const auto& info) { return std::string(to_string(info.param.id)); });

TEST(CodecInfoTest, RtpClocksFollowTheRfcs) {
  EXPECT_EQ(codec_info(CodecId::g722).rtp_clock, 8000u);   // RFC 3551
  EXPECT_EQ(codec_info(CodecId::opus).rtp_clock, 48000u);  // RFC 7587
  EXPECT_EQ(rtp_units_per_sample(codec_info(CodecId::opus)), 6u);
  EXPECT_EQ(codec_info(CodecId::pcmu).static_payload_type, 0);
  EXPECT_EQ(codec_info(CodecId::pcma).static_payload_type, 8);
  EXPECT_EQ(codec_info(CodecId::g729).static_payload_type, 18);
  EXPECT_EQ(codec_from_name("OPUS"), CodecId::opus);
  EXPECT_EQ(codec_from_name("G7221"), std::nullopt);
}

TEST(CodecErrorTest, EmptyPayloadIsAnErrorForEveryCodec) {
  std::array<int16_t, 960> pcm{};
  for (CodecId id : {CodecId::pcmu, CodecId::pcma, CodecId::g722, CodecId::opus, CodecId::g729}) {
    auto codec = make_codec(id);
    ASSERT_TRUE(codec.has_value());
    auto result = (*codec)->decode({}, pcm);
    ASSERT_FALSE(result.has_value()) << to_string(id);
    EXPECT_EQ(result.error(), CodecError::empty_payload);
  }
}

TEST(CodecErrorTest, G729RejectsLengthsItsFramingCannotHave) {
  auto codec = make_codec(CodecId::g729);
  ASSERT_TRUE(codec.has_value());
  std::array<uint8_t, 25> payload{};
  std::array<int16_t, 960> pcm{};
  for (size_t size : {1u, 3u, 9u, 11u, 15u, 25u}) {
    auto result = (*codec)->decode(std::span(payload).first(size), pcm);
    ASSERT_FALSE(result.has_value()) << size;
    EXPECT_EQ(result.error(), CodecError::bad_length);
  }
  // 20 bytes of speech and a SID: three 10 ms frames.
  std::array<uint8_t, 22> with_sid{};
  with_sid[20] = 0x20;
  auto decoded = (*codec)->decode(with_sid, pcm);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, 240u);
  EXPECT_TRUE(G729Codec::has_sid(22));
  EXPECT_TRUE(G729Codec::has_sid(2));
  EXPECT_FALSE(G729Codec::has_sid(20));
}

TEST(CodecErrorTest, OpusRejectsACorruptTocAndTooMuchAudio) {
  auto codec = make_codec(CodecId::opus);
  ASSERT_TRUE(codec.has_value());
  std::array<int16_t, 960> pcm{};
  // Code 3 (arbitrary frame count) with a frame count byte of 0: invalid.
  const std::array<uint8_t, 2> corrupt{0x03, 0x00};
  auto result = (*codec)->decode(corrupt, pcm);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), CodecError::corrupt);
  // A valid 20 ms packet into a 10 ms buffer.
  std::vector<int16_t> input = test::speech_like(160);
  std::array<uint8_t, 400> payload{};
  auto bytes = (*codec)->encode(input, payload);
  ASSERT_TRUE(bytes.has_value());
  auto small = (*codec)->decode(std::span(payload).first(*bytes), std::span(pcm).first(80));
  ASSERT_FALSE(small.has_value());
  EXPECT_EQ(small.error(), CodecError::too_long);
}

TEST(CodecErrorTest, EncodeOfAPartialFrameIsRefused) {
  std::array<uint8_t, 400> payload{};
  std::vector<int16_t> input = test::speech_like(100);
  for (CodecId id : {CodecId::opus, CodecId::g729}) {
    auto codec = make_codec(id);
    ASSERT_TRUE(codec.has_value());
    auto result = (*codec)->encode(input, payload);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), CodecError::bad_frame_size);
  }
}

TEST(CodecConcealTest, ConcealmentAfterSpeechIsNotSilenceAndNotLoud) {
  for (CodecId id : {CodecId::pcmu, CodecId::g722, CodecId::opus, CodecId::g729}) {
    auto codec = make_codec(id);
    ASSERT_TRUE(codec.has_value());
    const std::vector<int16_t> input = test::speech_like(800);
    std::array<uint8_t, 1500> payload{};
    std::array<int16_t, 960> pcm{};
    for (size_t at = 0; at + 160 <= input.size(); at += 160) {
      auto bytes = (*codec)->encode(std::span(input).subspan(at, 160), payload);
      ASSERT_TRUE(bytes.has_value());
      ASSERT_TRUE((*codec)->decode(std::span(payload).first(*bytes), pcm).has_value());
    }
    std::array<int16_t, 160> lost{};
    (*codec)->conceal(lost);
    double energy = 0;
    for (int16_t s : lost) energy += double(s) * s;
    const double rms = std::sqrt(energy / lost.size());
    EXPECT_GT(rms, 10.0) << to_string(id);
    EXPECT_LT(rms, 20000.0) << to_string(id);
  }
}

}  // namespace
}  // namespace sbc::dp
