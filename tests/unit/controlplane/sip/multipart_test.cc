#include "controlplane/sip/multipart.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_ok;

const std::string kSdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n";

std::string invite(std::string_view content_type, std::string_view body) {
  return crlf({"INVITE sip:b@example.com SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
               "From: <sip:a@example.com>;tag=1", "To: <sip:b@example.com>", "Call-ID: c1",
               "CSeq: 1 INVITE", "Content-Type: " + std::string(content_type),
               "Content-Length: " + std::to_string(body.size()), ""}) +
         std::string(body);
}

TEST(Multipart, SplitsPartsWithHeadersAndBodies) {
  const std::string body = "preamble\r\n--b1\r\nContent-Type: application/sdp\r\n\r\n" + kSdp +
                           "\r\n--b1 \r\nContent-Type: application/isup;version=itu-t92+\r\n"
                           "Content-Disposition: signal;handling=optional\r\n\r\n"
                           "\x01\x02\r\n--b1\r\n\r\nno headers\r\n--b1--\r\nepilogue";
  const auto parts = parse_multipart(body, "b1");
  ASSERT_TRUE(parts) << to_string(parts.error());
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].body, kSdp);
  EXPECT_TRUE((*(*parts)[0].content_type())->is("application", "sdp"));
  EXPECT_EQ((*parts)[1].body, "\x01\x02");
  EXPECT_EQ((*parts)[1].find(HeaderId::kContentDisposition)->value, "signal;handling=optional");
  EXPECT_EQ((*parts)[2].body, "no headers");
  EXPECT_FALSE((*parts)[2].content_type()->has_value());
}

TEST(Multipart, FindsSdpInMessages) {
  const Message plain = parse_ok(invite("application/sdp", kSdp));
  EXPECT_EQ(**find_sdp(plain), kSdp);
  const std::string body =
      "--xyz\r\nContent-Type: text/plain\r\n\r\nhi\r\n--xyz\r\n"
      "Content-Type: application/SDP\r\n\r\n" +
      kSdp + "\r\n--xyz--\r\n";
  const Message multi = parse_ok(invite("multipart/mixed;boundary=\"xyz\"", body));
  EXPECT_EQ(**find_sdp(multi), kSdp);
  // Nested multipart/alternative inside multipart/mixed.
  const std::string inner = "--in\r\nContent-Type: application/sdp\r\n\r\n" + kSdp + "\r\n--in--";
  const std::string outer = "--out\r\nContent-Type: multipart/alternative;boundary=in\r\n\r\n" +
                            inner + "\r\n--out--\r\n";
  EXPECT_EQ(**find_sdp(parse_ok(invite("multipart/mixed;boundary=out", outer))), kSdp);
  // No SDP anywhere, or no body type at all.
  const Message text = parse_ok(invite("text/plain", "hello"));
  EXPECT_FALSE(find_sdp(text)->has_value());
}

TEST(Multipart, MalformedBodies) {
  EXPECT_EQ(parse_multipart("--a\r\n\r\nx\r\n--a--", "").error(), ParseError::kBadMultipart);
  EXPECT_EQ(parse_multipart("--a\r\n\r\nx\r\n--a--", "a\"b").error(), ParseError::kBadMultipart);
  EXPECT_EQ(parse_multipart("no delimiter", "a").error(), ParseError::kBadMultipart);
  EXPECT_EQ(parse_multipart("--a\r\n\r\nx\r\n", "a").error(), ParseError::kBadMultipart);
  EXPECT_EQ(parse_multipart("--a--\r\n", "a").error(), ParseError::kBadMultipart);
  EXPECT_EQ(parse_multipart("--a\r\nNoColon\r\n\r\nx\r\n--a--", "a").error(),
            ParseError::kBadMultipart);
  EXPECT_EQ(parse_multipart("--ax\r\n\r\nx\r\n--a--", "a").error(), ParseError::kBadMultipart);
  std::string many;
  for (size_t i = 0; i <= kMaxBodyParts; ++i) many += "--a\r\n\r\nx\r\n";
  EXPECT_EQ(parse_multipart(many + "--a--", "a").error(), ParseError::kTooManyParts);
  const Message broken = parse_ok(invite("multipart/mixed;boundary=q", "--q\r\n\r\nx"));
  EXPECT_EQ(find_sdp(broken).error(), ParseError::kBadMultipart);
}

}  // namespace
}  // namespace sbc::cp::sip
