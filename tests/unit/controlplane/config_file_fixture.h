// Config tests' helpers: a text parsed by the real reader, and a test's own sbc.conf in a
// directory of its own (removed after the test).
#pragma once

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "controlplane/config/config.h"

namespace sbc::cp::testing {

// Two zones on two dataplane ports, one trunk; 20000..20999 holds 500 RTP/RTCP pairs on each
// port: 500 calls.
inline constexpr const char* kTwoPortConfig = R"(
[media]
port_min = 20000
port_max = 20999
[zone.access]
allow_open_access = yes
dataplane_port = access
sip_address = 192.0.2.1
default_target = 192.0.2.10:5060
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
)";

inline bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::ranges::find(list, item) != list.end();
}

// `text` through parse_config(); a test config that does not parse aborts the test binary.
inline Config parsed(const std::string& text) {
  auto config = parse_config(text);
  EXPECT_TRUE(config.has_value()) << config.error();
  if (!config) std::abort();
  return *config;
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("sbcd_reload_test_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "sbc.conf").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) const { std::ofstream(path_) << text; }

  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace sbc::cp::testing
