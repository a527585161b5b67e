// ParseError names (parse_error.cc): stable snake_case labels, one per value, used in logs and as
// metric label values. (message_test checks that they are distinct.)
#include "controlplane/sip/parse_error.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp::sip {
namespace {

TEST(ParseErrorTest, EveryValueHasASnakeCaseLabel) {
  for (int i = 0; i <= static_cast<int>(ParseError::kLast); ++i) {
    const std::string_view name = to_string(static_cast<ParseError>(i));
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_NE(name, "unknown") << i;
    EXPECT_TRUE(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") ==
                std::string_view::npos)
        << name;
    EXPECT_NE(name.front(), '_') << name;
    EXPECT_NE(name.back(), '_') << name;
  }
}

TEST(ParseErrorTest, LabelsAreStable) {
  // Dashboards and alerts select on these.
  EXPECT_EQ(to_string(ParseError::kEmpty), "empty");
  EXPECT_EQ(to_string(ParseError::kMessageTooLarge), "message_too_large");
  EXPECT_EQ(to_string(ParseError::kInvalidCharacter), "invalid_character");
  EXPECT_EQ(to_string(ParseError::kBadVersion), "bad_version");
  EXPECT_EQ(to_string(ParseError::kCSeqMethodMismatch), "cseq_method_mismatch");
  EXPECT_EQ(to_string(ParseError::kTooManyParts), "too_many_parts");
  // A value from a newer build (or corrupted) still gets a label.
  EXPECT_EQ(to_string(static_cast<ParseError>(200)), "unknown");
}

}  // namespace
}  // namespace sbc::cp::sip
