// A synchronous client of sbcd's management socket (sbc/api/mgmt_protocol.h).
//
// Connects lazily and reconnects, so an interactive session survives an sbcd restart: a request
// that could not be sent on the kept connection is sent again on a new one (it never reached the
// server, so it cannot run twice); a connection that failed later (no reply, timeout) is dropped
// and the next call reconnects. Every operation is bounded by the timeout (connect, send, reply).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/mgmt_protocol.h"

namespace sbc::cli {

// Why a request got no reply. Any of these means "could not talk to sbcd" (exit code 2); a reply
// with ok == false is not an error here (the command failed, exit code 1).
struct ClientError {
  enum class Kind : uint8_t {
    kConnect,   // socket missing, refused, permission denied
    kIo,        // send/receive failed, peer closed, timeout
    kProtocol,  // the reply was malformed, oversized or out of order
  };
  Kind kind;
  std::string message;  // names the socket path and the reason
};

// One command as `help` lists it.
struct CommandSpec {
  std::vector<std::string> words;
  std::string help;
  bool operator==(const CommandSpec&) const = default;
};

class Client {
 public:
  Client(std::string socket_path, std::chrono::milliseconds timeout);
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one command and waits for its reply.
  [[nodiscard]] std::expected<api::MgmtReply, ClientError> call(std::span<const std::string> words,
                                                                api::OutputFormat format);

  // The server's command list (from `help` in JSON form), for completion and `?`.
  [[nodiscard]] std::expected<std::vector<CommandSpec>, ClientError> fetch_commands();

  // Connects now if not connected (call() does this by itself).
  [[nodiscard]] std::expected<void, ClientError> connect();
  void disconnect();
  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  [[nodiscard]] const std::string& socket_path() const { return socket_path_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Waits until fd_ is ready for `events` or the deadline passes.
  [[nodiscard]] std::expected<void, ClientError> wait(short events, Clock::time_point deadline);
  [[nodiscard]] std::expected<void, ClientError> send_all(const std::string& bytes,
                                                          Clock::time_point deadline);
  [[nodiscard]] std::expected<std::string, ClientError> receive_line(Clock::time_point deadline);
  // Fails the connection: closes it (the next call reconnects) and returns the error.
  [[nodiscard]] std::unexpected<ClientError> fail(ClientError::Kind kind, std::string message);

  std::string socket_path_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  uint64_t next_id_ = 1;
  api::LineFramer framer_{api::kMaxReplySize};
};

}  // namespace sbc::cli
