// The message parser's own rules (message_parser.cc), beyond message_test's tour of the error
// values: the byte checks at every offset (their fast path reads eight bytes at a time), quoted
// pairs, how Via values are counted for the limit, each limit at its exact boundary, response
// framing, and stream_frame_length() on the headers that decide a frame's length.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/sip/message.h"
#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_error;
using testing::parse_ok;

std::string options_with(std::string_view field) {
  return "OPTIONS sip:x@y SIP/2.0\r\n" + std::string(field) + "\r\n\r\n";
}

bool forbidden(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

// Every byte value at every offset of a header value and of the start line: refused exactly
// when it is a control byte other than HTAB (CR included: a lone CR ends no line).
TEST(MessageParser, ControlBytesAreFoundAtEveryOffset) {
  const std::string value = "abcdefghijklmnopqrstu";  // 21 bytes: two 8-byte steps and a tail
  for (size_t at = 0; at < value.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      const auto c = static_cast<unsigned char>(b);
      if (c == '\n') continue;  // ends the line
      std::string v = value;
      v[at] = static_cast<char>(c);
      auto m = Message::parse(options_with("X-Test: " + v));
      if (forbidden(c) || c == '\r') {
        ASSERT_FALSE(m.has_value()) << "byte " << b << " at " << at;
        EXPECT_EQ(m.error(), ParseError::kInvalidCharacter) << "byte " << b << " at " << at;
      } else {
        ASSERT_TRUE(m.has_value()) << "byte " << b << " at " << at;
      }
    }
  }
  for (size_t at = 0; at < 10; ++at) {
    for (unsigned char c : {0x00, 0x01, 0x1f, 0x7f, 0x0d}) {
      std::string uri = "sip:abcdefghij@y";
      uri[4 + at] = static_cast<char>(c);
      EXPECT_EQ(parse_error("OPTIONS " + uri + " SIP/2.0\r\n\r\n"), ParseError::kInvalidCharacter)
          << "byte " << int(c) << " at " << at;
    }
  }
}

// RFC 3261 §25.1: a quoted-pair may escape a control byte inside a quoted string, nowhere else.
TEST(MessageParser, QuotedPairMayCarryAControlByte) {
  const Message m = parse_ok(options_with(std::string("X-Q: \"a\\\x01z\", next")));
  EXPECT_EQ(m.header("X-Q"), std::string("\"a\\\x01z\", next"));
  EXPECT_EQ(parse_error(options_with(std::string("X-Q: a\\\x01z"))),
            ParseError::kInvalidCharacter);  // not quoted
  EXPECT_EQ(parse_error(options_with(std::string("X-Q: \"a\x01z\""))),
            ParseError::kInvalidCharacter);  // quoted but not escaped
  // An escaped quote does not close the string: the control byte after it is still inside.
  EXPECT_TRUE(Message::parse(options_with(std::string("X-Q: \"a\\\"\\\x02\""))).has_value());
}

TEST(MessageParser, ViaLimitCountsValuesNotCommasInQuotesOrAngles) {
  Limits limits;
  limits.max_vias = 2;
  const std::string quoted = "SIP/2.0/UDP h;branch=z9hG4bK1;x=\"a,b,c\"";
  const std::string angled = "SIP/2.0/UDP h;branch=z9hG4bK2;y=<p,q,r>";
  EXPECT_TRUE(Message::parse(options_with("Via: " + quoted + ", " + angled), limits).has_value());
  EXPECT_EQ(parse_error(options_with("Via: " + quoted + ", " + angled + ", SIP/2.0/UDP h"), limits),
            ParseError::kTooManyVias);
  // Values of every Via field add up, compact form included.
  EXPECT_EQ(parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", "Via: " + quoted, "v: " + angled,
                              "Via: SIP/2.0/UDP h", ""}),
                        limits),
            ParseError::kTooManyVias);
  // Other list headers are not counted.
  EXPECT_TRUE(Message::parse(options_with("Allow: A, B, C, D, E"), limits).has_value());
}

TEST(MessageParser, HeaderNames) {
  const Message m = parse_ok(options_with("Via \t: SIP/2.0/UDP h;branch=z9hG4bK1"));
  EXPECT_EQ(m.headers().front().name, "Via");
  EXPECT_EQ(m.headers().front().id, HeaderId::kVia);
  EXPECT_EQ(parse_error(options_with("Bad Name: x")), ParseError::kBadHeaderLine);
  EXPECT_EQ(parse_error(options_with(": x")), ParseError::kBadHeaderLine);
  EXPECT_EQ(parse_error(options_with("X<y>: x")), ParseError::kBadHeaderLine);
  // Folded values join the field; their leading whitespace stays inside it.
  const Message folded = parse_ok(crlf({"OPTIONS sip:x@y SIP/2.0", "Subject: a", "\tb", ""}));
  EXPECT_EQ(folded.headers().size(), 1u);
  EXPECT_NE(folded.header(HeaderId::kSubject).find('b'), std::string_view::npos);
}

TEST(MessageParser, VersionIsCaseInsensitiveAndStatusLinesAreStrict) {
  EXPECT_EQ(parse_ok("OPTIONS sip:x@y sip/2.0\r\n\r\n").sip_version(), "sip/2.0");
  EXPECT_EQ(parse_ok("sip/2.0 200 OK\r\n\r\n").status_code(), 200);
  EXPECT_EQ(parse_ok("SIP/2.0 699 Odd\r\n\r\n").status_code(), 699);
  EXPECT_EQ(parse_ok("SIP/2.0 100 \r\n\r\n").reason_phrase(), "");
  EXPECT_EQ(parse_error("SIP/2.0 700 No\r\n\r\n"), ParseError::kBadStatusCode);
  EXPECT_EQ(parse_error("SIP/2.0 2x0 No\r\n\r\n"), ParseError::kBadStatusCode);
  EXPECT_EQ(parse_error("SIP/2.0 \r\n\r\n"), ParseError::kBadStatusCode);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y SIP/2.\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y SIP/.0\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y SIP/2.0a\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("\r\nOPTIONS\r\n\r\n"), ParseError::kBadStartLine);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y   \r\n\r\n"), ParseError::kBadStartLine);
}

// Each limit holds its value and refuses one more.
TEST(MessageParser, LimitsAtTheirExactBoundary) {
  Limits limits;
  limits.max_headers = 3;
  limits.max_header_line = 20;
  limits.max_body = 5;
  const std::string three = crlf({"OPTIONS sip:x@y SIP/2.0", "a: 1", "b: 2", "l: 5", ""});
  EXPECT_TRUE(Message::parse(three + "12345", limits).has_value());
  EXPECT_EQ(
      parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", "a: 1", "b: 2", "c: 3", "l: 0", ""}), limits),
      ParseError::kTooManyHeaders);
  // Bytes after Content-Length are ignored, not counted as body.
  EXPECT_EQ(Message::parse(three + "123456", limits)->body(), "12345");
  EXPECT_EQ(parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", "l: 6", ""}) + "123456", limits),
            ParseError::kBodyTooLarge);
  const std::string twenty = "X-A: " + std::string(15, 'x');  // exactly 20 bytes
  EXPECT_TRUE(Message::parse(options_with(twenty), limits).has_value());
  EXPECT_EQ(parse_error(options_with(twenty + "x"), limits), ParseError::kHeaderLineTooLong);
  EXPECT_EQ(parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", twenty, " y", ""}), limits),
            ParseError::kHeaderLineTooLong);  // folding counts
  Limits size;
  const std::string message = options_with("X-A: 1");
  size.max_message = message.size();
  EXPECT_TRUE(Message::parse(message, size).has_value());
  size.max_message = message.size() - 1;
  EXPECT_EQ(parse_error(message, size), ParseError::kMessageTooLarge);
}

// Only a datagram request is delimited despite a bad Content-Length (so it can be answered 400);
// a response has no one to answer it.
TEST(MessageParser, ResponsesNeedAUsableContentLength) {
  EXPECT_EQ(parse_error("SIP/2.0 200 OK\r\nl: x\r\n\r\n"), ParseError::kBadContentLength);
  EXPECT_EQ(parse_error("SIP/2.0 200 OK\r\nl: 1\r\nl: 2\r\n\r\nab"), ParseError::kDuplicateHeader);
  // Repeating the same value is no conflict.
  EXPECT_EQ(parse_ok("SIP/2.0 200 OK\r\nl: 2\r\nContent-Length: 2\r\n\r\nabcd").body(), "ab");
  // A datagram response without Content-Length takes the rest of the datagram.
  EXPECT_EQ(parse_ok("SIP/2.0 200 OK\r\n\r\nxyz").body(), "xyz");
}

TEST(MessageParser, DatagramMayEndAfterItsLastHeaderLine) {
  const Message m =
      parse_ok("OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nSubject: a\r\n b\r\n");
  EXPECT_EQ(m.headers().size(), 2u);
  EXPECT_TRUE(m.body().empty());
  // On a stream the same bytes are not a message yet.
  auto s = Message::parse("OPTIONS sip:x@y SIP/2.0\r\nl: 0\r\n", {}, Framing::kStream);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), ParseError::kNoHeaderEnd);
}

TEST(StreamFrameLength, ContentLengthInAnyFormAndCase) {
  const std::string body = "abc";
  for (const char* header :
       {"Content-Length: 3", "l: 3", "content-length:3", "CONTENT-LENGTH \t: 3"}) {
    const std::string frame = crlf({"OPTIONS sip:x@y SIP/2.0", header, ""}) + body;
    EXPECT_EQ(stream_frame_length(frame + "NEXT"), frame.size()) << header;
  }
  // The start line is no header, and a folded line is no new header.
  const std::string tricky =
      crlf({"OPTIONS sip:l:9@y SIP/2.0", "Subject: x", " l: 9", "l: 3", ""}) + body;
  EXPECT_EQ(stream_frame_length(tricky), tricky.size());
  // Bare LF line ends.
  EXPECT_EQ(stream_frame_length("OPTIONS sip:x@y SIP/2.0\nl: 1\n\nz"), 31u);
}

TEST(StreamFrameLength, LengthsThatCannotDelimitAFrameAreErrors) {
  EXPECT_EQ(
      stream_frame_length(crlf({"OPTIONS sip:x@y SIP/2.0", "l: 3", "l: 4", ""}) + "abcd").error(),
      ParseError::kDuplicateHeader);
  EXPECT_EQ(stream_frame_length(crlf({"OPTIONS sip:x@y SIP/2.0", "l: 3", "l: 3", ""}) + "abc")
                .value_or(0),
            crlf({"OPTIONS sip:x@y SIP/2.0", "l: 3", "l: 3", ""}).size() + 3);
  EXPECT_EQ(stream_frame_length(crlf({"OPTIONS sip:x@y SIP/2.0", "l: three", ""})).error(),
            ParseError::kBadContentLength);
  EXPECT_EQ(stream_frame_length(crlf({"OPTIONS sip:x@y SIP/2.0", "l: -1", ""})).error(),
            ParseError::kBadContentLength);
  Limits limits;
  limits.max_body = 10;
  limits.max_message = 60;
  EXPECT_EQ(stream_frame_length(crlf({"OPTIONS sip:x@y SIP/2.0", "l: 11", ""}), limits).error(),
            ParseError::kBodyTooLarge);
  // Headers and body together over max_message, known before the body arrives.
  EXPECT_EQ(
      stream_frame_length(
          crlf({"OPTIONS sip:x@y SIP/2.0", "X-Pad: " + std::string(10, 'p'), "l: 10", ""}), limits)
          .error(),
      ParseError::kMessageTooLarge);
  // A header section that never ends is refused once it passes max_message.
  EXPECT_EQ(
      stream_frame_length("OPTIONS sip:x@y SIP/2.0\r\nX: " + std::string(100, 'a'), limits).error(),
      ParseError::kMessageTooLarge);
  EXPECT_EQ(stream_frame_length("\r\n\r\n").error(), ParseError::kIncomplete);  // keep-alives only
}

}  // namespace
}  // namespace sbc::cp::sip
