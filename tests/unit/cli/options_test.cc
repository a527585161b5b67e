#include "cli/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::cli {
namespace {

using Words = std::vector<std::string>;

std::expected<Options, std::string> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "sbc-cli");
  return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(OptionsTest, DefaultsAreInteractiveOnTheStandardSocket) {
  auto options = parse({});
  ASSERT_TRUE(options.has_value()) << options.error();
  EXPECT_EQ(options->socket_path, "/run/sbc/sbcd.sock");
  EXPECT_FALSE(options->json);
  EXPECT_EQ(options->timeout, std::chrono::milliseconds(5000));
  EXPECT_TRUE(options->words.empty());
  EXPECT_FALSE(options->help);
}

TEST(OptionsTest, OneShotWithOptions) {
  auto options = parse({"--socket", "/tmp/x.sock", "--json", "--timeout", "0.25", "show", "calls"});
  ASSERT_TRUE(options.has_value()) << options.error();
  EXPECT_EQ(options->socket_path, "/tmp/x.sock");
  EXPECT_TRUE(options->json);
  EXPECT_EQ(options->timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(options->words, (Words{"show", "calls"}));
}

TEST(OptionsTest, WordsStartingWithDashFollowDoubleDash) {
  auto options = parse({"--", "show", "-x"});
  ASSERT_TRUE(options.has_value()) << options.error();
  EXPECT_EQ(options->words, (Words{"show", "-x"}));
}

TEST(OptionsTest, ErrorsNameTheOption) {
  auto unknown = parse({"--sokcet", "/x"});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().find("sokcet"), std::string::npos) << unknown.error();

  for (const char* bad : {"0", "-1", "nan", "abc", "99999"}) {
    auto timeout = parse({"--timeout", bad});
    ASSERT_FALSE(timeout.has_value()) << bad;
    EXPECT_NE(timeout.error().find("timeout"), std::string::npos) << timeout.error();
  }
  auto empty = parse({"--socket", ""});
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().find("socket"), std::string::npos) << empty.error();
}

TEST(OptionsTest, HelpFlagAndUsageText) {
  auto options = parse({"--help"});
  ASSERT_TRUE(options.has_value());
  EXPECT_TRUE(options->help);
  EXPECT_NE(usage().find("--socket"), std::string::npos);
  EXPECT_NE(usage().find("Exit status"), std::string::npos);
}

}  // namespace
}  // namespace sbc::cli
