#include "cli/completer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::cli {
namespace {

using Words = std::vector<std::string>;

Completer make_completer() {
  return Completer({
      {{"help"}, "List commands"},
      {{"show", "calls"}, "List active calls"},
      {{"show", "call"}, "show call <id>"},
      {{"show", "call", "media"}, "show call media <id>"},
      {{"show", "dataplane"}, "Dataplane ports"},
      {{"show", "registrations"}, "Registered users"},
      {{"ban", "add"}, "ban add <ip>"},
  });
}

Words words_of(const std::vector<CommandSpec>& specs) {
  Words out;
  for (const auto& spec : specs) out.push_back(join_words(spec.words));
  return out;
}

TEST(CompleterTest, SplitsOnAnyWhitespace) {
  EXPECT_EQ(Completer::split("  show\tcalls  \n"), (Words{"show", "calls"}));
  EXPECT_TRUE(Completer::split(" \t ").empty());
}

TEST(CompleterTest, FirstWordFromEmptyLine) {
  Completion c = make_completer().complete("");
  EXPECT_EQ(c.word, "");
  EXPECT_EQ(c.candidates, (Words{"ban", "exit", "help", "quit", "show"}));
  EXPECT_EQ(c.common_prefix, "");
}

TEST(CompleterTest, UniquePrefixCompletesOneWord) {
  Completion c = make_completer().complete("sh");
  EXPECT_EQ(c.word, "sh");
  EXPECT_EQ(c.candidates, Words{"show"});
  EXPECT_EQ(c.common_prefix, "show");
}

TEST(CompleterTest, SecondWordAfterSpace) {
  Completion c = make_completer().complete("show ");
  EXPECT_EQ(c.word, "");
  EXPECT_EQ(c.candidates, (Words{"call", "calls", "dataplane", "registrations"}));
}

TEST(CompleterTest, AmbiguousPrefixGivesCommonPrefix) {
  Completion c = make_completer().complete("show ca");
  EXPECT_EQ(c.word, "ca");
  EXPECT_EQ(c.candidates, (Words{"call", "calls"}));
  EXPECT_EQ(c.common_prefix, "call");
}

TEST(CompleterTest, ThirdWordOfLongerCommand) {
  Completion c = make_completer().complete("show call m");
  EXPECT_EQ(c.candidates, Words{"media"});
}

TEST(CompleterTest, NothingToCompleteInArgumentsOrUnknownWords) {
  EXPECT_TRUE(make_completer().complete("show calls ").candidates.empty());
  EXPECT_TRUE(make_completer().complete("ban add 10.0.0.").candidates.empty());
  EXPECT_TRUE(make_completer().complete("shox ").candidates.empty());
  EXPECT_TRUE(make_completer().complete("x").candidates.empty());
}

TEST(CompleterTest, WithoutServerCommandsOnlyLocalOnes) {
  Completer completer;
  EXPECT_FALSE(completer.has_server_commands());
  EXPECT_EQ(completer.complete("").candidates, (Words{"exit", "quit"}));
  EXPECT_TRUE(make_completer().has_server_commands());
}

TEST(CompleterTest, HelpForPartialWordListsWhatItMayBecome) {
  EXPECT_EQ(words_of(make_completer().help_for("show ca")),
            (Words{"show call", "show call media", "show calls"}));
  EXPECT_EQ(words_of(make_completer().help_for("show d")), Words{"show dataplane"});
}

TEST(CompleterTest, HelpForEmptyLineListsEverything) {
  EXPECT_EQ(make_completer().help_for("").size(), 9u);  // seven from the server, exit and quit
}

TEST(CompleterTest, HelpInsideArgumentsShowsTheCommandBeingTyped) {
  auto specs = make_completer().help_for("show call 42");
  ASSERT_EQ(words_of(specs), Words{"show call"});
  EXPECT_EQ(specs[0].help, "show call <id>");
  EXPECT_EQ(words_of(make_completer().help_for("show call ")),
            (Words{"show call", "show call media"}));
}

TEST(CompleterTest, HelpForUnknownIsEmpty) {
  EXPECT_TRUE(make_completer().help_for("frob").empty());
  EXPECT_TRUE(make_completer().help_for("show frob").empty());
}

}  // namespace
}  // namespace sbc::cli
