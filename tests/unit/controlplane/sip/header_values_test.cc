#include "controlplane/sip/header_values.h"

#include <gtest/gtest.h>

#include "controlplane/sip/message.h"
#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_ok;

Message request_with(std::initializer_list<std::string_view> extra) {
  std::string text = crlf({"INVITE sip:b@example.com SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
                           "From: <sip:a@example.com>;tag=1", "To: <sip:b@example.com>",
                           "Call-ID: c1", "CSeq: 1 INVITE"});
  for (std::string_view line : extra) {
    text += line;
    text += "\r\n";
  }
  return parse_ok(text + "\r\n");
}

TEST(HeaderValues, MediaType) {
  auto mt = parse_media_type("multipart/mixed ; boundary=\"abc def\";charset=utf-8");
  ASSERT_TRUE(mt);
  EXPECT_TRUE(mt->is("MULTIPART", "Mixed"));
  EXPECT_EQ(mt->param("boundary"), "abc def");
  EXPECT_EQ(mt->param("CHARSET"), "utf-8");
  EXPECT_EQ(mt->param("missing"), "");
  EXPECT_EQ(parse_media_type("application").error(), ParseError::kBadContentType);
  EXPECT_EQ(parse_media_type("a/b;").error(), ParseError::kBadContentType);
  EXPECT_EQ(parse_media_type("a b/c").error(), ParseError::kBadContentType);
}

TEST(HeaderValues, OptionTagsAcrossFields) {
  const Message m = request_with({"Supported: 100rel, timer", "k: replaces", "Require: timer",
                                  "Proxy-Require: sec-agree", "Unsupported: foo"});
  EXPECT_EQ(*m.supported(), (std::vector<std::string_view>{"100rel", "timer", "replaces"}));
  EXPECT_EQ(*m.require(), (std::vector<std::string_view>{"timer"}));
  EXPECT_EQ(*m.proxy_require(), (std::vector<std::string_view>{"sec-agree"}));
  EXPECT_EQ(*m.unsupported(), (std::vector<std::string_view>{"foo"}));
  EXPECT_TRUE(request_with({"Supported:"}).supported()->empty());
  EXPECT_TRUE(request_with({}).require()->empty());
  EXPECT_EQ(request_with({"Require: a,,b"}).require().error(), ParseError::kBadOptionTag);
  EXPECT_EQ(request_with({"Require: a b"}).require().error(), ParseError::kBadOptionTag);
}

TEST(HeaderValues, Allow) {
  const Message m = request_with({"Allow: INVITE, ACK,BYE", "Allow: FOO"});
  const auto allow = m.allow();  // views into m
  ASSERT_TRUE(allow);
  ASSERT_EQ(allow->size(), 4u);
  EXPECT_EQ((*allow)[0].method, Method::kInvite);
  EXPECT_EQ((*allow)[2].method, Method::kBye);
  EXPECT_EQ((*allow)[3].method, Method::kOther);
  EXPECT_EQ((*allow)[3].text, "FOO");
  EXPECT_EQ(request_with({"Allow: INVITE, <x>"}).allow().error(), ParseError::kBadAllow);
}

TEST(HeaderValues, Date) {
  EXPECT_TRUE(is_sip_date("Sat, 13 Nov 2010 23:29:00 GMT"));
  EXPECT_TRUE(is_sip_date("Sat, 15 Oct 2005 04:44:56 GMT"));
  EXPECT_FALSE(is_sip_date("Fri, 01 Jan 2010 16:00:00 EST"));  // RFC 4475 baddate
  EXPECT_FALSE(is_sip_date("Fri, 1 Jan 2010 16:00:00 GMT"));
  EXPECT_FALSE(is_sip_date("Fry, 01 Jan 2010 16:00:00 GMT"));
  EXPECT_FALSE(is_sip_date("Fri, 01 Jan 2010 24:00:00 GMT"));
  EXPECT_FALSE(is_sip_date("Fri, 00 Jan 2010 16:00:00 GMT"));
  EXPECT_EQ(*request_with({"Date: Sat, 13 Nov 2010 23:29:00 GMT"}).date(),
            "Sat, 13 Nov 2010 23:29:00 GMT");
  EXPECT_FALSE(request_with({}).date()->has_value());
  EXPECT_EQ(request_with({"Date: yesterday"}).validate().error(), ParseError::kBadDate);
}

TEST(HeaderValues, SessionTimers) {
  const Message m = request_with({"Session-Expires: 1800;refresher=uas", "Min-SE: 90"});
  const auto se = m.session_expires();
  ASSERT_TRUE(se && *se);
  EXPECT_EQ((*se)->delta, 1800u);
  EXPECT_EQ((*se)->refresher, SessionExpires::Refresher::kUas);
  EXPECT_EQ(**m.min_se(), 90u);
  EXPECT_EQ(parse_session_expires("x: 90").error(), ParseError::kBadSessionExpires);
  EXPECT_EQ(parse_session_expires("90;refresher=both").error(), ParseError::kBadSessionExpires);
  EXPECT_EQ(parse_session_expires("90").value().refresher, SessionExpires::Refresher::kNone);
  EXPECT_EQ(parse_session_expires("99999999999").error(), ParseError::kBadSessionExpires);
  EXPECT_EQ(parse_min_se("90;x=1").value(), 90u);
  EXPECT_EQ(parse_min_se("ninety").error(), ParseError::kBadMinSe);
  EXPECT_EQ(request_with({"x: 90", "Session-Expires: 100"}).session_expires().error(),
            ParseError::kDuplicateHeader);
  EXPECT_FALSE(request_with({}).session_expires()->has_value());
}

TEST(HeaderValues, ReliableProvisionals) {
  const Message m = request_with({"RSeq: 988789", "RAck: 776656 1 INVITE"});
  EXPECT_EQ(**m.rseq(), 988789u);
  const auto rack = m.rack();
  ASSERT_TRUE(rack && *rack);
  EXPECT_EQ((*rack)->rseq, 776656u);
  EXPECT_EQ((*rack)->cseq, 1u);
  EXPECT_EQ((*rack)->method, Method::kInvite);
  EXPECT_EQ(parse_rseq("0").error(), ParseError::kBadRSeq);
  EXPECT_EQ(parse_rseq("2147483648").error(), ParseError::kBadRSeq);
  EXPECT_EQ(parse_rack("1 2").error(), ParseError::kBadRAck);
  EXPECT_EQ(parse_rack("1 x INVITE").error(), ParseError::kBadRAck);
  EXPECT_EQ(parse_rack("1 2 IN@VITE").error(), ParseError::kBadRAck);
}

TEST(HeaderValues, Reason) {
  const Message m =
      request_with({"Reason: SIP ;cause=200 ;text=\"Call completed elsewhere\", Q.850;cause=16"});
  const auto reasons = m.reasons();
  ASSERT_TRUE(reasons);
  ASSERT_EQ(reasons->size(), 2u);
  EXPECT_EQ((*reasons)[0].protocol, "SIP");
  EXPECT_EQ((*reasons)[0].cause, 200u);
  EXPECT_EQ((*reasons)[0].text, "Call completed elsewhere");
  EXPECT_EQ((*reasons)[1].protocol, "Q.850");
  EXPECT_EQ((*reasons)[1].cause, 16u);
  EXPECT_EQ(parse_reason("SIP;cause=abc").error(), ParseError::kBadReason);
  EXPECT_EQ(parse_reason("SIP;text=unquoted").error(), ParseError::kBadReason);
  EXPECT_EQ(parse_reason("\"SIP\"").error(), ParseError::kBadReason);
}

TEST(HeaderValues, RetryAfter) {
  const auto ra = parse_retry_after("18000 (under (deep) maintenance);duration=3600");
  ASSERT_TRUE(ra);
  EXPECT_EQ(ra->seconds, 18000u);
  EXPECT_EQ(ra->comment, "under (deep) maintenance");
  EXPECT_EQ(ra->duration, 3600u);
  EXPECT_EQ(parse_retry_after("120").value().seconds, 120u);
  // RFC 4475 scalarlg: far beyond 32 bits.
  EXPECT_EQ(parse_retry_after("949302838503028349304023988").error(), ParseError::kBadRetryAfter);
  EXPECT_EQ(parse_retry_after("5 (unclosed").error(), ParseError::kBadRetryAfter);
  EXPECT_EQ(parse_retry_after("5;duration=x").error(), ParseError::kBadRetryAfter);
}

TEST(HeaderValues, Unquote) {
  EXPECT_EQ(unquote("\"a \\\"b\\\\ c\""), "a \"b\\ c");
  EXPECT_EQ(unquote("plain"), "plain");
  EXPECT_EQ(unquote("\""), "\"");
}

}  // namespace
}  // namespace sbc::cp::sip
