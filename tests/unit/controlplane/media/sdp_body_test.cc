// A parsed description that owns its text: its views stay valid when the source is gone.
#include "controlplane/media/sdp_body.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp {
namespace {

constexpr const char* kOffer =
    "v=0\r\no=alice 42 7 IN IP4 192.0.2.10\r\ns=call\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n";

TEST(SdpBodyTest, OutlivesTheTextItWasParsedFrom) {
  auto source = std::make_unique<std::string>(kOffer);
  auto body = SdpBody::parse(*source);
  ASSERT_TRUE(body.has_value());
  source->assign(source->size(), 'x');  // the message body is gone
  source.reset();
  const SdpBody copy = *body;
  body = SdpBody::parse("v=0\r\n");  // the original replaced: the copy shares nothing with it
  EXPECT_FALSE(body.has_value());
  EXPECT_EQ(copy.description().origin.username, "alice");
  EXPECT_EQ(copy.description().media.at(0).port, 6000);
  EXPECT_EQ(copy.origin(), "alice 42 7");
  EXPECT_EQ(copy.text(), kOffer);
}

TEST(SdpBodyTest, ParseErrorsAreReturned) {
  EXPECT_EQ(SdpBody::parse("").error(), sip::SdpError::kEmpty);
  EXPECT_EQ(SdpBody::parse("v=1\r\n").error(), sip::SdpError::kBadVersion);
}

}  // namespace
}  // namespace sbc::cp
