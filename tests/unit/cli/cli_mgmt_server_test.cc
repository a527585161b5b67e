// sbc-cli's client against the real management server: the two halves of the protocol agree.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <sstream>
#include <thread>

#include "cli/client.h"
#include "cli/command_runner.h"
#include "cli/completer.h"
#include "controlplane/mgmt/mgmt_server.h"
#include "tests/unit/cli/fake_mgmt_server.h"

namespace sbc::cli {
namespace {

using namespace std::chrono_literals;
using Words = std::vector<std::string>;

class CliMgmtServerTest : public ::testing::Test {
 protected:
  CliMgmtServerTest() {
    commands_.add({"show", "calls"}, "List active calls", [](cp::CommandArgs) -> cp::CommandResult {
      return cp::CommandOutput{.text = "no calls\n", .data = {{"calls", nlohmann::json::array()}}};
    });
    server_.emplace(io_, socket(), commands_);
    auto started = server_->start();
    if (!started) throw std::runtime_error(started.error());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~CliMgmtServerTest() override {
    boost::asio::post(io_, [this] { server_.reset(); });
    work_.reset();
    thread_.join();
  }
  std::string socket() const { return (dir_.path() / "sbcd.sock").string(); }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  cp::CommandTable commands_;
  std::optional<cp::MgmtServer> server_;
  std::thread thread_;
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
