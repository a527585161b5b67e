#include "cli/command_runner.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/cli/fake_mgmt_server.h"

namespace sbc::cli {
namespace {

using testing::FakeMgmtServer;
using testing::TempDir;
using Words = std::vector<std::string>;
using namespace std::chrono_literals;

// "fail ..." fails, anything else answers with its words.
std::optional<std::string> script(const std::string& line) {
  auto request = api::decode_request(line);
  if (request->command[0] == "fail") {
    return *api::encode_reply(api::MgmtReply::failure(request->id, "it failed"));
  }
  std::string text = request->command.back();  // deliberately without a final newline
  return *api::encode_reply(api::MgmtReply::success(
      request->id, text, nlohmann::json{{"last", request->command.back()}}));
}

class CommandRunnerTest : public ::testing::Test {
 protected:
  std::string socket() const { return (dir_.path() / "sbcd.sock").string(); }
  TempDir dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandRunnerTest, TextOutputEndsWithNewline) {
  FakeMgmtServer server(socket(), script);
  Client client(socket(), 2s);
  EXPECT_EQ(run_command(client, Words{"show", "calls"}, api::OutputFormat::kText, out_, err_),
            kExitOk);
  EXPECT_EQ(out_.str(), "calls\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CommandRunnerTest, JsonOutputIsPrettyData) {
  FakeMgmtServer server(socket(), script);
  Client client(socket(), 2s);
  EXPECT_EQ(run_command(client, Words{"show", "calls"}, api::OutputFormat::kJson, out_, err_),
            kExitOk);
  EXPECT_EQ(out_.str(), "{\n  \"last\": \"calls\"\n}\n");
}

TEST_F(CommandRunnerTest, CommandFailureIsExitOne) {
  FakeMgmtServer server(socket(), script);
  Client client(socket(), 2s);
  EXPECT_EQ(run_command(client, Words{"fail"}, api::OutputFormat::kText, out_, err_),
            kExitCommandFailed);
  EXPECT_EQ(err_.str(), "error: it failed\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandRunnerTest, UnreachableServerIsExitTwoNamingTheSocket) {
  Client client(socket(), 1s);
  EXPECT_EQ(run_command(client, Words{"help"}, api::OutputFormat::kText, out_, err_),
            kExitConnection);
  EXPECT_NE(err_.str().find("sbc-cli: cannot connect to " + socket()), std::string::npos)
      << err_.str();
}

TEST_F(CommandRunnerTest, LinesHandleBlankExitAndCommands) {
  FakeMgmtServer server(socket(), script);
  Client client(socket(), 2s);
  EXPECT_FALSE(run_line(client, "   ", api::OutputFormat::kText, out_, err_).leave);
  EXPECT_TRUE(run_line(client, " exit ", api::OutputFormat::kText, out_, err_).leave);
  EXPECT_TRUE(run_line(client, "quit", api::OutputFormat::kText, out_, err_).leave);
  LineOutcome ran = run_line(client, "show  calls", api::OutputFormat::kText, out_, err_);
  EXPECT_FALSE(ran.leave);
  EXPECT_EQ(ran.exit_code, kExitOk);
  EXPECT_EQ(out_.str(), "calls\n");
}

TEST_F(CommandRunnerTest, ScriptRunsUntilExitAndReportsWorstStatus) {
  FakeMgmtServer server(socket(), script);
  Client client(socket(), 2s);
  std::istringstream in("show a\n\nfail now\nshow b\nexit\nshow never\n");
  EXPECT_EQ(run_script(client, in, api::OutputFormat::kText, out_, err_), kExitCommandFailed);
  EXPECT_EQ(out_.str(), "a\nb\n");
  EXPECT_EQ(err_.str(), "error: it failed\n");
}

}  // namespace
}  // namespace sbc::cli
