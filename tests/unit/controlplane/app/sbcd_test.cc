#include "controlplane/app/sbcd.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
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
allow_open_access = yes
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
  config->state_db = (dir / "state.db").string();
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

// A free port on 127.0.0.1 (released again: sbcd binds it next).
uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class SbcdListenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("sbcd_listen_test_{}_{}", ::getpid(), ++counter_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::expected<Config, std::string> config(const std::string& access_extra,
                                            const std::string& extra = {}) {
    auto config = parse_config(fmt::format(R"(
[sbcd]
log_level = warn
[zone.access]
dataplane_port = access
sip_address = 127.0.0.1
{}
default_target = 192.0.2.10:5060
allow_open_access = yes
[zone.carrier]
dataplane_port = trunk
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
{}
)",
                                           access_extra, extra));
    if (config) {
      config->dataplane_socket = (dir_ / "dataplane.sock").string();
      config->mgmt_socket = (dir_ / "sbcd.sock").string();
      config->cdr_file = (dir_ / "cdr.jsonl").string();
      config->state_db = (dir_ / "state.db").string();
    }
    return config;
  }

  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

TEST_F(SbcdListenTest, BindsEveryListenerOfAZone) {
  const uint16_t port = free_port();
  const uint16_t extra = free_port();
  auto c = config(fmt::format("sip_port = {}\nlisten = tcp:127.0.0.1:{}", port, extra));
  ASSERT_TRUE(c.has_value()) << c.error();
  Sbcd sbcd(std::move(*c));
  auto started = sbcd.start();
  ASSERT_TRUE(started.has_value()) << started.error();
  std::thread runner([&] { sbcd.run(); });
  // TCP on sip_port and on the extra listener answer an RFC 5626 ping; UDP is bound too.
  for (const uint16_t p : {port, extra}) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), p});
    boost::asio::write(s, boost::asio::buffer(std::string("\r\n\r\n")));
    std::array<char, 2> pong{};
    boost::asio::read(s, boost::asio::buffer(pong));
    EXPECT_EQ(std::string(pong.data(), 2), "\r\n") << p;
  }
  boost::asio::io_context io;
  boost::asio::ip::udp::socket udp(io, boost::asio::ip::udp::v4());
  boost::system::error_code ec;
  udp.bind({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_EQ(ec, boost::asio::error::address_in_use);
  ::kill(::getpid(), SIGTERM);
  runner.join();
}

TEST_F(SbcdListenTest, TlsErrorsStopTheStart) {
  auto c = config(fmt::format("sip_port = {}", free_port()),
                  fmt::format("[tls]\ncertificate = {0}/none.crt\nprivate_key = {0}/none.key\n",
                              dir_.string()));
  ASSERT_TRUE(c.has_value()) << c.error();
  Sbcd sbcd(std::move(*c));
  auto started = sbcd.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("tls.certificate"), std::string::npos) << started.error();
}

TEST_F(SbcdListenTest, UnusableStateDbStopsTheStart) {
  auto c = config(fmt::format("sip_port = {}", free_port()));
  ASSERT_TRUE(c.has_value()) << c.error();
  c->state_db = (dir_ / "missing" / "state.db").string();
  Sbcd sbcd(std::move(*c));
  auto started = sbcd.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("state_db"), std::string::npos) << started.error();
  EXPECT_NE(started.error().find("missing/state.db"), std::string::npos) << started.error();
}

TEST_F(SbcdListenTest, ABusyPortStopsTheStart) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor busy(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto c = config(fmt::format("sip_port = {}\ntransports = tcp\ndefault_target_transport = tcp",
                              busy.local_endpoint().port()));
  ASSERT_TRUE(c.has_value()) << c.error();
  Sbcd sbcd(std::move(*c));
  auto started = sbcd.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("zone.access"), std::string::npos) << started.error();
}

}  // namespace
}  // namespace sbc::cp
