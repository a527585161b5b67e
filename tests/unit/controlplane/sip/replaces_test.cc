// The Replaces header (RFC 3891 §6.1) and the URI-header escaping it travels in within a
// Refer-To.
#include "controlplane/sip/replaces.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp::sip {
namespace {

TEST(ReplacesTest, ParsesTheRfcExampleAndKeepsEarlyOnly) {
  auto r = parse_replaces("425928@bobster.example.org;to-tag=7743;from-tag=6472");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->call_id, "425928@bobster.example.org");
  EXPECT_EQ(r->to_tag, "7743");
  EXPECT_EQ(r->from_tag, "6472");
  EXPECT_FALSE(r->early_only);
  r = parse_replaces(" 98732@sip.example.com ; from-tag = r33th4x0r ; to-tag=ff87ff ; early-only ");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->call_id, "98732@sip.example.com");
  EXPECT_EQ(r->to_tag, "ff87ff");
  EXPECT_EQ(r->from_tag, "r33th4x0r");
  EXPECT_TRUE(r->early_only);
  EXPECT_EQ(format_replaces(*r),
            "98732@sip.example.com;to-tag=ff87ff;from-tag=r33th4x0r;early-only");
}

TEST(ReplacesTest, RefusesAValueThatNamesNoDialog) {
  EXPECT_FALSE(parse_replaces(""));
  EXPECT_FALSE(parse_replaces("abc"));
  EXPECT_FALSE(parse_replaces("abc;to-tag=1"));
  EXPECT_FALSE(parse_replaces("abc;from-tag=1"));
  EXPECT_FALSE(parse_replaces(";to-tag=1;from-tag=2"));
  EXPECT_FALSE(parse_replaces("abc;to-tag=;from-tag=2"));
  EXPECT_FALSE(parse_replaces("a b;to-tag=1;from-tag=2"));
  EXPECT_FALSE(parse_replaces("abc;to-tag=1;from-tag=2\r\nX-Injected: 1"));
  EXPECT_FALSE(parse_replaces(std::string(600, 'a') + ";to-tag=1;from-tag=2"));
}

TEST(ReplacesTest, UriHeaderEscapingRoundTrips) {
  const std::string value = "c@h;to-tag=1;from-tag=2;early-only";
  const std::string escaped = escape_uri_header(value);
  EXPECT_EQ(escaped, "c%40h%3Bto-tag%3D1%3Bfrom-tag%3D2%3Bearly-only");
  EXPECT_EQ(unescape_uri_header(escaped), value);
  EXPECT_EQ(unescape_uri_header("a%3b"), "a;");
  EXPECT_FALSE(unescape_uri_header("a%3"));
  EXPECT_FALSE(unescape_uri_header("a%zz"));
  EXPECT_FALSE(unescape_uri_header("a%00b"));
}

}  // namespace
}  // namespace sbc::cp::sip
