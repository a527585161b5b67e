#include "controlplane/sip/sdp.h"

#include <gtest/gtest.h>

namespace sbc::cp::sip {
namespace {

// A WebRTC-ish offer: session c=, two m= lines (audio + video), ICE, a=rtcp, a rejected stream.
const std::string kOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 10.0.0.5\r\n"
    "s=Talk\r\n"
    "c=IN IP4 10.0.0.5\r\n"
    "t=0 0\r\n"
    "a=ice-ufrag:F7gI\r\n"
    "a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=rtcp:49171 IN IP4 10.0.0.5\r\n"
    "a=candidate:1 1 UDP 2130706431 10.0.0.5 49170 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 203.0.113.7 49170 typ srflx raddr 10.0.0.5 rport 49170\r\n"
    "a=end-of-candidates\r\n"
    "a=sendrecv\r\n"
    "m=video 51372/2 RTP/AVP 99\r\n"
    "c=IN IP4 10.0.0.6/127\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=rtcp-mux\r\n"
    "a=recvonly\r\n"
    "m=audio 0 RTP/AVP 18\r\n";

TEST(Sdp, ParsesSessionAndMedia) {
  auto sdp = parse_sdp(kOffer);
  ASSERT_TRUE(sdp) << to_string(sdp.error());
  EXPECT_EQ(sdp->origin.username, "alice");
  EXPECT_EQ(sdp->origin.session_version, 2890844527u);
  EXPECT_EQ(sdp->origin.address, "10.0.0.5");
  EXPECT_EQ(sdp->session_name, "Talk");
  EXPECT_EQ(sdp->connection->address, "10.0.0.5");
  EXPECT_EQ(sdp->attributes.size(), 2u);
  ASSERT_EQ(sdp->media.size(), 3u);

  const SdpMedia& audio = sdp->media[0];
  EXPECT_EQ(audio.type, "audio");
  EXPECT_EQ(audio.port, 49170);
  EXPECT_EQ(audio.proto, "RTP/AVP");
  EXPECT_EQ(audio.payload_types(), (std::vector<uint8_t>{0, 8, 101}));
  EXPECT_EQ(audio.codec_name(0), "PCMU");
  EXPECT_EQ(audio.codec_name(101), "telephone-event");
  EXPECT_EQ(audio.rtpmap(8)->clock_rate, 8000u);
  EXPECT_EQ(audio.fmtps.at(0).parameters, "0-16");
  EXPECT_EQ(audio.ptime, 20u);
  EXPECT_EQ(audio.rtcp_port, 49171);
  EXPECT_EQ(audio.direction, MediaDirection::kSendRecv);
  EXPECT_FALSE(audio.connection);

  const SdpMedia& video = sdp->media[1];
  EXPECT_EQ(video.port_count, 2);
  EXPECT_EQ(video.connection->address, "10.0.0.6");
  EXPECT_TRUE(video.rtcp_mux);
  EXPECT_EQ(sdp->media_direction(1), MediaDirection::kRecvOnly);
  EXPECT_EQ(sdp->media_connection(1)->address, "10.0.0.6");
  EXPECT_EQ(sdp->media[2].port, 0);
  EXPECT_EQ(sdp->media[2].codec_name(18), "G729");

  auto ep = first_audio_endpoint(*sdp);
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->media_index, 0u);
  EXPECT_EQ(ep->address, "10.0.0.5");
  EXPECT_EQ(ep->port, 49170);
}

TEST(Sdp, RewriteAnchorsMediaGolden) {
  SdpRewrite rw;
  rw.address = "192.0.2.1";
  rw.origin_version = 2;
  rw.origin_username = "sbc";
  rw.media = {{20000, 20001, {}, {}, {}, {}},
              {20002, std::nullopt, {}, {}, {}, {}},
              {20004, std::nullopt, {}, {}, {}, {}}};
  auto out = rewrite_sdp(kOffer, rw);
  ASSERT_TRUE(out) << to_string(out.error());
  EXPECT_EQ(*out,
            "v=0\r\n"
            "o=sbc 2890844526 2 IN IP4 192.0.2.1\r\n"
            "s=Talk\r\n"
            "c=IN IP4 192.0.2.1\r\n"
            "t=0 0\r\n"
            "m=audio 20000 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=ptime:20\r\n"
            "a=rtcp:20001 IN IP4 192.0.2.1\r\n"
            "a=sendrecv\r\n"
            "m=video 20002/2 RTP/AVP 99\r\n"
            "c=IN IP4 192.0.2.1\r\n"
            "a=rtpmap:99 H264/90000\r\n"
            "a=rtcp-mux\r\n"
            "a=recvonly\r\n"
            "m=audio 0 RTP/AVP 18\r\n");
  auto again = parse_sdp(*out);
  ASSERT_TRUE(again);
  EXPECT_EQ(first_audio_endpoint(*again)->port, 20000);
}

TEST(Sdp, RewritePreservesLineEndsAndRemovesRtcpWhenUnset) {
  const std::string lf =
      "v=0\no=- 1 1 IN IP6 2001:db8::5\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
      "c=IN IP6 2001:db8::5\na=rtcp:4001\na=X-unknown: kept  as is \nb=AS:64";
  SdpRewrite rw;
  rw.address = "2001:db8::1";
  rw.addr_type = "IP6";
  rw.media = {{30000, std::nullopt, {}, {}, {}, {}}};
  auto out = rewrite_sdp(lf, rw);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\nt=0 0\nm=audio 30000 RTP/AVP 0\n"
            "c=IN IP6 2001:db8::1\na=X-unknown: kept  as is \nb=AS:64");
}

TEST(Sdp, RewriteStripsIdentityWhenAsked) {
  const std::string text =
      "v=0\r\no=pbx 7 7 IN IP4 10.0.0.5\r\ns=Acme PBX 9.1 (site Berlin)\r\n"
      "i=call from reception\r\nu=http://pbx.acme.internal/\r\ne=ops@acme.example\r\n"
      "p=+49 30 1234\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\na=tool:AcmePBX 9.1\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=ssrc:1 cname:x\r\n";
  SdpRewrite rw;
  rw.address = "192.0.2.1";
  rw.media = {{20000, std::nullopt, {}, {}, {}, {}}};
  auto kept = rewrite_sdp(text, rw);
  ASSERT_TRUE(kept);
  EXPECT_NE(kept->find("s=Acme PBX"), std::string::npos);  // only on request
  rw.strip_identity = true;
  auto out = rewrite_sdp(text, rw);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "v=0\r\no=pbx 7 7 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\n");  // a=ssrc's cname names its sender too
  ASSERT_TRUE(parse_sdp(*out));
}

TEST(Sdp, RewriteNeedsOneEntryPerMedia) {
  SdpRewrite rw;
  rw.address = "192.0.2.1";
  rw.media = {{20000, std::nullopt, {}, {}, {}, {}}};
  EXPECT_EQ(rewrite_sdp(kOffer, rw).error(), SdpError::kRewriteMismatch);
}

TEST(Sdp, ValidationErrors) {
  const std::string base = "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n";
  EXPECT_EQ(parse_sdp("").error(), SdpError::kEmpty);
  EXPECT_EQ(parse_sdp(std::string(20000, 'a')).error(), SdpError::kTooLarge);
  EXPECT_EQ(parse_sdp(base).error(), SdpError::kMissingVersion);
  EXPECT_EQ(parse_sdp("v=1\r\n" + base).error(), SdpError::kBadVersion);
  EXPECT_EQ(parse_sdp("v=0\r\ns=-\r\nt=0 0\r\n").error(), SdpError::kMissingOrigin);
  EXPECT_EQ(parse_sdp("v=0\r\no=- 1 x IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n").error(),
            SdpError::kBadOrigin);
  EXPECT_EQ(parse_sdp("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n").error(),
            SdpError::kMissingSessionName);
  EXPECT_EQ(parse_sdp("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n").error(), SdpError::kMissingTime);
  EXPECT_EQ(parse_sdp("v=0\r\n" + base + "garbage\r\n").error(), SdpError::kBadLine);
  EXPECT_EQ(parse_sdp("v=0\r\n" + base + "c=IN IP4\r\n").error(), SdpError::kBadConnection);
  EXPECT_EQ(parse_sdp("v=0\r\n" + base + "m=audio 70000 RTP/AVP 0\r\n").error(),
            SdpError::kBadMedia);
  EXPECT_EQ(parse_sdp("v=0\r\n" + base + "m=audio 7000 RTP/AVP\r\n").error(), SdpError::kBadMedia);
  EXPECT_EQ(
      parse_sdp("v=0\r\n" + base + "m=audio 7000 RTP/AVP 0\r\na=rtpmap:300 X/8000\r\n").error(),
      SdpError::kBadRtpmap);
  EXPECT_EQ(parse_sdp("v=0\r\n" + base + "m=audio 7000 RTP/AVP 0\r\na=ptime:abc\r\n").error(),
            SdpError::kBadAttribute);
  EXPECT_EQ(parse_sdp("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n")
                .error(),
            SdpError::kMissingConnection);
  std::string many = "v=0\r\n" + base;
  for (int i = 0; i < 17; ++i) many += "m=audio 7000 RTP/AVP 0\r\n";
  EXPECT_EQ(parse_sdp(many).error(), SdpError::kTooManyMedia);
  std::string lines = "v=0\r\n" + base;
  for (int i = 0; i < 600; ++i) lines += "a=x\r\n";
  EXPECT_EQ(parse_sdp(lines).error(), SdpError::kTooManyLines);
}

}  // namespace
}  // namespace sbc::cp::sip
