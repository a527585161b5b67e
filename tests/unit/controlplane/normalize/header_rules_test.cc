#include "controlplane/normalize/header_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/controlplane/normalize/invite.h"

namespace sbc::cp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::invite;
using ::testing::Pair;

const std::string kExtra =
    "Diversion: <sip:+15550100@pbx.example>;reason=unconditional\r\n"
    "X-Account-Code: 4711\r\n"
    "User-Agent: Asterisk PBX 18.2\r\n"
    "P-Asserted-Identity: <sip:+15550001@pbx.example>\r\n"
    "Record-Route: <sip:10.0.0.1;lr>\r\n"
    "Subject: sales\r\n";

TEST(HeaderRulesTest, NothingPassesByDefault) {
  const auto m = invite("+15551234567", "<sip:alice@pbx.example>", kExtra);
  NamedHeaders out;
  HeaderRules{}.apply(m.headers(), out);
  EXPECT_TRUE(out.empty());
}

TEST(HeaderRulesTest, PassesListedHeadersThenAddsItsOwn) {
  const auto m = invite("+15551234567", "<sip:alice@pbx.example>", kExtra);
  HeaderRules rules;
  rules.pass = *HeaderRules::parse_names("diversion, X-Account-Code");
  rules.add.push_back(*HeaderRules::parse_add("X-Carrier-Account: 99-17"));
  NamedHeaders out;
  rules.apply(m.headers(), out);
  EXPECT_THAT(out,
              ElementsAre(Pair("Diversion", "<sip:+15550100@pbx.example>;reason=unconditional"),
                          Pair("X-Account-Code", "4711"), Pair("X-Carrier-Account", "99-17")));
}

TEST(HeaderRulesTest, PassAllKeepsOwnedHeadersAndMinusRemoveList) {
  const auto m = invite("+15551234567", "<sip:alice@pbx.example>",
                        kExtra + "X-Long: " + std::string(kMaxPassedValue + 1, 'x') + "\r\n" +
                            "X-Folded: a\r\n b\r\n");
  HeaderRules rules;
  rules.pass_all = true;
  rules.remove = *HeaderRules::parse_names("x-account-code");
  NamedHeaders out;
  rules.apply(m.headers(), out);
  EXPECT_THAT(out,
              ElementsAre(Pair("Diversion", "<sip:+15550100@pbx.example>;reason=unconditional"),
                          Pair("Subject", "sales"), Pair("X-Folded", "a b")));
}

TEST(HeaderRulesTest, PassedHeadersAreBounded) {
  std::string many;
  for (int i = 0; i < 40; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  const auto m = invite("100", "<sip:alice@pbx.example>", many);
  HeaderRules rules;
  rules.pass_all = true;
  NamedHeaders out;
  rules.apply(m.headers(), out);
  EXPECT_EQ(out.size(), kMaxPassedHeaders);
}

TEST(HeaderRulesTest, ParserRefusesWhatTheSbcWritesItself) {
  for (const char* owned : {"Via", "contact", "Record-Route", "P-Asserted-Identity", "Privacy",
                            "Content-Type", "m", "Authorization", "Server", "User-Agent"}) {
    auto names = HeaderRules::parse_names(std::string("Diversion, ") + owned);
    ASSERT_FALSE(names.has_value()) << owned;
    EXPECT_THAT(names.error(), HasSubstr("written by the SBC itself"));
  }
  EXPECT_FALSE(HeaderRules::parse_names("X Bad").has_value());
  EXPECT_FALSE(HeaderRules::parse_add("X-Foo").has_value());
  EXPECT_FALSE(HeaderRules::parse_add("X-Foo: ").has_value());
  EXPECT_FALSE(HeaderRules::parse_add("Via: SIP/2.0/UDP x").has_value());
  EXPECT_THAT(*HeaderRules::parse_add("subject:  hello world "), Pair("Subject", "hello world"));
}

}  // namespace
}  // namespace sbc::cp
