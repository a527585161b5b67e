// rewrite_sdp() (sdp_rewrite.cc) line by line: which ICE attributes go, where a=rtcp survives,
// m= ports with counts and rejected streams, o= fields one at a time, c= only where there was one,
// identity stripping and its look-alikes, and errors passed through from parse_sdp(). The golden
// rewrites of whole offers are in sdp_test.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/sip/sdp.h"

namespace sbc::cp::sip {
namespace {

const std::string kHead =
    "v=0\r\no=u 11 22 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n";

SdpRewrite anchor(std::vector<MediaRewrite> media) {
  SdpRewrite rw;
  rw.address = "192.0.2.1";
  rw.media = std::move(media);
  return rw;
}

std::string rewritten(const std::string& text, const SdpRewrite& rw) {
  auto out = rewrite_sdp(text, rw);
  EXPECT_TRUE(out.has_value()) << to_string(out.error());
  return out.value_or("");
}

TEST(SdpRewrite, EveryIceAttributeGoesAndLookAlikesStay) {
  const std::string ice =
      "a=candidate:1 1 UDP 2130706431 10.0.0.5 4000 typ host\r\n"
      "a=remote-candidates:1 10.0.0.9 5000\r\n"
      "a=ice-ufrag:abcd\r\n"
      "a=ice-pwd:0123456789abcdefghijkl\r\n"
      "a=ice-options:trickle\r\n"
      "a=ice-lite\r\n"
      "a=ice-mismatch\r\n"
      "a=end-of-candidates\r\n";
  const std::string kept =
      "a=ice-ufragment:x\r\n"
      "a=candidates:y\r\n"
      "a=rtcp-mux\r\n"
      "a=rtcp-fb:0 nack\r\n";
  const std::string out = rewritten(kHead + ice + "m=audio 4000 RTP/AVP 0\r\n" + ice + kept,
                                    anchor({{20000, std::nullopt, {}, {}, {}, {}}}));
  EXPECT_EQ(out,
            "v=0\r\no=u 11 22 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\n" +
                kept);
}

TEST(SdpRewrite, RtcpLinesFollowTheirStream) {
  const std::string text = kHead +
                           "m=audio 4000 RTP/AVP 0\r\na=rtcp:4001\r\n"
                           "m=audio 0 RTP/AVP 0\r\na=rtcp:4003\r\n"
                           "m=video 4004 RTP/AVP 99\r\na=rtcp:4005 IN IP4 10.0.0.5\r\n";
  const std::string out = rewritten(text, anchor({{20000, 20001, {}, {}, {}, {}},
                                                  {20002, 20003, {}, {}, {}, {}},
                                                  {20004, std::nullopt, {}, {}, {}, {}}}));
  EXPECT_EQ(out,
            "v=0\r\no=u 11 22 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\na=rtcp:20001 IN IP4 192.0.2.1\r\n"
            // A rejected stream stays rejected, and has no RTCP port to announce.
            "m=audio 0 RTP/AVP 0\r\n"
            // No RTCP port given: implicit (port + 1), the line goes.
            "m=video 20004 RTP/AVP 99\r\n");
}

TEST(SdpRewrite, MediaLinesKeepTypeCountAndFormats) {
  const std::string text = kHead +
                           "m=audio 4000/2 RTP/AVP 0 8\r\n"
                           "m=image 5000 udptl t38\r\n";
  EXPECT_EQ(rewritten(text, anchor({{20000, std::nullopt, {}, {}, {}, {}},
                                    {20010, std::nullopt, {}, {}, {}, {}}})),
            "v=0\r\no=u 11 22 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 20000/2 RTP/AVP 0 8\r\n"
            "m=image 20010 udptl t38\r\n");
}

TEST(SdpRewrite, ProfileAndCryptoLinesAreReplacedPerStream) {
  const std::string text = kHead +
                           "m=audio 4000 RTP/SAVP 0 8\r\n"
                           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:THEIRS\r\n"
                           "a=ptime:20\r\n"
                           "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:THEIRS2\r\n"
                           "m=video 0 RTP/SAVP 99\r\n"
                           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:VIDEO\r\n"
                           "m=audio 5000 RTP/SAVP 0\r\n"
                           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEPT\r\n"
                           "a=sendrecv";  // last line without a terminator
  MediaRewrite audio{20000, std::nullopt, "RTP/AVP", std::vector<std::string>{}, {}, {}};
  MediaRewrite rejected{
      20002,     std::nullopt,
      "RTP/AVP", std::vector<std::string>{"1 AES_CM_128_HMAC_SHA1_80 inline:OURS"},
      {},        {}};
  MediaRewrite untouched{20004, std::nullopt, {}, {}, {}, {}};
  // First stream: to plain RTP, its crypto lines gone; the rejected one keeps port 0 and gets
  // no crypto line; the third keeps its profile and line.
  EXPECT_EQ(rewritten(text, anchor({audio, rejected, untouched})),
            "v=0\r\no=u 11 22 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 0 8\r\n"
            "a=ptime:20\r\n"
            "m=video 0 RTP/AVP 99\r\n"
            "m=audio 20004 RTP/SAVP 0\r\n"
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEPT\r\n"
            "a=sendrecv");
  // To SRTP: our lines at the end of the stream's section, after its last attribute.
  const std::string plain = kHead + "m=audio 4000 RTP/AVP 0\r\na=ptime:20";
  MediaRewrite to_srtp{
      20000,      std::nullopt,
      "RTP/SAVP", std::vector<std::string>{"1 AEAD_AES_128_GCM inline:A", "2 X inline:B"},
      {},         {}};
  EXPECT_EQ(rewritten(plain, anchor({to_srtp})),
            "v=0\r\no=u 11 22 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/SAVP 0\r\na=ptime:20\r\n"
            "a=crypto:1 AEAD_AES_128_GCM inline:A\r\n"
            "a=crypto:2 X inline:B\r\n");
}

TEST(SdpRewrite, FormatsAndTheirAttributesAreReplacedPerLiveStream) {
  const std::string text = kHead +
                           "m=audio 4000 RTP/AVP 0 101\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "a=ptime:20\r\n"
                           "a=rtpmap:101 telephone-event/8000\r\n"
                           "a=fmtp:101 0-15\r\n"
                           "m=audio 0 RTP/AVP 0\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "m=audio 5000 RTP/AVP 8\r\n"
                           "a=rtpmap:8 PCMA/8000";  // last line without a terminator
  MediaRewrite transcoded{20000,
                          std::nullopt,
                          {},
                          {},
                          std::vector<std::string>{"8", "18", "101"},
                          {"rtpmap:8 PCMA/8000", "rtpmap:18 G729/8000", "fmtp:18 annexb=no",
                           "rtpmap:101 telephone-event/8000", "fmtp:101 0-16"}};
  MediaRewrite rejected{
      20002, std::nullopt, {}, {}, std::vector<std::string>{"8"}, {"rtpmap:8 PCMA/8000"}};
  MediaRewrite untouched{20004, std::nullopt, {}, {}, {}, {}};
  // The first stream: its formats and rtpmap/fmtp lines ours (at the end of its section), its
  // other attributes kept; a rejected stream is left as it was; the third is untouched.
  EXPECT_EQ(rewritten(text, anchor({transcoded, rejected, untouched})),
            "v=0\r\no=u 11 22 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 8 18 101\r\n"
            "a=ptime:20\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:18 G729/8000\r\n"
            "a=fmtp:18 annexb=no\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "m=audio 0 RTP/AVP 0\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "m=audio 20004 RTP/AVP 8\r\n"
            "a=rtpmap:8 PCMA/8000");
}

TEST(SdpRewrite, OriginFieldsAreReplacedOneByOne) {
  const std::string text = kHead + "m=audio 4000 RTP/AVP 0\r\n";
  SdpRewrite rw = anchor({{20000, std::nullopt, {}, {}, {}, {}}});
  EXPECT_NE(rewritten(text, rw).find("o=u 11 22 IN IP4 192.0.2.1\r\n"), std::string::npos);
  rw.origin_session_id = "777";
  EXPECT_NE(rewritten(text, rw).find("o=u 777 22 IN IP4 192.0.2.1\r\n"), std::string::npos);
  rw.origin_version = 18446744073709551615ULL;  // the largest version still fits
  EXPECT_NE(rewritten(text, rw).find("o=u 777 18446744073709551615 IN IP4 192.0.2.1\r\n"),
            std::string::npos);
  rw.origin_username = "sbc";
  rw.addr_type = "IP6";
  rw.address = "2001:db8::1";
  const std::string v6 = rewritten(text, rw);
  EXPECT_NE(v6.find("o=sbc 777 18446744073709551615 IN IP6 2001:db8::1\r\n"), std::string::npos);
  EXPECT_NE(v6.find("c=IN IP6 2001:db8::1\r\n"), std::string::npos);
  EXPECT_EQ(v6.find("IP4"), std::string::npos);
}

// Media-level c= lines are rewritten where they are; none is added where there was none.
TEST(SdpRewrite, ConnectionLinesOnlyWhereTheyWere) {
  const std::string text =
      "v=0\r\no=u 1 1 IN IP4 10.0.0.5\r\ns=-\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.7\r\n"
      "m=audio 4002 RTP/AVP 0\r\nc=IN IP4 10.0.0.8/127\r\n";
  const std::string out = rewritten(
      text, anchor({{20000, std::nullopt, {}, {}, {}, {}}, {20002, std::nullopt, {}, {}, {}, {}}}));
  EXPECT_EQ(out,
            "v=0\r\no=u 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
            "m=audio 20000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
            "m=audio 20002 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n");
  EXPECT_TRUE(parse_sdp(out).has_value());
}

TEST(SdpRewrite, IdentityStrippingKeepsLineEndsAndLookAlikes) {
  const std::string text =
      "v=0\no=u 1 1 IN IP4 10.0.0.5\ns=Acme\ni=info\nc=IN IP4 10.0.0.5\nt=0 0\n"
      "a=toolbar:x\na=tool:Acme 1.0\nm=audio 4000 RTP/AVP 0\ni=audio info\n"
      "a=ssrc:3903568333 cname:sip:15550002@10.0.0.5\na=ssrc-group:FID 1 2\na=ssrcx:1\n";
  SdpRewrite rw = anchor({{20000, std::nullopt, {}, {}, {}, {}}});
  rw.strip_identity = true;
  EXPECT_EQ(rewritten(text, rw),
            "v=0\no=u 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
            "a=toolbar:x\nm=audio 20000 RTP/AVP 0\na=ssrcx:1\n");
}

TEST(SdpRewrite, ErrorsComeFromTheParserOrTheSpec) {
  const SdpRewrite one = anchor({{20000, std::nullopt, {}, {}, {}, {}}});
  EXPECT_EQ(rewrite_sdp("", one).error(), SdpError::kEmpty);
  EXPECT_EQ(rewrite_sdp("v=0\r\ns=-\r\nt=0 0\r\n", one).error(), SdpError::kMissingOrigin);
  EXPECT_EQ(rewrite_sdp(kHead + "m=audio x RTP/AVP 0\r\n", one).error(), SdpError::kBadMedia);
  // One entry per m= line: neither fewer nor more.
  EXPECT_EQ(rewrite_sdp(kHead + "m=audio 4000 RTP/AVP 0\r\n", anchor({})).error(),
            SdpError::kRewriteMismatch);
  EXPECT_EQ(rewrite_sdp(kHead + "m=audio 4000 RTP/AVP 0\r\n",
                        anchor({{20000, std::nullopt, {}, {}, {}, {}},
                                {20002, std::nullopt, {}, {}, {}, {}}}))
                .error(),
            SdpError::kRewriteMismatch);
  // A description without any stream takes an empty spec.
  EXPECT_EQ(rewritten(kHead, anchor({})),
            "v=0\r\no=u 11 22 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n");
}

}  // namespace
}  // namespace sbc::cp::sip
