// The stream sbcd anchors (first audio, IPv4) and the description rewritten toward a side.
#include "controlplane/media/sdp_anchor.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp {
namespace {

SdpBody body(const std::string& text) {
  auto parsed = SdpBody::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  if (!parsed) std::abort();
  return *parsed;
}

constexpr const char* kHead =
    "v=0\r\no=alice 42 7 IN IP4 192.0.2.10\r\ns=Alice's phone\r\nt=0 0\r\n";

TEST(SdpAnchorTest, FirstAudioStreamWithItsRtcpPort) {
  const SdpBody sdp = body(std::string(kHead) +
                           "m=video 7000 RTP/AVP 96\r\nc=IN IP4 192.0.2.11\r\n"
                           "m=audio 0 RTP/AVP 0\r\nc=IN IP4 192.0.2.12\r\n"
                           "m=audio 6000 RTP/AVP 0\r\nc=IN IP4 192.0.2.13\r\na=rtcp:6009\r\n");
  auto audio = anchorable_audio(sdp.description());
  ASSERT_TRUE(audio.has_value());
  EXPECT_EQ(audio->media_index, 2u);
  EXPECT_EQ(audio->address, api::Address::parse("192.0.2.13"));
  EXPECT_EQ(audio->port, 6000);
  EXPECT_EQ(audio->rtcp_port, 6009);
}

TEST(SdpAnchorTest, RefusesWhatCannotBeAnchored) {
  auto none = anchorable_audio(
      body(std::string(kHead) + "c=IN IP4 192.0.2.10\r\nm=video 7000 RTP/AVP 96\r\n")
          .description());
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error(), AudioRefusal::kNoAudio);
  auto v6 = anchorable_audio(
      body(std::string(kHead) + "c=IN IP6 2001:db8::1\r\nm=audio 6000 RTP/AVP 0\r\n")
          .description());
  ASSERT_FALSE(v6.has_value());
  EXPECT_EQ(v6.error(), AudioRefusal::kNotIpv4);
  EXPECT_EQ(to_string(AudioRefusal::kNotIpv4), "no IPv4 audio stream");
}

TEST(SdpAnchorTest, RewritesTowardOneSide) {
  const SdpBody sdp = body(std::string(kHead) +
                           "c=IN IP4 192.0.2.10\r\na=tool:phone 1.0\r\n"
                           "m=audio 6000 RTP/AVP 0\r\na=rtcp:6001\r\n"
                           "m=video 7000 RTP/AVP 96\r\n");
  SdpAnchor anchor;
  anchor.local = api::Address::parse("198.51.100.1");
  anchor.local_port = 20002;
  anchor.session_id = 99;
  anchor.version = 3;
  auto out = anchor_sdp(sdp, 0, anchor);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out,
            "v=0\r\no=sbc 99 3 IN IP4 198.51.100.1\r\ns=-\r\nt=0 0\r\n"
            "c=IN IP4 198.51.100.1\r\n"
            "m=audio 20002 RTP/AVP 0\r\na=rtcp:20003 IN IP4 198.51.100.1\r\n"
            "m=video 0 RTP/AVP 96\r\n");
}

}  // namespace
}  // namespace sbc::cp
