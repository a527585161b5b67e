// sbc-cli's main (cli/main.cc), run as the built program against a real management server: the
// usage errors, --help, a one-shot command, a script on stdin (which is no terminal), and the exit
// codes scripts rely on (command_runner.h).
#include <gtest/gtest.h>

#include <string>

#include "cli/command_runner.h"
#include "cli/options.h"
#include "tests/unit/cli/mgmt_server_fixture.h"
#include "tests/unit/run_program.h"

namespace sbc::cli {
namespace {

using sbc::testing::run_program;

constexpr const char* kProgram = SBC_CLI_BINARY;

class CliMainTest : public testing::MgmtServerTest {
 protected:
  CliMainTest() {
    commands_.add({"fail"}, "Always fails",
                  [](cp::CommandArgs) -> cp::CommandResult { return std::unexpected("boom"); });
    start();
  }
  std::string with_socket(const std::string& rest) const {
    return "--socket '" + socket() + "' " + rest;
  }
};

TEST_F(CliMainTest, OneShotCommandsAndTheirExitCodes) {
  auto shown = run_program(kProgram, with_socket("show calls"));
  EXPECT_EQ(shown.exit_code, kExitOk) << shown.output;
  EXPECT_EQ(shown.output, "no calls\n");
  auto json = run_program(kProgram, with_socket("--json show calls"));
  EXPECT_EQ(json.exit_code, kExitOk) << json.output;
  EXPECT_NE(json.output.find("\"calls\""), std::string::npos) << json.output;
  auto failed = run_program(kProgram, with_socket("fail"));
  EXPECT_EQ(failed.exit_code, kExitCommandFailed) << failed.output;
  EXPECT_NE(failed.output.find("boom"), std::string::npos) << failed.output;
  auto nobody =
      run_program(kProgram, "--socket '" + (dir_.path() / "none.sock").string() + "' show calls");
  EXPECT_EQ(nobody.exit_code, kExitConnection) << nobody.output;
}

TEST_F(CliMainTest, StdinThatIsNoTerminalIsAScript) {
  auto script = run_program(kProgram, with_socket(""), "show calls\nfail\nshow calls\n");
  EXPECT_EQ(script.exit_code, kExitCommandFailed) << script.output;  // the worst seen
  EXPECT_NE(script.output.find("no calls\n"), std::string::npos) << script.output;
  EXPECT_NE(script.output.find("boom"), std::string::npos) << script.output;
  EXPECT_NE(script.output.find("no calls\n"), script.output.rfind("no calls\n"))
      << "both lines ran: " << script.output;
  // No prompt in a script.
  EXPECT_EQ(script.output.find("> "), std::string::npos) << script.output;
}

TEST(CliMainUsageTest, HelpAndBadOptions) {
  auto help = run_program(kProgram, "--help");
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_EQ(help.output, usage());
  auto bad = run_program(kProgram, "--timeout soon show calls");
  EXPECT_EQ(bad.exit_code, kExitUsage);
  EXPECT_TRUE(bad.output.starts_with("sbc-cli: ")) << bad.output;
  EXPECT_TRUE(bad.output.ends_with("\nTry 'sbc-cli --help'.\n")) << bad.output;
}

}  // namespace
}  // namespace sbc::cli
