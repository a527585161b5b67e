#include "controlplane/sbcd.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;

// Zones without sip_address bind only once a dataplane names its ports: this test binds nothing.
constexpr const char* kConfig = R"(
[sbcd]
log_level = warn
[zone.access]
dataplane_port = access
default_target = 192.0.2.10:5060
[zone.carrier]
dataplane_port = trunk
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
)";

TEST(SbcdTest, SighupDoesNotStopTheDaemon) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("sbcd_test_{}", ::getpid());
  std::filesystem::create_directories(dir);
  auto config = parse_config(kConfig);
  ASSERT_TRUE(config.has_value()) << config.error();
  config->dataplane_socket = (dir / "dataplane.sock").string();  // nobody listens: retries
  config->mgmt_socket = (dir / "sbcd.sock").string();
  config->cdr_file = (dir / "cdr.jsonl").string();
  {
    Sbcd sbcd(std::move(*config));
    auto started = sbcd.start();
    ASSERT_TRUE(started.has_value()) << started.error();
    std::atomic<bool> stopped{false};
    std::thread runner([&] {
      sbcd.run();
      stopped = true;
    });
    ::kill(::getpid(), SIGHUP);  // without a handler this ends the whole test process
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(stopped.load());
    ::kill(::getpid(), SIGTERM);
    runner.join();
    EXPECT_TRUE(stopped.load());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sbc::cp
