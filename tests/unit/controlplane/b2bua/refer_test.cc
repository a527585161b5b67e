// Call transfer (MidCall::refer, refer_target.cc, RFC 3515): a REFER relayed to the other leg
// with the Refer-To pointing at the SBC on that side and nothing of the transferor's side, its
// 202 back, the transferee's NOTIFY (sipfrag) back through the dialog; refusals: Replaces (501),
// a malformed target, a zone that may not transfer (403); in-dialog OPTIONS relayed.
#include "controlplane/b2bua/refer_target.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

TEST(ReferTargetTest, TheTargetUserMovesToOurAddressAndNothingElseCrosses) {
  EXPECT_EQ(refer_target("<sip:200@10.1.1.5:5080;transport=tcp?X-Secret=1>;foo=bar",
                         "<sip:198.51.100.1:5060>"),
            "<sip:200@198.51.100.1:5060>");
  EXPECT_EQ(refer_target("\"Desk\" <sip:desk-2@pbx.internal>", "<sips:203.0.113.1:5061>"),
            "<sips:desk-2@203.0.113.1:5061>");
  EXPECT_EQ(refer_target("<tel:+15551234567>", "<sip:198.51.100.1:5060;transport=tcp>"),
            "<sip:+15551234567@198.51.100.1:5060;transport=tcp>");
  EXPECT_EQ(refer_target("<sip:bob@pbx?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>", "<sip:a:1>")
                .error()
                .code,
            501);
  EXPECT_EQ(refer_target("<sip:pbx.internal>", "<sip:a:1>").error().code, 400);
  EXPECT_EQ(refer_target("<http://example.com/>", "<sip:a:1>").error().code, 416);
  EXPECT_EQ(refer_target("", "<sip:a:1>").error().code, 400);
  EXPECT_EQ(refer_target("<sip:a\"b@x>", "<sip:a:1>").error().code, 400);
}

class ReferTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    auto [invite, ok] = establish();
    ok_.emplace(std::move(ok));
  }
  std::string caller_refer(const std::string& refer_to, uint32_t cseq = 2) {
    return with_parts(in_dialog("REFER", *ok_, false, "192.0.2.10", cseq),
                      fmt::format("Refer-To: {}\r\nReferred-By: <sip:alice@192.0.2.10>\r\n"
                                  "Contact: <sip:alice@192.0.2.10:5060>\r\n",
                                  refer_to));
  }
  std::optional<sip::Message> ok_;
};

TEST_F(ReferTest, ABlindTransferIsRelayedWithTheTargetAtTheSbc) {
  deliver(kAccess, kCallerAddr, caller_refer("<sip:200@192.0.2.10:5060;user=phone>"));
  auto refer = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(refer.method(), sip::Method::kRefer);
  EXPECT_EQ(refer.header(sip::HeaderId::kReferTo), "<sip:200@198.51.100.1:5060>");
  EXPECT_TRUE(refer.header(sip::HeaderId::kReferredBy).empty());
  EXPECT_EQ(refer.raw().find("192.0.2.10"), std::string_view::npos);
  deliver(kCarrier, kTrunkAddr, response_to(refer, 202, ""));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 202);
  // The transferee reports progress on its dialog; the transferor gets it on its own.
  const std::string sipfrag = "SIP/2.0 200 OK\r\n";
  std::string notify = fmt::format(
      "NOTIFY sip:sbc@198.51.100.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-b-notify-1\r\n"
      "Max-Forwards: 70\r\nFrom: {};tag=btag\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 1 NOTIFY\r\n"
      "Event: refer\r\nSubscription-State: terminated;reason=noresource\r\n"
      "Content-Length: 0\r\n\r\n",
      refer.header(sip::HeaderId::kTo), refer.header(sip::HeaderId::kFrom), *refer.call_id());
  deliver(kCarrier, kTrunkAddr, with_parts(notify, "", "message/sipfrag;version=2.0", sipfrag));
  auto relayed = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(relayed.method(), sip::Method::kNotify);
  EXPECT_EQ(relayed.header("Event"), "refer");
  EXPECT_EQ(relayed.body(), sipfrag);
  EXPECT_EQ(relayed.call_id(), ok_->call_id());
}

TEST_F(ReferTest, AnAttendedTransferOrABadTargetIsRefused) {
  deliver(kAccess, kCallerAddr,
          caller_refer("<sip:bob@192.0.2.10?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2>"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 501);
  deliver(kAccess, kCallerAddr, caller_refer("<sip:192.0.2.10>", 3));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(ReferTest, AZoneThatMayNotTransferGets403) {
  auto parsed = parse_config(std::string(kConfig) + "[zone.access]\nrefer = refuse\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  config_ = *parsed;
  make_b2bua();
  auto [invite, ok] = establish();
  ok_.emplace(std::move(ok));
  deliver(kAccess, kCallerAddr, caller_refer("<sip:200@192.0.2.10>"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 403);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(ReferTest, InDialogOptionsReachTheOtherSide) {
  deliver(kAccess, kCallerAddr, in_dialog("OPTIONS", *ok_, false, "192.0.2.10", 2));
  auto options = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(options.method(), sip::Method::kOptions);
  deliver(kCarrier, kTrunkAddr, response_to(options, 200, ""));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
}

}  // namespace
}  // namespace sbc::cp
