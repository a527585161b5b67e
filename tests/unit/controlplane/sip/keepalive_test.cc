// The one keep-alive test (RFC 5626 §3.5.1 CRLFs).
#include "controlplane/sip/keepalive.h"

#include <gtest/gtest.h>

namespace sbc::cp::sip {
namespace {

TEST(Keepalive, OnlyCrAndLfBytesAreAKeepalive) {
  EXPECT_TRUE(is_keepalive("\r\n"));
  EXPECT_TRUE(is_keepalive("\r\n\r\n"));
  EXPECT_TRUE(is_keepalive("\n"));
  EXPECT_FALSE(is_keepalive(""));
  EXPECT_FALSE(is_keepalive("\r\n \r\n"));
  EXPECT_FALSE(is_keepalive("\r\nOPTIONS sip:a SIP/2.0\r\n"));
}

TEST(Keepalive, PrefixCountsTheLeadingCrlfs) {
  EXPECT_EQ(keepalive_prefix(""), 0u);
  EXPECT_EQ(keepalive_prefix("\r\n\r\nINVITE"), 4u);
  EXPECT_EQ(keepalive_prefix("INVITE\r\n"), 0u);
  EXPECT_EQ(keepalive_prefix(" \r\n"), 0u);
}

}  // namespace
}  // namespace sbc::cp::sip
