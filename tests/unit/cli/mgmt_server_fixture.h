// sbc-cli against the real management server (controlplane/mgmt): a CommandTable served over a
// socket in a temporary directory by an MgmtServer on its own thread. It serves `show calls`
// ("no calls"); a test adds its own commands, then start()s the server.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "controlplane/mgmt/command_table.h"
#include "controlplane/mgmt/mgmt_server.h"
#include "tests/unit/cli/fake_mgmt_server.h"

namespace sbc::cli::testing {

class MgmtServerTest : public ::testing::Test {
 protected:
  MgmtServerTest() {
    commands_.add({"show", "calls"}, "List active calls", [](cp::CommandArgs) -> cp::CommandResult {
      return cp::CommandOutput{.text = "no calls\n", .data = {{"calls", nlohmann::json::array()}}};
    });
  }
  ~MgmtServerTest() override {
    boost::asio::post(io_, [this] { server_.reset(); });
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }
  // Serves commands_ (complete by now) on socket().
  void start() {
    server_.emplace(io_, socket(), commands_);
    auto started = server_->start();
    if (!started) throw std::runtime_error(started.error());
    thread_ = std::thread([this] { io_.run(); });
  }
  std::string socket() const { return (dir_.path() / "sbcd.sock").string(); }

  TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  cp::CommandTable commands_;
  std::optional<cp::MgmtServer> server_;
  std::thread thread_;
};

}  // namespace sbc::cli::testing
