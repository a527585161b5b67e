// The dataplane's per-packet rule for transcoding: once a TranscodeStream is created (on the
// control thread), push() allocates nothing, for every codec pair, through loss, comfort noise and
// malformed input. This test binary defines malloc, calloc and realloc (they forward to glibc's
// __libc_* entry points), so every heap allocation in the process, spandsp's, libopus's and
// bcg729's included, passes through a counter that counts only while a test has switched it on.
// It is a binary of its own so the hook touches no other test.
#include <gtest/gtest.h>
#include <spandsp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "dataplane/media/codecs/transcode_stream.h"
#include "tests/unit/dataplane/media/codecs/test_signal.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
}

namespace {

// The hook's state; a test binary's only globals.
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};

void count() {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

extern "C" {
void* malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(size_t count_, size_t size) {
  count();
  return __libc_calloc(count_, size);
}
void* realloc(void* pointer, size_t size) {
  count();
  return __libc_realloc(pointer, size);
}
}

namespace sbc::dp {
namespace {

template <typename F>
uint64_t allocations_of(F&& body) {
  g_allocations.store(0);
  g_counting.store(true);
  body();
  g_counting.store(false);
  return g_allocations.load();
}

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, std::span<const uint8_t> payload) {
  std::vector<uint8_t> p(12 + payload.size());
  p[0] = 0x80;
  p[1] = pt;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
  p[8] = 0x12;
  for (size_t i = 0; i < payload.size(); ++i) p[12 + i] = payload[i];
  return p;
}

TEST(TranscodeAllocationTest, TheHookCountsAllocations) {
  // A test that cannot fail is no test: the counter must see an allocation when there is one.
  const uint64_t seen = allocations_of([] {
    void* volatile p = malloc(64);
    free(p);
  });
  EXPECT_EQ(seen, 1u);
}

// Codec A, codec B, output ptime, and whether the output side has telephone-event (events
// re-emitted) or not (in-band DTMF tones generated).
using Pair = std::tuple<CodecId, CodecId, uint16_t, bool>;

class TranscodeAllocationPairTest : public ::testing::TestWithParam<Pair> {};

TEST_P(TranscodeAllocationPairTest, PushAllocatesNothing) {
  const auto [in, out, ptime, events_out] = GetParam();
  const uint8_t in_pt = codec_info(in).static_payload_type.value_or(111);
  auto stream = TranscodeStream::create(
      {.in_codec = in,
       .in_pt = in_pt,
       .out_codec = out,
       .out_pt = codec_info(out).static_payload_type.value_or(111),
       .out_ptime_ms = ptime,
       .in_cn_pt = 13,
       .out_cn_pt = std::nullopt,
       .in_telephone_event_pt = 101,
       .out_telephone_event_pt = events_out ? std::optional<uint8_t>(100) : std::nullopt,
       .out_ssrc = 1,
       .out_first_seq = 0,
       .out_first_ts = 0});
  ASSERT_TRUE(stream.has_value());
  // The input, prepared before counting: 20 ms packets of the test signal, some lost, a CN
  // packet and a long gap, DTMF events (during audio, with duplicates and the end sent 3 times;
  // then one with no audio, long enough to be capped), malformed packets.
  auto encoder = make_codec(in);
  ASSERT_TRUE(encoder.has_value());
  const uint32_t units = rtp_units_per_sample(codec_info(in));
  std::vector<std::vector<uint8_t>> packets;
  std::array<uint8_t, 1500> payload{};
  for (uint32_t n = 0; n < 100; ++n) {
    const auto pcm = test::speech_like(160, n * 160);
    auto bytes = (*encoder)->encode(pcm, payload);
    ASSERT_TRUE(bytes.has_value());
    if (n % 17 == 5) continue;  // lost
    if (n == 50) {
      const std::array<uint8_t, 1> level{45};
      packets.push_back(rtp(13, static_cast<uint16_t>(n), n * 160 * units, level));
      continue;
    }
    if (n > 50 && n < 60) continue;  // silence
    packets.push_back(
        rtp(in_pt, static_cast<uint16_t>(n), n * 160 * units, std::span(payload).first(*bytes)));
  }
  // An event packet (start: input packet number, duration: 8 kHz samples); past 0xffff units
  // the sender goes on in segments (RFC 4733 2.5.1.3).
  auto event = [&](uint16_t seq, uint32_t start, uint8_t code, bool end, uint32_t duration) {
    uint32_t ts = start * 160 * units;
    uint32_t d = duration * units;
    ts += (d - 1) / 0xffff * 0xffff;
    d -= (d - 1) / 0xffff * 0xffff;
    const std::array<uint8_t, 4> block{code, static_cast<uint8_t>((end ? 0x80 : 0) | 10),
                                       static_cast<uint8_t>(d >> 8), static_cast<uint8_t>(d)};
    return rtp(101, seq, ts, block);
  };
  // Digit 5 at packet 20 while audio flows (inserted among the audio packets 20..27).
  std::vector<std::vector<uint8_t>> with_events;
  for (auto& packet : packets) {
    with_events.push_back(packet);
    const uint32_t n = (uint32_t{packet[2]} << 8) | packet[3];
    if (packet[1] != in_pt || n < 20 || n > 27) continue;
    const bool end = n >= 25;
    with_events.push_back(
        event(static_cast<uint16_t>(300 + n), 20, 5, end, std::min<uint32_t>(n - 19, 5) * 160));
    if (n == 21) with_events.push_back(with_events.back());  // a duplicate
  }
  packets = std::move(with_events);
  // Digit # after the audio, no audio with it, 6 s without an end (long segments on Opus).
  for (uint32_t k = 1; k <= 300; ++k) {
    packets.push_back(event(static_cast<uint16_t>(400 + k), 110, 11, false, k * 160));
  }
  const std::array<uint8_t, 3> short_event{1, 10, 0};
  packets.push_back(rtp(101, 999, 500 * 160 * units, short_event));
  packets.push_back(std::vector<uint8_t>(6, 0x80));
  std::array<RtpOut, TranscodeStream::kMaxOutPackets> buffers{};
  size_t sent = 0;
  const uint64_t allocations = allocations_of([&] {
    for (const auto& packet : packets) {
      auto result = (*stream)->push(packet, buffers);
      if (result) sent += result->packets;
    }
  });
  EXPECT_EQ(allocations, 0u);
  EXPECT_GT(sent * ptime, 1000u);  // more than 1 s of audio went out
  EXPECT_EQ((*stream)->counters().encode_errors, 0u);
  // The DTMF paths ran.
  EXPECT_EQ((*stream)->counters().dtmf_events, 2u);
  EXPECT_EQ((*stream)->counters().bad_telephone_events, 1u);
  if (events_out) {
    EXPECT_GT((*stream)->counters().dtmf_packets_out, 10u);
  } else {
    EXPECT_GT((*stream)->counters().dtmf_tone_samples, 8000u);
  }
}

// In-band DTMF detection (detect_inband_dtmf): digits as tones in the input audio become RFC 4733
// events, allocation-free too.
TEST(TranscodeAllocationTest, InbandDetectionAllocatesNothing) {
  for (CodecId in : {CodecId::pcmu, CodecId::g722, CodecId::opus}) {
    const uint8_t in_pt = codec_info(in).static_payload_type.value_or(111);
    auto stream = TranscodeStream::create({.in_codec = in,
                                           .in_pt = in_pt,
                                           .out_codec = CodecId::pcma,
                                           .out_pt = 8,
                                           .out_ptime_ms = 20,
                                           .in_cn_pt = 13,
                                           .out_cn_pt = std::nullopt,
                                           .in_telephone_event_pt = std::nullopt,
                                           .out_telephone_event_pt = 101,
                                           .out_ssrc = 1,
                                           .out_first_seq = 0,
                                           .out_first_ts = 0,
                                           .detect_inband_dtmf = true});
    ASSERT_TRUE(stream.has_value());
    // Speech, then the digits 1, 2, 3 as 100 ms tones 100 ms apart, then speech; 20 ms packets.
    std::vector<int16_t> pcm = test::speech_like(1600);
    dtmf_tx_state_t* tx = dtmf_tx_init(nullptr);
    dtmf_tx_set_timing(tx, 100, 100);
    dtmf_tx_put(tx, "123", -1);
    std::array<int16_t, 160> frame{};
    for (int n; (n = dtmf_tx(tx, frame.data(), 160)) > 0;) {
      pcm.insert(pcm.end(), frame.begin(), frame.begin() + n);
    }
    dtmf_tx_free(tx);
    pcm.resize(pcm.size() + 1600);
    auto encoder = make_codec(in);
    ASSERT_TRUE(encoder.has_value());
    const uint32_t units = rtp_units_per_sample(codec_info(in));
    std::vector<std::vector<uint8_t>> packets;
    std::array<uint8_t, 1500> payload{};
    for (size_t at = 0; at + 160 <= pcm.size(); at += 160) {
      auto bytes = (*encoder)->encode(std::span(pcm).subspan(at, 160), payload);
      ASSERT_TRUE(bytes.has_value());
      packets.push_back(rtp(in_pt, static_cast<uint16_t>(at / 160),
                            static_cast<uint32_t>(at) * units, std::span(payload).first(*bytes)));
    }
    std::array<RtpOut, TranscodeStream::kMaxOutPackets> buffers{};
    const uint64_t allocations = allocations_of([&] {
      for (const auto& packet : packets) (void)(*stream)->push(packet, buffers);
    });
    EXPECT_EQ(allocations, 0u) << to_string(in);
    EXPECT_EQ((*stream)->counters().dtmf_detected, 3u) << to_string(in);
  }
}

INSTANTIATE_TEST_SUITE_P(Pairs, TranscodeAllocationPairTest,
                         ::testing::Values(Pair{CodecId::pcmu, CodecId::pcma, 20, false},
                                           Pair{CodecId::pcmu, CodecId::pcma, 20, true},
                                           Pair{CodecId::pcma, CodecId::pcmu, 30, false},
                                           Pair{CodecId::pcmu, CodecId::pcmu, 20, false},
                                           Pair{CodecId::pcmu, CodecId::g722, 20, false},
                                           Pair{CodecId::g722, CodecId::pcmu, 20, true},
                                           Pair{CodecId::pcmu, CodecId::opus, 20, false},
                                           Pair{CodecId::pcmu, CodecId::opus, 20, true},
                                           Pair{CodecId::opus, CodecId::pcmu, 20, false},
                                           Pair{CodecId::opus, CodecId::pcmu, 20, true},
                                           Pair{CodecId::pcmu, CodecId::g729, 20, false},
                                           Pair{CodecId::g729, CodecId::pcma, 40, false}),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) + "_to_" +
                                  std::string(to_string(std::get<1>(info.param))) + "_" +
                                  std::to_string(std::get<2>(info.param)) + "ms_" +
                                  (std::get<3>(info.param) ? "events" : "tones");
                         });

}  // namespace
}  // namespace sbc::dp
