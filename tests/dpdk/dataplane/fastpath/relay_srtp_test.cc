// SRTP/SRTCP in the relay path (relay.h relay_media, SessionTable's SRTP contexts): RTP->SRTP,
// SRTP->RTP and SRTP->SRTP for every suite, SRTCP, drops counted per reason and per stream, the
// latch taken only by authenticated packets, contexts kept or replaced on upsert. The peers are
// SrtpInbound / SrtpOutbound used directly (dataplane/media, tested against the RFC vectors).
#include <fmt/core.h>
#include <rte_mbuf.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/fastpath/relay.h"
#include "dataplane/media/srtp_context.h"
#include "dataplane/media/srtp_key.h"
#include "dataplane/media/srtp_suite.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

api::SrtpParams params(api::SrtpSuite suite, uint8_t seed) {
  std::vector<uint8_t> bytes(api::srtp_key_salt_length(suite));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  api::SrtpParams p;
  p.suite = suite;
  p.key = api::SrtpKey::from_bytes(bytes);
  return p;
}

SrtpMasterKey master(const api::SrtpParams& p) {
  return *SrtpMasterKey::create(*srtp_suite_from_name(api::to_string(p.suite)), p.key.bytes());
}

std::string rtp(uint16_t seq, uint32_t ssrc = 0x11223344, const std::string& body = "voice-20ms") {
  std::string p(12, '\0');
  p[0] = static_cast<char>(0x80);
  p[1] = 0;  // PCMU
  p[2] = static_cast<char>(seq >> 8);
  p[3] = static_cast<char>(seq);
  const uint32_t ts = seq * 160u;
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<char>(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<char>(ssrc >> (24 - 8 * i));
  return p + body;
}

// An RTCP receiver report without report blocks.
std::string rtcp(uint32_t ssrc = 0x11223344) {
  std::string p = {static_cast<char>(0x80), static_cast<char>(201), 0, 1};
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>(ssrc >> (24 - 8 * i)));
  return p;
}

// The reference peers: a sender protecting with its key, a receiver unprotecting with ours.
struct Sender {
  SrtpOutbound context;
  std::string protect(const std::string& plain, bool is_rtcp = false) {
    std::vector<uint8_t> buffer(plain.size() + kMaxSrtpTrailer);
    std::memcpy(buffer.data(), plain.data(), plain.size());
    size_t length = plain.size();
    const SrtpResult r =
        is_rtcp ? context.protect_rtcp(buffer, length) : context.protect_rtp(buffer, length);
    EXPECT_EQ(r, SrtpResult::kOk);
    return {reinterpret_cast<const char*>(buffer.data()), length};
  }
};
struct Receiver {
  SrtpInbound context;
  std::optional<std::string> unprotect(const std::string& packet, bool is_rtcp = false) {
    std::vector<uint8_t> buffer(packet.begin(), packet.end());
    size_t length = buffer.size();
    const SrtpResult r =
        is_rtcp ? context.unprotect_rtcp(buffer, length) : context.unprotect_rtp(buffer, length);
    if (r != SrtpResult::kOk) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(buffer.data()), length);
  }
};

class RelaySrtpTest : public DataplaneTest {
 protected:
  Sender sender(const api::SrtpParams& p) { return {*SrtpOutbound::create(*srtp_, master(p))}; }
  Receiver receiver(const api::SrtpParams& p) { return {*SrtpInbound::create(*srtp_, master(p))}; }

  // Sends `payload` in on `port`, runs one iteration, returns what left on `out_port` (at most
  // one frame is expected; nullopt if none).
  std::optional<ParsedUdp> send(uint32_t port, UdpFrame frame, const std::string& payload,
                                uint32_t out_port) {
    frame.payload = payload;
    inject_wire(port, build_udp(frame));
    poll();
    auto out = wire_out(out_port);
    std::optional<ParsedUdp> parsed;
    if (out.size() == 1) parsed = parse_udp(out[0]);
    EXPECT_LE(out.size(), 1u);
    free_all(out);
    return parsed;
  }
};

class RelaySrtpSuiteTest : public RelaySrtpTest,
                           public ::testing::WithParamInterface<api::SrtpSuite> {};

TEST_P(RelaySrtpSuiteTest, SrtpToRtp) {
  learn_peers();
  const api::SrtpParams caller_key = params(GetParam(), 1);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = caller_key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender caller = sender(caller_key);
  for (uint16_t seq = 1; seq <= 3; ++seq) {
    auto out = send(kAccess, from_caller(20000), caller.protect(rtp(seq)), kTrunk);
    ASSERT_TRUE(out) << seq;
    EXPECT_EQ(out->payload, rtp(seq));
    EXPECT_TRUE(out->ip_checksum_ok);
    EXPECT_TRUE(out->udp_checksum_ok);
    EXPECT_EQ(out->dst_port, 50000);
  }
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 3u);
  // The callee's plain RTP goes back plain (no srtp_out on the caller's leg).
  auto back = send(kTrunk, from_callee(30000), rtp(7, 0x55667788), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->payload, rtp(7, 0x55667788));
}

TEST_P(RelaySrtpSuiteTest, RtpToSrtp) {
  learn_peers();
  const api::SrtpParams our_key = params(GetParam(), 2);
  api::SessionAdd s = session(1);
  s.legs[1].srtp_out = our_key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Receiver callee = receiver(our_key);
  const dp::SrtpSuite suite = *srtp_suite_from_name(api::to_string(GetParam()));
  for (uint16_t seq = 1; seq <= 3; ++seq) {
    auto out = send(kAccess, from_caller(20000), rtp(seq), kTrunk);
    ASSERT_TRUE(out) << seq;
    EXPECT_EQ(out->payload.size(), rtp(seq).size() + rtp_trailer(suite));
    EXPECT_NE(out->payload, rtp(seq));
    EXPECT_TRUE(out->ip_checksum_ok);
    EXPECT_TRUE(out->udp_checksum_ok);
    EXPECT_EQ(callee.unprotect(out->payload), rtp(seq));
  }
  // Without a UDP checksum the protected packet still has none.
  UdpFrame frame = from_caller(20000);
  frame.udp_checksum = false;
  auto out = send(kAccess, frame, rtp(4), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->udp_checksum, 0);
  EXPECT_TRUE(out->ip_checksum_ok);
  EXPECT_EQ(callee.unprotect(out->payload), rtp(4));
}

TEST_P(RelaySrtpSuiteTest, SrtpToSrtpBothWaysWithFourKeys) {
  learn_peers();
  const api::SrtpParams caller_key = params(GetParam(), 1), to_callee = params(GetParam(), 2),
                        callee_key = params(GetParam(), 3), to_caller = params(GetParam(), 4);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = caller_key;
  s.legs[0].srtp_out = to_caller;
  s.legs[1].srtp_in = callee_key;
  s.legs[1].srtp_out = to_callee;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender caller_tx = sender(caller_key), callee_tx = sender(callee_key);
  Receiver callee_rx = receiver(to_callee), caller_rx = receiver(to_caller);
  for (uint16_t seq = 1; seq <= 3; ++seq) {
    const std::string sent = caller_tx.protect(rtp(seq));
    auto out = send(kAccess, from_caller(20000), sent, kTrunk);
    ASSERT_TRUE(out);
    EXPECT_NE(out->payload, sent);  // re-keyed, not passed through
    EXPECT_TRUE(out->udp_checksum_ok);
    EXPECT_EQ(callee_rx.unprotect(out->payload), rtp(seq));
    auto back = send(kTrunk, from_callee(30000), callee_tx.protect(rtp(seq, 0x99)), kAccess);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->udp_checksum_ok);
    EXPECT_EQ(caller_rx.unprotect(back->payload), rtp(seq, 0x99));
  }
  // SRTCP both ways on the RTCP ports, with the same keys' SRTCP contexts.
  auto out = send(kAccess, from_caller(20001, 40001), caller_tx.protect(rtcp(), true), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->dst_port, 50001);
  EXPECT_TRUE(out->udp_checksum_ok);
  EXPECT_EQ(callee_rx.unprotect(out->payload, true), rtcp());
  auto back = send(kTrunk, from_callee(30001, 50001), callee_tx.protect(rtcp(0x99), true), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(caller_rx.unprotect(back->payload, true), rtcp(0x99));
  EXPECT_EQ(leg_stats(1, 0).rtcp.packets, 1u);
  EXPECT_EQ(leg_stats(1, 1).rtcp.packets, 1u);
  for (size_t d = 0; d < kDropCount; ++d) EXPECT_EQ(drops(static_cast<Drop>(d)), 0u) << d;
}

INSTANTIATE_TEST_SUITE_P(Suites, RelaySrtpSuiteTest,
                         ::testing::Values(api::SrtpSuite::kAesCm128HmacSha1_80,
                                           api::SrtpSuite::kAesCm128HmacSha1_32,
                                           api::SrtpSuite::kAeadAes128Gcm,
                                           api::SrtpSuite::kAeadAes256Gcm));

TEST_F(RelaySrtpTest, TamperedPacketIsDroppedCountedAndDoesNotLatch) {
  learn_peers();
  const api::SrtpParams key = params(api::SrtpSuite::kAesCm128HmacSha1_80, 1);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender caller = sender(key);
  std::string forged = caller.protect(rtp(1));
  forged[14] ^= 0x01;
  EXPECT_FALSE(send(kAccess, from_caller(20000), forged, kTrunk));
  EXPECT_EQ(drops(Drop::kSrtpAuthFail), 1u);
  api::StreamStats stats = leg_stats(1, 0).rtp;
  EXPECT_EQ(stats.srtp_auth_failed, 1u);
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_FALSE(stats.latched.is_set());
  EXPECT_EQ(events(Event::kLatchLearned), 0u);
  // A packet too short for its tag is malformed, also before the latch.
  EXPECT_FALSE(send(kAccess, from_caller(20000), std::string(8, 'x'), kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.srtp_malformed, 1u);
  EXPECT_EQ(drops(Drop::kSrtpMalformed), 1u);
  EXPECT_FALSE(leg_stats(1, 0).rtp.latched.is_set());
  // The genuine packet of the same index still passes and latches.
  ASSERT_TRUE(send(kAccess, from_caller(20000), caller.protect(rtp(2)), kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.latched_port, 40000);
}

TEST_F(RelaySrtpTest, ReplayIsDroppedAndCounted) {
  learn_peers();
  const api::SrtpParams key = params(api::SrtpSuite::kAeadAes128Gcm, 1);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender caller = sender(key);
  const std::string packet = caller.protect(rtp(1));
  ASSERT_TRUE(send(kAccess, from_caller(20000), packet, kTrunk));
  EXPECT_FALSE(send(kAccess, from_caller(20000), packet, kTrunk));
  EXPECT_EQ(drops(Drop::kSrtpReplay), 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.srtp_replayed, 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 1u);
  // SRTCP has its own replay protection.
  const std::string report = caller.protect(rtcp(), true);
  ASSERT_TRUE(send(kAccess, from_caller(20001, 40001), report, kTrunk));
  EXPECT_FALSE(send(kAccess, from_caller(20001, 40001), report, kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtcp.srtp_replayed, 1u);
  EXPECT_EQ(drops(Drop::kSrtpReplay), 2u);
}

TEST_F(RelaySrtpTest, UnauthenticatedPacketFromAnotherAllowedSourceDoesNotMoveTheLatch) {
  learn_peers();
  const api::SrtpParams key = params(api::SrtpSuite::kAesCm128HmacSha1_32, 1);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender caller = sender(key);
  ASSERT_TRUE(send(kAccess, from_caller(20000, 40000), caller.protect(rtp(1)), kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.latched_port, 40000);
  // Within the latch window, from the signalled address but another port: plain RTP would move
  // the latch; SRTP without the key must not.
  Sender forger = sender(params(api::SrtpSuite::kAesCm128HmacSha1_32, 9));
  EXPECT_FALSE(send(kAccess, from_caller(20000, 41000), forger.protect(rtp(2)), kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.latched_port, 40000);
  EXPECT_EQ(events(Event::kLatchMoved), 0u);
  EXPECT_EQ(leg_stats(1, 0).rtp.srtp_auth_failed, 1u);
  // The callee's media still goes to the latched 40000.
  auto back = send(kTrunk, from_callee(30000), rtp(1, 0x99), kAccess);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dst_port, 40000);
  // An authenticated packet from the new port does move it (inside the window).
  ASSERT_TRUE(send(kAccess, from_caller(20000, 41000), caller.protect(rtp(3)), kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.latched_port, 41000);
}

TEST_F(RelaySrtpTest, UpsertWithEmptyKeysKeepsTheContexts) {
  learn_peers();
  const api::SrtpParams caller_key = params(api::SrtpSuite::kAesCm128HmacSha1_80, 1),
                        to_callee = params(api::SrtpSuite::kAesCm128HmacSha1_80, 2);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = caller_key;
  s.legs[1].srtp_out = to_callee;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender caller = sender(caller_key);
  Receiver callee = receiver(to_callee);
  const std::string first = caller.protect(rtp(1));
  auto out = send(kAccess, from_caller(20000), first, kTrunk);
  ASSERT_TRUE(out);
  ASSERT_EQ(callee.unprotect(out->payload), rtp(1));

  // sbcd adopted the call after a restart: it sends the suites without keys.
  api::SessionAdd keep = s;
  keep.legs[0].srtp_in->key = api::SrtpKey();
  keep.legs[1].srtp_out->key = api::SrtpKey();
  ASSERT_EQ(add(keep).status, api::Status::kOk);
  // The sequence continues on both sides, no authentication failure...
  out = send(kAccess, from_caller(20000), caller.protect(rtp(2)), kTrunk);
  ASSERT_TRUE(out);
  EXPECT_EQ(callee.unprotect(out->payload), rtp(2));
  // ...and the replay window survived: the first packet is still a replay.
  EXPECT_FALSE(send(kAccess, from_caller(20000), first, kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.srtp_replayed, 1u);
  EXPECT_EQ(drops(Drop::kSrtpAuthFail), 0u);
  // The same keys again also keep the contexts.
  ASSERT_EQ(add(s).status, api::Status::kOk);
  EXPECT_FALSE(send(kAccess, from_caller(20000), first, kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.srtp_replayed, 2u);
}

TEST_F(RelaySrtpTest, EmptyKeyWithoutAContextIsRefused) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.legs[1].srtp_out = params(api::SrtpSuite::kAeadAes256Gcm, 1);
  s.legs[1].srtp_out->key = api::SrtpKey();
  const api::Result r = add(s);
  EXPECT_EQ(r.status, api::Status::kInvalid);
  EXPECT_NE(r.detail.find("leg 1 srtp_out"), std::string::npos) << r.detail;
  EXPECT_EQ(table_->size(), 0u);
  // On an existing plain session too; the session stays as it was.
  ASSERT_EQ(add(session(2)).status, api::Status::kOk);
  api::SessionAdd keep = session(2);
  keep.legs[0].srtp_in = params(api::SrtpSuite::kAesCm128HmacSha1_80, 1);
  keep.legs[0].srtp_in->key = api::SrtpKey();
  EXPECT_EQ(add(keep).status, api::Status::kInvalid);
  ASSERT_TRUE(send(kAccess, from_caller(20000), rtp(1), kTrunk));  // still plain
}

TEST_F(RelaySrtpTest, UpsertWithANewKeyReplacesTheContext) {
  learn_peers();
  const api::SrtpParams old_key = params(api::SrtpSuite::kAeadAes128Gcm, 1),
                        new_key = params(api::SrtpSuite::kAeadAes128Gcm, 5);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = old_key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender old_sender = sender(old_key);
  ASSERT_TRUE(send(kAccess, from_caller(20000), old_sender.protect(rtp(1)), kTrunk));
  s.legs[0].srtp_in = new_key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  EXPECT_FALSE(send(kAccess, from_caller(20000), old_sender.protect(rtp(2)), kTrunk));
  EXPECT_EQ(leg_stats(1, 0).rtp.srtp_auth_failed, 1u);
  Sender new_sender = sender(new_key);
  // A new context: index 1 is new to it.
  ASSERT_TRUE(send(kAccess, from_caller(20000), new_sender.protect(rtp(1)), kTrunk));
  // The old context is freed after the grace period (the test thread is the worker's RCU id).
  poll();
  EXPECT_EQ(table_->reclaim(), 0u);
}

TEST_F(RelaySrtpTest, NoTailroomForTheTrailerIsDroppedAndCounted) {
  learn_peers();
  api::SessionAdd s = session(1);
  s.legs[1].srtp_out = params(api::SrtpSuite::kAesCm128HmacSha1_80, 2);
  ASSERT_EQ(add(s).status, api::Status::kOk);
  UdpFrame frame = from_caller(20000);
  frame.payload = rtp(1);
  rte_mbuf* m = build_udp(frame);
  // Move the frame to the end of its buffer: no tailroom left.
  const uint16_t tail = rte_pktmbuf_tailroom(m);
  auto* data = rte_pktmbuf_mtod(m, uint8_t*);
  std::memmove(data + tail, data, m->data_len);
  m->data_off = static_cast<uint16_t>(m->data_off + tail);
  ASSERT_EQ(rte_pktmbuf_tailroom(m), 0);
  inject_wire(kAccess, m);
  poll();
  auto out = wire_out(kTrunk);
  EXPECT_TRUE(out.empty());
  free_all(out);
  EXPECT_EQ(drops(Drop::kSrtpNoTailroom), 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.srtp_failed, 1u);
  EXPECT_EQ(leg_stats(1, 0).rtp.dropped, 1u);
}

// Two relay workers on their own threads, RSS spreading one SRTP stream over both queues (a
// rollover storm): the stream's first packet claims it for one worker, the other hands it every
// packet it receives, so the stream's SRTP contexts only ever see that one thread. Every packet
// comes out of the owner's TX queue, protected so that the callee authenticates it; nothing is
// lost except what the replay window refuses after the two paths reorder.
class RelaySrtpRssTest : public RelaySrtpTest {
 protected:
  uint16_t worker_count() const override { return 2; }
  bool rss() const override { return true; }
};

TEST_F(RelaySrtpRssTest, AStreamSpreadOverTwoWorkerThreadsHasOneSrtpUser) {
  learn_peers();
  const api::SrtpParams caller_key = params(api::SrtpSuite::kAesCm128HmacSha1_80, 3);
  const api::SrtpParams callee_key = params(api::SrtpSuite::kAesCm128HmacSha1_80, 4);
  api::SessionAdd s = session(1);
  s.legs[0].srtp_in = caller_key;
  s.legs[1].srtp_out = callee_key;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  Sender caller = sender(caller_key);
  constexpr uint16_t kPackets = 3000;
  std::vector<std::string> packets;
  for (uint16_t seq = 1; seq <= kPackets; ++seq) packets.push_back(caller.protect(rtp(seq)));
  // The first packet claims the stream for worker 1 before the threads start.
  UdpFrame frame = from_caller(20000);
  frame.payload = packets[0];
  inject_wire(kAccess, build_udp(frame), 1);
  poll();

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (uint16_t id = 0; id < 2; ++id) {
    threads.emplace_back([this, id, &stop] {
      while (!stop.load(std::memory_order_relaxed)) poll_once(*workers_[id], now_);
    });
  }
  std::vector<rte_mbuf*> out;
  size_t on_other_queue = 0;
  auto collect = [&] {
    auto part = drain(lab().wire[kTrunk].tx[1]);
    out.insert(out.end(), part.begin(), part.end());
    auto wrong = drain(lab().wire[kTrunk].tx[0]);
    on_other_queue += wrong.size();
    free_all(wrong);
  };
  const auto accounted = [&] {
    return out.size() + drops(Drop::kSrtpReplay) + drops(Drop::kHandoffFailed);
  };
  // The rest alternate between the two queues, from the caller's one source, at most 256 ahead
  // of what came out (the TX rings are the test's: they must not overflow while it is
  // descheduled).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (uint16_t i = 1; i < kPackets && std::chrono::steady_clock::now() < deadline; ++i) {
    while (i > accounted() + 256 && std::chrono::steady_clock::now() < deadline) {
      collect();
      std::this_thread::yield();
    }
    frame.payload = packets[i];
    inject_wire(kAccess, build_udp(frame), i % 2);
  }
  for (int i = 0; i < 5000 && accounted() < kPackets; ++i) {
    collect();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (auto& t : threads) t.join();
  collect();

  std::string drop_list;
  for (size_t d = 0; d < kDropCount; ++d) {
    if (const uint64_t n = drops(static_cast<Drop>(d)); n != 0) {
      drop_list += fmt::format(" {}={}", kDropNames[d], n);
    }
  }
  EXPECT_EQ(accounted(), kPackets) << "drops:" << drop_list;
  EXPECT_EQ(on_other_queue, 0u);
  EXPECT_EQ(drops(Drop::kSrtpAuthFail), 0u);
  EXPECT_EQ(drops(Drop::kSrtpMalformed), 0u);
  EXPECT_GT(out.size(), kPackets / 2);
  // Every packet the callee gets authenticates (a fresh receiver each: order does not matter).
  size_t authentic = 0;
  for (rte_mbuf* m : out) {
    auto parsed = parse_udp(m);
    ASSERT_TRUE(parsed);
    Receiver callee = receiver(callee_key);
    if (callee.unprotect(parsed->payload)) ++authentic;
  }
  EXPECT_EQ(authentic, out.size());
  free_all(out);
}

}  // namespace
}  // namespace sbc::dp::test
