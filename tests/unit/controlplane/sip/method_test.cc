// Method tokens (method.cc): the known methods both ways, case-sensitivity, extension methods and
// the token grammar of RFC 3261 §25.1.
#include "controlplane/sip/method.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sbc::cp::sip {
namespace {

TEST(MethodTest, KnownMethodsRoundTrip) {
  std::set<std::string_view> names;
  for (int i = static_cast<int>(Method::kInvite); i <= static_cast<int>(Method::kPublish); ++i) {
    const auto method = static_cast<Method>(i);
    const std::string_view name = method_name(method);
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(method_from_text(name), method) << name;
    EXPECT_TRUE(is_token(name));
  }
  EXPECT_EQ(names.size(), 14u);
  EXPECT_EQ(method_name(Method::kPrack), "PRACK");
  EXPECT_EQ(method_name(Method::kOther), "");
}

TEST(MethodTest, MatchingIsExactAndCaseSensitive) {
  EXPECT_EQ(method_from_text("INVITE"), Method::kInvite);
  EXPECT_EQ(method_from_text("invite"), Method::kOther);  // RFC 3261 §7.1: case-sensitive
  EXPECT_EQ(method_from_text("Invite"), Method::kOther);
  EXPECT_EQ(method_from_text("INVITE "), Method::kOther);
  EXPECT_EQ(method_from_text("INVITEX"), Method::kOther);
  EXPECT_EQ(method_from_text("INVIT"), Method::kOther);
  EXPECT_EQ(method_from_text(""), Method::kOther);
  EXPECT_EQ(method_from_text("FOO"), Method::kOther);
}

TEST(MethodTest, TokenGrammar) {
  // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  EXPECT_TRUE(is_token("NEWMETHOD"));
  EXPECT_TRUE(is_token("a-b.c!d%e*f_g+h`i'j~k09"));
  EXPECT_FALSE(is_token(""));
  for (char c : std::string(" \t\"(),/:;<=>?@[\\]{}\r\n")) {
    EXPECT_FALSE(is_token(std::string("AB") + c + "CD")) << int(c);
  }
  EXPECT_FALSE(is_token(std::string("A\0B", 3)));
  EXPECT_FALSE(is_token("\xc3\xa9"));  // non-ASCII
}

}  // namespace
}  // namespace sbc::cp::sip
