// sbcd's command line (controlplane/app/main.cc), run as the built program: --help, --check-config
// (the same check_config_file() as start-up and reload) and the exit codes an init system sees.
// Nothing here starts the daemon.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

// The shipped sample with `extra` appended (later sections; a repeated key is refused as such),
// checked by the program: its exit code and what it printed.
sbc::testing::ProgramResult check_sample_with(const std::string& name, const std::string& extra) {
  std::ifstream in(kSample);
  std::stringstream text;
  text << in.rdbuf() << "\n" << extra;
  const auto path = std::filesystem::path(::testing::TempDir()) / (name + ".conf");
  std::ofstream(path) << text.str();
  auto run = run_program(kProgram, "--check-config --config " + path.string());
  std::filesystem::remove(path);
  return run;
}

// What an operator gets wrong in a trunk and route set-up, refused before anything starts.
TEST(SbcdMainTest, CheckConfigRefusesRoutesToUnknownTrunksDuplicateListenersAndUnusableSettings) {
  const struct {
    std::string name;
    std::string extra;
    std::string error;
  } cases[] = {
      {"route", "[route.uk]\nzone = access\nprefix = 44\ntrunks = carrier9\n",
       "route.uk.trunks: no [trunk.carrier9] to route to"},
      {"listen", "[zone.pbx2]\ndataplane_port = access\nlisten = udp:192.0.2.1:5060\n",
       "zone.pbx2.listen: udp 192.0.2.1:5060 is already used by another listener"},
      {"transport", "[trunk.tls_carrier]\nzone = carrier\nhost = 198.51.100.20\ntransport = tls\n",
       "trunk.tls_carrier.transport: zone carrier has no tls listener"},
  };
  for (const auto& c : cases) {
    auto run = check_sample_with(c.name, c.extra);
    EXPECT_EQ(run.exit_code, 1) << c.name;
    EXPECT_NE(run.output.find(c.error), std::string::npos) << run.output;
  }
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
