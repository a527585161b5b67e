#include "controlplane/normalize/caller_identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/controlplane/normalize/invite.h"

namespace sbc::cp {
namespace {

using ::testing::ElementsAre;
using testing::invite;
using ::testing::IsEmpty;
using ::testing::Pair;

NormalizationPolicy policy(std::string_view in, std::string_view out, bool trusted) {
  NormalizationPolicy p;
  p.number_in = *NumberRules::parse(in);
  p.number_out = *NumberRules::parse(out);
  p.trust_identity = trusted;
  return p;
}

// A PBX in the UK dialling nationally, a carrier that wants 00-international numbers.
const NormalizationPolicy kPbx = policy("00>+, 0{11}>+44", "+44>0", true);
const NormalizationPolicy kCarrier = policy("", "+>00", false);

TEST(CallerIdentityTest, NumbersGoThroughBothSidesRules) {
  const auto m = invite("02071234567", "\"Sales\" <sip:01632960001@pbx.example>",
                        "P-Asserted-Identity: \"Desk 1\" <sip:01632960123@pbx.example>\r\n");
  const CallerIdentity id = read_caller_identity(kPbx, m, "");
  EXPECT_EQ(id.called, "+442071234567");
  EXPECT_EQ(id.calling, "+441632960001");
  EXPECT_EQ(id.display, "Sales");
  EXPECT_EQ(id.asserted, "+441632960123");  // the PBX is trusted
  EXPECT_EQ(id.asserted_display, "Desk 1");

  NormalizationPolicy carrier = kCarrier;
  carrier.tech_prefix = "8861#";
  const CalleeIdentity out = write_callee_identity(carrier, id, m.headers(), "carrier.example");
  EXPECT_EQ(out.request_user, "8861%2300442071234567");  // '#' escaped in a URI
  EXPECT_EQ(out.called, "00442071234567");
  EXPECT_EQ(out.calling, "00441632960001");
  EXPECT_EQ(out.display, "Sales");
  EXPECT_FALSE(out.anonymous);
  EXPECT_THAT(out.headers, ElementsAre(Pair("P-Asserted-Identity",
                                            "\"Desk 1\" <sip:00441632960123@carrier.example>")));
}

TEST(CallerIdentityTest, UntrustedSidesAssertNothing) {
  const auto m = invite("100", "<sip:+15550001@example.com>",
                        "P-Asserted-Identity: <sip:+15559999@example.com>\r\n"
                        "P-Preferred-Identity: <sip:+15558888@example.com>\r\n");
  EXPECT_EQ(read_caller_identity(kCarrier, m, "").asserted, "");
  // A digest-authenticated caller is asserted as the user it proved to be.
  const CallerIdentity id = read_caller_identity(kCarrier, m, "alice");
  EXPECT_EQ(id.asserted, "alice");
  // From a trusted side, P-Preferred-Identity when there is no P-Asserted-Identity; a tel: URI
  // loses its visual separators.
  const auto ppi =
      invite("100", "<sip:x@example.com>", "P-Preferred-Identity: <tel:+1-555-000-1234>\r\n");
  EXPECT_EQ(read_caller_identity(kPbx, ppi, "").asserted, "+15550001234");
  // One that cannot be written into our own URI is dropped.
  const auto odd =
      invite("100", "<sip:x@example.com>", "P-Asserted-Identity: <sip:a%40b@example.com>\r\n");
  EXPECT_EQ(read_caller_identity(kPbx, odd, "").asserted, "");
}

TEST(CallerIdentityTest, PrivacyIdHidesTheIdentityFromUntrustedSidesOnly) {
  const auto m = invite("+15551234567", "\"Bob\" <sip:+15550001@pbx.example>",
                        "P-Asserted-Identity: <sip:+15550001@pbx.example>\r\n"
                        "Privacy: id\r\n");
  const CallerIdentity id = read_caller_identity(policy("", "", true), m, "");
  ASSERT_TRUE(id.privacy.id);

  const CalleeIdentity untrusted =
      write_callee_identity(policy("", "", false), id, m.headers(), "198.51.100.1");
  EXPECT_TRUE(untrusted.anonymous);
  EXPECT_EQ(untrusted.display, "Anonymous");
  EXPECT_THAT(untrusted.headers, IsEmpty());

  const CalleeIdentity trusted =
      write_callee_identity(policy("", "", true), id, m.headers(), "carrier.example");
  EXPECT_TRUE(trusted.anonymous);
  EXPECT_THAT(trusted.headers,
              ElementsAre(Pair("P-Asserted-Identity", "<sip:+15550001@carrier.example>"),
                          Pair("Privacy", "id")));
}

TEST(CallerIdentityTest, PrivacyTokens) {
  EXPECT_EQ(parse_privacy("id"), (PrivacyRequest{true, false}));
  EXPECT_EQ(parse_privacy("user; ID"), (PrivacyRequest{true, true}));
  EXPECT_EQ(parse_privacy("header;critical"), (PrivacyRequest{false, true}));
  EXPECT_FALSE(parse_privacy("none").any());
  EXPECT_FALSE(parse_privacy("").any());
  EXPECT_EQ((PrivacyRequest{true, true}).to_string(), "user;id");
}

TEST(CallerIdentityTest, UserAgentAndHeaderRulesFollowTheIdentity) {
  const auto m = invite("100", "<sip:+15550001@pbx.example>",
                        "Diversion: <sip:+15550100@pbx.example>\r\nUser-Agent: Asterisk\r\n");
  NormalizationPolicy side;
  side.user_agent = "Edge SBC";
  side.headers.pass = {"Diversion"};
  const CallerIdentity id = read_caller_identity(side, m, "");
  const CalleeIdentity out = write_callee_identity(side, id, m.headers(), "192.0.2.1");
  EXPECT_THAT(out.headers, ElementsAre(Pair("User-Agent", "Edge SBC"),
                                       Pair("Diversion", "<sip:+15550100@pbx.example>")));
}

TEST(CallerIdentityTest, RewrittenHeadersCarryOurHostAndTheSideNumbers) {
  const auto m = invite("100", "<sip:+15550001@pbx.example>",
                        "Diversion: \"Front desk\" <sip:02071234500@10.1.1.5;user=phone>;"
                        "reason=unconditional;counter=1, <tel:020-7123-4501>;reason=no-answer\r\n"
                        "X-Other: <sip:02071234500@10.1.1.5>\r\n");
  NormalizationPolicy carrier = kCarrier;
  carrier.headers.pass = {"Diversion", "X-Other"};
  carrier.headers.rewrite = {"diversion"};
  const CallerIdentity id = read_caller_identity(kPbx, m, "");
  const CalleeIdentity out = write_callee_identity(carrier, id, m.headers(), "carrier.example");
  EXPECT_THAT(out.headers,
              ElementsAre(Pair("Diversion",
                               "\"Front desk\" <sip:00442071234500@carrier.example>;"
                               "reason=unconditional;counter=1, "
                               "<sip:00442071234501@carrier.example>;reason=no-answer"),
                          Pair("X-Other", "<sip:02071234500@10.1.1.5>")));
  // A value that cannot be rewritten is left out rather than passed as it is.
  EXPECT_EQ(rewrite_identity_header("<mailto:a@b>", {}, {}, "h"), std::nullopt);
  EXPECT_EQ(rewrite_identity_header("not a uri", {}, {}, "h"), std::nullopt);
}

}  // namespace
}  // namespace sbc::cp
