// DTMF across TranscodeStream: RFC 4733 events re-emitted on an output side with telephone-event
// (PT, clock and timestamp mapping, duplicates, end retransmissions, long events), and in-band
// tones generated toward a side without it, checked by running spandsp's DTMF detector over the
// decoded output.
#include <gtest/gtest.h>
#include <spandsp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/media/codecs/telephone_event.h"
#include "dataplane/media/codecs/transcode_stream.h"
#include "tests/unit/dataplane/media/codecs/test_signal.h"

namespace sbc::dp {
namespace {

constexpr uint32_t kInSsrc = 0x11223344;
constexpr uint32_t kOutSsrc = 0xcafe0001;
constexpr uint32_t kInTs = 0x7ffffff0;
constexpr uint32_t kOutTs = 0xfffff000;
constexpr uint16_t kOutSeq = 65530;
constexpr uint8_t kInEventPt = 101;

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
  std::copy(payload.begin(), payload.end(), p.begin() + 12);
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

TelephoneEvent event_of(const Out& o) {
  EXPECT_EQ(o.payload.size(), 4u);
  return read_telephone_event(std::span(o.payload).first<4>());
}

// A stream fed with 20 ms audio packets (input packet n starts at n * 20 ms) and RFC 4733 events.
class Dtmf {
 public:
  explicit Dtmf(TranscodeParams params) : params_(params) {
    params_.in_telephone_event_pt = kInEventPt;
    params_.out_ssrc = kOutSsrc;
    params_.out_first_seq = kOutSeq;
    params_.out_first_ts = kOutTs;
    auto stream = TranscodeStream::create(params_);
    EXPECT_TRUE(stream.has_value());
    stream_ = std::move(*stream);
    encoder_ = std::move(*make_codec(params_.in_codec));
    in_units = rtp_units_per_sample(codec_info(params_.in_codec));
    out_units = rtp_units_per_sample(codec_info(params_.out_codec));
  }

  void audio(uint32_t n) {
    const auto pcm = test::speech_like(160, n * 160);
    std::array<uint8_t, 1500> payload{};
    auto bytes = encoder_->encode(pcm, payload);
    ASSERT_TRUE(bytes.has_value());
    ASSERT_TRUE(push(rtp(params_.in_pt, seq_++, kInTs + n * 160 * in_units, false,
                         std::span(payload).first(*bytes)))
                    .has_value());
  }

  // An event packet for the event that started at packet `start`, `duration_ms` long so far
  // (in input clock units, segmented past 0xffff as RFC 4733 2.5.1.3 has it).
  std::expected<Pushed, TranscodeError> event(uint32_t start, uint8_t code, uint32_t duration_ms,
                                              bool end, uint8_t volume = 10) {
    uint32_t ts = kInTs + start * 160 * in_units;
    uint32_t units = duration_ms * 8 * in_units;
    const uint32_t segments = units == 0 ? 0 : (units - 1) / 0xffff;
    ts += segments * 0xffff;
    units -= segments * 0xffff;
    std::array<uint8_t, 4> block{};
    write_telephone_event(TelephoneEvent{code, end, volume, static_cast<uint16_t>(units)}, block);
    const bool marker = start != last_event_start_;
    last_event_start_ = start;
    return push(rtp(kInEventPt, seq_++, ts, marker, block));
  }

  std::expected<Pushed, TranscodeError> push(const std::vector<uint8_t>& packet) {
    auto result = stream_->push(packet, buffers_);
    if (result) {
      for (size_t i = 0; i < result->packets; ++i) sent.push_back(parse(buffers_[i]));
    }
    return result;
  }

  // Presses digits: each on_ms long (event updates every 20 ms, the end sent 3 times), off_ms
  // apart, starting at packet `n`; the sender's audio goes on during the events or pauses.
  // Returns the packet number after the last digit.
  uint32_t press(std::string_view digits, uint32_t n, uint32_t on_ms, uint32_t off_ms,
                 bool audio_during = true) {
    for (char digit : digits) {
      const uint8_t code = dtmf_code(digit).value_or(0);
      const uint32_t start = n;
      for (uint32_t ms = 20; ms <= on_ms; ms += 20) {
        if (audio_during) audio(n);
        EXPECT_TRUE(event(start, code, ms, ms == on_ms).has_value());
        ++n;
      }
      for (int repeat = 0; repeat < 2; ++repeat) {
        if (audio_during) audio(n);
        EXPECT_TRUE(event(start, code, on_ms, true).has_value());
        ++n;
      }
      for (uint32_t ms = 0; ms < off_ms - 40; ms += 20) audio(n++);
    }
    return n;
  }

  std::vector<Out> events() const {
    std::vector<Out> out;
    for (const Out& o : sent) {
      if (params_.out_telephone_event_pt && o.pt == *params_.out_telephone_event_pt) {
        out.push_back(o);
      }
    }
    return out;
  }

  // The audio sent, decoded and placed by its timestamps (silence where nothing was sent).
  std::vector<int16_t> timeline() const {
    auto decoder = make_codec(params_.out_codec);
    std::vector<int16_t> pcm;
    std::array<int16_t, 960> frame{};
    for (const Out& o : sent) {
      if (o.pt != params_.out_pt) continue;
      auto n = (*decoder)->decode(o.payload, frame);
      EXPECT_TRUE(n.has_value());
      const size_t at = (o.ts - kOutTs) / out_units;
      if (pcm.size() < at + *n) pcm.resize(at + *n);
      std::copy_n(frame.begin(), *n, pcm.begin() + static_cast<ptrdiff_t>(at));
    }
    return pcm;
  }

  TranscodeParams params_;
  std::unique_ptr<TranscodeStream> stream_;
  std::unique_ptr<Codec> encoder_;
  std::array<RtpOut, TranscodeStream::kMaxOutPackets> buffers_{};
  std::vector<Out> sent;
  uint32_t in_units = 1;
  uint32_t out_units = 1;

 private:
  uint16_t seq_ = 1000;
  uint32_t last_event_start_ = ~0u;
};

// Every packet sent: our SSRC and continuous sequence numbers, audio and events alike.
void expect_continuous_sequence(const std::vector<Out>& sent) {
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].ssrc, kOutSsrc);
    EXPECT_EQ(sent[i].seq, static_cast<uint16_t>(kOutSeq + i)) << i;
  }
}

// ---- RFC 4733 in, RFC 4733 out ----

TEST(TranscodeDtmfTest, EventsAreMappedFromPcmuToOpusClockAndPayloadType) {
  Dtmf h({.in_codec = CodecId::pcmu,
          .in_pt = 0,
          .out_codec = CodecId::opus,
          .out_pt = 111,
          .out_ptime_ms = 20,
          .out_telephone_event_pt = 96});
  for (uint32_t n = 0; n < 10; ++n) h.audio(n);
  h.press("7", 10, 100, 100);
  const auto events = h.events();
  // 5 updates (20..100 ms), the end sent 3 times: no more, no less.
  ASSERT_EQ(events.size(), 7u);
  for (size_t i = 0; i < events.size(); ++i) {
    const TelephoneEvent e = event_of(events[i]);
    EXPECT_EQ(events[i].pt, 96);
    // The event's start in the output clock: packet 10 is 1600 samples, 9600 units at 48 kHz.
    EXPECT_EQ(events[i].ts, kOutTs + 10 * 160 * 6) << i;
    EXPECT_EQ(events[i].marker, i == 0) << i;
    EXPECT_EQ(e.code, 7);
    EXPECT_EQ(e.volume, 10);
    EXPECT_EQ(e.duration, std::min<size_t>(i + 1, 5) * 160 * 6) << i;
    EXPECT_EQ(e.end, i >= 4) << i;
  }
  // The audio went on (the RFC 4733 sender mutes its own tones) and lines up with the event.
  size_t audio = 0;
  for (const Out& o : h.sent) {
    if (o.pt != 111) continue;
    EXPECT_EQ(o.ts, static_cast<uint32_t>(kOutTs + audio * 960));
    ++audio;
  }
  EXPECT_EQ(audio, h.sent.size() - events.size());
  EXPECT_GE(audio, 20u);
  expect_continuous_sequence(h.sent);
  EXPECT_EQ(h.stream_->counters().dtmf_events, 1u);
  EXPECT_EQ(h.stream_->counters().dtmf_packets_out, 7u);
}

TEST(TranscodeDtmfTest, EventsFromOpusAreScaledDownTo8k) {
  Dtmf h({.in_codec = CodecId::opus,
          .in_pt = 111,
          .out_codec = CodecId::pcma,
          .out_pt = 8,
          .out_ptime_ms = 20,
          .out_telephone_event_pt = 101});
  for (uint32_t n = 0; n < 5; ++n) h.audio(n);
  h.press("#", 5, 60, 100);
  const auto events = h.events();
  ASSERT_EQ(events.size(), 5u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].ts, kOutTs + 5 * 160) << i;
    EXPECT_EQ(event_of(events[i]).code, 11);
    EXPECT_EQ(event_of(events[i]).duration, std::min<size_t>(i + 1, 3) * 160) << i;
  }
}

TEST(TranscodeDtmfTest, DuplicatesAndRetransmittedEndsMakeOneEventWithThreeEndPackets) {
  Dtmf h({.in_codec = CodecId::pcmu,
          .in_pt = 0,
          .out_codec = CodecId::pcma,
          .out_pt = 8,
          .out_ptime_ms = 20,
          .out_telephone_event_pt = 100});
  for (uint32_t n = 0; n < 5; ++n) h.audio(n);
  // Each update twice, an older update after a newer one, the end five times.
  for (uint32_t ms : {20u, 20u, 40u, 40u, 20u, 60u, 60u}) {
    ASSERT_TRUE(h.event(5, 3, ms, false));
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(h.event(5, 3, 80, true));
  }
  const auto events = h.events();
  ASSERT_EQ(events.size(), 6u);  // 20, 40, 60, end x 3
  EXPECT_TRUE(events[0].marker);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].pt, 100);
    EXPECT_EQ(events[i].ts, kOutTs + 5 * 160);
    EXPECT_EQ(event_of(events[i]).end, i >= 3);
  }
  EXPECT_EQ(event_of(events[5]).duration, 640);
  EXPECT_EQ(h.stream_->counters().dtmf_events, 1u);
  // The second 20, 40 and 60, the stale 20, the 4th and 5th end.
  EXPECT_EQ(h.stream_->counters().dtmf_duplicates, 6u);
  // ...later update and end packets of that event still say nothing new.
  ASSERT_TRUE(h.event(5, 3, 80, false));
  ASSERT_TRUE(h.event(5, 3, 80, true));
  EXPECT_EQ(h.events().size(), 6u);
  expect_continuous_sequence(h.sent);
}

TEST(TranscodeDtmfTest, DigitsArriveInOrderEachOnce) {
  Dtmf h({.in_codec = CodecId::pcmu,
          .in_pt = 0,
          .out_codec = CodecId::pcma,
          .out_pt = 8,
          .out_ptime_ms = 20,
          .out_telephone_event_pt = 101});
  for (uint32_t n = 0; n < 5; ++n) h.audio(n);
  uint32_t n = h.press("1234567890*#ABCD", 5, 80, 80);
  // A late retransmission of digit 1's end, after the others: not a new digit.
  ASSERT_TRUE(h.event(5, 1, 80, true));
  h.audio(n);
  std::string digits;
  std::map<uint32_t, size_t> ends;
  uint32_t last_ts = 0;
  for (const Out& o : h.events()) {
    const TelephoneEvent e = event_of(o);
    if (o.marker) {
      if (!digits.empty()) {
        EXPECT_GT(static_cast<int32_t>(o.ts - last_ts), 0);
      }
      digits += dtmf_digit(e.code).value_or('?');
      last_ts = o.ts;
    }
    if (e.end) ++ends[o.ts];
  }
  EXPECT_EQ(digits, "1234567890*#ABCD");
  EXPECT_EQ(ends.size(), 16u);
  for (const auto& [ts, count] : ends) EXPECT_EQ(count, 3u) << ts;
  EXPECT_EQ(h.stream_->counters().dtmf_events, 16u);
  expect_continuous_sequence(h.sent);
}

TEST(TranscodeDtmfTest, ALongEventToOpusIsSegmented) {
  Dtmf h({.in_codec = CodecId::pcmu,
          .in_pt = 0,
          .out_codec = CodecId::opus,
          .out_pt = 111,
          .out_ptime_ms = 20,
          .out_telephone_event_pt = 96});
  h.audio(0);
  // 2 s at 8 kHz is 16000 units: 96000 at 48 kHz, past one duration field.
  ASSERT_TRUE(h.event(1, 0, 1000, false));
  ASSERT_TRUE(h.event(1, 0, 2000, true));
  const auto events = h.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].ts, kOutTs + 160 * 6);
  EXPECT_EQ(event_of(events[0]).duration, 48000);
  EXPECT_FALSE(event_of(events[0]).end);
  // RFC 4733 2.5.1.3: the next segment starts where a full one ends, no marker.
  EXPECT_EQ(events[1].ts, kOutTs + 160 * 6 + 0xffff);
  EXPECT_EQ(event_of(events[1]).duration, 96000 - 0xffff);
  EXPECT_TRUE(event_of(events[1]).end);
  EXPECT_FALSE(events[1].marker);
}

TEST(TranscodeDtmfTest, ASegmentedEventFromOpusIsOneEvent) {
  Dtmf h({.in_codec = CodecId::opus,
          .in_pt = 111,
          .out_codec = CodecId::pcmu,
          .out_pt = 0,
          .out_ptime_ms = 20,
          .out_telephone_event_pt = 101});
  h.audio(0);
  // 3 s at 48 kHz: the sender's segments start at +0xffff and +2 * 0xffff.
  for (uint32_t ms = 500; ms <= 3000; ms += 500) {
    ASSERT_TRUE(h.event(1, 5, ms, ms == 3000));
  }
  const auto events = h.events();
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(h.stream_->counters().dtmf_events, 1u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].ts, kOutTs + 160) << i;  // at 8 kHz it fits one duration field
    EXPECT_EQ(event_of(events[i]).duration, (i + 1) * 4000) << i;
    EXPECT_EQ(events[i].marker, i == 0);
  }
}

TEST(TranscodeDtmfTest, AnEventWhoseEndWasLostIsEndedBeforeTheNext) {
  Dtmf h({.in_codec = CodecId::pcmu,
          .in_pt = 0,
          .out_codec = CodecId::pcma,
          .out_pt = 8,
          .out_ptime_ms = 20,
          .out_telephone_event_pt = 101});
  h.audio(0);
  ASSERT_TRUE(h.event(1, 4, 20, false));
  ASSERT_TRUE(h.event(1, 4, 40, false));
  ASSERT_TRUE(h.event(10, 4, 20, false));  // the same digit again: a new event (new timestamp)
  const auto events = h.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_TRUE(event_of(events[2]).end);  // the first one, closed at its last duration
  EXPECT_EQ(event_of(events[2]).duration, 320);
  EXPECT_EQ(events[2].ts, kOutTs + 160);
  EXPECT_TRUE(events[3].marker);
  EXPECT_EQ(events[3].ts, kOutTs + 1600);
  EXPECT_EQ(h.stream_->counters().dtmf_events, 2u);
}

TEST(TranscodeDtmfTest, MalformedEventPayloadsAreNamedAndCounted) {
  for (bool events_out : {false, true}) {
    Dtmf h({.in_codec = CodecId::pcmu,
            .in_pt = 0,
            .out_codec = CodecId::pcma,
            .out_pt = 8,
            .out_ptime_ms = 20,
            .out_telephone_event_pt = events_out ? std::optional<uint8_t>(101) : std::nullopt});
    h.audio(0);
    const size_t before = h.sent.size();
    const std::array<uint8_t, 5> bytes{1, 0x8a, 0, 0, 0};
    for (size_t size : {0u, 1u, 3u, 5u}) {
      auto result = h.push(rtp(kInEventPt, 7, kInTs, false, std::span(bytes).first(size)));
      ASSERT_FALSE(result.has_value()) << size;
      EXPECT_EQ(result.error(), TranscodeError::bad_telephone_event);
    }
    // An end of duration 0.
    auto zero = h.push(rtp(kInEventPt, 8, kInTs, true, std::span(bytes).first(4)));
    ASSERT_FALSE(zero.has_value());
    EXPECT_EQ(to_string(zero.error()), "bad_telephone_event");
    const TranscodeCounters& c = h.stream_->counters();
    EXPECT_EQ(c.bad_telephone_events, 5u);
    EXPECT_EQ(c.malformed, 5u);
    EXPECT_EQ(c.dtmf_events, 0u);
    EXPECT_EQ(h.sent.size(), before);
    // A duration and an event code out of the ordinary are not malformed: an event nobody can
    // play (code 200) is carried out of band and counted when it would have to be a tone.
    std::array<uint8_t, 4> odd{200, 0x0a, 0xff, 0xff};
    ASSERT_TRUE(h.push(rtp(kInEventPt, 9, kInTs + 160, true, odd)).has_value());
    EXPECT_EQ(c.dtmf_events, 1u);
    EXPECT_EQ(c.dtmf_unsupported, events_out ? 0u : 1u);
    EXPECT_EQ(c.dtmf_tone_samples, 0u);
  }
}

// ---- RFC 4733 in, in-band tones out ----

struct Detected {
  char digit;
  double start_ms;
  double duration_ms;
};

// spandsp's DTMF receiver over pcm: each digit, where it starts and how long it lasts.
std::vector<Detected> detect(const std::vector<int16_t>& pcm) {
  struct Context {
    std::vector<Detected> found;
    size_t position = 0;
  } context;
  dtmf_rx_state_t* rx = dtmf_rx_init(nullptr, nullptr, nullptr);
  dtmf_rx_set_realtime_callback(
      rx,
      [](void* user, int code, int, int) {
        auto* c = static_cast<Context*>(user);
        const double ms = static_cast<double>(c->position) / 8.0;
        if (code != 0) {
          c->found.push_back(Detected{static_cast<char>(code), ms, -1});
        } else if (!c->found.empty() && c->found.back().duration_ms < 0) {
          c->found.back().duration_ms = ms - c->found.back().start_ms;
        }
      },
      &context);
  for (size_t at = 0; at < pcm.size(); at += 40) {
    context.position = at;
    dtmf_rx(rx, pcm.data() + at, static_cast<int>(std::min<size_t>(40, pcm.size() - at)));
  }
  dtmf_rx_free(rx);
  return context.found;
}

std::string digits_of(const std::vector<Detected>& found) {
  std::string digits;
  for (const Detected& d : found) digits += d.digit;
  return digits;
}

struct InbandCase {
  CodecId out;
  uint16_t ptime;
  bool audio_during;
};

class InbandDtmfTest : public ::testing::TestWithParam<InbandCase> {};

TEST_P(InbandDtmfTest, EachDigitIsHeardOnceInOrderWithItsDuration) {
  const InbandCase& p = GetParam();
  Dtmf h({.in_codec = CodecId::pcmu,
          .in_pt = 0,
          .out_codec = p.out,
          .out_pt = codec_info(p.out).static_payload_type.value_or(111),
          .out_ptime_ms = p.ptime});
  for (uint32_t n = 0; n < 10; ++n) h.audio(n);
  const std::string_view digits = "1593#0*D";
  uint32_t n = h.press(digits, 10, 120, 120, p.audio_during);
  for (uint32_t end = n + 10; n < end; ++n) h.audio(n);
  const auto found = detect(h.timeline());
  EXPECT_EQ(digits_of(found), digits) << to_string(p.out);
  for (const Detected& d : found) {
    // At least its duration (the tone runs 120 ms; the detector's own on/off delays blur it).
    EXPECT_GE(d.duration_ms, 100) << d.digit;
    EXPECT_LE(d.duration_ms, 180) << d.digit;
  }
  const TranscodeCounters& c = h.stream_->counters();
  EXPECT_EQ(c.dtmf_events, digits.size());
  EXPECT_EQ(c.dtmf_tone_samples, digits.size() * 120 * 8);
  EXPECT_EQ(c.dtmf_timeouts, 0u);
  EXPECT_EQ(c.late, 0u);
  EXPECT_EQ(c.encode_errors, 0u);
  // The output stays one continuous stream: our SSRC, sequence and 20 ms timestamps.
  expect_continuous_sequence(h.sent);
  for (size_t i = 1; i < h.sent.size(); ++i) {
    EXPECT_EQ(h.sent[i].ts - h.sent[i - 1].ts, p.ptime * 8u * h.out_units) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, InbandDtmfTest,
    ::testing::Values(InbandCase{CodecId::pcmu, 20, true}, InbandCase{CodecId::pcmu, 20, false},
                      InbandCase{CodecId::pcma, 20, true}, InbandCase{CodecId::pcma, 30, false},
                      InbandCase{CodecId::g722, 20, true}, InbandCase{CodecId::g729, 20, true},
                      InbandCase{CodecId::g729, 20, false}, InbandCase{CodecId::opus, 20, true}),
    [](const auto& info) {
      return std::string(to_string(info.param.out)) + "_" + std::to_string(info.param.ptime) +
             "ms_" + (info.param.audio_during ? "audio_during" : "audio_paused");
    });

TEST(TranscodeDtmfTest, InbandFromOpusUsesTheOpusEventClock) {
  Dtmf h({.in_codec = CodecId::opus, .in_pt = 111, .out_codec = CodecId::pcmu, .out_pt = 0});
  for (uint32_t n = 0; n < 10; ++n) h.audio(n);
  uint32_t n = h.press("42", 10, 100, 100);
  for (uint32_t end = n + 5; n < end; ++n) h.audio(n);
  EXPECT_EQ(digits_of(detect(h.timeline())), "42");
  // 100 ms each: 4800 units at 48 kHz are 800 samples.
  EXPECT_EQ(h.stream_->counters().dtmf_tone_samples, 2u * 800);
}

TEST(TranscodeDtmfTest, AnEventSeenOnlyByItsEndPacketsIsStillHeardOnce) {
  Dtmf h({.in_codec = CodecId::pcmu, .in_pt = 0, .out_codec = CodecId::pcma, .out_pt = 8});
  for (uint32_t n = 0; n < 10; ++n) h.audio(n);
  // Every update lost: the three end packets (160 ms) arrive with the audio after the digit.
  for (uint32_t n = 10; n < 18; ++n) h.audio(n);
  for (uint32_t n = 18; n < 21; ++n) {
    h.audio(n);
    ASSERT_TRUE(h.event(10, 8, 160, true));
  }
  for (uint32_t n = 21; n < 40; ++n) h.audio(n);
  const auto found = detect(h.timeline());
  ASSERT_EQ(digits_of(found), "8");
  EXPECT_GE(found[0].duration_ms, 140);
  EXPECT_EQ(h.stream_->counters().dtmf_tone_samples, 160u * 8);
  EXPECT_EQ(h.stream_->counters().dtmf_events, 1u);
  EXPECT_EQ(h.stream_->counters().late, 0u);
}

TEST(TranscodeDtmfTest, SameCodecPassesAudioThroughAndInjectsTheTone) {
  Dtmf h({.in_codec = CodecId::pcmu, .in_pt = 0, .out_codec = CodecId::pcmu, .out_pt = 0});
  for (uint32_t n = 0; n < 10; ++n) h.audio(n);
  // PCMU -> PCMU outside the tone is bit-exact.
  auto reference = make_codec(CodecId::pcmu);
  std::array<uint8_t, 160> payload{};
  ASSERT_EQ(h.sent.size(), 10u);
  for (uint32_t n = 0; n < 10; ++n) {
    ASSERT_TRUE((*reference)->encode(test::speech_like(160, n * 160), payload));
    EXPECT_EQ(h.sent[n].payload, std::vector<uint8_t>(payload.begin(), payload.end())) << n;
  }
  h.press("5", 10, 200, 100);
  EXPECT_EQ(digits_of(detect(h.timeline())), "5");
}

TEST(TranscodeDtmfTest, AToneWithoutEndStopsWhenUpdatesStopAndAtTheCap) {
  // Updates for 200 ms, then audio only: the tone ends kEventTimeoutMs past the last update.
  {
    Dtmf h({.in_codec = CodecId::pcmu, .in_pt = 0, .out_codec = CodecId::pcma, .out_pt = 8});
    for (uint32_t n = 0; n < 5; ++n) h.audio(n);
    for (uint32_t k = 1; k <= 10; ++k) {
      h.audio(4 + k);
      ASSERT_TRUE(h.event(5, 2, k * 20, false));
    }
    for (uint32_t n = 15; n < 100; ++n) h.audio(n);
    const auto found = detect(h.timeline());
    ASSERT_EQ(digits_of(found), "2");
    EXPECT_NEAR(found[0].duration_ms, 200 + TranscodeStream::kEventTimeoutMs, 40);
    EXPECT_EQ(h.stream_->counters().dtmf_timeouts, 1u);
  }
  // Updates for 8 s without an end and no audio: the tone stops at kMaxEventMs.
  {
    Dtmf h({.in_codec = CodecId::pcmu, .in_pt = 0, .out_codec = CodecId::pcma, .out_pt = 8});
    h.audio(0);
    for (uint32_t k = 1; k <= 400; ++k) {
      ASSERT_TRUE(h.event(1, 9, k * 20, false));
    }
    for (uint32_t n = 402; n < 420; ++n) h.audio(n);
    const auto found = detect(h.timeline());
    ASSERT_EQ(digits_of(found), "9");
    EXPECT_NEAR(found[0].duration_ms, TranscodeStream::kMaxEventMs, 40);
    EXPECT_EQ(h.stream_->counters().dtmf_tone_samples, TranscodeStream::kMaxEventMs * 8);
  }
}

TEST(TranscodeDtmfTest, ToneLevelFollowsTheEventVolumeWithinBounds) {
  // Volume 10 (-10 dBm0) and volume 40 (too quiet for a receiver: raised to -20 dBm0).
  double previous = 0;
  for (uint8_t volume : {10, 40}) {
    Dtmf h({.in_codec = CodecId::pcmu, .in_pt = 0, .out_codec = CodecId::pcmu, .out_pt = 0});
    h.audio(0);
    for (uint32_t k = 1; k <= 10; ++k) {
      ASSERT_TRUE(h.event(1, 1, k * 20, k == 10, volume));
    }
    const auto pcm = h.timeline();
    double energy = 0;
    size_t count = 0;
    for (size_t i = 200; i < 1600 && i < pcm.size(); ++i, ++count)
      energy += double(pcm[i]) * pcm[i];
    const double rms = std::sqrt(energy / static_cast<double>(count));
    EXPECT_GT(rms, 100.0) << int{volume};
    if (previous != 0) {
      EXPECT_NEAR(20 * std::log10(previous / rms), 10.0, 1.0);
    }
    previous = rms;
    EXPECT_EQ(digits_of(detect(pcm)), "1");
  }
}

// ---- In-band tones in, RFC 4733 out (detect_inband_dtmf) ----

// Speech, then digits as tones (spandsp's dtmf_tx: on_ms each, off_ms of silence after), then
// speech: 8 kHz PCM.
std::vector<int16_t> with_tones(std::string_view digits, int on_ms, int off_ms) {
  std::vector<int16_t> pcm = test::speech_like(1600);
  dtmf_tx_state_t* tx = dtmf_tx_init(nullptr);
  dtmf_tx_set_timing(tx, on_ms, off_ms);
  dtmf_tx_put(tx, std::string(digits).c_str(), -1);
  std::array<int16_t, 160> frame{};
  for (int n; (n = dtmf_tx(tx, frame.data(), 160)) > 0;)
    pcm.insert(pcm.end(), frame.begin(), frame.begin() + n);
  dtmf_tx_free(tx);
  const auto tail = test::speech_like(1600, pcm.size());
  pcm.insert(pcm.end(), tail.begin(), tail.end());
  pcm.resize((pcm.size() + 159) / 160 * 160);
  return pcm;
}

class Detecting {
 public:
  explicit Detecting(CodecId in, CodecId out) {
    params_ = {.in_codec = in,
               .in_pt = codec_info(in).static_payload_type.value_or(111),
               .out_codec = out,
               .out_pt = codec_info(out).static_payload_type.value_or(111),
               .out_ptime_ms = 20,
               .out_telephone_event_pt = 101,
               .out_ssrc = kOutSsrc,
               .out_first_seq = kOutSeq,
               .out_first_ts = kOutTs,
               .detect_inband_dtmf = true};
    stream_ = std::move(*TranscodeStream::create(params_));
    encoder_ = std::move(*make_codec(in));
  }

  void send(const std::vector<int16_t>& pcm) {
    const uint32_t units = rtp_units_per_sample(codec_info(params_.in_codec));
    std::array<uint8_t, 1500> payload{};
    for (size_t at = 0; at + 160 <= pcm.size(); at += 160) {
      auto bytes = encoder_->encode(std::span(pcm).subspan(at, 160), payload);
      ASSERT_TRUE(bytes.has_value());
      auto result = stream_->push(
          rtp(params_.in_pt, static_cast<uint16_t>(at / 160),
              kInTs + static_cast<uint32_t>(at) * units, false, std::span(payload).first(*bytes)),
          buffers_);
      ASSERT_TRUE(result.has_value());
      for (size_t i = 0; i < result->packets; ++i) sent.push_back(parse(buffers_[i]));
    }
  }

  std::vector<int16_t> audio() const {
    auto decoder = make_codec(params_.out_codec);
    std::vector<int16_t> pcm;
    std::array<int16_t, 960> frame{};
    for (const Out& o : sent) {
      if (o.pt != params_.out_pt) continue;
      auto n = (*decoder)->decode(o.payload, frame);
      pcm.insert(pcm.end(), frame.begin(), frame.begin() + static_cast<ptrdiff_t>(*n));
    }
    return pcm;
  }

  TranscodeParams params_;
  std::unique_ptr<TranscodeStream> stream_;
  std::unique_ptr<Codec> encoder_;
  std::array<RtpOut, TranscodeStream::kMaxOutPackets> buffers_{};
  std::vector<Out> sent;
};

TEST(TranscodeDtmfTest, InbandDigitsBecomeEventsOnceInOrderAndLeaveTheAudio) {
  for (CodecId in : {CodecId::pcmu, CodecId::g722}) {
    Detecting h(in, CodecId::pcma);
    h.send(with_tones("1593#D", 100, 100));
    std::string digits;
    std::map<uint32_t, std::vector<TelephoneEvent>> by_start;
    for (const Out& o : h.sent) {
      if (o.pt != 101) continue;
      const TelephoneEvent e = event_of(o);
      if (o.marker) digits += dtmf_digit(e.code).value_or('?');
      by_start[o.ts - kOutTs].push_back(e);
    }
    EXPECT_EQ(digits, "1593#D") << to_string(in);
    ASSERT_EQ(by_start.size(), 6u);
    uint32_t previous = 0;
    for (const auto& [ts, packets] : by_start) {
      // Digits 200 ms apart (the first after 200 ms of speech).
      if (previous != 0) {
        EXPECT_NEAR(static_cast<double>(ts - previous), 1600.0, 160.0);
      }
      previous = ts;
      size_t ends = 0;
      for (const TelephoneEvent& e : packets) ends += e.end ? 1 : 0;
      EXPECT_EQ(ends, 3u);
      EXPECT_TRUE(packets.back().end);
      // 100 ms tones: 800 units, give or take the detector's blocks.
      EXPECT_NEAR(packets.back().duration, 800.0, 240.0) << ts;
    }
    EXPECT_EQ(h.stream_->counters().dtmf_detected, 6u);
    expect_continuous_sequence(h.sent);
    // The tones left the audio: a detector on the far side hears none.
    EXPECT_EQ(digits_of(detect(h.audio())), "") << to_string(in);
  }
}

TEST(TranscodeDtmfTest, SpeechAloneDetectsNoDigit) {
  Detecting h(CodecId::pcmu, CodecId::pcma);
  h.send(test::speech_like(8000 * 5));
  EXPECT_EQ(h.stream_->counters().dtmf_detected, 0u);
  EXPECT_EQ(h.stream_->counters().dtmf_packets_out, 0u);
}

}  // namespace
}  // namespace sbc::dp
