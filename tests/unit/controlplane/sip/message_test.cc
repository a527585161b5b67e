#include "controlplane/sip/message.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_error;
using testing::parse_ok;

const std::string kSdp =
    "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\n";

std::string invite() {
  return crlf({"INVITE sip:bob@biloxi.example.com SIP/2.0",
               "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;rport",
               "Via: SIP/2.0/UDP proxy.example.com:5070;branch=z9hG4bK1, SIP/2.0/TCP "
               "[2001:db8::1];branch=z9hG4bK2",
               "Max-Forwards: 70", "To: Bob <sip:bob@biloxi.example.com>",
               "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774",
               "Call-ID: a84b4c76e66710@pc33.atlanta.example.com", "CSeq: 314159 INVITE",
               "Contact: <sip:alice@192.0.2.10:5060;transport=udp>",
               "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
               "Route: <sip:p3.example.com;lr>", "X-Custom: hello", "Content-Type: application/sdp",
               "Content-Length: " + std::to_string(kSdp.size()), ""}) +
         kSdp;
}

TEST(Message, ParsesInvite) {
  const Message m = parse_ok(invite());
  ASSERT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.method_text(), "INVITE");
  EXPECT_EQ(m.request_uri_text(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(m.request_uri()->user, "bob");
  EXPECT_EQ(m.body(), kSdp);
  EXPECT_EQ(m.raw(), invite());
  EXPECT_TRUE(m.validate().has_value());

  auto vias = m.vias();
  ASSERT_TRUE(vias);
  ASSERT_EQ(vias->size(), 3u);
  EXPECT_EQ((*vias)[0].branch, "z9hG4bKnashds8");
  EXPECT_TRUE((*vias)[0].rport_present);
  EXPECT_EQ((*vias)[1].port, 5070);
  EXPECT_EQ((*vias)[2].transport, "TCP");
  EXPECT_EQ((*vias)[2].host, "2001:db8::1");
  EXPECT_EQ(m.top_via()->host, "pc33.atlanta.example.com");

  EXPECT_EQ(m.from()->tag(), "1928301774");
  EXPECT_EQ(m.from()->display_name, "Alice");
  EXPECT_TRUE(m.to()->tag().empty());
  EXPECT_EQ(*m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq()->number, 314159u);
  EXPECT_EQ(m.cseq()->method, Method::kInvite);
  EXPECT_EQ(**m.max_forwards(), 70u);
  EXPECT_EQ(m.contacts()->entries.at(0).uri.port, 5060);
  EXPECT_TRUE((*m.content_type())->is("Application", "SDP"));
  EXPECT_EQ(**m.content_length(), kSdp.size());
  EXPECT_FALSE(*m.expires());
  ASSERT_EQ(m.record_routes()->size(), 2u);
  EXPECT_EQ((*m.record_routes())[1].uri.host, "p2.example.com");
  EXPECT_EQ(m.routes()->size(), 1u);
  EXPECT_EQ(m.header("x-custom"), "hello");
  EXPECT_EQ(m.find("X-CUSTOM")->id, HeaderId::kOther);
  EXPECT_EQ(m.count(HeaderId::kVia), 2u);
  EXPECT_EQ(m.values(HeaderId::kVia)->size(), 3u);
}

TEST(Message, CopiesShareTheBuffer) {
  std::optional<Message> copy;
  std::string_view call_id;
  {
    const Message m = parse_ok(invite());
    copy = m;
    call_id = *m.call_id();
  }
  EXPECT_EQ(*copy->call_id(), call_id);  // views survive the original
}

TEST(Message, CompactFormsMixedCaseAndFolding) {
  const Message m = parse_ok(
      crlf({"BYE sip:alice@192.0.2.10 SIP/2.0", "v: SIP/2.0/UDP 198.51.100.10;branch=z9hG4bKbye",
            "MAX-FORWARDS:   69", "f: <sip:bob@biloxi.example.com>;tag=8321234356",
            "t: <sip:alice@atlanta.example.com>", "  ;tag=1928301774", "i: a84b4c76e66710",
            "cseq: 231 BYE", "l: 0", ""}));
  EXPECT_EQ(m.method(), Method::kBye);
  EXPECT_TRUE(m.validate().has_value());
  EXPECT_EQ(m.to()->tag(), "1928301774");
  EXPECT_EQ(*m.call_id(), "a84b4c76e66710");
  EXPECT_EQ(**m.max_forwards(), 69u);
  EXPECT_EQ(m.find(HeaderId::kVia)->name, "v");
  EXPECT_TRUE(m.body().empty());
}

TEST(Message, ParsesResponsesAckCancelRegister) {
  const Message ok =
      parse_ok(crlf({"SIP/2.0 200 OK",
                     "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKx;received=192.0.2.10;rport=5062",
                     "From: <sip:a@x>;tag=1", "To: <sip:b@y>;tag=2", "Call-ID: c1",
                     "CSeq: 1 INVITE", "Contact: <sip:b@198.51.100.10>", "Content-Length: 0", ""}));
  EXPECT_TRUE(ok.is_response());
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.reason_phrase(), "OK");
  EXPECT_TRUE(ok.validate().has_value());
  EXPECT_EQ(ok.top_via()->rport, 5062);

  const Message ack =
      parse_ok(crlf({"ACK sip:b@198.51.100.10 SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
                     "From: <sip:a@x>;tag=1", "To: <sip:b@y>;tag=2", "Call-ID: c1", "CSeq: 1 ACK",
                     "Max-Forwards: 70", "", ""}));
  EXPECT_EQ(ack.method(), Method::kAck);
  EXPECT_TRUE(ack.validate().has_value());

  const Message cancel = parse_ok(
      crlf({"CANCEL sip:b@y SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa", "From: <sip:a@x>;tag=1",
            "To: <sip:b@y>", "Call-ID: c1", "CSeq: 1 CANCEL", "", ""}));
  EXPECT_EQ(cancel.method(), Method::kCancel);
  EXPECT_TRUE(cancel.validate().has_value());

  const Message reg =
      parse_ok(crlf({"REGISTER sip:example.com SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKr",
                     "From: <sip:a@example.com>;tag=1", "To: <sip:a@example.com>", "Call-ID: r1",
                     "CSeq: 2 REGISTER", "Contact: *", "Expires: 0", "Content-Length: 0", ""}));
  EXPECT_TRUE(reg.contacts()->wildcard);
  EXPECT_EQ(**reg.expires(), 0u);
  const Message reg2 =
      parse_ok(crlf({"REGISTER sip:example.com SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKr",
                     "From: <sip:a@example.com>;tag=1", "To: <sip:a@example.com>", "Call-ID: r1",
                     "CSeq: 3 REGISTER", "m: <sip:a@10.0.0.1>;expires=60, \"x,y\" <sip:a@10.0.0.2>",
                     "Contact: sip:a@10.0.0.3;q=0.5", "", ""}));
  auto c = reg2.contacts();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->entries.size(), 3u);
  EXPECT_EQ(c->entries[1].display_name, "x,y");
  EXPECT_EQ(c->entries[2].param("q")->value, "0.5");
}

TEST(Message, UnknownMethodAndNoReason) {
  const Message m = parse_ok(
      crlf({"FOO sip:x@y SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa", "From: <sip:a@x>;tag=1",
            "To: <sip:b@y>", "Call-ID: c1", "CSeq: 1 FOO", "", ""}));
  EXPECT_EQ(m.method(), Method::kOther);
  EXPECT_EQ(m.method_text(), "FOO");
  EXPECT_TRUE(m.validate().has_value());
  EXPECT_EQ(parse_ok(crlf({"SIP/2.0 180", "", ""})).reason_phrase(), "");
}

TEST(Message, DatagramBodyRulesAndKeepalives) {
  // No Content-Length on UDP: the body is the rest of the datagram.
  const Message m = parse_ok(
      crlf({"OPTIONS sip:x@y SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa", ""}) + "rest");
  EXPECT_EQ(m.body(), "rest");
  // Bytes after Content-Length are ignored; leading CRLFs skipped.
  const Message n = parse_ok("\r\n" + crlf({"OPTIONS sip:x@y SIP/2.0", "l: 2", ""}) + "abcd");
  EXPECT_EQ(n.body(), "ab");
  EXPECT_EQ(n.raw(), crlf({"OPTIONS sip:x@y SIP/2.0", "l: 2", ""}) + "ab");
  // Bare LF line ends are tolerated.
  EXPECT_EQ(parse_ok("OPTIONS sip:x@y SIP/2.0\nl: 0\n\n").headers().size(), 1u);
}

TEST(Message, LimitsAreDistinctErrors) {
  Limits small;
  EXPECT_EQ(parse_error(std::string(70000, 'a')), ParseError::kMessageTooLarge);
  small.max_headers = 3;
  EXPECT_EQ(
      parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", "a: 1", "b: 2", "c: 3", "d: 4", ""}), small),
      ParseError::kTooManyHeaders);
  EXPECT_EQ(parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", "X-Long: " + std::string(9000, 'x'), ""})),
            ParseError::kHeaderLineTooLong);
  EXPECT_EQ(
      parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", "X-Long: a", " " + std::string(9000, 'x'), ""})),
      ParseError::kHeaderLineTooLong);
  std::string many_vias = "Via: SIP/2.0/UDP h;branch=z9hG4bK0";
  for (int i = 1; i < 65; ++i) many_vias += ", SIP/2.0/UDP h;branch=z9hG4bK" + std::to_string(i);
  EXPECT_EQ(parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", many_vias, ""})),
            ParseError::kTooManyVias);
  EXPECT_EQ(parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", "Content-Length: 40000", ""}) +
                        std::string(40000, 'b')),
            ParseError::kBodyTooLarge);
  EXPECT_EQ(parse_error(crlf({"OPTIONS sip:x@y SIP/2.0", ""}) + std::string(40000, 'b')),
            ParseError::kBodyTooLarge);
}

ParseError stream_error(std::string text) {
  auto m = Message::parse(std::move(text), {}, Framing::kStream);
  EXPECT_FALSE(m.has_value());
  return m ? ParseError::kEmpty : m.error();
}

// Parses (datagram) and returns what validate() reports.
ParseError defect(std::string text) {
  const Message m = testing::parse_ok(std::move(text));
  const auto v = m.validate();
  EXPECT_FALSE(v.has_value());
  return v ? ParseError::kEmpty : v.error();
}

TEST(Message, MalformedInputsAreErrors) {
  EXPECT_EQ(parse_error(""), ParseError::kEmpty);
  EXPECT_EQ(parse_error("\r\n\r\n"), ParseError::kEmpty);
  EXPECT_EQ(parse_error("garbage"), ParseError::kNoHeaderEnd);
  // A stream must see the empty line; a datagram may end after its last header line.
  EXPECT_EQ(stream_error("OPTIONS sip:x@y SIP/2.0\r\nVia: x\r\n"), ParseError::kNoHeaderEnd);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y SIP/2.0\r\nVia: x"), ParseError::kNoHeaderEnd);
  EXPECT_EQ(testing::parse_ok("OPTIONS sip:x@y SIP/2.0\r\nVia: x\r\n").header(HeaderId::kVia), "x");
  // Body framing: errors on a stream and for responses; defects reported by validate() for
  // datagram requests (which can then be answered 400).
  EXPECT_EQ(stream_error("OPTIONS sip:x@y SIP/2.0\r\nl: 10\r\n\r\nabc"),
            ParseError::kBodyTruncated);
  EXPECT_EQ(parse_error("SIP/2.0 200 OK\r\nl: 10\r\n\r\nabc"), ParseError::kBodyTruncated);
  EXPECT_EQ(stream_error("OPTIONS sip:x@y SIP/2.0\r\nl: -1\r\n\r\n"),
            ParseError::kBadContentLength);
  EXPECT_EQ(stream_error("OPTIONS sip:x@y SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab"),
            ParseError::kDuplicateHeader);
  EXPECT_EQ(defect("OPTIONS sip:x@y SIP/2.0\r\nl: 10\r\n\r\nabc"), ParseError::kBodyTruncated);
  EXPECT_EQ(defect("OPTIONS sip:x@y SIP/2.0\r\nl: -1\r\n\r\n"), ParseError::kBadContentLength);
  EXPECT_EQ(defect("OPTIONS sip:x@y SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab"),
            ParseError::kDuplicateHeader);
  // Request lines: a "SIP/x.y" version other than 2.0 parses (answered 505), so do extra
  // spaces and malformed Request-URIs (answered 400); anything else is a parse error.
  EXPECT_EQ(defect("OPTIONS sip:x@y SIP/3.0\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(testing::parse_ok("OPTIONS sip:x@y SIP/3.0\r\n\r\n").sip_version(), "SIP/3.0");
  EXPECT_EQ(defect("OPTIONS <sip:x@y> SIP/2.0\r\n\r\n"), ParseError::kBadRequestUri);
  EXPECT_EQ(defect("OPTIONS  sip:x@y SIP/2.0\r\n\r\n"), ParseError::kBadStartLine);
  EXPECT_EQ(defect("OPTIONS sip:x@y SIP/2.0 \r\n\r\n"), ParseError::kBadStartLine);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y HTTP/1.1\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y SIP/2\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("SIP/3.0 200 OK\r\n\r\n"), ParseError::kBadVersion);
  EXPECT_EQ(parse_error("OPT@IONS sip:x@y SIP/2.0\r\n\r\n"), ParseError::kBadMethod);
  EXPECT_EQ(parse_error("OPTIONS SIP/2.0\r\n\r\n"), ParseError::kBadStartLine);
  EXPECT_EQ(parse_error("SIP/2.0 99 Low\r\n\r\n"), ParseError::kBadStatusCode);
  EXPECT_EQ(parse_error("SIP/2.0 2000 OK\r\n\r\n"), ParseError::kBadStatusCode);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y SIP/2.0\r\nNoColon\r\n\r\n"), ParseError::kBadHeaderLine);
  EXPECT_EQ(parse_error("OPTIONS sip:x@y SIP/2.0\r\n folded-first: x\r\n\r\n"),
            ParseError::kBadHeaderLine);
  EXPECT_EQ(parse_error(std::string("OPTIONS sip:x@y SIP/2.0\r\nX: a\0b\r\n\r\n", 36)),
            ParseError::kInvalidCharacter);
}

TEST(Message, AccessorErrors) {
  auto msg = [](std::string_view extra) {
    return parse_ok(crlf({"INVITE sip:x@y SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
                          "From: <sip:a@x>;tag=1", "To: <sip:b@y>", "Call-ID: c1", extra, ""}));
  };
  EXPECT_EQ(msg("CSeq: abc INVITE").cseq().error(), ParseError::kBadCSeq);
  EXPECT_EQ(msg("CSeq: 1").cseq().error(), ParseError::kBadCSeq);
  EXPECT_EQ(msg("CSeq: 2147483648 INVITE").cseq().error(), ParseError::kBadCSeq);
  EXPECT_EQ(msg("CSeq: 1 BYE").validate().error(), ParseError::kCSeqMethodMismatch);
  EXPECT_EQ(msg("X: y").validate().error(), ParseError::kMissingHeader);
  EXPECT_EQ(msg("Max-Forwards: 256").max_forwards().error(), ParseError::kBadMaxForwards);
  EXPECT_EQ(msg("Expires: 99999999999").expires().error(), ParseError::kBadExpires);
  EXPECT_EQ(msg("Content-Type: sdp").content_type().error(), ParseError::kBadContentType);
  EXPECT_EQ(msg("To: <sip:c@d>").to().error(), ParseError::kDuplicateHeader);
  EXPECT_EQ(msg("Call-ID: two words").call_id().error(), ParseError::kDuplicateHeader);
  EXPECT_EQ(msg("Via: SIP/2.0/UDP").vias().error(), ParseError::kBadVia);
  EXPECT_EQ(msg("Contact: *, <sip:a@b>").contacts().error(), ParseError::kBadNameAddr);
}

TEST(Message, StreamFraming) {
  const std::string one = crlf({"OPTIONS sip:x@y SIP/2.0", "Content-Length: 3", ""}) + "abc";
  EXPECT_EQ(stream_frame_length(one + "OPTIONS"), one.size());
  EXPECT_EQ(stream_frame_length("\r\n\r\n" + one), one.size() + 4);
  EXPECT_EQ(stream_frame_length(one.substr(0, one.size() - 1)).error(), ParseError::kIncomplete);
  EXPECT_EQ(stream_frame_length("OPTIONS sip:x@y SIP/2.0\r\nVia: x").error(),
            ParseError::kIncomplete);
  EXPECT_EQ(stream_frame_length("OPTIONS sip:x@y SIP/2.0\r\n\r\n").error(),
            ParseError::kMissingHeader);
  EXPECT_EQ(stream_frame_length(std::string(70000, 'a')).error(), ParseError::kMessageTooLarge);
  auto m = Message::parse("OPTIONS sip:x@y SIP/2.0\r\n\r\n", {}, Framing::kStream);
  EXPECT_EQ(m.error(), ParseError::kMissingHeader);
}

TEST(Message, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(ParseError::kLast); ++i) {
    EXPECT_TRUE(names.insert(to_string(static_cast<ParseError>(i))).second);
  }
}

}  // namespace
}  // namespace sbc::cp::sip
