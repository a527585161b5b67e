#include "dataplane/media/codecs/transcode_stream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/dataplane/media/codecs/test_signal.h"

namespace sbc::dp {
namespace {

constexpr uint32_t kInSsrc = 0x11223344;
constexpr uint32_t kOutSsrc = 0xcafe0001;

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, bool marker,
                         std::span<const uint8_t> payload, uint32_t ssrc = kInSsrc) {
  std::vector<uint8_t> p(12 + payload.size());
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | pt);
  for (int i = 0; i < 2; ++i) p[2 + i] = static_cast<uint8_t>(seq >> (8 - 8 * i));
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  for (size_t i = 0; i < payload.size(); ++i) p[12 + i] = payload[i];
  return p;
}

struct Out {
  bool marker;
  uint8_t pt;
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  std::vector<uint8_t> payload;
};

Out parse(const RtpOut& o) {
  const uint8_t* b = o.bytes.data();
  return Out{(b[1] & 0x80) != 0,
             static_cast<uint8_t>(b[1] & 0x7f),
             static_cast<uint16_t>((b[2] << 8) | b[3]),
             (uint32_t{b[4]} << 24) | (uint32_t{b[5]} << 16) | (uint32_t{b[6]} << 8) | b[7],
             (uint32_t{b[8]} << 24) | (uint32_t{b[9]} << 16) | (uint32_t{b[10]} << 8) | b[11],
             std::vector<uint8_t>(b + 12, b + o.size)};
}

// Drives a stream with packets encoded from the test signal and collects what it sends.
class Harness {
 public:
  explicit Harness(TranscodeParams params) : params_(params) {
    params_.out_ssrc = kOutSsrc;
    params_.out_first_seq = 65530;  // wraps during the tests
    params_.out_first_ts = 0xfffff000;
    auto stream = TranscodeStream::create(params_);
    EXPECT_TRUE(stream.has_value());
    stream_ = std::move(*stream);
    auto encoder = make_codec(params_.in_codec);
    encoder_ = std::move(*encoder);
  }

  // Sends input packet number n of ptime_ms (n counts from 0 on the input timeline).
  std::expected<Pushed, TranscodeError> send(uint32_t n, uint32_t ptime_ms, bool marker = false) {
    const size_t samples = ptime_ms * 8;
    const auto pcm = test::speech_like(samples, n * samples);
    std::array<uint8_t, 1500> payload{};
    auto bytes = encoder_->encode(pcm, payload);
    EXPECT_TRUE(bytes.has_value());
    const uint32_t units = rtp_units_per_sample(codec_info(params_.in_codec));
    return push(rtp(params_.in_pt, static_cast<uint16_t>(1000 + n),
                    kInTs + static_cast<uint32_t>(n * samples * units), marker,
                    std::span(payload).first(*bytes)));
  }

  std::expected<Pushed, TranscodeError> push(const std::vector<uint8_t>& packet) {
    auto result = stream_->push(packet, buffers_);
    if (result) {
      for (size_t i = 0; i < result->packets; ++i) sent.push_back(parse(buffers_[i]));
    }
    return result;
  }

  // The audio sent, decoded.
  std::vector<int16_t> decoded() {
    auto decoder = make_codec(params_.out_codec);
    std::vector<int16_t> pcm;
    std::array<int16_t, 960> frame{};
    for (const Out& o : sent) {
      auto n = (*decoder)->decode(o.payload, frame);
      EXPECT_TRUE(n.has_value());
      pcm.insert(pcm.end(), frame.begin(), frame.begin() + static_cast<ptrdiff_t>(*n));
    }
    return pcm;
  }

  static constexpr uint32_t kInTs = 0x7ffffff0;
  TranscodeParams params_;
  std::unique_ptr<TranscodeStream> stream_;
  std::unique_ptr<Codec> encoder_;
  std::array<RtpOut, TranscodeStream::kMaxOutPackets> buffers_{};
  std::vector<Out> sent;
};

// Every packet sent: our SSRC, continuous sequence numbers, timestamps `step` apart.
void expect_continuous(const std::vector<Out>& sent, uint32_t step) {
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].ssrc, kOutSsrc);
    EXPECT_EQ(sent[i].seq, static_cast<uint16_t>(65530 + i)) << i;
    EXPECT_EQ(sent[i].ts, static_cast<uint32_t>(0xfffff000u + i * step)) << i;
  }
}

TEST(TranscodeStreamTest, Repacketises20msInto30ms) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 30});
  for (uint32_t n = 0; n < 30; ++n) ASSERT_TRUE(h.send(n, 20, n == 0).has_value());
  ASSERT_EQ(h.sent.size(), 20u);  // 600 ms
  expect_continuous(h.sent, 240);
  for (const Out& o : h.sent) {
    EXPECT_EQ(o.pt, 8);
    EXPECT_EQ(o.payload.size(), 240u);
  }
  EXPECT_TRUE(h.sent[0].marker);
  EXPECT_FALSE(h.sent[1].marker);
  const auto match = test::best_match(test::speech_like(4800), h.decoded(), 10);
  EXPECT_EQ(match.lag, 0);
  EXPECT_GE(match.correlation, 0.99);
}

TEST(TranscodeStreamTest, Repacketises30msInto20ms) {
  Harness h({.in_codec = CodecId::pcma,
             .in_pt = 8,
             .out_codec = CodecId::pcmu,
             .out_pt = 0,
             .out_ptime_ms = 20});
  for (uint32_t n = 0; n < 20; ++n) ASSERT_TRUE(h.send(n, 30).has_value());
  ASSERT_EQ(h.sent.size(), 30u);
  expect_continuous(h.sent, 160);
  for (const Out& o : h.sent) EXPECT_EQ(o.payload.size(), 160u);
  const auto match = test::best_match(test::speech_like(4800), h.decoded(), 10);
  EXPECT_GE(match.correlation, 0.99);
}

TEST(TranscodeStreamTest, OpusTimestampsUseTheRtpClockOf48k) {
  Harness to_opus({.in_codec = CodecId::pcmu,
                   .in_pt = 0,
                   .out_codec = CodecId::opus,
                   .out_pt = 111,
                   .out_ptime_ms = 20});
  for (uint32_t n = 0; n < 10; ++n) ASSERT_TRUE(to_opus.send(n, 20).has_value());
  ASSERT_EQ(to_opus.sent.size(), 10u);
  expect_continuous(to_opus.sent, 960);

  Harness from_opus({.in_codec = CodecId::opus,
                     .in_pt = 111,
                     .out_codec = CodecId::pcma,
                     .out_pt = 8,
                     .out_ptime_ms = 20});
  for (uint32_t n = 0; n < 10; ++n) ASSERT_TRUE(from_opus.send(n, 20).has_value());
  ASSERT_EQ(from_opus.sent.size(), 10u);
  expect_continuous(from_opus.sent, 160);
}

TEST(TranscodeStreamTest, G711ToG722AndG729) {
  for (CodecId out : {CodecId::g722, CodecId::g729}) {
    Harness h({.in_codec = CodecId::pcmu,
               .in_pt = 0,
               .out_codec = out,
               .out_pt = *codec_info(out).static_payload_type,
               .out_ptime_ms = 20});
    for (uint32_t n = 0; n < 50; ++n) ASSERT_TRUE(h.send(n, 20).has_value());
    ASSERT_EQ(h.sent.size(), 50u);
    expect_continuous(h.sent, 160);
    EXPECT_EQ(h.sent[0].payload.size(), out == CodecId::g722 ? 160u : 20u);
    const auto match = test::best_match(test::speech_like(8000), h.decoded(), 400);
    EXPECT_GE(match.correlation, 0.8) << to_string(out);
  }
}

TEST(TranscodeStreamTest, ShortInputLossIsConcealedWithoutShiftingOutputTiming) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20});
  for (uint32_t n = 0; n < 20; ++n) {
    if (n == 5 || n == 6) continue;  // 40 ms lost
    ASSERT_TRUE(h.send(n, 20).has_value());
  }
  ASSERT_EQ(h.sent.size(), 20u);
  expect_continuous(h.sent, 160);
  EXPECT_EQ(h.stream_->counters().concealed_samples, 320u);
  // Only the first packet (the start of the talkspurt) is marked.
  for (size_t i = 1; i < h.sent.size(); ++i) EXPECT_FALSE(h.sent[i].marker) << i;
  // Past the loss the audio lines up with the input at lag 0.
  const auto match = test::best_match(test::speech_like(3200), h.decoded(), 10);
  EXPECT_EQ(match.lag, 0);
}

TEST(TranscodeStreamTest, ALongGapIsATimestampGapWithAMarkerAndContinuousSequence) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20});
  for (uint32_t n = 0; n < 5; ++n) ASSERT_TRUE(h.send(n, 20).has_value());
  for (uint32_t n = 30; n < 33; ++n) ASSERT_TRUE(h.send(n, 20, n == 30).has_value());
  ASSERT_EQ(h.sent.size(), 8u);
  for (size_t i = 0; i < h.sent.size(); ++i) {
    EXPECT_EQ(h.sent[i].seq, static_cast<uint16_t>(65530 + i));
  }
  EXPECT_EQ(h.sent[5].ts, static_cast<uint32_t>(0xfffff000u + 30 * 160));
  EXPECT_TRUE(h.sent[5].marker);
  EXPECT_FALSE(h.sent[6].marker);
  EXPECT_EQ(h.stream_->counters().concealed_samples, 0u);
}

TEST(TranscodeStreamTest, AnInputMarkerIsCarriedToThePacketThatStartsWithIt) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20});
  ASSERT_TRUE(h.send(0, 20, true).has_value());
  ASSERT_TRUE(h.send(1, 20).has_value());
  ASSERT_TRUE(h.send(2, 20, true).has_value());
  ASSERT_EQ(h.sent.size(), 3u);
  EXPECT_TRUE(h.sent[0].marker);
  EXPECT_FALSE(h.sent[1].marker);
  EXPECT_TRUE(h.sent[2].marker);
}

TEST(TranscodeStreamTest, LateAndDuplicatePacketsAreDroppedAndCounted) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20});
  ASSERT_TRUE(h.send(0, 20).has_value());
  ASSERT_TRUE(h.send(1, 20).has_value());
  auto dup = h.send(1, 20);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error(), TranscodeError::late);
  EXPECT_EQ(h.stream_->counters().late, 1u);
  ASSERT_TRUE(h.send(2, 20).has_value());
  expect_continuous(h.sent, 160);
}

uint8_t measured_level(const std::vector<int16_t>& pcm) {
  double energy = 0;
  for (int16_t s : pcm) energy += double(s) * s;
  return static_cast<uint8_t>(std::lround(
      -10.0 * std::log10(energy / static_cast<double>(pcm.size()) / 32768.0 / 32768.0)));
}

TEST(TranscodeStreamTest, ComfortNoiseBecomesACnPacketWhenTheOutputSideHasCn) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20,
             .out_cn_pt = 13});
  ASSERT_TRUE(h.send(0, 20).has_value());
  const std::array<uint8_t, 1> level{50};
  auto cn = h.push(rtp(13, 1001, Harness::kInTs + 160, false, level));
  ASSERT_TRUE(cn.has_value());
  EXPECT_EQ(cn->kind, PacketKind::comfort_noise);
  ASSERT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.sent[1].pt, 13);
  EXPECT_EQ(h.sent[1].payload, std::vector<uint8_t>{50});
  EXPECT_EQ(h.sent[1].ts, 0xfffff000u + 160);
  EXPECT_EQ(h.sent[1].seq, 65531);
  // Speech after the silence starts a talkspurt.
  ASSERT_TRUE(h.send(25, 20).has_value());
  ASSERT_EQ(h.sent.size(), 3u);
  EXPECT_TRUE(h.sent[2].marker);
  EXPECT_EQ(h.sent[2].ts, 0xfffff000u + 25 * 160);
  EXPECT_EQ(h.sent[2].seq, 65532);
}

TEST(TranscodeStreamTest, ComfortNoiseIsNoiseAtItsLevelWhenTheOutputSideHasNoCn) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20});
  ASSERT_TRUE(h.send(0, 20).has_value());
  const std::array<uint8_t, 1> level{40};
  ASSERT_TRUE(h.push(rtp(13, 1001, Harness::kInTs + 160, false, level)).has_value());
  ASSERT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.sent[1].pt, 8);
  EXPECT_EQ(h.sent[1].ts, 0xfffff000u + 160);
  auto decoder = make_codec(CodecId::pcma);
  std::vector<int16_t> noise(160);
  ASSERT_TRUE((*decoder)->decode(h.sent[1].payload, noise).has_value());
  EXPECT_NEAR(measured_level(noise), 40, 3);
}

TEST(TranscodeStreamTest, G729SidIsComfortNoiseNotADecodeError) {
  Harness h({.in_codec = CodecId::g729,
             .in_pt = 18,
             .out_codec = CodecId::pcmu,
             .out_pt = 0,
             .out_ptime_ms = 20,
             .out_cn_pt = 13});
  for (uint32_t n = 0; n < 5; ++n) ASSERT_TRUE(h.send(n, 20).has_value());
  const std::array<uint8_t, 2> sid{0x2a, 0x40};
  auto cn = h.push(rtp(18, 1005, Harness::kInTs + 800, false, sid));
  ASSERT_TRUE(cn.has_value());
  EXPECT_EQ(cn->kind, PacketKind::comfort_noise);
  ASSERT_EQ(h.sent.size(), 6u);
  EXPECT_EQ(h.sent[5].pt, 13);
  ASSERT_EQ(h.sent[5].payload.size(), 1u);
  EXPECT_LE(h.sent[5].payload[0], 127);
  EXPECT_EQ(h.stream_->counters().decode_errors, 0u);
}

TEST(TranscodeStreamTest, MalformedPacketsAreNamedAndCounted) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20,
             .in_telephone_event_pt = 101});
  const std::array<uint8_t, 160> payload{};
  std::vector<uint8_t> short_header(8, 0x80);
  EXPECT_EQ(h.push(short_header).error(), TranscodeError::truncated);
  auto v1 = rtp(0, 1, 0, false, payload);
  v1[0] = 0x40;
  EXPECT_EQ(h.push(v1).error(), TranscodeError::bad_version);
  auto padded = rtp(0, 1, 0, false, payload);
  padded[0] |= 0x20;
  padded.back() = 200;  // more padding than payload
  EXPECT_EQ(h.push(padded).error(), TranscodeError::truncated);
  auto extension = rtp(0, 1, 0, false, std::span(payload).first(2));
  extension[0] |= 0x10;
  EXPECT_EQ(h.push(extension).error(), TranscodeError::truncated);
  EXPECT_EQ(h.push(rtp(96, 1, 0, false, payload)).error(), TranscodeError::unknown_payload_type);
  EXPECT_EQ(h.push(rtp(0, 1, 0, false, {})).error(), TranscodeError::decode_failed);
  EXPECT_EQ(h.stream_->last_codec_error(), CodecError::empty_payload);
  EXPECT_EQ(h.push(rtp(13, 1, 0, false, {})).error(), TranscodeError::truncated);
  const std::vector<uint8_t> big(2000, 0xff);
  EXPECT_EQ(h.push(rtp(0, 1, 0, false, big)).error(), TranscodeError::too_long);
  auto event = h.push(rtp(101, 1, 0, true, std::span(payload).first(4)));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->kind, PacketKind::telephone_event);
  EXPECT_EQ(event->packets, 0u);
  const TranscodeCounters& c = h.stream_->counters();
  EXPECT_EQ(c.malformed, 6u);
  EXPECT_EQ(c.unknown_payload_type, 1u);
  EXPECT_EQ(c.decode_errors, 1u);
  EXPECT_EQ(c.telephone_events, 1u);
  EXPECT_TRUE(h.sent.empty());
}

TEST(TranscodeStreamTest, AnSsrcChangeContinuesTheOutputTimeline) {
  Harness h({.in_codec = CodecId::pcmu,
             .in_pt = 0,
             .out_codec = CodecId::pcma,
             .out_pt = 8,
             .out_ptime_ms = 20});
  ASSERT_TRUE(h.send(0, 20).has_value());
  ASSERT_TRUE(h.send(1, 20).has_value());
  const std::array<uint8_t, 160> payload{};
  ASSERT_TRUE(h.push(rtp(0, 7, 12345, false, payload, 0x99)).has_value());
  ASSERT_EQ(h.sent.size(), 3u);
  expect_continuous(h.sent, 160);
  EXPECT_TRUE(h.sent[2].marker);
  EXPECT_EQ(h.stream_->counters().resyncs, 1u);
}

TEST(TranscodeStreamTest, SetupRefusesPtimesTheOutputCannotCarry) {
  EXPECT_EQ(TranscodeStream::create({.out_ptime_ms = 25}).error(), TranscodeSetupError::bad_ptime);
  EXPECT_EQ(TranscodeStream::create({.out_codec = CodecId::opus, .out_ptime_ms = 30}).error(),
            TranscodeSetupError::bad_ptime);
  EXPECT_TRUE(TranscodeStream::create({.out_codec = CodecId::g729, .out_ptime_ms = 30}));
}

TEST(TranscodeStreamTest, ATooSmallOutputSpanIsRefused) {
  auto stream = TranscodeStream::create({});
  ASSERT_TRUE(stream.has_value());
  std::array<RtpOut, 2> out{};
  const std::array<uint8_t, 160> payload{};
  EXPECT_EQ((*stream)->push(rtp(0, 1, 0, false, payload), out).error(),
            TranscodeError::output_too_small);
}

}  // namespace
}  // namespace sbc::dp
