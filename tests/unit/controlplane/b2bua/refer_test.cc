// Call transfer (MidCall::refer, refer_target.cc, RFC 3515): a REFER relayed to the other leg
// with the Refer-To pointing at the SBC on that side and nothing of the transferor's side, its
// 202 back, the transferee's NOTIFY (sipfrag) back through the dialog; attended transfer and
// INVITE with Replaces (RFC 3891, dialog_replaces.cc) carried across as the far leg's dialog;
// refusals: a Replaces naming no call, a malformed target, a zone that may not transfer (403);
// in-dialog OPTIONS relayed.
#include "controlplane/b2bua/refer_target.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

std::expected<std::string, ReferRefusal> blind(std::string_view refer_to,
                                               std::string_view our_contact) {
  auto target = parse_refer_to(refer_to);
  if (!target) return std::unexpected(target.error());
  return blind_target(*target, our_contact);
}

TEST(ReferTargetTest, TheTargetUserMovesToOurAddressAndNothingElseCrosses) {
  EXPECT_EQ(
      blind("<sip:200@10.1.1.5:5080;transport=tcp?X-Secret=1>;foo=bar", "<sip:198.51.100.1:5060>"),
      "<sip:200@198.51.100.1:5060>");
  EXPECT_EQ(blind("\"Desk\" <sip:desk-2@pbx.internal>", "<sips:203.0.113.1:5061>"),
            "<sips:desk-2@203.0.113.1:5061>");
  EXPECT_EQ(blind("<tel:+15551234567>", "<sip:198.51.100.1:5060;transport=tcp>"),
            "<sip:+15551234567@198.51.100.1:5060;transport=tcp>");
  EXPECT_EQ(blind("<sip:pbx.internal>", "<sip:a:1>").error().code, 400);
  EXPECT_EQ(blind("<http://example.com/>", "<sip:a:1>").error().code, 416);
  EXPECT_EQ(blind("", "<sip:a:1>").error().code, 400);
  EXPECT_EQ(blind("<sip:a\"b@x>", "<sip:a:1>").error().code, 400);
}

TEST(ReferTargetTest, AnAttendedTargetCarriesItsReplacesDecodedAndReEscaped) {
  auto target = parse_refer_to("<sip:bob@pbx?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->user, "bob");
  ASSERT_TRUE(target->replaces);
  EXPECT_EQ(target->replaces->call_id, "abc@h");
  EXPECT_EQ(target->replaces->to_tag, "1");
  EXPECT_EQ(target->replaces->from_tag, "2");
  EXPECT_FALSE(target->replaces->early_only);
  // No user is needed when the target is a dialog; a Replaces that does not parse is refused.
  EXPECT_TRUE(parse_refer_to("<sip:pbx?Replaces=x%3Bfrom-tag%3D2%3Bto-tag%3D1%3Bearly-only>")
                  ->replaces->early_only);
  EXPECT_EQ(parse_refer_to("<sip:bob@pbx?Replaces=x%3Bto-tag%3D1>").error().code, 400);
  EXPECT_EQ(parse_refer_to("<sip:bob@pbx?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D%00>").error().code,
            400);
  EXPECT_EQ(attended_target("sip:carol@198.51.100.20:5060;transport=tcp",
                            sip::Replaces{"c2@sbc", "ct", "st", true}),
            "<sip:carol@198.51.100.20:5060;transport=tcp?Replaces="
            "c2%40sbc%3Bto-tag%3Dct%3Bfrom-tag%3Dst%3Bearly-only>");
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

// The transferee names the subscription by our REFER's CSeq on its dialog (RFC 3515 §2.4.6);
// the transferor must see its own REFER's, or it answers the NOTIFY 481 (baresip does).
TEST_F(ReferTest, TheNotifysSubscriptionIdNamesTheTransferorsOwnRefer) {
  deliver(kAccess, kCallerAddr, caller_refer("<sip:200@192.0.2.10:5060>", 7));
  auto refer = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(refer.method(), sip::Method::kRefer);
  const uint32_t ours = refer.cseq()->number;
  ASSERT_NE(ours, 7u);
  deliver(kCarrier, kTrunkAddr, response_to(refer, 202, ""));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 202);
  const auto notify = [&](uint32_t cseq, const std::string& event) {
    return with_parts(
        fmt::format("NOTIFY sip:sbc@198.51.100.1 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-b-notify-{0}\r\n"
                    "Max-Forwards: 70\r\nFrom: {1};tag=btag\r\nTo: {2}\r\nCall-ID: {3}\r\n"
                    "CSeq: {0} NOTIFY\r\nEvent: {4}\r\nSubscription-State: active;expires=60\r\n"
                    "Content-Length: 0\r\n\r\n",
                    cseq, refer.header(sip::HeaderId::kTo), refer.header(sip::HeaderId::kFrom),
                    *refer.call_id(), event),
        "", "message/sipfrag;version=2.0", "SIP/2.0 100 Trying\r\n");
  };
  deliver(kCarrier, kTrunkAddr, notify(1, fmt::format("refer;id={};x=1", ours)));
  auto relayed = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(relayed.method(), sip::Method::kNotify);
  EXPECT_EQ(relayed.header("Event"), "refer;id=7;x=1");
  deliver(kAccess, kCallerAddr, response_to(relayed, 200, ""));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  // An id naming no REFER of ours, and another package, cross as they are.
  deliver(kCarrier, kTrunkAddr, notify(2, "refer;id=9999"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).header("Event"), "refer;id=9999");
  deliver(kCarrier, kTrunkAddr, notify(3, fmt::format("dialog;id={}", ours)));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).header("Event"), fmt::format("dialog;id={}", ours));
}

// The transferor ends (or refreshes) the REFER's subscription with an in-dialog SUBSCRIBE (baresip
// sends one): relayed with the id of our REFER on the transferee's dialog, our Contact and its
// Expires; the notifier's 200 comes back with the Expires it granted. Outside a dialog the SBC
// serves no event package: 489.
TEST_F(ReferTest, TheTransferorsSubscribeIsRelayedWithItsIdMapped) {
  deliver(kAccess, kCallerAddr, caller_refer("<sip:200@192.0.2.10:5060>", 7));
  auto refer = next_to(kCarrier, kTrunkAddr);
  const uint32_t ours = refer.cseq()->number;
  deliver(kCarrier, kTrunkAddr, response_to(refer, 202, ""));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 202);

  deliver(kAccess, kCallerAddr,
          with_parts(in_dialog("SUBSCRIBE", *ok_, false, "192.0.2.10", 8),
                     "Event: refer;id=7\r\nExpires: 0\r\nAccept: message/sipfrag\r\n"
                     "Contact: <sip:alice@192.0.2.10:5060>\r\n"));
  auto subscribe = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(subscribe.method(), sip::Method::kSubscribe);
  EXPECT_EQ(subscribe.header("Event"), fmt::format("refer;id={}", ours));
  EXPECT_EQ(subscribe.header("Expires"), "0");
  EXPECT_EQ(subscribe.header("Accept"), "message/sipfrag");
  EXPECT_EQ(subscribe.header(sip::HeaderId::kContact), "<sip:198.51.100.1:5060>");
  deliver(kCarrier, kTrunkAddr, response_to(subscribe, 200, "", {}, "Expires: 0\r\n"));
  auto ok = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq()->method, sip::Method::kSubscribe);
  EXPECT_EQ(ok.header("Expires"), "0");
  EXPECT_EQ(ok.header(sip::HeaderId::kContact), "<sip:192.0.2.1:5060>");

  deliver(kAccess, kCallerAddr,
          "SUBSCRIBE sip:presence@192.0.2.1 SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-sub-1\r\nMax-Forwards: 70\r\n"
          "From: <sip:alice@192.0.2.10>;tag=s1\r\nTo: <sip:presence@192.0.2.1>\r\n"
          "Call-ID: sub-1@192.0.2.10\r\nCSeq: 1 SUBSCRIBE\r\nEvent: presence\r\n"
          "Contact: <sip:alice@192.0.2.10:5060>\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 489);
}

TEST_F(ReferTest, AReplacesNamingNoCallOrABadTargetIsRefused) {
  deliver(kAccess, kCallerAddr,
          caller_refer("<sip:bob@192.0.2.10?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2>"));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  deliver(kAccess, kCallerAddr, caller_refer("<sip:192.0.2.10>", 3));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  EXPECT_TRUE(transport_.sent.empty());
}

// Attended transfer (RFC 3891 in a Refer-To): alice has a second call through us (to carol, on
// the carrier side) and transfers the first one to it. The transferee gets carol's Contact and
// carol's dialog with us, never alice's identifiers for the second call.
class AttendedTransferTest : public ReferTest {
 protected:
  void SetUp() override {
    ReferTest::SetUp();
    InviteParts p;
    p.call_id = "a-call-2@192.0.2.10";
    p.from = "\"Alice\" <sip:alice@192.0.2.10>;tag=atag2";
    p.branch = "z9hG4bK-a-2";
    deliver(kAccess, kCallerAddr, caller_invite(p));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    second_invite_.emplace(next_to(kCarrier, kTrunkAddr));
    deliver(kCarrier, kTrunkAddr,
            response_to(*second_invite_, 200, "ctag", sdp("198.51.100.20", 7100)));
    dataplane_.flush();
    second_ok_.emplace(next_to(kAccess, kCallerAddr));
    deliver(kAccess, kCallerAddr, in_dialog("ACK", *second_ok_, false, "192.0.2.10", 1));
    EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  }
  // The second call's dialog as alice names it: our tag is its to-tag, hers the from-tag.
  std::string alice_replaces(bool early_only = false) const {
    return fmt::format("a-call-2@192.0.2.10;to-tag={};from-tag=atag2{}", second_ok_->to()->tag(),
                       early_only ? ";early-only" : "");
  }
  std::optional<sip::Message> second_invite_;
  std::optional<sip::Message> second_ok_;
};

TEST_F(AttendedTransferTest, TheTransfereeGetsTheOtherCallsPartyAndItsDialogWithUs) {
  deliver(kAccess, kCallerAddr,
          caller_refer(fmt::format("<sip:carol@192.0.2.10?Replaces={}>",
                                   sip::escape_uri_header(alice_replaces()))));
  auto refer = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(refer.method(), sip::Method::kRefer);
  const sip::Replaces carol_dialog{std::string(*second_invite_->call_id()), "ctag",
                                   std::string(second_invite_->from()->tag()), false};
  EXPECT_EQ(refer.header(sip::HeaderId::kReferTo),
            attended_target("sip:callee@198.51.100.10:5060", carol_dialog));
  EXPECT_EQ(refer.raw().find("a-call-2"), std::string_view::npos);
  EXPECT_EQ(refer.raw().find("atag2"), std::string_view::npos);
  EXPECT_EQ(refer.raw().find("192.0.2.10"), std::string_view::npos);
}

TEST_F(AttendedTransferTest, AReplacesWithTheWrongTagsOrThisCallIsRefused) {
  // The tags swapped, as the other side would write them: not alice's view of her dialog.
  deliver(kAccess, kCallerAddr,
          caller_refer(fmt::format(
              "<sip:carol@192.0.2.10?Replaces={}>",
              sip::escape_uri_header(fmt::format("a-call-2@192.0.2.10;to-tag=atag2;from-tag={}",
                                                 second_ok_->to()->tag())))));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  deliver(kAccess, kCallerAddr,
          caller_refer(
              fmt::format("<sip:carol@192.0.2.10?Replaces={}>",
                          sip::escape_uri_header(fmt::format(
                              "a-call-1@192.0.2.10;to-tag={};from-tag=atag", ok_->to()->tag()))),
              3));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 400);
  EXPECT_TRUE(transport_.sent.empty());
}

// An INVITE with Replaces from the access side (a pickup, or the transfer's last step through
// us): the callee gets the replaced call's far dialog, oriented for it.
TEST_F(AttendedTransferTest, AnInviteWithReplacesCarriesTheFarDialogAcross) {
  InviteParts p;
  p.call_id = "a-call-3@192.0.2.10";
  p.from = "\"Alice\" <sip:alice@192.0.2.10>;tag=atag3";
  p.branch = "z9hG4bK-a-3";
  p.extra_headers = fmt::format("Replaces: {}\r\nRequire: replaces\r\n", alice_replaces());
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  ASSERT_EQ(invite.method(), sip::Method::kInvite);
  EXPECT_EQ(invite.header(sip::HeaderId::kReplaces),
            fmt::format("{};to-tag=ctag;from-tag={}", *second_invite_->call_id(),
                        second_invite_->from()->tag()));
  EXPECT_EQ(invite.header(sip::HeaderId::kRequire), "replaces");
  EXPECT_EQ(invite.raw().find("a-call-2"), std::string_view::npos);
}

TEST_F(AttendedTransferTest, AnInviteWithReplacesIsRefusedAsRfc3891Says) {
  const auto refused = [&](const std::string& replaces, const std::string& call_id) {
    InviteParts p;
    p.call_id = call_id;
    p.branch = "z9hG4bK-" + call_id;
    p.extra_headers = fmt::format("Replaces: {}\r\n", replaces);
    deliver(kAccess, kCallerAddr, caller_invite(p));
    return next_to(kAccess, kCallerAddr).status_code();
  };
  EXPECT_EQ(refused("nothing@here;to-tag=1;from-tag=2", "x1"), 481);
  EXPECT_EQ(refused(alice_replaces(true), "x2"), 486);  // early-only, and it was answered
  EXPECT_EQ(refused("a-call-2@192.0.2.10;to-tag=1", "x3"), 400);
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
