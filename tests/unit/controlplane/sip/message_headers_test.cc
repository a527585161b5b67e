// Message's accessors of extension headers (message_headers.cc) as accessors: list headers join
// every field of their name, single-valued ones are absent (nullopt), repeated
// (kDuplicateHeader) or parsed, and each reports its own error value. The value grammars are in
// header_values_test and auth_test.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/sip/message.h"
#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_ok;

Message with(std::initializer_list<std::string_view> extra) {
  std::string text = crlf({"INVITE sip:b@example.com SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
                           "From: <sip:a@example.com>;tag=1", "To: <sip:b@example.com>",
                           "Call-ID: c1", "CSeq: 1 INVITE"});
  for (std::string_view line : extra) {
    text += line;
    text += "\r\n";
  }
  return parse_ok(text + "Content-Length: 0\r\n\r\n");
}

TEST(MessageHeaders, ListHeadersJoinEveryFieldInOrder) {
  const Message m = with({"Unsupported: a", "Allow: INVITE, ACK", "Unsupported: b, c", "Allow: BYE",
                          "Proxy-Require: x", "Proxy-Require: y"});
  EXPECT_EQ(*m.unsupported(), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_EQ(*m.proxy_require(), (std::vector<std::string_view>{"x", "y"}));
  const auto allow = m.allow();
  ASSERT_TRUE(allow.has_value());
  ASSERT_EQ(allow->size(), 3u);
  EXPECT_EQ((*allow)[0].method, Method::kInvite);
  EXPECT_EQ((*allow)[2].method, Method::kBye);
  // One bad field spoils the list, wherever it is.
  EXPECT_EQ(with({"Supported: a", "Supported: b c"}).supported().error(),
            ParseError::kBadOptionTag);
  EXPECT_EQ(with({"Allow: BYE", "Allow: <x>"}).allow().error(), ParseError::kBadAllow);
  EXPECT_TRUE(with({}).allow()->empty());
}

TEST(MessageHeaders, ReasonsAcrossFields) {
  const Message m = with({"Reason: SIP;cause=487", "Reason: Q.850;cause=16"});
  const auto reasons = m.reasons();  // views into m
  ASSERT_TRUE(reasons.has_value());
  ASSERT_EQ(reasons->size(), 2u);
  EXPECT_EQ((*reasons)[0].cause, 487u);
  EXPECT_EQ((*reasons)[1].protocol, "Q.850");
  EXPECT_TRUE(with({}).reasons()->empty());
  EXPECT_EQ(with({"Reason: SIP;cause=487", "Reason: ;x"}).reasons().error(),
            ParseError::kBadReason);
}

TEST(MessageHeaders, SingleValuedHeadersAbsentRepeatedOrParsed) {
  const Message none = with({});
  EXPECT_FALSE(none.session_expires()->has_value());
  EXPECT_FALSE(none.min_se()->has_value());
  EXPECT_FALSE(none.rseq()->has_value());
  EXPECT_FALSE(none.rack()->has_value());
  EXPECT_FALSE(none.retry_after()->has_value());
  EXPECT_FALSE(none.date()->has_value());

  const Message twice =
      with({"Session-Expires: 90", "x: 90", "Min-SE: 90", "Min-SE: 90", "RSeq: 1", "RSeq: 1",
            "RAck: 1 1 INVITE", "RAck: 1 1 INVITE", "Retry-After: 5", "Retry-After: 5",
            "Date: Sat, 13 Nov 2010 23:29:00 GMT", "Date: Sat, 13 Nov 2010 23:29:00 GMT"});
  EXPECT_EQ(twice.session_expires().error(), ParseError::kDuplicateHeader);  // x: is compact
  EXPECT_EQ(twice.min_se().error(), ParseError::kDuplicateHeader);
  EXPECT_EQ(twice.rseq().error(), ParseError::kDuplicateHeader);
  EXPECT_EQ(twice.rack().error(), ParseError::kDuplicateHeader);
  EXPECT_EQ(twice.retry_after().error(), ParseError::kDuplicateHeader);
  EXPECT_EQ(twice.date().error(), ParseError::kDuplicateHeader);

  const Message bad = with({"Session-Expires: soon", "Min-SE: x", "RSeq: 0", "RAck: 1",
                            "Retry-After: later", "Date: yesterday"});
  EXPECT_EQ(bad.session_expires().error(), ParseError::kBadSessionExpires);
  EXPECT_EQ(bad.min_se().error(), ParseError::kBadMinSe);
  EXPECT_EQ(bad.rseq().error(), ParseError::kBadRSeq);
  EXPECT_EQ(bad.rack().error(), ParseError::kBadRAck);
  EXPECT_EQ(bad.retry_after().error(), ParseError::kBadRetryAfter);
  EXPECT_EQ(bad.date().error(), ParseError::kBadDate);

  const Message good = with({"Session-Expires: 1800", "Min-SE: 90", "RSeq: 7", "RAck: 7 1 INVITE",
                             "Retry-After: 120 (maintenance);duration=60",
                             "Date:   Sat, 13 Nov 2010 23:29:00 GMT  "});
  EXPECT_EQ((*good.session_expires())->delta, 1800u);
  EXPECT_EQ(**good.min_se(), 90u);
  EXPECT_EQ(**good.rseq(), 7u);
  EXPECT_EQ((*good.rack())->rseq, 7u);
  EXPECT_EQ((*good.retry_after())->seconds, 120u);
  EXPECT_EQ((*good.retry_after())->comment, "maintenance");
  EXPECT_EQ((*good.retry_after())->duration, 60u);
  EXPECT_EQ(**good.date(), "Sat, 13 Nov 2010 23:29:00 GMT");  // without the surrounding space
}

// Credentials and challenges share a grammar but not an error: a bad one is counted apart.
TEST(MessageHeaders, AuthHeadersReportTheirOwnErrorKinds) {
  const std::string bad = ": Digest realm";  // a parameter without a value
  const Message m = with({"Authorization" + bad, "Proxy-Authorization" + bad,
                          "WWW-Authenticate" + bad, "Proxy-Authenticate" + bad});
  EXPECT_EQ(m.authorizations().error(), ParseError::kBadCredentials);
  EXPECT_EQ(m.proxy_authorizations().error(), ParseError::kBadCredentials);
  EXPECT_EQ(m.www_authenticates().error(), ParseError::kBadChallenge);
  EXPECT_EQ(m.proxy_authenticates().error(), ParseError::kBadChallenge);
  const Message two = with({"WWW-Authenticate: Digest realm=\"a\", nonce=\"1\"",
                            "WWW-Authenticate: Digest realm=\"a\", nonce=\"2\", algorithm=MD5"});
  const auto challenges = two.www_authenticates();
  ASSERT_TRUE(challenges.has_value());
  ASSERT_EQ(challenges->size(), 2u);
  EXPECT_EQ((*challenges)[1].find("nonce")->value, "\"2\"");  // as written
  EXPECT_TRUE(two.authorizations()->empty());
  // An unterminated quoted string is that, whichever the header.
  EXPECT_EQ(with({"Authorization: Digest realm=\"open"}).authorizations().error(),
            ParseError::kBadQuotedString);
}

}  // namespace
}  // namespace sbc::cp::sip
