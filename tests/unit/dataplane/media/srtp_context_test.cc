#include "dataplane/media/srtp_context.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "tests/unit/dataplane/media/srtp_test_util.h"

namespace sbc::dp {
namespace {

using test::Packet;
using test::rtcp_packet;
using test::rtp_packet;

class SrtpContextTest : public ::testing::TestWithParam<SrtpSuite> {
 protected:
  void SetUp() override { library_.emplace(*SrtpLibrary::init()); }

  SrtpOutbound sender(uint8_t seed, const SrtpOptions& options = {}) {
    return SrtpOutbound::create(library_.value(), test::key_for(GetParam(), seed), options).value();
  }
  SrtpInbound receiver(uint8_t seed, const SrtpOptions& options = {}) {
    return SrtpInbound::create(library_.value(), test::key_for(GetParam(), seed), options).value();
  }

  std::optional<SrtpLibrary> library_;
};

TEST_P(SrtpContextTest, RtpRoundTrip) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  for (uint16_t seq = 65530; seq != 10; ++seq) {  // across the sequence wrap (ROC 0 -> 1)
    Packet p = rtp_packet(0x11223344, seq);
    const auto plain = p.bytes();
    ASSERT_EQ(out.protect_rtp(p.buffer, p.length), SrtpResult::kOk);
    EXPECT_EQ(p.length, plain.size() + rtp_trailer(GetParam()));
    EXPECT_NE(p.bytes(), plain);
    ASSERT_EQ(in.unprotect_rtp(p.buffer, p.length), SrtpResult::kOk) << seq;
    EXPECT_EQ(p.bytes(), plain);
  }
  EXPECT_EQ(in.ssrc_count(), 1u);
  EXPECT_EQ(out.ssrc_count(), 1u);
}

TEST_P(SrtpContextTest, RtcpRoundTrip) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  for (int i = 0; i < 5; ++i) {
    Packet p = rtcp_packet(0x55667788);
    const auto plain = p.bytes();
    ASSERT_EQ(out.protect_rtcp(p.buffer, p.length), SrtpResult::kOk);
    EXPECT_EQ(p.length, plain.size() + rtcp_trailer(GetParam()));
    ASSERT_EQ(in.unprotect_rtcp(p.buffer, p.length), SrtpResult::kOk);
    EXPECT_EQ(p.bytes(), plain);
  }
}

TEST_P(SrtpContextTest, EveryTamperedByteFailsAuthentication) {
  SrtpOutbound out = sender(1);
  Packet sent = rtp_packet(7, 100, 20);
  ASSERT_EQ(out.protect_rtp(sent.buffer, sent.length), SrtpResult::kOk);
  for (size_t i = 0; i < sent.length; ++i) {
    SrtpInbound in = receiver(1);
    Packet p = sent;
    p.buffer[i] ^= 0x01;
    const SrtpResult r = in.unprotect_rtp(p.buffer, p.length);
    // A flipped version bit is refused before libsrtp, everything else by the tag.
    if (i == 0) {
      EXPECT_TRUE(r == SrtpResult::kAuthFail || r == SrtpResult::kBadHeader) << i;
    } else {
      EXPECT_EQ(r, SrtpResult::kAuthFail) << i;
    }
    EXPECT_EQ(in.ssrc_count(), 0u) << "a forged packet made a stream";
  }
}

TEST_P(SrtpContextTest, TamperedRtcpFailsAuthentication) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  Packet p = rtcp_packet(9);
  ASSERT_EQ(out.protect_rtcp(p.buffer, p.length), SrtpResult::kOk);
  p.buffer[10] ^= 0x80;
  EXPECT_EQ(in.unprotect_rtcp(p.buffer, p.length), SrtpResult::kAuthFail);
}

TEST_P(SrtpContextTest, ReplayIsRefused) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  Packet p = rtp_packet(7, 500);
  ASSERT_EQ(out.protect_rtp(p.buffer, p.length), SrtpResult::kOk);
  Packet copy = p;
  ASSERT_EQ(in.unprotect_rtp(p.buffer, p.length), SrtpResult::kOk);
  EXPECT_EQ(in.unprotect_rtp(copy.buffer, copy.length), SrtpResult::kReplayFail);

  Packet rtcp = rtcp_packet(7);
  ASSERT_EQ(out.protect_rtcp(rtcp.buffer, rtcp.length), SrtpResult::kOk);
  Packet rtcp_copy = rtcp;
  ASSERT_EQ(in.unprotect_rtcp(rtcp.buffer, rtcp.length), SrtpResult::kOk);
  EXPECT_EQ(in.unprotect_rtcp(rtcp_copy.buffer, rtcp_copy.length), SrtpResult::kReplayFail);
}

TEST_P(SrtpContextTest, PacketOlderThanTheWindowIsRefused) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1, SrtpOptions{.replay_window = 64});
  Packet old = rtp_packet(7, 1000);
  ASSERT_EQ(out.protect_rtp(old.buffer, old.length), SrtpResult::kOk);
  Packet late = rtp_packet(7, 1100);
  ASSERT_EQ(out.protect_rtp(late.buffer, late.length), SrtpResult::kOk);
  ASSERT_EQ(in.unprotect_rtp(late.buffer, late.length), SrtpResult::kOk);
  EXPECT_EQ(in.unprotect_rtp(old.buffer, old.length), SrtpResult::kReplayOld);
}

TEST_P(SrtpContextTest, OutOfOrderWithinTheWindowIsAccepted) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  std::vector<Packet> sent;
  for (uint16_t seq = 10; seq < 20; ++seq) {
    sent.push_back(rtp_packet(7, seq));
    ASSERT_EQ(out.protect_rtp(sent.back().buffer, sent.back().length), SrtpResult::kOk);
  }
  for (size_t i = sent.size(); i-- > 0;) {
    EXPECT_EQ(in.unprotect_rtp(sent[i].buffer, sent[i].length), SrtpResult::kOk) << i;
  }
}

TEST_P(SrtpContextTest, ProtectingTheSameIndexTwiceIsRefused) {
  SrtpOutbound out = sender(1);
  Packet a = rtp_packet(7, 42);
  Packet b = rtp_packet(7, 42);
  b.buffer[20] = 0x00;  // other plaintext, same index: would reuse the keystream
  ASSERT_EQ(out.protect_rtp(a.buffer, a.length), SrtpResult::kOk);
  EXPECT_EQ(out.protect_rtp(b.buffer, b.length), SrtpResult::kReplayFail);
}

TEST_P(SrtpContextTest, WrongKeyFailsAuthentication) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(2);
  Packet p = rtp_packet(7, 1);
  ASSERT_EQ(out.protect_rtp(p.buffer, p.length), SrtpResult::kOk);
  EXPECT_EQ(in.unprotect_rtp(p.buffer, p.length), SrtpResult::kAuthFail);
  Packet r = rtcp_packet(7);
  ASSERT_EQ(out.protect_rtcp(r.buffer, r.length), SrtpResult::kOk);
  EXPECT_EQ(in.unprotect_rtcp(r.buffer, r.length), SrtpResult::kAuthFail);
  EXPECT_EQ(in.ssrc_count(), 0u);
}

TEST_P(SrtpContextTest, PlainRtpFailsAuthentication) {
  SrtpInbound in = receiver(1);
  Packet p = rtp_packet(7, 1);
  EXPECT_EQ(in.unprotect_rtp(p.buffer, p.length), SrtpResult::kAuthFail);
}

TEST_P(SrtpContextTest, SsrcsBeyondTheLimitAreRefusedBeforeLibsrtp) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1, SrtpOptions{.max_ssrcs = 2});
  for (uint32_t ssrc : {1u, 2u, 3u}) {
    Packet p = rtp_packet(ssrc, 1);
    ASSERT_EQ(out.protect_rtp(p.buffer, p.length), SrtpResult::kOk);
    EXPECT_EQ(in.unprotect_rtp(p.buffer, p.length),
              ssrc <= 2 ? SrtpResult::kOk : SrtpResult::kSsrcLimit);
  }
  EXPECT_EQ(in.ssrc_count(), 2u);
  Packet again = rtp_packet(2, 2);  // a known SSRC still passes
  ASSERT_EQ(out.protect_rtp(again.buffer, again.length), SrtpResult::kOk);
  EXPECT_EQ(in.unprotect_rtp(again.buffer, again.length), SrtpResult::kOk);

  SrtpOutbound limited = sender(1, SrtpOptions{.max_ssrcs = 1});
  Packet a = rtp_packet(1, 1);
  Packet b = rtcp_packet(2);
  EXPECT_EQ(limited.protect_rtp(a.buffer, a.length), SrtpResult::kOk);
  EXPECT_EQ(limited.protect_rtcp(b.buffer, b.length), SrtpResult::kSsrcLimit);
}

TEST_P(SrtpContextTest, KnownSsrcsAreMadeAtCreation) {
  const uint32_t known[] = {5, 6, 5};
  auto in = SrtpInbound::create(library_.value(), test::key_for(GetParam(), 1),
                                SrtpOptions{.max_ssrcs = 2}, known);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->ssrc_count(), 2u);
  EXPECT_TRUE(in->knows(5) && in->knows(6));
  SrtpOutbound out = sender(1);
  Packet p = rtp_packet(6, 1);
  ASSERT_EQ(out.protect_rtp(p.buffer, p.length), SrtpResult::kOk);
  EXPECT_EQ(in->unprotect_rtp(p.buffer, p.length), SrtpResult::kOk);
  Packet other = rtp_packet(7, 1);
  ASSERT_EQ(out.protect_rtp(other.buffer, other.length), SrtpResult::kOk);
  EXPECT_EQ(in->unprotect_rtp(other.buffer, other.length), SrtpResult::kSsrcLimit);

  const uint32_t too_many[] = {1, 2, 3};
  EXPECT_EQ(SrtpInbound::create(library_.value(), test::key_for(GetParam(), 1),
                                SrtpOptions{.max_ssrcs = 2}, too_many)
                .error(),
            SrtpSetupError::kSsrcLimit);
}

TEST_P(SrtpContextTest, LengthsAndRoomAreChecked) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  Packet p = rtp_packet(7, 1);
  std::span<uint8_t> no_room(p.buffer.data(), p.length + rtp_trailer(GetParam()) - 1);
  EXPECT_EQ(out.protect_rtp(no_room, p.length), SrtpResult::kNoRoom);
  size_t short_length = 11;
  EXPECT_EQ(out.protect_rtp(p.buffer, short_length), SrtpResult::kBadLength);
  size_t too_long = p.buffer.size() + 1;
  EXPECT_EQ(out.protect_rtp(p.buffer, too_long), SrtpResult::kBadLength);
  size_t tiny = 12 + rtp_trailer(GetParam()) - 1;
  EXPECT_EQ(in.unprotect_rtp(p.buffer, tiny), SrtpResult::kBadLength);
  size_t rtcp_tiny = 8 + rtcp_trailer(GetParam()) - 1;
  EXPECT_EQ(in.unprotect_rtcp(p.buffer, rtcp_tiny), SrtpResult::kBadLength);

  Packet v1 = rtp_packet(7, 1);
  v1.buffer[0] = 0x40;  // version 1
  EXPECT_EQ(out.protect_rtp(v1.buffer, v1.length), SrtpResult::kBadHeader);
  Packet csrc = rtp_packet(7, 1, 8);
  csrc.buffer[0] = 0x8f;  // 15 CSRCs: 60 bytes that are not there
  EXPECT_EQ(out.protect_rtp(csrc.buffer, csrc.length), SrtpResult::kBadHeader);
  Packet ext = rtp_packet(7, 1, 8);
  ext.buffer[0] = 0x90;  // extension of 0xffff words
  ext.buffer[14] = 0xff;
  ext.buffer[15] = 0xff;
  EXPECT_EQ(out.protect_rtp(ext.buffer, ext.length), SrtpResult::kBadHeader);
}

TEST_P(SrtpContextTest, HeaderExtensionAndCsrcsRoundTrip) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  Packet p = rtp_packet(7, 1, 40);
  p.buffer[0] = 0x91;  // X and one CSRC: 12 + 4 + (4 + 4) header, 16 payload bytes
  p.buffer[18] = 0x00;
  p.buffer[19] = 0x01;
  const auto plain = p.bytes();
  ASSERT_EQ(out.protect_rtp(p.buffer, p.length), SrtpResult::kOk);
  ASSERT_EQ(in.unprotect_rtp(p.buffer, p.length), SrtpResult::kOk);
  EXPECT_EQ(p.bytes(), plain);
}

TEST_P(SrtpContextTest, ContextsMoveWithTheirState) {
  SrtpOutbound out = sender(1);
  SrtpInbound in = receiver(1);
  Packet p = rtp_packet(7, 1);
  ASSERT_EQ(out.protect_rtp(p.buffer, p.length), SrtpResult::kOk);
  Packet copy = p;
  ASSERT_EQ(in.unprotect_rtp(p.buffer, p.length), SrtpResult::kOk);
  SrtpInbound moved = std::move(in);
  EXPECT_EQ(moved.unprotect_rtp(copy.buffer, copy.length), SrtpResult::kReplayFail);
}

INSTANTIATE_TEST_SUITE_P(AllSuites, SrtpContextTest,
                         ::testing::Values(SrtpSuite::kAesCm128HmacSha1_80,
                                           SrtpSuite::kAesCm128HmacSha1_32,
                                           SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(SrtpContext, BadOptionsAreRefused) {
  auto library = SrtpLibrary::init();
  ASSERT_TRUE(library);
  const auto key = test::key_for(SrtpSuite::kAesCm128HmacSha1_80, 1);
  EXPECT_EQ(SrtpInbound::create(*library, key, SrtpOptions{.replay_window = 63}).error(),
            SrtpSetupError::kBadOptions);
  EXPECT_EQ(SrtpInbound::create(*library, key, SrtpOptions{.max_ssrcs = 0}).error(),
            SrtpSetupError::kBadOptions);
  EXPECT_EQ(SrtpOutbound::create(*library, key, SrtpOptions{.max_ssrcs = 17}).error(),
            SrtpSetupError::kBadOptions);
  EXPECT_TRUE(SrtpOutbound::create(*library, key, SrtpOptions{.replay_window = 1024}));
}

TEST(SrtpContext, ResultNames) {
  EXPECT_EQ(to_string(SrtpResult::kOk), "ok");
  EXPECT_EQ(to_string(SrtpResult::kAuthFail), "auth_fail");
  EXPECT_EQ(to_string(SrtpResult::kReplayFail), "replay_fail");
  EXPECT_EQ(to_string(SrtpResult::kFailed), "failed");
  EXPECT_EQ(to_string(SrtpSetupError::kSsrcLimit), "ssrc_limit");
}

}  // namespace
}  // namespace sbc::dp
