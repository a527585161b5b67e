// A scripted stand-in for sbcd's management socket, for testing the client's handling of
// whatever a server may do: answer, answer garbage, stay silent, hang up.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace sbc::cli::testing {

class FakeMgmtServer {
 public:
  // Given one request line (without '\n'), what to write back: bytes sent as they are (include the
  // '\n' yourself; "" sends nothing and keeps reading), or nullopt to close the connection.
  using Script = std::function<std::optional<std::string>(const std::string& request_line)>;

  FakeMgmtServer(std::filesystem::path socket_path, Script script);
  ~FakeMgmtServer();

  FakeMgmtServer(const FakeMgmtServer&) = delete;
  FakeMgmtServer& operator=(const FakeMgmtServer&) = delete;

  // Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  void serve();
  // Serves one connection until it closes, the script hangs up, or stop is requested.
  void serve_connection(int fd);

  Script script_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A temporary directory removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sbc::cli::testing
