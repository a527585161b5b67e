#include "api/mgmt_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::api {
namespace {

TEST(MgmtProtocolTest, RequestRoundTrip) {
  MgmtRequest request{
      .id = 42, .command = {"show", "call", "a b\"c"}, .format = OutputFormat::kJson};
  auto line = encode_request(request);
  ASSERT_TRUE(line.has_value()) << line.error();
  EXPECT_EQ(line->back(), '\n');
  EXPECT_EQ(line->find('\n'), line->size() - 1) << "exactly one newline, at the end";
  auto decoded = decode_request(*line);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(*decoded, request);
}

TEST(MgmtProtocolTest, ReplyRoundTrip) {
  MgmtReply ok = MgmtReply::success(7, "line 1\nline 2\n", {{"calls", {1, 2}}});
  auto line = encode_reply(ok);
  ASSERT_TRUE(line.has_value()) << line.error();
  EXPECT_EQ(line->find('\n'), line->size() - 1);
  auto decoded = decode_reply(*line);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(*decoded, ok);

  MgmtReply failed = MgmtReply::failure(8, "unknown command 'x'");
  auto failed_line = encode_reply(failed);
  ASSERT_TRUE(failed_line.has_value());
  auto failed_decoded = decode_reply(*failed_line);
  ASSERT_TRUE(failed_decoded.has_value()) << failed_decoded.error();
  EXPECT_EQ(*failed_decoded, failed);
}

TEST(MgmtProtocolTest, RequestDefaultsAreTextAndIdZero) {
  auto decoded = decode_request(R"({"command":["help"]})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(decoded->id, 0u);
  EXPECT_EQ(decoded->format, OutputFormat::kText);
  EXPECT_EQ(decoded->command, std::vector<std::string>{"help"});
}

TEST(MgmtProtocolTest, ToleratesCrlfAndUnknownMembers) {
  auto decoded = decode_request("{\"id\":3,\"command\":[\"help\"],\"future\":true}\r\n");
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(decoded->id, 3u);
}

TEST(MgmtProtocolTest, MalformedRequestsAreRejected) {
  const char* bad[] = {
      "",
      "not json",
      "{\"command\":[\"help\"]",             // truncated
      "[\"help\"]",                          // not an object
      "{}",                                  // no command
      "{\"command\":[]}",                    // empty command
      "{\"command\":\"help\"}",              // not an array
      "{\"command\":[\"show\",1]}",          // not strings
      "{\"id\":-1,\"command\":[\"help\"]}",  // negative id
      "{\"id\":\"1\",\"command\":[\"help\"]}",
      "{\"command\":[\"help\"],\"format\":\"xml\"}",
      "{\"command\":[\"help\"],\"format\":1}",
      "{\"command\":[\"\xff\"]}",  // invalid UTF-8
  };
  for (const char* line : bad) {
    auto decoded = decode_request(line);
    EXPECT_FALSE(decoded.has_value()) << "accepted: " << line;
    if (!decoded) {
      EXPECT_FALSE(decoded.error().empty());
    }
  }
}

TEST(MgmtProtocolTest, MalformedRepliesAreRejected) {
  const char* bad[] = {
      "{\"id\":1}",                         // no ok
      "{\"id\":1,\"ok\":\"yes\"}",          // ok not boolean
      "{\"id\":1,\"ok\":false}",            // failure without error
      "{\"id\":1,\"ok\":true,\"text\":5}",  // text not a string
      "{\"id\":1,\"ok\":false,\"error\":[]}",
  };
  for (const char* line : bad) EXPECT_FALSE(decode_reply(line).has_value()) << "accepted: " << line;
}

TEST(MgmtProtocolTest, OversizedRequestIsRejectedBothWays) {
  MgmtRequest request{.id = 1, .command = {"x", std::string(kMaxRequestSize, 'a')}};
  auto line = encode_request(request);
  ASSERT_FALSE(line.has_value());
  EXPECT_NE(line.error().find("exceeds"), std::string::npos) << line.error();

  std::string huge = R"({"command":["x",")" + std::string(kMaxRequestSize, 'a') + "\"]}";
  auto decoded = decode_request(huge);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().find("exceeds"), std::string::npos) << decoded.error();
}

TEST(MgmtProtocolTest, EmptyCommandCannotBeEncoded) {
  EXPECT_FALSE(encode_request(MgmtRequest{}).has_value());
}

TEST(MgmtProtocolTest, InvalidUtf8InOutputIsReplacedNotFatal) {
  auto line = encode_reply(MgmtReply::success(1, "agent \xff\xfe\n", nullptr));
  ASSERT_TRUE(line.has_value()) << line.error();
  auto decoded = decode_reply(*line);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(decoded->text, "agent \xEF\xBF\xBD\xEF\xBF\xBD\n");
}

TEST(LineFramerTest, SplitsLinesAcrossArbitraryChunks) {
  LineFramer framer(100);
  framer.append("ab");
  auto none = framer.next();
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  framer.append("c\nde\n\nf");
  EXPECT_EQ(framer.next().value(), "abc");
  EXPECT_EQ(framer.next().value(), "de");
  EXPECT_EQ(framer.next().value(), "");
  EXPECT_EQ(framer.next().value(), std::nullopt);
  EXPECT_EQ(framer.pending(), 1u);
  framer.append("g\n");
  EXPECT_EQ(framer.next().value(), "fg");
  EXPECT_EQ(framer.pending(), 0u);
}

TEST(LineFramerTest, LineAtTheBoundIsAcceptedOneMoreIsNot) {
  LineFramer framer(5);  // 4 bytes + '\n'
  framer.append("abcd\n");
  EXPECT_EQ(framer.next().value(), "abcd");
  framer.append("abcde\n");
  EXPECT_FALSE(framer.next().has_value());
}

TEST(LineFramerTest, UnterminatedOversizedLineFailsAndStaysFailed) {
  LineFramer framer(8);
  framer.append("1234567");
  EXPECT_EQ(framer.next().value(), std::nullopt);
  framer.append("8");
  auto result = framer.next();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("limit of 8"), std::string::npos) << result.error();
  framer.append("\nok\n");
  EXPECT_FALSE(framer.next().has_value()) << "no resynchronisation after an oversized line";
}

}  // namespace
}  // namespace sbc::api
