#include "controlplane/normalize/number_rules.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

NumberRules rules(std::string_view text) {
  auto parsed = NumberRules::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error();
  return parsed.value_or(NumberRules{});
}

TEST(NumberRulesTest, NationalAndInternationalIntoE164) {
  // UK numbers as a PBX dials them: 00 international, 0 national (11 digits), else as they are.
  const NumberRules in = rules("00>+, 0{11}>+44");
  EXPECT_EQ(in.apply("0033123456789"), "+33123456789");
  EXPECT_EQ(in.apply("02071234567"), "+442071234567");
  EXPECT_EQ(in.apply("0207123456"), "0207123456");  // 10 digits: no rule's length
  EXPECT_EQ(in.apply("+442071234567"), "+442071234567");
  EXPECT_EQ(in.apply("101"), "101");  // an extension
}

TEST(NumberRulesTest, FirstMatchingRuleOnlyAndLengthRanges) {
  // A North American carrier: 10 digits get +1, 11 starting with 1 a +; first match wins.
  const NumberRules in = rules("{10}>+1, 1{11}>+1, 011>+");
  EXPECT_EQ(in.apply("5551234567"), "+15551234567");
  EXPECT_EQ(in.apply("15551234567"), "+15551234567");
  EXPECT_EQ(in.apply("01133123456789"), "+33123456789");
  // An empty prefix never matches a number with its '+': no "+1+555...".
  EXPECT_EQ(in.apply("+555123456"), "+555123456");
  const NumberRules out = rules("+1{12}>1, +>011");
  EXPECT_EQ(out.apply("+15551234567"), "15551234567");
  EXPECT_EQ(out.apply("+33123456789"), "01133123456789");
  const NumberRules range = rules("9{5-7}>");
  EXPECT_EQ(range.apply("91234"), "1234");
  EXPECT_EQ(range.apply("9123456"), "123456");
  EXPECT_EQ(range.apply("91234567"), "91234567");
}

TEST(NumberRulesTest, NamesAreNotNumbers) {
  const NumberRules in = rules("0>+44");
  EXPECT_EQ(in.apply("alice"), "alice");
  EXPECT_EQ(in.apply("anonymous"), "anonymous");
  EXPECT_EQ(in.apply("0alice"), "0alice");
  EXPECT_EQ(in.apply("*98#"), "*98#");
  EXPECT_TRUE(is_number("+15551234567"));
  EXPECT_TRUE(is_number("*67#"));
  EXPECT_FALSE(is_number("+"));
  EXPECT_FALSE(is_number("1+5"));
  EXPECT_FALSE(is_number(""));
}

TEST(NumberRulesTest, ParserRefusals) {
  for (const char* bad : {"00", "0>+44,,1>2", "abc>1", "0>+4 4", "{0}>1", "1{5-3}>2", ">+1",
                          "0{11>+44", "0{x}>1", "+1>1+"}) {
    auto parsed = NumberRules::parse(bad);
    EXPECT_FALSE(parsed.has_value()) << bad;
  }
  EXPECT_TRUE(rules("none").empty());
  EXPECT_TRUE(rules("").empty());
  EXPECT_EQ(rules(" 00 > + ,0{11}>+44, 9{5-7}>").to_string(), "00>+, 0{11}>+44, 9{5-7}>");
}

}  // namespace
}  // namespace sbc::cp
