// Sbcd's reload (sbcd_reload.cc) in a running sbcd: listeners of zones a reload adds are opened and
// those of zones it removes (and no call uses) closed; `reload`, `check config` and `show config`
// over the management socket, as sbc-cli sends them.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <thread>

#include "cli/client.h"
#include "controlplane/app/sbcd.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// A free port on 127.0.0.1 for UDP and TCP (released again: sbcd binds it next).
uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    asio::io_context io;
    asio::ip::tcp::acceptor tcp(io, {asio::ip::make_address("127.0.0.1"), 0});
    const uint16_t port = tcp.local_endpoint().port();
    asio::ip::udp::socket udp(io, asio::ip::udp::v4());
    boost::system::error_code ec;
    udp.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec) return port;
  }
  ADD_FAILURE() << "no free port";
  return 0;
}

// Whether something listens on UDP `port` of 127.0.0.1 (binding it fails).
bool udp_bound(uint16_t port) {
  asio::io_context io;
  asio::ip::udp::socket udp(io, asio::ip::udp::v4());
  boost::system::error_code ec;
  udp.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
  return ec == asio::error::address_in_use;
}

class SbcdReloadTest : public ConfigFileTest {
 protected:
  void SetUp() override {
    ConfigFileTest::SetUp();
    access_port_ = free_port();
    extra_port_ = free_port();
  }
  // The running file: [zone.access] listens on 127.0.0.1:access_port_; `zones` adds sections.
  std::string text(const std::string& zones = {}) const {
    return fmt::format(R"(
[sbcd]
log_level = warn
dataplane_socket = {0}/dataplane.sock
mgmt_socket = {0}/sbcd.sock
cdr_file = {0}/cdr.jsonl
state_db = {0}/state.db
[zone.access]
allow_open_access = yes
dataplane_port = access
sip_address = 127.0.0.1
sip_port = {1}
transports = udp
default_target = 192.0.2.10:5060
[zone.carrier]
dataplane_port = trunk
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
{2}
)",
                       dir_.string(), access_port_, zones);
  }
  // A second trunk zone, listening on 127.0.0.1:extra_port_, and its trunk.
  std::string extra_zone() const {
    return fmt::format(
        "[zone.extra]\ndataplane_port = trunk\nsip_address = 127.0.0.1\nsip_port = {}\n"
        "transports = udp\n[trunk.carrier2]\nzone = extra\nhost = 198.51.100.20\n",
        extra_port_);
  }
  std::unique_ptr<Sbcd> start(const std::string& file) {
    write(file);
    auto config = check_config_file(path_);
    EXPECT_TRUE(config.has_value()) << config.error();
    if (!config) return nullptr;
    auto sbcd = std::make_unique<Sbcd>(std::move(*config));
    sbcd->set_config_path(path_);
    auto started = sbcd->start();
    EXPECT_TRUE(started.has_value()) << started.error();
    if (!started) return nullptr;
    return sbcd;
  }

  uint16_t access_port_ = 0;
  uint16_t extra_port_ = 0;
};

TEST_F(SbcdReloadTest, AddedZonesListenAndRemovedOnesAreClosed) {
  auto sbcd = start(text());
  ASSERT_NE(sbcd, nullptr);
  EXPECT_TRUE(udp_bound(access_port_));
  EXPECT_FALSE(udp_bound(extra_port_));

  write(text(extra_zone()));
  auto added = sbcd->reload();
  ASSERT_TRUE(added.has_value()) << added.error();
  EXPECT_TRUE(has(added->changes, "zone.extra: added"));
  EXPECT_TRUE(added->warnings.empty());
  EXPECT_TRUE(udp_bound(extra_port_));

  write(text());
  auto removed = sbcd->reload();
  ASSERT_TRUE(removed.has_value()) << removed.error();
  EXPECT_TRUE(has(removed->changes, "zone.extra: removed"));
  EXPECT_FALSE(udp_bound(extra_port_));  // no call used it: closed at once
  EXPECT_TRUE(udp_bound(access_port_));
}

TEST_F(SbcdReloadTest, AZoneThatCannotBindIsAWarningNotARefusal) {
  auto sbcd = start(text());
  ASSERT_NE(sbcd, nullptr);
  asio::io_context io;
  asio::ip::udp::socket busy(io, asio::ip::udp::v4());
  busy.bind({asio::ip::make_address("127.0.0.1"), extra_port_});

  write(text(extra_zone()));
  auto applied = sbcd->reload();
  ASSERT_TRUE(applied.has_value()) << applied.error();
  EXPECT_TRUE(has(applied->changes, "zone.extra: added"));
  ASSERT_EQ(applied->warnings.size(), 1u);
  EXPECT_TRUE(applied->warnings[0].starts_with("zone.extra: ")) << applied->warnings[0];
}

// Sbcd::reload() itself: an invalid file changes nothing, a valid one is applied and summarised.
TEST_F(SbcdReloadTest, RefusesAnInvalidFileAndAppliesAValidOne) {
  const std::string base = fmt::format(R"(
[sbcd]
log_level = warn
dataplane_socket = {0}/dataplane.sock
mgmt_socket = {0}/sbcd.sock
cdr_file = {0}/cdr.jsonl
state_db = {0}/state.db
[zone.access]
allow_open_access = yes
dataplane_port = access
default_target = 192.0.2.10:5060
[zone.carrier]
dataplane_port = trunk
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
)",
                                       dir_.string());
  write(base);
  auto config = check_config_file(path_);
  ASSERT_TRUE(config.has_value()) << config.error();
  Sbcd sbcd(std::move(*config));
  sbcd.set_config_path(path_);
  ASSERT_TRUE(sbcd.start().has_value());

  write(base + "[trunk.carrier1]\nmax_calls = lots\n");
  auto refused = sbcd.reload();
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("trunk.carrier1.max_calls"), std::string::npos) << refused.error();

  std::string next = base + "[trunk.carrier2]\nzone = carrier\nhost = 198.51.100.20\n";
  next.replace(next.find("mgmt_socket = "), 14, "mgmt_socket = /tmp/not-now");
  write(next);
  auto applied = sbcd.reload();
  ASSERT_TRUE(applied.has_value()) << applied.error();
  EXPECT_TRUE(has(applied->changes, "trunk.carrier2: added"));
  EXPECT_TRUE(has(applied->needs_restart, "sbcd.mgmt_socket"));
}

// The commands, through the management socket of a running sbcd.
TEST_F(SbcdReloadTest, ReloadCheckAndShowConfigCommands) {
  auto sbcd = start(text());
  ASSERT_NE(sbcd, nullptr);
  std::thread runner([&] { sbcd->run(); });
  cli::Client client((dir_ / "sbcd.sock").string(), 5s);
  auto call = [&](std::vector<std::string> words, api::OutputFormat format) {
    auto reply = client.call(words, format);
    EXPECT_TRUE(reply.has_value()) << (reply ? "" : reply.error().message);
    return reply ? *reply : api::MgmtReply{};
  };
  using enum api::OutputFormat;

  api::MgmtReply shown = call({"show", "config"}, kText);
  ASSERT_TRUE(shown.ok) << shown.error;
  EXPECT_NE(shown.text.find("file:         " + path_), std::string::npos) << shown.text;
  EXPECT_NE(shown.text.find("last reload:  never"), std::string::npos) << shown.text;
  EXPECT_NE(shown.text.find("access"), std::string::npos) << shown.text;

  // check config: what a reload would change, applied nowhere.
  write(text(extra_zone()));
  api::MgmtReply checked = call({"check", "config"}, kJson);
  ASSERT_TRUE(checked.ok) << checked.error;
  EXPECT_EQ(checked.data["file"], path_);
  EXPECT_NE(checked.data["changes"].dump().find("zone.extra: added"), std::string::npos)
      << checked.data.dump();
  EXPECT_FALSE(udp_bound(extra_port_));
  shown = call({"show", "config"}, kJson);
  EXPECT_TRUE(shown.data["last_reload"].is_null()) << shown.data.dump();
  EXPECT_EQ(shown.data["zones"].size(), 2u) << shown.data.dump();

  // An invalid file: refused, nothing changes, the refusal is remembered.
  write(text("[trunk.carrier1]\nmax_calls = lots\n"));
  api::MgmtReply refused = call({"reload"}, kText);
  EXPECT_FALSE(refused.ok);
  EXPECT_TRUE(refused.error.starts_with("reload refused, the running configuration stays: "))
      << refused.error;
  EXPECT_NE(refused.error.find("trunk.carrier1.max_calls"), std::string::npos) << refused.error;
  api::MgmtReply checked_bad = call({"check", "config"}, kText);
  EXPECT_FALSE(checked_bad.ok);
  EXPECT_NE(checked_bad.error.find("trunk.carrier1.max_calls"), std::string::npos)
      << checked_bad.error;
  shown = call({"show", "config"}, kJson);
  ASSERT_TRUE(shown.ok) << shown.error;
  EXPECT_EQ(shown.data["last_reload"]["result"], "error") << shown.data.dump();
  EXPECT_NE(shown.data["last_reload"]["error"].get<std::string>().find("max_calls"),
            std::string::npos);
  EXPECT_FALSE(shown.data["last_reload"].contains("summary"));

  // A valid file: applied, summarised, and shown with the new zone.
  write(text(extra_zone()));
  api::MgmtReply reloaded = call({"reload"}, kText);
  ASSERT_TRUE(reloaded.ok) << reloaded.error;
  EXPECT_TRUE(reloaded.text.starts_with("reloaded " + path_ + "\n")) << reloaded.text;
  EXPECT_NE(reloaded.text.find("zone.extra: added"), std::string::npos) << reloaded.text;
  EXPECT_TRUE(udp_bound(extra_port_));
  shown = call({"show", "config"}, kJson);
  EXPECT_EQ(shown.data["last_reload"]["result"], "ok") << shown.data.dump();
  EXPECT_EQ(shown.data["last_reload"]["error"], "");
  EXPECT_NE(shown.data["last_reload"]["summary"]["changes"].dump().find("zone.extra: added"),
            std::string::npos);
  ASSERT_EQ(shown.data["zones"].size(), 3u) << shown.data.dump();
  EXPECT_EQ(shown.data["zones"][2]["name"], "extra");
  EXPECT_EQ(shown.data["zones"][2]["state"], "active");

  // Removed again: its place stays, shown as removed (closed: no call uses it).
  write(text());
  ASSERT_TRUE(call({"reload"}, kText).ok);
  shown = call({"show", "config"}, kText);
  EXPECT_NE(shown.text.find("last reload:  "), std::string::npos);
  EXPECT_NE(shown.text.find(" ok\n"), std::string::npos) << shown.text;
  EXPECT_NE(shown.text.find("removed\n"), std::string::npos) << shown.text;
  EXPECT_EQ(shown.text.find("draining"), std::string::npos) << shown.text;

  ::kill(::getpid(), SIGTERM);
  runner.join();
}

}  // namespace
}  // namespace sbc::cp::testing
