// sbc-dataplane's command line (dataplane/app/main.cc), run as the built program: its arguments,
// --check-config and the exit codes an init system sees. Nothing here starts the EAL.
#include <gtest/gtest.h>

#include "dataplane/config/dp_config.h"
#include "tests/unit/run_program.h"

namespace sbc::dp {
namespace {

using sbc::testing::run_program;

constexpr const char* kProgram = SBC_DATAPLANE_BINARY;
constexpr const char* kSample = SBC_SAMPLE_DATAPLANE_CONFIG;

TEST(DataplaneMainTest, CheckConfigReportsThePortsAndWorkersOfAValidFile) {
  auto config = load_config(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  const std::string expected = fmt::format("{}: ok ({} ports, {} workers)\n", kSample,
                                           config->ports.size(), config->worker_count());
  for (const std::string& args : {fmt::format("--config {} --check-config", kSample),
                                  fmt::format("--check-config --config={}", kSample)}) {
    auto run = run_program(kProgram, args);
    EXPECT_EQ(run.exit_code, 0) << args << "\n" << run.output;
    EXPECT_EQ(run.output, expected) << args;
  }
}

TEST(DataplaneMainTest, AnInvalidFileIsNamedWithExitCode2) {
  auto run = run_program(kProgram, "--config /nonexistent/dataplane.conf --check-config");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(run.output.starts_with("sbc-dataplane: ")) << run.output;
  EXPECT_NE(run.output.find("/nonexistent/dataplane.conf"), std::string::npos) << run.output;
}

TEST(DataplaneMainTest, BadArgumentsPrintTheUsageWithExitCode2) {
  const std::string usage =
      "usage: sbc-dataplane --config FILE [--check-config] [-- extra EAL arguments]\n";
  auto missing = run_program(kProgram, "--check-config");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.output, "sbc-dataplane: --config FILE is required\n" + usage);
  auto unknown = run_program(kProgram, fmt::format("--config {} --verbose", kSample));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.output, "sbc-dataplane: unknown argument '--verbose'\n" + usage);
  // --config without its FILE is no option at all.
  auto bare = run_program(kProgram, "--config");
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_EQ(bare.output, "sbc-dataplane: unknown argument '--config'\n" + usage);
  // Everything after "--" is for the EAL, even what looks like our own options.
  auto eal = run_program(kProgram, fmt::format("--config {} --check-config -- --bogus", kSample));
  EXPECT_EQ(eal.exit_code, 0) << eal.output;
}

}  // namespace
}  // namespace sbc::dp
