// sbc-codec-bench: cost of one transcoding direction (TranscodeStream::push: RTP in, decode,
// encode, RTP out) per 20 ms packet for each codec pair, and the transcoded calls one core carries
// at 50 packets/s per direction (a call is both directions: A->B and B->A). A program, not a test.
//
//   sbc-codec-bench [--packets N] [--runs R]
//
// Input: a speech-like signal, encoded once up front (not timed) into 20 ms packets; each run
// pushes N packets with advancing sequence numbers and timestamps. Reports the median of R runs.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "dataplane/media/codecs/transcode_stream.h"

namespace {

using sbc::dp::CodecId;
using sbc::dp::RtpOut;
using sbc::dp::TranscodeStream;

constexpr size_t kDistinct = 250;  // 5 s of distinct audio, cycled

std::vector<int16_t> signal(size_t samples) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    const double t = static_cast<double>(i) / 8000.0;
    const double envelope = 0.6 + 0.4 * std::sin(2 * std::numbers::pi * 3 * t);
    out[i] = static_cast<int16_t>(12000.0 * envelope *
                                  (0.5 * std::sin(2 * std::numbers::pi * 310 * t) +
                                   0.3 * std::sin(2 * std::numbers::pi * 1270 * t) +
                                   0.2 * std::sin(2 * std::numbers::pi * 2650 * t)));
  }
  return out;
}

uint8_t payload_type(CodecId id) {
  return sbc::dp::codec_info(id).static_payload_type.value_or(111);
}

// Nanoseconds per pushed 20 ms packet, median of runs.
double measure(CodecId in, CodecId out, size_t packets, int runs) {
  auto encoder = sbc::dp::make_codec(in);
  if (!encoder) return -1;
  const auto pcm = signal(kDistinct * 160);
  std::vector<std::vector<uint8_t>> input;
  std::array<uint8_t, 1500> payload{};
  for (size_t n = 0; n < kDistinct; ++n) {
    auto bytes = (*encoder)->encode(std::span(pcm).subspan(n * 160, 160), payload);
    if (!bytes) return -1;
    std::vector<uint8_t> p(12 + *bytes, 0);
    p[0] = 0x80;
    p[1] = payload_type(in);
    p[8] = 0x42;
    std::memcpy(p.data() + 12, payload.data(), *bytes);
    input.push_back(std::move(p));
  }
  const uint32_t units = sbc::dp::rtp_units_per_sample(sbc::dp::codec_info(in));
  std::vector<double> results;
  std::array<RtpOut, TranscodeStream::kMaxOutPackets> buffers{};
  uint64_t sink = 0;
  for (int run = 0; run < runs; ++run) {
    auto stream = TranscodeStream::create({.in_codec = in,
                                           .in_pt = payload_type(in),
                                           .out_codec = out,
                                           .out_pt = payload_type(out),
                                           .out_ptime_ms = 20,
                                           .in_cn_pt = 13,
                                           .out_cn_pt = std::nullopt,
                                           .in_telephone_event_pt = std::nullopt,
                                           .out_telephone_event_pt = std::nullopt,
                                           .out_ssrc = 7,
                                           .out_first_seq = 0,
                                           .out_first_ts = 0});
    if (!stream) return -1;
    const auto start = std::chrono::steady_clock::now();
    for (size_t n = 0; n < packets; ++n) {
      std::vector<uint8_t>& p = input[n % kDistinct];
      const uint32_t ts = static_cast<uint32_t>(n * 160 * units);
      p[2] = static_cast<uint8_t>(n >> 8);
      p[3] = static_cast<uint8_t>(n);
      p[4] = static_cast<uint8_t>(ts >> 24);
      p[5] = static_cast<uint8_t>(ts >> 16);
      p[6] = static_cast<uint8_t>(ts >> 8);
      p[7] = static_cast<uint8_t>(ts);
      auto result = (*stream)->push(p, buffers);
      if (result) sink += result->packets;
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    results.push_back(std::chrono::duration<double, std::nano>(elapsed).count() /
                      static_cast<double>(packets));
    if ((*stream)->counters().packets_out != packets) {
      std::fprintf(stderr, "codec-bench: %s->%s sent %llu of %zu\n",
                   std::string(sbc::dp::to_string(in)).c_str(),
                   std::string(sbc::dp::to_string(out)).c_str(),
                   static_cast<unsigned long long>((*stream)->counters().packets_out), packets);
    }
  }
  std::sort(results.begin(), results.end());
  if (sink == 0) std::fprintf(stderr, "codec-bench: nothing sent\n");
  return results[results.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t packets = 2000;  // 40 s of audio per direction and run
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--packets") == 0) {
      packets = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--runs") == 0) {
      runs = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: sbc-codec-bench [--packets N] [--runs R]\n");
      return 2;
    }
  }
  if (packets == 0 || runs <= 0) {
    std::fprintf(stderr, "sbc-codec-bench: --packets and --runs must be positive\n");
    return 2;
  }
  struct Pair {
    CodecId a;
    CodecId b;
  };
  const std::array<Pair, 5> pairs{{{CodecId::pcmu, CodecId::pcma},
                                   {CodecId::pcmu, CodecId::g722},
                                   {CodecId::pcmu, CodecId::opus},
                                   {CodecId::pcmu, CodecId::g729},
                                   {CodecId::pcma, CodecId::g729}}};
  std::printf("sbc-codec-bench: %zu packets of 20 ms per direction, median of %d runs\n", packets,
              runs);
  std::printf("%-14s %14s %14s %16s\n", "pair", "A->B ns/20ms", "B->A ns/20ms", "calls/core");
  for (const Pair& p : pairs) {
    const double forward = measure(p.a, p.b, packets, runs);
    const double back = measure(p.b, p.a, packets, runs);
    if (forward < 0 || back < 0) {
      std::fprintf(stderr, "sbc-codec-bench: setup failed\n");
      return 1;
    }
    // A call: 50 packets/s in each direction, both directions on the same core.
    const double calls = 1e9 / (50.0 * (forward + back));
    const std::string name =
        std::string(sbc::dp::to_string(p.a)) + "<->" + std::string(sbc::dp::to_string(p.b));
    std::printf("%-14s %14.0f %14.0f %16.0f\n", name.c_str(), forward, back, calls);
  }
  return 0;
}
