// sbc-cli's client against the real management server: the two halves of the protocol agree.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/client.h"
#include "cli/command_runner.h"
#include "cli/completer.h"
#include "tests/unit/cli/mgmt_server_fixture.h"

namespace sbc::cli {
namespace {

using namespace std::chrono_literals;
using Words = std::vector<std::string>;

class CliMgmtServerTest : public testing::MgmtServerTest {
 protected:
  CliMgmtServerTest() { start(); }
};

TEST_F(CliMgmtServerTest, OneShotTextJsonAndError) {
  Client client(socket(), 2s);
  std::ostringstream out, err;
  EXPECT_EQ(run_command(client, Words{"show", "calls"}, api::OutputFormat::kText, out, err),
            kExitOk);
  EXPECT_EQ(out.str(), "no calls\n");
  out.str("");
  EXPECT_EQ(run_command(client, Words{"show", "calls"}, api::OutputFormat::kJson, out, err),
            kExitOk);
  EXPECT_EQ(out.str(), "{\n  \"calls\": []\n}\n");
  EXPECT_EQ(run_command(client, Words{"show", "cals"}, api::OutputFormat::kText, out, err),
            kExitCommandFailed);
  EXPECT_EQ(err.str(), "error: unknown command 'show cals'; did you mean: show calls\n");
}

TEST_F(CliMgmtServerTest, CompletionFromTheServersCommandList) {
  Client client(socket(), 2s);
  auto commands = client.fetch_commands();
  ASSERT_TRUE(commands.has_value()) << commands.error().message;
  Completer completer(std::move(*commands));
  EXPECT_EQ(completer.complete("sh").candidates, Words{"show"});
  EXPECT_EQ(completer.complete("show ").candidates, Words{"calls"});
  EXPECT_EQ(completer.complete("").candidates, (Words{"exit", "help", "quit", "show"}));
}

}  // namespace
}  // namespace sbc::cli
