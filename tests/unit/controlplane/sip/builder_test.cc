#include "controlplane/sip/builder.h"

#include <gtest/gtest.h>

#include "controlplane/sip/ids.h"
#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_ok;

const std::string kInvite =
    crlf({"INVITE sip:bob@198.51.100.1 SIP/2.0",
          "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKa1;rport",
          "v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa0, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKz",
          "Max-Forwards: 70", "From: \"Alice\" <sip:alice@192.0.2.10>;tag=abc",
          "To: <sip:bob@198.51.100.1>", "Call-ID: call-1@192.0.2.10", "CSeq: 7 INVITE",
          "Route: <sip:r1.example.com;lr>", "Timestamp: 54", "Content-Length: 0", ""});

TEST(Builder, ResponseCopiesPerRfc3261_8_2_6) {
  const Message req = parse_ok(kInvite);
  const std::string text = make_response(req, 180, {}, "totag1").build();
  EXPECT_EQ(
      text,
      crlf({"SIP/2.0 180 Ringing", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKa1;rport",
            "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa0, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKz",
            "From: \"Alice\" <sip:alice@192.0.2.10>;tag=abc",
            "To: <sip:bob@198.51.100.1>;tag=totag1", "Call-ID: call-1@192.0.2.10", "CSeq: 7 INVITE",
            "Content-Length: 0", ""}));
  const Message resp = parse_ok(text);
  EXPECT_TRUE(resp.validate().has_value());
  EXPECT_EQ(resp.vias()->size(), 3u);
  EXPECT_EQ(resp.to()->tag(), "totag1");
}

TEST(Builder, TryingHasNoTagButTimestampAndExistingTagIsKept) {
  const Message req = parse_ok(kInvite);
  const Message trying = parse_ok(make_response(req, 100, {}, "ignored").build());
  EXPECT_EQ(trying.reason_phrase(), "Trying");
  EXPECT_TRUE(trying.to()->tag().empty());
  EXPECT_EQ(trying.header(HeaderId::kTimestamp), "54");

  std::string in_dialog = kInvite;
  in_dialog.replace(in_dialog.find("To: <sip:bob@198.51.100.1>"), 26,
                    "To: <sip:bob@198.51.100.1>;tag=x");
  const Message resp = parse_ok(make_response(parse_ok(in_dialog), 486, "Busy", "new").build());
  EXPECT_EQ(resp.to()->tag(), "x");
  EXPECT_EQ(resp.reason_phrase(), "Busy");
}

// What the transaction layer reads from a response travels beside its bytes: the status code
// and the To tag the response carries, never read back from the text.
TEST(Builder, ABuiltResponseCarriesItsStatusAndToTagAsFields) {
  const Message req = parse_ok(kInvite);
  const OutgoingResponse ringing = build_response(make_response(req, 180, "Ringing here", "t1"));
  EXPECT_EQ(ringing.code, 180);
  EXPECT_EQ(ringing.to_tag, "t1");
  const Message parsed = parse_ok(ringing.bytes);
  EXPECT_EQ(parsed.status_code(), ringing.code);
  EXPECT_EQ(parsed.to()->tag(), ringing.to_tag);

  const OutgoingResponse trying = build_response(make_response(req, 100, {}, "ignored"));
  EXPECT_EQ(trying.code, 100);
  EXPECT_EQ(trying.to_tag, "");  // 100 gets no tag

  std::string in_dialog = kInvite;
  in_dialog.replace(in_dialog.find("To: <sip:bob@198.51.100.1>"), 26,
                    "To: <sip:bob@198.51.100.1>;tag=x");
  const OutgoingResponse busy = build_response(make_response(parse_ok(in_dialog), 486, {}, "new"));
  EXPECT_EQ(busy.code, 486);
  EXPECT_EQ(busy.to_tag, "x");  // the request's own tag is kept

  EXPECT_EQ(MessageBuilder::response(503).status(), 503);
  EXPECT_EQ(MessageBuilder::request(Method::kBye, "sip:bob@192.0.2.1").status(), 0);
}

TEST(Builder, NewRequestReparsesIdentically) {
  IdGenerator ids;
  RequestSpec spec;
  spec.method = Method::kInvite;
  spec.request_uri = "sip:15550001@198.51.100.10:5060";
  spec.via_host = "198.51.100.1";
  spec.via_port = 5060;
  spec.branch = ids.branch();
  spec.from = format_name_addr("", "sip:15550001@carrier.example");
  spec.from_tag = ids.tag();
  spec.to = format_name_addr("", "sip:15550002@carrier.example");
  spec.call_id = ids.call_id("198.51.100.1");
  spec.cseq = 1;
  spec.contact = "<sip:sbc@198.51.100.1:5060>";
  spec.routes = {"<sip:edge.carrier.example;lr>"};
  const std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\n"
      "t=0 0\r\nm=audio 20000 RTP/AVP 0\r\n";
  MessageBuilder b = make_request(spec);
  b.add("User-Agent", "sbc").add(HeaderId::kContentLength, "999").body("application/sdp", sdp);
  const std::string text = b.build();
  const Message m = parse_ok(text);
  ASSERT_TRUE(m.validate().has_value()) << to_string(m.validate().error());
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.request_uri()->port, 5060);
  EXPECT_EQ(m.top_via()->branch, spec.branch);
  EXPECT_TRUE(m.top_via()->rfc3261_branch());
  EXPECT_TRUE(m.top_via()->rport_present);
  EXPECT_EQ(m.from()->tag(), spec.from_tag);
  EXPECT_TRUE(m.to()->tag().empty());
  EXPECT_EQ(*m.call_id(), spec.call_id);
  EXPECT_EQ(m.cseq()->number, 1u);
  EXPECT_EQ(**m.max_forwards(), 70u);
  EXPECT_EQ(m.routes()->at(0).uri.host, "edge.carrier.example");
  EXPECT_EQ(m.header("user-agent"), "sbc");
  EXPECT_EQ(m.count(HeaderId::kContentLength), 1u);
  EXPECT_EQ(**m.content_length(), sdp.size());
  EXPECT_EQ(m.body(), sdp);
  // Serialising the parsed message's fields again yields the same bytes.
  EXPECT_EQ(m.raw(), text);
}

TEST(Builder, RemoveAndBodyReplacement) {
  MessageBuilder b = MessageBuilder::request(Method::kOther, "sip:x@y", "PING");
  b.add("X-A", "1").add("x-a", "2").add(HeaderId::kSubject, "s").remove("X-A");
  b.body("text/plain", "hi").body("", "");
  EXPECT_EQ(b.build(), crlf({"PING sip:x@y SIP/2.0", "Subject: s", "Content-Length: 0", ""}));
}

TEST(Builder, CancelAndNon2xxAck) {
  const Message invite = parse_ok(kInvite);
  const Message cancel = parse_ok(make_cancel(invite).build());
  EXPECT_EQ(cancel.method(), Method::kCancel);
  EXPECT_TRUE(cancel.validate().has_value());
  EXPECT_EQ(cancel.request_uri_text(), invite.request_uri_text());
  EXPECT_EQ(cancel.vias()->size(), 1u);
  EXPECT_EQ(cancel.top_via()->branch, "z9hG4bKa1");
  EXPECT_EQ(cancel.cseq()->number, 7u);
  EXPECT_EQ(cancel.cseq()->method, Method::kCancel);
  EXPECT_EQ(cancel.routes()->size(), 1u);

  const Message busy = parse_ok(make_response(invite, 486, {}, "t9").build());
  const Message ack = parse_ok(make_non2xx_ack(invite, busy).build());
  EXPECT_EQ(ack.method(), Method::kAck);
  EXPECT_TRUE(ack.validate().has_value());
  EXPECT_EQ(ack.to()->tag(), "t9");
  EXPECT_EQ(ack.top_via()->branch, "z9hG4bKa1");
  EXPECT_EQ(ack.cseq()->method_text, "ACK");
}

// A built request carries, from its spec, the very fields its bytes hold: the transaction layer
// uses them and never parses the bytes back.
TEST(Builder, BuiltRequestFieldsMatchItsBytes) {
  RequestSpec spec;
  spec.method = Method::kInvite;
  spec.request_uri = "sip:15550002@198.51.100.10";
  spec.via_host = "198.51.100.1";
  spec.via_port = 5060;
  spec.branch = "z9hG4bK-built";
  spec.from = "<sip:15550001@carrier.example>";
  spec.from_tag = "f1";
  spec.to = "<sip:15550002@carrier.example>";
  spec.call_id = "built@198.51.100.1";
  spec.cseq = 4;
  spec.routes = {"<sip:edge.carrier.example;lr>"};
  spec.headers = {{HeaderId::kAllow, "INVITE, ACK"}};
  spec.content_type = "application/sdp";
  spec.body = "v=0\r\n";
  const OutgoingRequest out = build_request(spec);
  EXPECT_EQ(out.bytes, make_request(spec).build());
  const Message m = parse_ok(out.bytes);
  EXPECT_EQ(m.method(), out.method);
  EXPECT_EQ(m.method_text(), out.method_text);
  EXPECT_EQ(m.request_uri_text(), out.request_uri);
  EXPECT_EQ(m.top_via()->text, out.via);
  EXPECT_EQ(m.top_via()->branch, out.branch);
  EXPECT_EQ(m.header(HeaderId::kFrom), out.from);
  EXPECT_EQ(m.header(HeaderId::kTo), out.to);
  EXPECT_EQ(*m.call_id(), out.call_id);
  EXPECT_EQ(m.cseq()->number, out.cseq);
  EXPECT_EQ(m.header(HeaderId::kAllow), "INVITE, ACK");
  EXPECT_EQ(m.body(), "v=0\r\n");
  // The ACK of a non-2xx final from the fields is the one from the parsed INVITE.
  const Message busy = parse_ok(make_response(m, 486, {}, "t9").build());
  EXPECT_EQ(make_non2xx_ack(out, busy).build(), make_non2xx_ack(m, busy).build());
}

}  // namespace
}  // namespace sbc::cp::sip
