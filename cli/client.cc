#include "cli/client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sbc::cli {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

}  // namespace

Client::Client(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {}

Client::~Client() {
  disconnect();
}

void Client::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  framer_ = api::LineFramer(api::kMaxReplySize);
}

std::unexpected<ClientError> Client::fail(ClientError::Kind kind, std::string message) {
  disconnect();
  return std::unexpected(ClientError{kind, std::move(message)});
}

std::expected<void, ClientError> Client::connect() {
  if (fd_ >= 0) return {};
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.empty() || socket_path_.size() >= sizeof(address.sun_path)) {
    return fail(ClientError::Kind::kConnect,
                fmt::format("cannot connect to '{}': path must be 1 to {} bytes", socket_path_,
                            sizeof(address.sun_path) - 1));
  }
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());

  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return fail(ClientError::Kind::kConnect,
                fmt::format("cannot connect to {}: socket: {}", socket_path_, errno_text(errno)));
  }
  // A blocking connect on AF_UNIX waits only when the server's backlog is full; SO_SNDTIMEO
  // bounds that wait.
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout_);
  timeval tv{
      .tv_sec = seconds.count(),
      .tv_usec = std::chrono::duration_cast<std::chrono::microseconds>(timeout_ - seconds).count()};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int rc;
  do {
    rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int error = errno;
    std::string hint =
        (error == ENOENT || error == ECONNREFUSED) ? " (is sbcd running?)" : std::string();
    return fail(ClientError::Kind::kConnect,
                fmt::format("cannot connect to {}: {}{}", socket_path_, errno_text(error), hint));
  }
  // From here on, poll() enforces deadlines.
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  return {};
}

std::expected<void, ClientError> Client::wait(short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return fail(ClientError::Kind::kIo,
                  fmt::format("no reply from {} within {} ms", socket_path_, timeout_.count()));
    }
    pollfd pfd{.fd = fd_, .events = events, .revents = 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc > 0) return {};
    if (rc < 0 && errno != EINTR) {
      return fail(ClientError::Kind::kIo,
                  fmt::format("{}: poll: {}", socket_path_, errno_text(errno)));
    }
  }
}

std::expected<void, ClientError> Client::send_all(const std::string& bytes,
                                                  Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto ready = wait(POLLOUT, deadline); !ready) return ready;
    } else if (n < 0 && errno != EINTR) {
      return fail(ClientError::Kind::kIo,
                  fmt::format("cannot send to {}: {}", socket_path_, errno_text(errno)));
    }
  }
  return {};
}

std::expected<std::string, ClientError> Client::receive_line(Clock::time_point deadline) {
  std::array<char, 64 * 1024> buffer;
  while (true) {
    auto line = framer_.next();
    if (!line) {
      return fail(ClientError::Kind::kProtocol,
                  fmt::format("bad reply from {}: {}", socket_path_, line.error()));
    }
    if (*line) return std::move(**line);
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      framer_.append(std::string_view(buffer.data(), static_cast<size_t>(n)));
    } else if (n == 0) {
      return fail(ClientError::Kind::kIo,
                  fmt::format("{} closed the connection without replying", socket_path_));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto ready = wait(POLLIN, deadline); !ready) return std::unexpected(ready.error());
    } else if (errno != EINTR) {
      return fail(ClientError::Kind::kIo,
                  fmt::format("cannot read from {}: {}", socket_path_, errno_text(errno)));
    }
  }
}

std::expected<api::MgmtReply, ClientError> Client::call(std::span<const std::string> words,
                                                        api::OutputFormat format) {
  api::MgmtRequest request{
      .id = next_id_++, .command = {words.begin(), words.end()}, .format = format};
  auto line = api::encode_request(request);
  if (!line) {
    // Nothing was sent; the connection stays usable.
    return std::unexpected(ClientError{ClientError::Kind::kProtocol, line.error()});
  }
  bool reused = connected();
  if (auto connected = connect(); !connected) return std::unexpected(connected.error());

  auto deadline = Clock::now() + timeout_;
  auto sent = send_all(*line, deadline);
  if (!sent && reused) {
    // The kept connection died while idle (sbcd restarted). The request was not delivered, so
    // sending it again on a fresh connection cannot run it twice.
    if (auto connected = connect(); !connected) return std::unexpected(connected.error());
    sent = send_all(*line, deadline);
  }
  if (!sent) return std::unexpected(sent.error());
  auto reply_line = receive_line(deadline);
  if (!reply_line) return std::unexpected(reply_line.error());
  auto reply = api::decode_reply(*reply_line);
  if (!reply) {
    return fail(ClientError::Kind::kProtocol,
                fmt::format("bad reply from {}: {}", socket_path_, reply.error()));
  }
  // The server replies with id 0 when it could not read the request at all.
  if (reply->id != request.id && reply->id != 0) {
    return fail(ClientError::Kind::kProtocol,
                fmt::format("bad reply from {}: id {} answers no pending request (expected {})",
                            socket_path_, reply->id, request.id));
  }
  return std::move(*reply);
}

std::expected<std::vector<CommandSpec>, ClientError> Client::fetch_commands() {
  const std::string help[] = {"help"};
  auto reply = call(help, api::OutputFormat::kJson);
  if (!reply) return std::unexpected(reply.error());
  auto bad = [this](std::string why) {
    return std::unexpected(
        ClientError{ClientError::Kind::kProtocol,
                    fmt::format("bad command list from {}: {}", socket_path_, std::move(why))});
  };
  if (!reply->ok) return bad(reply->error);
  const nlohmann::json& data = reply->data;
  auto list = data.is_object() ? data.find("commands") : data.end();
  if (!data.is_object() || list == data.end() || !list->is_array()) {
    return bad("no \"commands\" array");
  }
  std::vector<CommandSpec> commands;
  for (const nlohmann::json& entry : *list) {
    auto words = entry.is_object() ? entry.find("words") : entry.end();
    if (!entry.is_object() || words == entry.end() || !words->is_array() || words->empty()) {
      return bad("entry without \"words\"");
    }
    CommandSpec spec;
    for (const nlohmann::json& word : *words) {
      if (!word.is_string()) return bad("a command word is not a string");
      spec.words.push_back(word.get<std::string>());
    }
    if (auto help_text = entry.find("help"); help_text != entry.end() && help_text->is_string()) {
      spec.help = help_text->get<std::string>();
    }
    commands.push_back(std::move(spec));
  }
  return commands;
}

}  // namespace sbc::cli
