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

// The zones and the trunk most tests start from, written once. Zones sort as access (0), carrier
// (1). A test appends keys to the last section, further sections, or a section again (its keys
// add to it).
//
// Zone access: open (no ACL, no authentication), SIP on 192.0.2.1, media on dataplane port
// "access".
inline const std::string kAccessZone =
    "[zone.access]\ndataplane_port = access\nsip_address = 192.0.2.1\nallow_open_access = yes\n";
// Zone carrier: SIP on 198.51.100.1, media on dataplane port "trunk".
inline const std::string kCarrierZone =
    "[zone.carrier]\ndataplane_port = trunk\nsip_address = 198.51.100.1\n";
// Trunk carrier1 on zone carrier, at 198.51.100.10 (its allow list: that host).
inline const std::string kCarrier1Trunk =
    "[trunk.carrier1]\nzone = carrier\nhost = 198.51.100.10\n";
inline const std::string kTwoZoneConfig = kAccessZone + kCarrierZone + kCarrier1Trunk;

// Two zones on two dataplane ports, one trunk, calls from the trunk to the PBX at 192.0.2.10;
// 20000..20999 holds 500 RTP/RTCP pairs on each port: 500 calls.
inline const std::string kTwoPortConfig = "[media]\nport_min = 20000\nport_max = 20999\n" +
                                          kAccessZone + "default_target = 192.0.2.10:5060\n" +
                                          kCarrierZone + kCarrier1Trunk;

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
