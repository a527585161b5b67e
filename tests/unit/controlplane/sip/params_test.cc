#include "controlplane/sip/params.h"

#include <gtest/gtest.h>

namespace sbc::cp::sip {
namespace {

TEST(Params, ParsesNamesValuesAndFlags) {
  auto p = parse_params(";tag=abc ; lr;received = 10.0.0.1;x=\"a;b\"");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 4u);
  EXPECT_EQ((*p)[0].name, "tag");
  EXPECT_EQ((*p)[0].value, "abc");
  EXPECT_FALSE((*p)[1].has_value);
  EXPECT_EQ((*p)[2].value, "10.0.0.1");
  EXPECT_EQ((*p)[3].value, "\"a;b\"");
  ASSERT_NE(find_param(*p, "LR"), nullptr);
  EXPECT_EQ(find_param(*p, "maddr"), nullptr);
}

TEST(Params, RejectsMalformed) {
  EXPECT_EQ(parse_params(";").error(), ParseError::kBadParameter);
  EXPECT_EQ(parse_params(";a=").error(), ParseError::kBadParameter);
  EXPECT_EQ(parse_params(";;a").error(), ParseError::kBadParameter);
  EXPECT_EQ(parse_params(";a=\"open").error(), ParseError::kBadQuotedString);
  EXPECT_TRUE(parse_params("")->empty());
}

TEST(Params, SplitListHonoursQuotesAndBrackets) {
  auto v = split_list("\"a, b\" <sip:x@y;p=1,2>;q=1 , <sip:z@w>");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[0], "\"a, b\" <sip:x@y;p=1,2>;q=1");
  EXPECT_EQ((*v)[1], "<sip:z@w>");
  EXPECT_EQ(split_list("a,,b").error(), ParseError::kBadHeaderLine);
  EXPECT_EQ(split_list("\"a,b").error(), ParseError::kBadQuotedString);
}

TEST(Params, Decimal) {
  EXPECT_EQ(parse_decimal("0"), 0u);
  EXPECT_EQ(parse_decimal("4294967295"), 4294967295u);
  EXPECT_FALSE(parse_decimal("42949672950"));
  EXPECT_FALSE(parse_decimal("-1"));
  EXPECT_FALSE(parse_decimal(""));
  EXPECT_FALSE(parse_decimal("1 "));
}

}  // namespace
}  // namespace sbc::cp::sip
