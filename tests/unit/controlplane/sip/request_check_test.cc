#include "controlplane/sip/request_check.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_ok;

const std::string kSdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n";

// A valid request with extra header lines and an optional body (Content-Length computed).
Message request(std::string_view method, std::initializer_list<std::string_view> extra,
                std::string_view body = {}, std::string_view uri = "sip:b@example.com") {
  std::string text = std::string(method) + " " + std::string(uri) + " SIP/2.0\r\n" +
                     crlf({"Via: SIP/2.0/UDP h;branch=z9hG4bKa", "From: <sip:a@example.com>;tag=1",
                           "To: <sip:b@example.com>", "Call-ID: c1",
                           "CSeq: 1 " + std::string(method), "Max-Forwards: 70"});
  for (std::string_view line : extra) {
    text += line;
    text += "\r\n";
  }
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  text += body;
  return parse_ok(text);
}

RequestPolicy policy() {
  RequestPolicy p;
  p.methods = {Method::kInvite, Method::kAck, Method::kBye, Method::kCancel, Method::kOptions};
  return p;
}

int code(const Message& m, const RequestPolicy& p = policy()) {
  const auto r = check_request(m, p);
  return r ? r->code : 0;
}

TEST(RequestCheck, ValidRequestsProceed) {
  EXPECT_EQ(code(request("INVITE", {"Content-Type: application/sdp"}, kSdp)), 0);
  EXPECT_EQ(code(request("BYE", {})), 0);
  EXPECT_EQ(code(request("OPTIONS", {"Accept: application/sdp"})), 0);
}

TEST(RequestCheck, MethodsNotHandled) {
  const auto r = check_request(request("SUBSCRIBE", {}), policy());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 405);
  EXPECT_EQ(r->reason, "Method Not Allowed");
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0],
            std::make_pair(HeaderId::kAllow, std::string("INVITE, ACK, BYE, CANCEL, OPTIONS")));
  EXPECT_EQ(code(request("FROBNICATE", {})), 501);
  RequestPolicy any = policy();
  any.methods.clear();
  EXPECT_EQ(code(request("FROBNICATE", {}), any), 0);
}

TEST(RequestCheck, MalformedHeadersNamedInWarning) {
  const auto r = check_request(request("BYE", {"Max-Forwards: many"}), policy());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 400);
  EXPECT_EQ(r->reason, "Bad Request");
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].first, HeaderId::kWarning);
  EXPECT_EQ(r->headers[0].second, "399 sbc \"Repeated Max-Forwards header\"");
  RequestPolicy named = policy();
  named.warning_agent = "sbc.example.net";
  const auto cseq =
      check_request(parse_ok(crlf({"BYE sip:b@x SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
                                   "From: <sip:a@x>;tag=1", "To: <sip:b@x>", "Call-ID: c1",
                                   "CSeq: one BYE", ""})),
                    named);
  ASSERT_TRUE(cseq);
  EXPECT_EQ(cseq->headers[0].second, "399 sbc.example.net \"Malformed CSeq header\"");
  EXPECT_EQ(code(request("BYE", {"Require: a,,b"})), 400);
}

TEST(RequestCheck, UriSchemes) {
  EXPECT_EQ(code(request("BYE", {}, {}, "sips:b@example.com")), 0);
  EXPECT_EQ(code(request("BYE", {}, {}, "tel:+15550002")), 0);
  RequestPolicy no_tel = policy();
  no_tel.accept_tel_uri = false;
  EXPECT_EQ(code(request("BYE", {}, {}, "tel:+15550002"), no_tel), 416);
  EXPECT_EQ(code(request("BYE", {}, {}, "mailto:b@example.com")), 416);
}

TEST(RequestCheck, MaxForwardsZero) {
  EXPECT_EQ(code(request("INVITE", {"Max-Forwards: 0"})), 400);  // repeated: malformed first
  const Message zero = parse_ok(
      crlf({"INVITE sip:b@x SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa", "From: <sip:a@x>;tag=1",
            "To: <sip:b@x>", "Call-ID: c1", "CSeq: 1 INVITE", "Max-Forwards: 0", ""}));
  EXPECT_EQ(code(zero), 483);
}

TEST(RequestCheck, ExtensionsRequired) {
  RequestPolicy timer = policy();
  timer.supported = {"timer"};
  EXPECT_EQ(code(request("INVITE", {"Require: Timer"}), timer), 0);  // case-insensitive
  const auto r =
      check_request(request("INVITE", {"Require: timer, 100rel", "Proxy-Require: 100rel"}), timer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 420);
  EXPECT_EQ(r->headers[0], std::make_pair(HeaderId::kUnsupported, std::string("100rel")));
  // Not for CANCEL and ACK (RFC 3261 §8.2.2.3).
  EXPECT_EQ(code(request("CANCEL", {"Require: foo"})), 0);
  EXPECT_EQ(code(request("ACK", {"Proxy-Require: foo"})), 0);
}

TEST(RequestCheck, BodiesOfOfferAnswerMethods) {
  const auto r = check_request(request("INVITE", {"Content-Type: text/html"}, "<p>"), policy());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 415);
  EXPECT_EQ(r->headers[0], std::make_pair(HeaderId::kAccept, std::string("application/sdp")));
  const auto gz = check_request(
      request("INVITE", {"Content-Type: application/sdp", "Content-Encoding: gzip"}, kSdp),
      policy());
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->code, 415);
  EXPECT_EQ(gz->headers[0], std::make_pair(HeaderId::kAcceptEncoding, std::string("identity")));
  EXPECT_EQ(code(request("INVITE", {"Content-Type: application/sdp", "e: identity"}, kSdp)), 0);
  EXPECT_EQ(code(request("INVITE", {}, kSdp)), 400);  // a body needs a Content-Type
  const std::string mixed = "--b\r\nContent-Type: application/sdp\r\n\r\n" + kSdp + "\r\n--b--";
  EXPECT_EQ(code(request("INVITE", {"Content-Type: multipart/mixed;boundary=b"}, mixed)), 0);
  RequestPolicy sdp_only = policy();
  sdp_only.accept_multipart = false;
  EXPECT_EQ(code(request("INVITE", {"Content-Type: multipart/mixed;boundary=b"}, mixed), sdp_only),
            415);
  const std::string no_sdp = "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--";
  EXPECT_EQ(code(request("INVITE", {"Content-Type: multipart/mixed;boundary=b"}, no_sdp)), 415);
  EXPECT_EQ(code(request("INVITE", {"Content-Type: multipart/mixed;boundary=b"}, "--b\r\nx")), 400);
  // Bodies of other methods (INFO, MESSAGE) are relayed, not judged here.
  RequestPolicy all = policy();
  all.methods.clear();
  EXPECT_EQ(code(request("INFO", {"Content-Type: application/dtmf-relay"}, "Signal=1"), all), 0);
}

TEST(RequestCheck, AcceptRulesOutSdp) {
  EXPECT_EQ(code(request("INVITE", {"Accept: text/plain"})), 406);
  EXPECT_EQ(code(request("INVITE", {"Accept: text/plain, application/*"})), 0);
  EXPECT_EQ(code(request("INVITE", {"Accept: */*"})), 0);
  EXPECT_EQ(code(request("INVITE", {"Accept: application/SDP;level=1"})), 0);
  EXPECT_EQ(code(request("OPTIONS", {"Accept: text/plain"})), 0);  // only INVITE answers in SDP
  EXPECT_EQ(code(request("INVITE", {"Accept: nonsense"})), 400);
  // An empty Accept is legal: no body type is acceptable (RFC 3261 §20.1).
  EXPECT_EQ(code(request("INVITE", {"Accept:"})), 406);
}

TEST(RequestCheck, Answerable) {
  EXPECT_TRUE(answerable(request("INVITE", {})));
  EXPECT_FALSE(answerable(request("ACK", {})));
  const Message bad_via =
      parse_ok(crlf({"BYE sip:b@x SIP/2.0", "Via: SIP/2.0/UDP", "CSeq: 1 BYE", ""}));
  EXPECT_FALSE(answerable(bad_via));
  const Message no_cseq = parse_ok(crlf({"BYE sip:b@x SIP/2.0", "Via: SIP/2.0/UDP h", ""}));
  EXPECT_FALSE(answerable(no_cseq));
  const Message response =
      parse_ok(crlf({"SIP/2.0 200 OK", "Via: SIP/2.0/UDP h", "CSeq: 1 BYE", ""}));
  EXPECT_FALSE(answerable(response));
  EXPECT_FALSE(check_request(response, policy()).has_value());
}

}  // namespace
}  // namespace sbc::cp::sip
