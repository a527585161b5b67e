#include "controlplane/transport/stream_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::cp {
namespace {

using Kind = StreamFramer::Frame::Kind;

std::string message(int n, std::string_view body = {}) {
  return "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK" +
         std::to_string(n) + "\r\nCall-ID: " + std::to_string(n) +
         "\r\nCSeq: 1 OPTIONS\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// Drains everything complete; "PING" stands for a keep-alive.
std::vector<std::string> drain(StreamFramer& framer) {
  std::vector<std::string> out;
  while (true) {
    auto frame = framer.next();
    EXPECT_TRUE(frame.has_value());
    if (!frame || frame->kind == Kind::kNeedMore) return out;
    out.push_back(frame->kind == Kind::kPing ? "PING" : frame->message);
  }
}

TEST(StreamFramerTest, MessageSplitByteByByte) {
  const std::string m = message(1, "v=0\r\n");
  StreamFramer framer;
  std::vector<std::string> got;
  for (char c : m) {
    ASSERT_TRUE(framer.append(std::string_view(&c, 1)));
    for (auto& s : drain(framer)) got.push_back(s);
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], m);
  EXPECT_EQ(framer.buffered(), 0u);
}

// One byte per read over a ~60 kB header: the parser sees each byte about once, not once per read.
TEST(StreamFramerTest, ByteByByteWorkIsLinear) {
  std::string m = "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: big\r\nCSeq: 1 OPTIONS\r\n";
  while (m.size() < 60000) m += "X-Pad: " + std::string(70, 'p') + "\r\n";
  m += "l: 100\r\n\r\n" + std::string(100, 'b');
  // Bare-LF line ends and a stray leading LF frame the same way.
  const std::string lf = "\nOPTIONS sip:a SIP/2.0\nCall-ID: x\nContent-Length: 3\n\nabc";
  StreamFramer framer;
  std::vector<std::string> got;
  for (char c : m + lf) {
    ASSERT_TRUE(framer.append(std::string_view(&c, 1)));
    for (auto& s : drain(framer)) got.push_back(s);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], m);
  EXPECT_EQ(got[1], lf);
  EXPECT_EQ(framer.buffered(), 0u);
  EXPECT_LE(framer.parsed_bytes(), 2 * (m.size() + lf.size()));
}

TEST(StreamFramerTest, SeveralMessagesAndCrlfsInOneRead) {
  StreamFramer framer;
  ASSERT_TRUE(framer.append("\r\n" + message(1) + message(2, "body") + "\r\n" + message(3)));
  EXPECT_EQ(drain(framer), (std::vector<std::string>{message(1), message(2, "body"), message(3)}));
}

TEST(StreamFramerTest, DoubleCrlfIsAPing) {
  StreamFramer framer;
  ASSERT_TRUE(framer.append("\r\n\r\n"));
  EXPECT_EQ(drain(framer), std::vector<std::string>{"PING"});
  // A ping split across reads is recognised once complete.
  ASSERT_TRUE(framer.append("\r\n\r"));
  EXPECT_TRUE(drain(framer).empty());
  ASSERT_TRUE(framer.append("\n" + message(7)));
  EXPECT_EQ(drain(framer), (std::vector<std::string>{"PING", message(7)}));
}

TEST(StreamFramerTest, UnframeableBytesAreAnError) {
  StreamFramer framer;
  ASSERT_TRUE(framer.append("OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n"));  // no Content-Length
  auto frame = framer.next();
  ASSERT_FALSE(frame.has_value());
  EXPECT_EQ(frame.error(), sip::ParseError::kMissingHeader);
}

// RFC 4475 mcl01 on a stream: two different Content-Lengths make the frame boundary ambiguous (a
// request could be smuggled in the body), so the frame fails and the connection is closed.
TEST(StreamFramerTest, ConflictingContentLengthsAreAnError) {
  StreamFramer framer;
  const std::string inner = message(2);
  ASSERT_TRUE(framer.append("OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\nContent-Length: " +
                            std::to_string(inner.size()) + "\r\nl: 0\r\n\r\n" + inner));
  auto frame = framer.next();
  ASSERT_FALSE(frame.has_value());
  EXPECT_EQ(frame.error(), sip::ParseError::kDuplicateHeader);
}

TEST(StreamFramerTest, OversizedMessageIsAnErrorNotGrowth) {
  sip::Limits limits;
  limits.max_message = 1024;
  StreamFramer framer(limits);
  std::string head = "OPTIONS sip:a SIP/2.0\r\nX: " + std::string(2000, 'a');
  ASSERT_TRUE(framer.append(head));
  auto frame = framer.next();
  ASSERT_FALSE(frame.has_value());
  EXPECT_EQ(frame.error(), sip::ParseError::kMessageTooLarge);
  // The buffer itself is bounded too.
  StreamFramer bounded(limits);
  EXPECT_FALSE(bounded.append(std::string(limits.max_message + StreamFramer::kReadChunk + 1, 'a')));
}

}  // namespace
}  // namespace sbc::cp
