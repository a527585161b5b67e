// The interactive shell without a terminal: libedit reads plain lines when stdin is no tty, so
// run() is driven through a pipe on fd 0. Blank lines are skipped, `exit` leaves, every other line
// goes to sbcd; history is kept in a private file, bounded to kHistorySize entries.
#include "cli/interactive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/cli/fake_mgmt_server.h"

namespace sbc::cli {
namespace {

using testing::FakeMgmtServer;
using testing::TempDir;
using namespace std::chrono_literals;

// fd 0 reads `input` (then end of file) while the object lives.
class StdinFrom {
 public:
  explicit StdinFrom(const std::string& input) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    EXPECT_EQ(::write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    ::close(fds[1]);
    saved_ = ::dup(0);
    ::dup2(fds[0], 0);
    ::close(fds[0]);
    std::clearerr(stdin);
  }
  ~StdinFrom() {
    ::dup2(saved_, 0);
    ::close(saved_);
    std::clearerr(stdin);
  }
  StdinFrom(const StdinFrom&) = delete;
  StdinFrom& operator=(const StdinFrom&) = delete;

 private:
  int saved_ = -1;
};

// The process umask for the life of the object.
class Umask {
 public:
  explicit Umask(mode_t mask) : old_(::umask(mask)) {}
  ~Umask() { ::umask(old_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t old_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(InteractiveTest, DefaultHistoryPathFollowsHome) {
  const char* saved = std::getenv("HOME");
  const std::string home = saved != nullptr ? saved : "";
  ::setenv("HOME", "/home/operator", 1);
  EXPECT_EQ(Interactive::default_history_path(), "/home/operator/.sbc_cli_history");
  ::setenv("HOME", "", 1);
  EXPECT_EQ(Interactive::default_history_path(), "");
  ::unsetenv("HOME");
  EXPECT_EQ(Interactive::default_history_path(), "");
  if (saved != nullptr) ::setenv("HOME", home.c_str(), 1);
}

TEST(InteractiveTest, LinesRunUntilExitAndStayInAPrivateHistory) {
  TempDir dir;
  std::mutex mutex;
  std::vector<std::string> commands;
  FakeMgmtServer server((dir.path() / "sbcd.sock").string(), [&](const std::string& line) {
    auto request = api::decode_request(line);
    std::string joined;
    for (const auto& word : request->command) joined += (joined.empty() ? "" : " ") + word;
    {
      std::lock_guard lock(mutex);
      commands.push_back(joined);
    }
    return std::optional<std::string>(
        *api::encode_reply(api::MgmtReply::success(request->id, "ok", nlohmann::json::object())));
  });
  Client client((dir.path() / "sbcd.sock").string(), 2s);
  const auto history = dir.path() / "history";
  Umask permissive(022);
  {
    StdinFrom input("show calls\n\n   \nshow   bans\nexit\nban add 192.0.2.1\n");
    Interactive shell(client, api::OutputFormat::kText, history.string());
    EXPECT_EQ(shell.run(), 0);
  }
  std::vector<std::string> sent;
  {
    std::lock_guard lock(mutex);
    sent = commands;
  }
  // The command list for completion, then the two commands; nothing after `exit`.
  std::erase(sent, "help");
  EXPECT_EQ(sent, (std::vector<std::string>{"show calls", "show bans"}));
  struct stat st {};
  ASSERT_EQ(::stat(history.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // commands name addresses and accounts
  const std::string saved = read_file(history);
  EXPECT_NE(saved.find("calls"), std::string::npos) << saved;
  EXPECT_NE(saved.find("bans"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("192.0.2.1"), std::string::npos) << saved;
}

TEST(InteractiveTest, HistoryIsBoundedAcrossSessions) {
  TempDir dir;
  const auto history = dir.path() / "history";
  {
    std::ofstream out(history);
    out << "_HiStOrY_V2_\n";
    for (int i = 1; i <= Interactive::kHistorySize + 500; ++i) out << "cmd" << i << "\n";
  }
  Client client((dir.path() / "absent.sock").string(), 100ms);  // no sbcd: completion only
  {
    StdinFrom input("");  // Ctrl-D at once
    Interactive shell(client, api::OutputFormat::kText, history.string());
    EXPECT_EQ(shell.run(), 0);
  }
  std::ifstream in(history);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_FALSE(lines.empty());
  EXPECT_LE(lines.size(), static_cast<size_t>(Interactive::kHistorySize) + 1);  // + the header
  EXPECT_EQ(lines.back(), "cmd" + std::to_string(Interactive::kHistorySize + 500));
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "cmd1"), 0);  // the oldest went first
}

}  // namespace
}  // namespace sbc::cli
