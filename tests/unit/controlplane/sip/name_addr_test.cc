#include "controlplane/sip/name_addr.h"

#include <gtest/gtest.h>

namespace sbc::cp::sip {
namespace {

TEST(NameAddr, QuotedDisplayNameAndTag) {
  auto n = parse_name_addr(
      "\"Alice \\\"A\\\" Liddell\" <sip:alice@atlanta.com;transport=udp>;tag=1928301774");
  ASSERT_TRUE(n) << to_string(n.error());
  EXPECT_TRUE(n->display_quoted);
  EXPECT_EQ(n->display_name, "Alice \\\"A\\\" Liddell");
  EXPECT_EQ(n->uri_text, "sip:alice@atlanta.com;transport=udp");
  EXPECT_EQ(n->uri.user, "alice");
  EXPECT_EQ(n->uri.transport(), "udp");
  EXPECT_EQ(n->tag(), "1928301774");
}

TEST(NameAddr, TokenDisplayNameAndNoName) {
  auto n = parse_name_addr("Bob Smith <sip:bob@biloxi.com>");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->display_name, "Bob Smith");
  EXPECT_TRUE(n->tag().empty());
  auto m = parse_name_addr("<sip:bob@[2001:db8::2]:5070>;expires=3600;q=0.7");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->display_name.empty());
  EXPECT_EQ(m->uri.port, 5070);
  EXPECT_EQ(m->param("expires")->value, "3600");
}

TEST(NameAddr, AddrSpecParamsBelongToHeader) {
  auto n = parse_name_addr("sip:caller@example.net;tag=93942939o2");
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->angle_brackets);
  EXPECT_EQ(n->uri_text, "sip:caller@example.net");
  EXPECT_TRUE(n->uri.params.empty());
  EXPECT_EQ(n->tag(), "93942939o2");
}

TEST(NameAddr, RejectsMalformed) {
  EXPECT_EQ(parse_name_addr("\"Mr. J. User <sip:j.user@example.com>").error(),
            ParseError::kBadQuotedString);
  EXPECT_FALSE(parse_name_addr("<sip:a@b").has_value());
  EXPECT_FALSE(parse_name_addr("").has_value());
  EXPECT_FALSE(parse_name_addr("<sip:a@b> junk").has_value());
  EXPECT_FALSE(parse_name_addr("\"x\" sip:a@b").has_value());
  EXPECT_FALSE(parse_name_addr("<sip:a@b>;;;").has_value());
}

TEST(NameAddr, FormatRoundTrips) {
  const std::string text = format_name_addr("Al \"x\"", "sip:al@example.com", "abc");
  EXPECT_EQ(text, "\"Al \\\"x\\\"\" <sip:al@example.com>;tag=abc");
  auto n = parse_name_addr(text);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->tag(), "abc");
  EXPECT_EQ(format_name_addr("", "sip:a@b"), "<sip:a@b>");
}

// A received display name (quoted-pairs kept) is written back unchanged, so a B2BUA relaying it
// neither doubles escapes nor exposes a control byte (RFC 4475 intmeth, wsinv).
TEST(NameAddr, FormatKeepsReceivedQuotedPairs) {
  for (std::string_view value :
       {"\"Alice \\\"Al\\\" A.\" <sip:a@x>", "\"J Rosenberg \\\\\\\"\" <sip:j@x>",
        "\"BEL:\\\x07 DEL:\\\x7f\" <sip:b@x>"}) {
    const auto received = parse_name_addr(value);
    ASSERT_TRUE(received) << value;
    const std::string written = format_name_addr(received->display_name, received->uri_text);
    EXPECT_EQ(written, value);
    EXPECT_EQ(parse_name_addr(written)->display_name, received->display_name);
  }
  // Plain text: bare quotes, a trailing backslash and control bytes escaped; CR/LF neutralised.
  EXPECT_EQ(format_name_addr("a\"b\\", "sip:a@b"), "\"a\\\"b\\\\\" <sip:a@b>");
  EXPECT_EQ(format_name_addr("x\r\nVia: evil", "sip:a@b"), "\"x Via: evil\" <sip:a@b>");
  // A folded display name (RFC 3261 §7.3.1) is written on one line, the fold as one SP.
  EXPECT_EQ(format_name_addr("Alice\r\n \tSmith", "sip:a@b"), "\"Alice Smith\" <sip:a@b>");
  EXPECT_EQ(format_name_addr("Alice \n Smith", "sip:a@b"), "\"Alice  Smith\" <sip:a@b>");
  EXPECT_EQ(format_name_addr(std::string_view("n\0ul", 4), "sip:a@b"),
            std::string("\"n\\") + '\0' + "ul\" <sip:a@b>");
}

}  // namespace
}  // namespace sbc::cp::sip
