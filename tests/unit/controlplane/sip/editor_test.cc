#include "controlplane/sip/editor.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_ok;

const std::string kMsg =
    crlf({"INVITE sip:bob@192.0.2.1 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa",
          "f: <sip:a@x>;tag=1", "To: <sip:b@y>", "Call-ID: c1", "CSeq: 1 INVITE",
          "X-Secret: internal", "User-Agent: PBX", "  v1.0", "Content-Length: 4", ""}) +
    "body";

TEST(Editor, NoEditsReproducesTheMessage) {
  const MessageEditor e(parse_ok(kMsg));
  EXPECT_EQ(e.serialize(), kMsg);
}

// A fold received with a bare LF leaves as CRLF: strict peers on the other leg reject bare LFs.
TEST(Editor, BareLfFoldIsWrittenAsCrlf) {
  const std::string in =
      "OPTIONS sip:b@y SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa\r\n"
      "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
      "Subject: a\n b\r\nContent-Length: 0\r\n\r\n";
  const std::string out = MessageEditor(parse_ok(in)).serialize();
  EXPECT_NE(out.find("Subject: a\r\n b\r\n"), std::string::npos) << out;
  EXPECT_EQ(std::ranges::count(out, '\n'), std::ranges::count(out, '\r'));
}

TEST(Editor, OverlayEditsAppliedOnce) {
  MessageEditor e(parse_ok(kMsg));
  e.set_request_uri("sip:15550002@198.51.100.10");
  e.remove("x-secret");
  e.replace(HeaderId::kFrom, "<sip:sbc@198.51.100.1>;tag=9");
  e.prepend(HeaderId::kVia, "SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKnew");
  e.append("X-Added", "yes");
  e.replace(HeaderId::kSubject, "hello");
  EXPECT_EQ(e.serialize(),
            crlf({"INVITE sip:15550002@198.51.100.10 SIP/2.0",
                  "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKnew",
                  "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa", "f: <sip:sbc@198.51.100.1>;tag=9",
                  "To: <sip:b@y>", "Call-ID: c1", "CSeq: 1 INVITE", "User-Agent: PBX", "  v1.0",
                  "Content-Length: 4", "X-Added: yes", "Subject: hello", ""}) +
                "body");
  const Message again = parse_ok(e.serialize());
  EXPECT_TRUE(again.validate().has_value());
  EXPECT_EQ(again.vias()->size(), 2u);
}

TEST(Editor, BodyChangeRewritesContentLength) {
  MessageEditor e(parse_ok(kMsg));
  e.set_body("longer body", "text/plain");
  e.remove_at(0);  // the Via
  const Message m = parse_ok(e.serialize());
  EXPECT_EQ(m.body(), "longer body");
  EXPECT_EQ(**m.content_length(), 11u);
  EXPECT_EQ(m.count(HeaderId::kContentLength), 1u);
  EXPECT_EQ(m.header(HeaderId::kContentType), "text/plain");
  EXPECT_EQ(m.count(HeaderId::kVia), 0u);
}

TEST(Editor, ContentLengthCannotBeInjected) {
  MessageEditor e(parse_ok(kMsg));
  e.append("l", "99");
  e.prepend(HeaderId::kContentLength, "99");
  e.replace(HeaderId::kOther, "x");
  EXPECT_EQ(e.serialize(), kMsg);
}

TEST(Editor, MissingContentLengthIsAdded) {
  MessageEditor e(
      parse_ok(crlf({"OPTIONS sip:x@y SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa", ""})));
  e.replace_at(0, "SIP/2.0/TCP h2;branch=z9hG4bKb");
  EXPECT_EQ(e.serialize(), crlf({"OPTIONS sip:x@y SIP/2.0", "Via: SIP/2.0/TCP h2;branch=z9hG4bKb",
                                 "Content-Length: 0", ""}));
}

}  // namespace
}  // namespace sbc::cp::sip
