#include "controlplane/mgmt/mgmt_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/mgmt_protocol.h"

namespace sbc::cp {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "mgmt_server_test.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// A blocking test client on a raw socket, with a receive timeout so a broken server fails the test
// instead of hanging it.
class RawClient {
 public:
  explicit RawClient(const fs::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string p = path.string();
    std::copy(p.begin(), p.end(), address.sun_path);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }

  bool connected() const { return connected_; }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server hung up; the test sees it on read
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // The next line, or nullopt on EOF/timeout.
  std::optional<std::string> read_line() {
    while (true) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  api::MgmtReply call(std::vector<std::string> words, api::OutputFormat format, uint64_t id = 1) {
    send(*api::encode_request({.id = id, .command = std::move(words), .format = format}));
    auto line = read_line();
    if (!line) return api::MgmtReply::failure(0, "test: no reply");
    auto reply = api::decode_reply(*line);
    if (!reply) return api::MgmtReply::failure(0, "test: bad reply: " + reply.error());
    return *reply;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

class MgmtServerTest : public ::testing::Test {
 protected:
  MgmtServerTest() : dir_(make_temp_dir()), path_(dir_ / "sbcd.sock") {
    commands_.add({"show", "calls"}, "List active calls", [](CommandArgs args) -> CommandResult {
      return CommandOutput{.text = "2 calls\n", .data = {{"calls", 2}, {"args", args.size()}}};
    });
    commands_.add({"echo"}, "Echo the arguments", [](CommandArgs args) -> CommandResult {
      std::string text;
      for (const auto& a : args) text += a + "\n";
      return CommandOutput{.text = text,
                           .data = json(std::vector<std::string>(args.begin(), args.end()))};
    });
    commands_.add({"huge"}, "Output beyond the reply bound", [](CommandArgs) -> CommandResult {
      return CommandOutput{.text = std::string(api::kMaxReplySize + 1, 'x'), .data = nullptr};
    });
  }

  ~MgmtServerTest() override {
    stop_io();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `fn` on the io thread (the server is single-threaded) and waits for it.
  template <typename Fn>
  auto on_io(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Starts the server and runs the io_context on a background thread, as in sbcd.
  void start_server() {
    server_.emplace(io_, path_, commands_);
    auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void stop_io() {
    if (!io_thread_.joinable()) return;
    on_io([this] { server_.reset(); });
    work_.reset();
    io_thread_.join();
  }

  size_t client_count() {
    return on_io([this] { return server_->client_count(); });
  }

  // Waits (bounded) until the server has noticed connections opening or closing.
  bool wait_for_clients(size_t expected) {
    for (int i = 0; i < 500; ++i) {
      if (client_count() == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  fs::path dir_;
  fs::path path_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  CommandTable commands_;
  std::optional<MgmtServer> server_;
  std::thread io_thread_;
};

TEST_F(MgmtServerTest, AnswersTextAndJson) {
  start_server();
  RawClient client(path_);
  ASSERT_TRUE(client.connected());

  auto text = client.call({"show", "calls"}, api::OutputFormat::kText, 11);
  EXPECT_TRUE(text.ok) << text.error;
  EXPECT_EQ(text.id, 11u);
  EXPECT_EQ(text.text, "2 calls\n");
  EXPECT_TRUE(text.data.is_null()) << "text format carries no data";

  auto data = client.call({"show", "calls", "x"}, api::OutputFormat::kJson, 12);
  EXPECT_TRUE(data.ok) << data.error;
  EXPECT_EQ(data.id, 12u);
  EXPECT_EQ(data.data, (json{{"calls", 2}, {"args", 1}}));
  EXPECT_TRUE(data.text.empty());

  auto help = client.call({"help"}, api::OutputFormat::kJson);
  ASSERT_TRUE(help.ok) << help.error;
  EXPECT_EQ(help.data["commands"].size(), 4u);
}

TEST_F(MgmtServerTest, CommandErrorsAreReplies) {
  start_server();
  RawClient client(path_);
  auto reply = client.call({"show", "cals"}, api::OutputFormat::kText, 5);
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.id, 5u);
  EXPECT_NE(reply.error.find("did you mean: show calls"), std::string::npos) << reply.error;
}

TEST_F(MgmtServerTest, SocketFileHasModeAndIsRemovedOnStop) {
  start_server();
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, MgmtServer::kSocketMode);
  stop_io();
  EXPECT_FALSE(fs::exists(fs::symlink_status(path_)));
}

TEST_F(MgmtServerTest, MalformedRequestGetsErrorAndConnectionSurvives) {
  start_server();
  RawClient client(path_);
  client.send("this is not json\n");
  auto line = client.read_line();
  ASSERT_TRUE(line.has_value());
  auto reply = api::decode_reply(*line);
  ASSERT_TRUE(reply.has_value()) << reply.error();
  EXPECT_FALSE(reply->ok);
  EXPECT_NE(reply->error.find("malformed request"), std::string::npos) << reply->error;

  client.send("\n\r\n");  // blank lines are ignored
  auto after = client.call({"echo", "still", "here"}, api::OutputFormat::kText, 2);
  EXPECT_TRUE(after.ok) << after.error;
  EXPECT_EQ(after.text, "still\nhere\n");
}

TEST_F(MgmtServerTest, OversizedRequestIsRefusedAndConnectionClosed) {
  start_server();
  RawClient client(path_);
  client.send(std::string(api::kMaxRequestSize + 10, 'a'));  // no newline ever
  auto line = client.read_line();
  ASSERT_TRUE(line.has_value());
  auto reply = api::decode_reply(*line);
  ASSERT_TRUE(reply.has_value()) << reply.error();
  EXPECT_FALSE(reply->ok);
  EXPECT_NE(reply->error.find("exceeds the limit"), std::string::npos) << reply->error;
  EXPECT_FALSE(client.read_line().has_value()) << "server must hang up";
  EXPECT_TRUE(wait_for_clients(0));

  RawClient next(path_);
  EXPECT_TRUE(next.call({"show", "calls"}, api::OutputFormat::kText).ok) << "server still serves";
}

TEST_F(MgmtServerTest, OversizedReplyBecomesError) {
  start_server();
  RawClient client(path_);
  auto reply = client.call({"huge"}, api::OutputFormat::kText, 9);
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.id, 9u);
  EXPECT_NE(reply.error.find("exceeds the limit"), std::string::npos) << reply.error;
}

TEST_F(MgmtServerTest, PipelinedRequestsAnsweredInOrder) {
  start_server();
  RawClient client(path_);
  std::string batch;
  for (uint64_t id = 1; id <= 50; ++id) {
    batch += *api::encode_request(
        {.id = id, .command = {"echo", std::to_string(id)}, .format = api::OutputFormat::kText});
  }
  client.send(batch);
  for (uint64_t id = 1; id <= 50; ++id) {
    auto line = client.read_line();
    ASSERT_TRUE(line.has_value()) << "reply " << id;
    auto reply = api::decode_reply(*line);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->id, id);
    EXPECT_EQ(reply->text, std::to_string(id) + "\n");
  }
}

TEST_F(MgmtServerTest, ServesManyClientsAndForgetsClosedOnes) {
  start_server();
  {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 10; ++i) clients.push_back(std::make_unique<RawClient>(path_));
    // Interleave: every client is served while the others stay open.
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 0; i < clients.size(); ++i) {
        auto reply = clients[i]->call({"echo", std::to_string(i)}, api::OutputFormat::kText);
        EXPECT_TRUE(reply.ok);
        EXPECT_EQ(reply.text, std::to_string(i) + "\n");
      }
    }
    EXPECT_EQ(client_count(), 10u);
  }
  EXPECT_TRUE(wait_for_clients(0));
}

TEST_F(MgmtServerTest, RefusesClientsBeyondTheLimit) {
  start_server();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (size_t i = 0; i < MgmtServer::kMaxClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(path_));
  }
  ASSERT_TRUE(wait_for_clients(MgmtServer::kMaxClients));
  RawClient extra(path_);
  auto line = extra.read_line();
  ASSERT_TRUE(line.has_value());
  auto reply = api::decode_reply(*line);
  ASSERT_TRUE(reply.has_value());
  EXPECT_FALSE(reply->ok);
  EXPECT_NE(reply->error.find("too many management clients"), std::string::npos) << reply->error;

  clients.pop_back();
  ASSERT_TRUE(wait_for_clients(MgmtServer::kMaxClients - 1));
  RawClient now(path_);
  EXPECT_TRUE(now.call({"show", "calls"}, api::OutputFormat::kText).ok);
}

TEST_F(MgmtServerTest, ReplacesStaleSocketFile) {
  {
    // A socket bound and then abandoned, as a crashed sbcd leaves it.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string p = path_.string();
    std::copy(p.begin(), p.end(), address.sun_path);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
  }
  ASSERT_TRUE(fs::exists(fs::symlink_status(path_)));
  start_server();
  RawClient client(path_);
  EXPECT_TRUE(client.call({"show", "calls"}, api::OutputFormat::kText).ok);
}

TEST_F(MgmtServerTest, RefusesSocketServedByAnotherProcess) {
  start_server();
  boost::asio::io_context other_io;
  MgmtServer second(other_io, path_, commands_);
  auto started = second.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("another process is serving it"), std::string::npos)
      << started.error();
  RawClient client(path_);
  EXPECT_TRUE(client.call({"show", "calls"}, api::OutputFormat::kText).ok) << "first one intact";
}

TEST_F(MgmtServerTest, RefusesPathThatIsNotASocket) {
  std::ofstream(path_) << "precious";
  boost::asio::io_context io;
  MgmtServer server(io, path_, commands_);
  auto started = server.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("not a socket"), std::string::npos) << started.error();
  EXPECT_NE(started.error().find(path_.string()), std::string::npos) << "error names the path";
  std::ifstream in(path_);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(MgmtServerTest, CreatesMissingDirectoryAndRejectsOverlongPath) {
  path_ = dir_ / "run" / "sbc" / "sbcd.sock";
  start_server();
  EXPECT_TRUE(RawClient(path_).connected());

  boost::asio::io_context io;
  MgmtServer overlong(io, dir_ / std::string(200, 'x'), commands_);
  auto started = overlong.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("path must be"), std::string::npos) << started.error();
}

}  // namespace
}  // namespace sbc::cp
