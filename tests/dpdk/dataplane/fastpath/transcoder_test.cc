// Transcoding through the real packet path: a relay worker hands a transcoded direction's RTP to a
// transcoding lcore through its ring, the transcoder's packets come back through the worker's TX
// queue toward the other leg (our SSRC, sequence numbers and timestamps, the other leg's codec
// and payload type); PCMU <-> PCMA is converted byte for byte in the relay worker; relayed
// directions get their payload types mapped; capacity is accounted per transcoding lcore; a
// removed session outlives the jobs that name it.
#include <arpa/inet.h>

#include <cmath>
#include <numbers>

#include "dataplane/media/codecs/codec.h"
#include "dataplane/media/srtp_context.h"
#include "dataplane/media/srtp_key.h"
#include "dataplane/media/srtp_suite.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

constexpr uint16_t kAccessPort = 20000;
constexpr uint16_t kTrunkPort = 30000;
constexpr uint32_t kCallerSsrc = 0x11223344;

struct Rtp {
  uint8_t pt = 0;
  bool marker = false;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  std::string payload;
};

std::string rtp_bytes(const Rtp& p) {
  std::string b(12, '\0');
  b[0] = static_cast<char>(0x80);
  b[1] = static_cast<char>((p.marker ? 0x80 : 0) | p.pt);
  const uint16_t seq = htons(p.seq);
  const uint32_t ts = htonl(p.ts);
  const uint32_t ssrc = htonl(p.ssrc);
  std::memcpy(b.data() + 2, &seq, 2);
  std::memcpy(b.data() + 4, &ts, 4);
  std::memcpy(b.data() + 8, &ssrc, 4);
  return b + p.payload;
}

std::optional<Rtp> parse_rtp(const std::string& b) {
  if (b.size() < 12 || (static_cast<uint8_t>(b[0]) >> 6) != 2) return std::nullopt;
  Rtp p;
  p.marker = (static_cast<uint8_t>(b[1]) & 0x80) != 0;
  p.pt = static_cast<uint8_t>(b[1]) & 0x7f;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  std::memcpy(&seq, b.data() + 2, 2);
  std::memcpy(&ts, b.data() + 4, 4);
  std::memcpy(&ssrc, b.data() + 8, 4);
  p.seq = ntohs(seq);
  p.ts = ntohl(ts);
  p.ssrc = ntohl(ssrc);
  p.payload = b.substr(12);
  return p;
}

// 20 ms of a 1 kHz tone (amplitude 8000) starting at sample `offset`.
std::vector<int16_t> tone(size_t offset) {
  std::vector<int16_t> pcm(160);
  for (size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = static_cast<int16_t>(
        8000 * std::sin(2 * std::numbers::pi * 1000 * static_cast<double>(offset + i) / 8000));
  }
  return pcm;
}

std::string encode(CodecId id, std::span<const int16_t> pcm) {
  auto codec = make_codec(id);
  std::array<uint8_t, 512> out{};
  auto n = (*codec)->encode(pcm, out);
  return n ? std::string(reinterpret_cast<const char*>(out.data()), *n) : std::string();
}

std::vector<int16_t> decode(Codec& codec, const std::string& payload) {
  std::vector<int16_t> pcm(960);
  auto n = codec.decode({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}, pcm);
  pcm.resize(n ? *n : 0);
  return pcm;
}

// Signal-to-noise ratio (dB) of `got` against `want` over their common length.
double snr_db(std::span<const int16_t> want, std::span<const int16_t> got) {
  double signal = 0;
  double noise = 0;
  for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
    const double w = want[i];
    signal += w * w;
    noise += (w - got[i]) * (w - got[i]);
  }
  return 10 * std::log10(signal / std::max(noise, 1.0));
}

api::LegCodec leg_codec(api::MediaCodec codec, uint8_t pt,
                        std::optional<uint8_t> te = std::nullopt) {
  return {codec, pt, 20, std::nullopt, te};
}

class TranscoderTest : public DataplaneTest {
 protected:
  TranscodingLimits transcoding() const override { return {1, capacity_, 64}; }

  api::SessionAdd coded_session(uint64_t id, api::LegCodec caller, api::LegCodec callee,
                                uint16_t access_port = kAccessPort,
                                uint16_t trunk_port = kTrunkPort) const {
    api::SessionAdd s = session(id, access_port, trunk_port);
    s.legs[0].codec = caller;
    s.legs[1].codec = callee;
    return s;
  }
  // One packet from the caller through worker, transcoder and worker again; what the callee got.
  std::vector<Rtp> caller_sends(const Rtp& packet, uint16_t to_port = kAccessPort) {
    UdpFrame f = from_caller(to_port);
    f.payload = rtp_bytes(packet);
    inject_wire(kAccess, build_udp(f));
    poll();
    transcode();
    poll();
    return received(kTrunk);
  }
  std::vector<Rtp> callee_sends(const Rtp& packet) {
    UdpFrame f = from_callee(kTrunkPort);
    f.payload = rtp_bytes(packet);
    inject_wire(kTrunk, build_udp(f));
    poll();
    transcode();
    poll();
    return received(kAccess);
  }
  std::vector<Rtp> received(uint32_t port) {
    std::vector<Rtp> out;
    auto frames = wire_out(port);
    for (rte_mbuf* m : frames) {
      auto udp = parse_udp(m);
      EXPECT_TRUE(udp && udp->ip_checksum_ok && udp->udp_checksum_ok);
      if (!udp) continue;
      EXPECT_EQ(udp->src_ip, port == kTrunk ? trunk_ip() : access_ip());
      EXPECT_EQ(udp->dst_ip, port == kTrunk ? callee_ip() : caller_ip());
      if (auto rtp = parse_rtp(udp->payload)) out.push_back(*rtp);
    }
    free_all(frames);
    return out;
  }
  uint32_t transcoded_sessions() {
    auto stats = service_->stats({0}, now_);
    return stats ? stats->transcoded_sessions : UINT32_MAX;
  }

  uint32_t capacity_ = 1000 * kCostPerG711Call;  // an Opus call costs 80
};

// G.711's law conversion needs no transcoder: the relay worker rewrites the payload in place and
// keeps the sender's numbering (its RTCP stays true).
TEST_F(TranscoderTest, PcmuBecomesPcmaByteForByteInTheRelayWorkerBothWays) {
  learn_peers();
  ASSERT_EQ(add(coded_session(1, leg_codec(api::MediaCodec::kPcmu, 0, 101),
                              leg_codec(api::MediaCodec::kPcma, 8, 96)))
                .status,
            api::Status::kOk);
  EXPECT_EQ(transcoded_sessions(), 1u);
  EXPECT_EQ(table_->transcoder_load(0), 0u);
  auto pcma = make_codec(CodecId::pcma);
  auto pcmu = make_codec(CodecId::pcmu);
  std::vector<int16_t> sent;
  std::vector<int16_t> heard;
  for (uint16_t k = 0; k < 10; ++k) {
    const std::string payload = encode(CodecId::pcmu, tone(k * 160u));
    const auto as_sent = decode(**pcmu, payload);
    sent.insert(sent.end(), as_sent.begin(), as_sent.end());
    UdpFrame f = from_caller(kAccessPort);
    f.payload = rtp_bytes(
        {0, k == 0, static_cast<uint16_t>(1000 + k), 5000u + k * 160u, kCallerSsrc, payload});
    inject_wire(kAccess, build_udp(f));
    poll();
    EXPECT_EQ(transcode(), 0u);  // nothing for the transcoding lcore
    auto got = received(kTrunk);
    ASSERT_EQ(got.size(), 1u) << "packet " << k;
    EXPECT_EQ(got[0].pt, 8);
    EXPECT_EQ(got[0].marker, k == 0);
    EXPECT_EQ(got[0].ssrc, kCallerSsrc);
    EXPECT_EQ(got[0].seq, 1000 + k);
    EXPECT_EQ(got[0].ts, 5000u + k * 160u);
    const auto pcm = decode(**pcma, got[0].payload);
    heard.insert(heard.end(), pcm.begin(), pcm.end());
  }
  EXPECT_GT(snr_db(sent, heard), 30.0);
  // Events keep their payload (mapped 101 -> 96), never converted as audio.
  const std::string event("\x05\x8a\x00\xa0", 4);
  auto events = caller_sends({101, true, 1010, 6600, kCallerSsrc, event});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pt, 96);
  EXPECT_EQ(events[0].payload, event);
  // The other direction: PCMA from the callee reaches the caller as PCMU.
  const std::string callee_payload = encode(CodecId::pcma, tone(0));
  auto back = callee_sends({8, true, 7, 100, 0x55667788, callee_payload});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].pt, 0);
  EXPECT_EQ(back[0].ssrc, 0x55667788u);
  EXPECT_GT(snr_db(decode(**pcma, callee_payload), decode(**pcmu, back[0].payload)), 30.0);
}

TEST_F(TranscoderTest, G722GetsOurSsrcSequenceAndTimestampsAndTheToneSurvives) {
  learn_peers();
  ASSERT_EQ(add(coded_session(1, leg_codec(api::MediaCodec::kPcmu, 0),
                              leg_codec(api::MediaCodec::kG722, 9)))
                .status,
            api::Status::kOk);
  EXPECT_EQ(transcoded_sessions(), 1u);
  EXPECT_GT(table_->transcoder_load(0), 0u);
  std::vector<Rtp> out;
  for (uint16_t k = 0; k < 10; ++k) {
    auto got = caller_sends({0, k == 0, static_cast<uint16_t>(1000 + k), 5000u + k * 160u,
                             kCallerSsrc, encode(CodecId::pcmu, tone(k * 160u))});
    ASSERT_EQ(got.size(), 1u) << "packet " << k;
    out.push_back(got[0]);
  }
  auto g722 = make_codec(CodecId::g722);
  std::vector<int16_t> heard;
  for (size_t k = 0; k < out.size(); ++k) {
    EXPECT_EQ(out[k].pt, 9);
    EXPECT_NE(out[k].ssrc, kCallerSsrc);
    EXPECT_EQ(out[k].ssrc, out[0].ssrc);
    EXPECT_EQ(static_cast<uint16_t>(out[k].seq - out[0].seq), k);
    EXPECT_EQ(out[k].ts - out[0].ts, k * 160u);
    EXPECT_EQ(out[k].payload.size(), 160u);
    const auto pcm = decode(**g722, out[k].payload);
    heard.insert(heard.end(), pcm.begin(), pcm.end());
  }
  // The tone (after the resamplers' few samples of delay): compared one sample late or early
  // would still be a 1 kHz tone, so check its level rather than align it.
  double energy = 0;
  for (size_t i = 800; i < heard.size(); ++i) energy += static_cast<double>(heard[i]) * heard[i];
  const double rms = std::sqrt(energy / static_cast<double>(heard.size() - 800));
  EXPECT_NEAR(rms, 8000 / std::numbers::sqrt2, 1000.0);
  const api::LegStats caller = leg_stats(1, 0);
  EXPECT_EQ(caller.rtp.packets, 10u);
  EXPECT_EQ(drops(Drop::kTranscodeFailed), 0u);
  EXPECT_EQ(drops(Drop::kTranscodeQueueFull), 0u);
}

TEST_F(TranscoderTest, OpusRunsOnItsOwnClockAndPayloadType) {
  learn_peers();
  ASSERT_EQ(add(coded_session(1, leg_codec(api::MediaCodec::kPcmu, 0),
                              leg_codec(api::MediaCodec::kOpus, 111)))
                .status,
            api::Status::kOk);
  std::vector<Rtp> out;
  for (uint16_t k = 0; k < 5; ++k) {
    auto got = caller_sends({0, false, static_cast<uint16_t>(k), k * 160u, kCallerSsrc,
                             encode(CodecId::pcmu, tone(k * 160u))});
    ASSERT_EQ(got.size(), 1u);
    out.push_back(got[0]);
  }
  auto opus = make_codec(CodecId::opus);
  double energy = 0;
  for (size_t k = 0; k < out.size(); ++k) {
    EXPECT_EQ(out[k].pt, 111);
    EXPECT_EQ(out[k].ts - out[0].ts, k * 960u);  // 48 kHz RTP clock
    for (int16_t s : decode(**opus, out[k].payload)) energy += static_cast<double>(s) * s;
  }
  EXPECT_GT(energy, 1e8);  // the tone, not silence
}

TEST_F(TranscoderTest, ARelayedDirectionHasItsPayloadTypesMappedAndNoTranscoder) {
  learn_peers();
  ASSERT_EQ(add(coded_session(1, leg_codec(api::MediaCodec::kPcmu, 0, 101),
                              leg_codec(api::MediaCodec::kPcmu, 0, 96)))
                .status,
            api::Status::kOk);
  EXPECT_EQ(transcoded_sessions(), 0u);
  const std::string event("\x05\x8a\x00\xa0", 4);  // digit 5, end, volume 10, 160
  UdpFrame f = from_caller(kAccessPort);
  f.payload = rtp_bytes({101, true, 9, 1234, kCallerSsrc, event});
  inject_wire(kAccess, build_udp(f));
  poll();
  EXPECT_EQ(transcode(), 0u);  // nothing for the transcoder
  auto got = received(kTrunk);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].pt, 96);
  EXPECT_TRUE(got[0].marker);
  EXPECT_EQ(got[0].ssrc, kCallerSsrc);  // relayed: the sender's numbering
  EXPECT_EQ(got[0].seq, 9);
  EXPECT_EQ(got[0].payload, event);
}

TEST_F(TranscoderTest, AFullTranscoderRefusesANewSessionAndTakesOneAgainOnceRoomIsBack) {
  // One PCMU<->G.722 call: each direction costs the weights of both codecs.
  capacity_ = 2 * (codec_weight(api::MediaCodec::kPcmu) + codec_weight(api::MediaCodec::kG722));
  TearDown();
  SetUp();
  api::HelloReply hello = service_->hello({});
  EXPECT_EQ(hello.max_transcoded_sessions, capacity_ / kCostPerG711Call);
  const auto pcmu = leg_codec(api::MediaCodec::kPcmu, 0);
  const auto g722 = leg_codec(api::MediaCodec::kG722, 9);
  ASSERT_EQ(add(coded_session(1, pcmu, g722)).status, api::Status::kOk);
  const api::Result full = add(coded_session(2, pcmu, g722, 20002, 30002));
  EXPECT_EQ(full.status, api::Status::kNoResources) << full.detail;
  // Neither a relayed session nor G.711's byte conversion needs a transcoder.
  EXPECT_EQ(add(coded_session(3, pcmu, pcmu, 20004, 30004)).status, api::Status::kOk);
  EXPECT_EQ(add(coded_session(4, pcmu, leg_codec(api::MediaCodec::kPcma, 8), 20006, 30006)).status,
            api::Status::kOk);
  // The live call's update keeps its own room.
  EXPECT_EQ(add(coded_session(1, pcmu, g722)).status, api::Status::kOk);
  EXPECT_EQ(service_->session_delete({1}).status, api::Status::kOk);
  EXPECT_EQ(add(coded_session(2, pcmu, g722, 20002, 30002)).status, api::Status::kOk);
  EXPECT_EQ(transcoded_sessions(), 2u);  // sessions 2 and 4
}

TEST_F(TranscoderTest, ACodecPairTheLibraryCannotSetUpIsUnsupported) {
  api::LegCodec opus30 = leg_codec(api::MediaCodec::kOpus, 111);
  opus30.ptime_ms = 30;  // Opus has no 30 ms frame
  const api::Result r = add(coded_session(1, leg_codec(api::MediaCodec::kPcmu, 0), opus30));
  EXPECT_EQ(r.status, api::Status::kUnsupported);
  EXPECT_NE(r.detail.find("opus"), std::string::npos) << r.detail;
}

TEST_F(TranscoderTest, ARemovedSessionIsFreedOnlyOnceTheTranscoderPassedItsJobs) {
  learn_peers();
  ASSERT_EQ(add(coded_session(1, leg_codec(api::MediaCodec::kPcmu, 0),
                              leg_codec(api::MediaCodec::kG722, 9)))
                .status,
            api::Status::kOk);
  UdpFrame f = from_caller(kAccessPort);
  f.payload = rtp_bytes({0, false, 1, 160, kCallerSsrc, encode(CodecId::pcmu, tone(0))});
  inject_wire(kAccess, build_udp(f));
  poll();  // the job is in the transcoder's ring
  EXPECT_EQ(service_->session_delete({1}).status, api::Status::kOk);
  poll();                            // the workers' grace period is over
  EXPECT_GT(table_->reclaim(), 0u);  // the barrier went in behind the job
  EXPECT_EQ(transcode(), 2u);        // the job (its session still there), then the barrier
  EXPECT_EQ(table_->reclaim(), 0u);
  poll();
  auto out = received(kTrunk);
  EXPECT_EQ(out.size(), 1u);
}

api::SrtpParams srtp_params(uint8_t seed) {
  std::vector<uint8_t> bytes(api::srtp_key_salt_length(api::SrtpSuite::kAesCm128HmacSha1_80));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  api::SrtpParams p;
  p.suite = api::SrtpSuite::kAesCm128HmacSha1_80;
  p.key = api::SrtpKey::from_bytes(bytes);
  return p;
}

SrtpMasterKey master(const api::SrtpParams& p) {
  return *SrtpMasterKey::create(*srtp_suite_from_name(api::to_string(p.suite)), p.key.bytes());
}

// The transcoder protects what it makes toward an SRTP leg (the direction's `out` context is its
// alone), and what an SRTP leg sends reaches it unprotected.
TEST_F(TranscoderTest, AnSrtpSideGetsTranscodedAudioProtectedAndItsOwnUnprotected) {
  learn_peers();
  api::SessionAdd s =
      coded_session(1, leg_codec(api::MediaCodec::kPcmu, 0), leg_codec(api::MediaCodec::kG722, 9));
  const api::SrtpParams callee_key = srtp_params(1);  // the callee protects with it
  const api::SrtpParams our_key = srtp_params(2);     // we protect toward the callee with it
  s.legs[1].srtp_in = callee_key;
  s.legs[1].srtp_out = our_key;
  ASSERT_EQ(add(s).status, api::Status::kOk);

  auto callee_rx = SrtpInbound::create(*srtp_, master(our_key));
  auto callee_tx = SrtpOutbound::create(*srtp_, master(callee_key));
  ASSERT_TRUE(callee_rx && callee_tx);

  UdpFrame f = from_caller(kAccessPort);
  f.payload = rtp_bytes({0, true, 1, 160, kCallerSsrc, encode(CodecId::pcmu, tone(0))});
  inject_wire(kAccess, build_udp(f));
  poll();
  EXPECT_EQ(transcode(), 1u);
  poll();
  auto frames = wire_out(kTrunk);
  ASSERT_EQ(frames.size(), 1u);
  auto udp = parse_udp(frames[0]);
  free_all(frames);
  ASSERT_TRUE(udp && udp->udp_checksum_ok);
  std::vector<uint8_t> buffer(udp->payload.begin(), udp->payload.end());
  size_t length = buffer.size();
  ASSERT_EQ(callee_rx->unprotect_rtp(buffer, length), SrtpResult::kOk);
  auto plain = parse_rtp(std::string(reinterpret_cast<const char*>(buffer.data()), length));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->pt, 9);
  EXPECT_NE(plain->ssrc, kCallerSsrc);
  EXPECT_EQ(plain->payload.size(), 160u);

  const std::string clear =
      rtp_bytes({9, true, 5, 800, 0x55667788, encode(CodecId::g722, tone(0))});
  std::vector<uint8_t> protect(clear.begin(), clear.end());
  protect.resize(clear.size() + kMaxSrtpTrailer);
  length = clear.size();
  ASSERT_EQ(callee_tx->protect_rtp(protect, length), SrtpResult::kOk);
  UdpFrame g = from_callee(kTrunkPort);
  g.payload.assign(reinterpret_cast<const char*>(protect.data()), length);
  inject_wire(kTrunk, build_udp(g));
  poll();
  EXPECT_EQ(transcode(), 1u);
  poll();
  auto back = received(kAccess);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].pt, 0);
  EXPECT_EQ(back[0].payload.size(), 160u);
  EXPECT_EQ(drops(Drop::kSrtpAuthFail), 0u);
  EXPECT_EQ(drops(Drop::kTranscodeFailed), 0u);
}

class NoTranscoderTest : public DataplaneTest {};

TEST_F(NoTranscoderTest, ATranscodedSessionIsUnsupportedAndG711OrPayloadTypeMappingStillWorks) {
  api::SessionAdd s = session(1);
  s.legs[0].codec = leg_codec(api::MediaCodec::kPcmu, 0);
  s.legs[1].codec = leg_codec(api::MediaCodec::kG722, 9);
  EXPECT_EQ(add(s).status, api::Status::kUnsupported);
  // PCMU -> PCMA toward a side without telephone-event from one with it: tones, a transcoder.
  s.legs[0].codec = leg_codec(api::MediaCodec::kPcmu, 0, 101);
  s.legs[1].codec = leg_codec(api::MediaCodec::kPcma, 8);
  EXPECT_EQ(add(s).status, api::Status::kUnsupported);
  s.legs[1].codec = leg_codec(api::MediaCodec::kPcma, 8, 101);
  EXPECT_EQ(add(s).status, api::Status::kOk);
  s.legs[1].codec = leg_codec(api::MediaCodec::kPcmu, 0, 101);
  s.legs[0].codec = leg_codec(api::MediaCodec::kPcmu, 0, 96);
  EXPECT_EQ(add(s).status, api::Status::kOk);
  EXPECT_EQ(service_->hello({}).max_transcoded_sessions, 0u);
}

}  // namespace
}  // namespace sbc::dp::test
