#include "controlplane/mgmt/command_table.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace sbc::cp {
namespace {

using Words = std::vector<std::string>;

// Records which command ran with which arguments.
struct Recorder {
  std::string ran;
  Words args;

  CommandHandler handler(std::string name) {
    return [this, name](CommandArgs a) -> CommandResult {
      ran = name;
      args.assign(a.begin(), a.end());
      return CommandOutput{.text = name + "\n", .data = {{"ran", name}}};
    };
  }
};

class CommandTableTest : public ::testing::Test {
 protected:
  CommandTableTest() {
    table_.add({"show", "calls"}, "List active calls", recorder_.handler("show calls"));
    table_.add({"show", "call"}, "show call <id>: One call", recorder_.handler("show call"));
    table_.add({"show", "call", "media"}, "show call media <id>: Its streams",
               recorder_.handler("show call media"));
    table_.add({"show", "dataplane"}, "Dataplane ports", recorder_.handler("show dataplane"));
    table_.add({"ban", "add"}, "ban add <ip>", recorder_.handler("ban add"));
  }

  CommandResult run(const Words& line) { return table_.dispatch(line); }

  CommandTable table_;
  Recorder recorder_;
};

TEST_F(CommandTableTest, ExactCommandRunsWithNoArgs) {
  auto result = run({"show", "calls"});
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(recorder_.ran, "show calls");
  EXPECT_TRUE(recorder_.args.empty());
  EXPECT_EQ(result->text, "show calls\n");
  EXPECT_EQ(result->data["ran"], "show calls");
}

TEST_F(CommandTableTest, LongestPrefixWinsAndRestAreArgs) {
  ASSERT_TRUE(run({"show", "call", "42"}).has_value());
  EXPECT_EQ(recorder_.ran, "show call");
  EXPECT_EQ(recorder_.args, Words{"42"});

  ASSERT_TRUE(run({"show", "call", "media", "42", "x"}).has_value());
  EXPECT_EQ(recorder_.ran, "show call media");
  EXPECT_EQ(recorder_.args, (Words{"42", "x"}));
}

TEST_F(CommandTableTest, UnknownCommandSuggestsCloseMatches) {
  auto typo = run({"shwo", "calls"});
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().find("unknown command 'shwo'"), std::string::npos) << typo.error();
  EXPECT_NE(typo.error().find("did you mean: show"), std::string::npos) << typo.error();

  auto second = run({"show", "calz"});
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().find("did you mean: show call, show calls"), std::string::npos)
      << second.error();

  auto far = run({"show", "zzzzzz"});
  ASSERT_FALSE(far.has_value());
  EXPECT_NE(far.error().find("'show' continues with: call, calls, dataplane"), std::string::npos)
      << far.error();

  auto nothing = run({"frobnicate"});
  ASSERT_FALSE(nothing.has_value());
  EXPECT_NE(nothing.error().find("type 'help'"), std::string::npos) << nothing.error();
  EXPECT_TRUE(recorder_.ran.empty()) << "no handler may run for an unknown command";
}

TEST_F(CommandTableTest, IncompleteCommandSaysHowToContinue) {
  auto result = run({"show"});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), "incomplete command 'show'; continue with: call, calls, dataplane");
}

TEST_F(CommandTableTest, HostileLinesAreErrors) {
  EXPECT_FALSE(run({}).has_value());
  EXPECT_FALSE(run(Words(CommandTable::kMaxWords + 1, "show")).has_value());
  EXPECT_FALSE(
      run({"show", "call", std::string(CommandTable::kMaxWordLength + 1, 'x')}).has_value());
  EXPECT_TRUE(recorder_.ran.empty());
}

TEST_F(CommandTableTest, HandlerErrorsAndExceptionsBecomeErrorValues) {
  table_.add({"fail"}, "Always fails",
             [](CommandArgs) -> CommandResult { return std::unexpected("no such thing"); });
  table_.add({"throw"}, "Always throws",
             [](CommandArgs) -> CommandResult { throw std::runtime_error("boom"); });
  EXPECT_EQ(run({"fail"}).error(), "no such thing");
  EXPECT_EQ(run({"throw"}).error(), "command 'throw' failed: boom");
}

TEST_F(CommandTableTest, HelpListsEverythingSortedWithJson) {
  auto help = run({"help"});
  ASSERT_TRUE(help.has_value()) << help.error();
  const auto& list = help->data["commands"];
  ASSERT_EQ(list.size(), 6u);  // five registered + help
  EXPECT_EQ(list[0]["words"], (Words{"ban", "add"}));
  EXPECT_EQ(list[1]["words"], Words{"help"});
  EXPECT_EQ(list[2]["words"], (Words{"show", "call"}));
  EXPECT_EQ(list[2]["help"], "show call <id>: One call");
  EXPECT_NE(help->text.find("  show dataplane   Dataplane ports\n"), std::string::npos)
      << help->text;

  std::vector<CommandInfo> commands = table_.commands();
  ASSERT_EQ(commands.size(), 6u);
  EXPECT_EQ(commands[5].words, (Words{"show", "dataplane"}));
}

TEST_F(CommandTableTest, HelpWithWordsFilters) {
  auto help = run({"help", "show", "call"});
  ASSERT_TRUE(help.has_value()) << help.error();
  const auto& list = help->data["commands"];
  ASSERT_EQ(list.size(), 2u) << "whole words match: 'show calls' is not under 'show call'";
  EXPECT_EQ(list[0]["words"], (Words{"show", "call"}));
  EXPECT_EQ(list[1]["words"], (Words{"show", "call", "media"}));
}

TEST_F(CommandTableTest, HelpForUnknownWordsIsAnError) {
  auto help = run({"help", "shw"});
  ASSERT_FALSE(help.has_value());
  EXPECT_NE(help.error().find("did you mean: show"), std::string::npos) << help.error();
}

TEST(CommandTableRegistrationTest, ProgrammingErrorsThrow) {
  CommandTable table;
  auto ok = [](CommandArgs) -> CommandResult { return CommandOutput{}; };
  EXPECT_THROW(table.add({}, "x", ok), std::logic_error);
  EXPECT_THROW(table.add({"show", ""}, "x", ok), std::logic_error);
  EXPECT_THROW(table.add({"show calls"}, "x", ok), std::logic_error);
  EXPECT_THROW(table.add({"x"}, "x", nullptr), std::logic_error);
  EXPECT_THROW(table.add({"help"}, "x", ok), std::logic_error) << "duplicate of the built-in";
  table.add({"show", "calls"}, "x", ok);
  EXPECT_THROW(table.add({"show", "calls"}, "again", ok), std::logic_error);
}

}  // namespace
}  // namespace sbc::cp
