// sbcd's command line (controlplane/app/main.cc), run as the built program: --help, --check-config
// (the same check_config_file() as start-up and reload) and the exit codes an init system sees.
// Nothing here starts the daemon.
#include <gtest/gtest.h>

#include "controlplane/config/config_reload.h"
#include "tests/unit/run_program.h"

namespace sbc::cp {
namespace {

using sbc::testing::run_program;

constexpr const char* kProgram = SBCD_BINARY;
constexpr const char* kSample = SBC_SAMPLE_CONFIG;

TEST(SbcdMainTest, CheckConfigAcceptsTheShippedSample) {
  ASSERT_TRUE(check_config_file(kSample).has_value());
  for (const std::string& args : {fmt::format("--config {} --check-config", kSample),
                                  fmt::format("-c {} --check-config", kSample)}) {
    auto run = run_program(kProgram, args);
    EXPECT_EQ(run.exit_code, 0) << args << "\n" << run.output;
    EXPECT_EQ(run.output, fmt::format("sbcd: {}: OK\n", kSample)) << args;
  }
}

TEST(SbcdMainTest, AnInvalidFileExitsWithTheCheckersError) {
  const std::string missing = "/nonexistent/sbc.conf";
  auto expected = check_config_file(missing);
  ASSERT_FALSE(expected.has_value());
  auto run = run_program(kProgram, "--check-config --config " + missing);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.output, "sbcd: " + expected.error() + "\n");
}

TEST(SbcdMainTest, HelpAndUnknownOptions) {
  auto help = run_program(kProgram, "--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(help.output.starts_with("usage: sbcd --config FILE [--check-config]\n"))
      << help.output;
  EXPECT_NE(help.output.find("--check-config"), std::string::npos);
  EXPECT_NE(help.output.find("(=/etc/sbc/sbc.conf)"), std::string::npos) << help.output;
  auto unknown = run_program(kProgram, "--verbose");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(unknown.output.starts_with("sbcd: ")) << unknown.output;
  EXPECT_NE(unknown.output.find("verbose"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("sbcd options"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace sbc::cp
