#include "controlplane/mgmt/mgmt_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

#include "api/mgmt_protocol.h"

namespace sbc::cp {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

namespace {

constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr size_t kReadChunk = 16 * 1024;

// The line that answers `request`: the handler's output, or its error. Never fails: an output too
// large to send becomes an error reply.
std::string answer(const CommandTable& commands, const api::MgmtRequest& request) {
  CommandResult result = commands.dispatch(request.command);
  api::MgmtReply reply;
  if (!result) {
    reply = api::MgmtReply::failure(request.id, std::move(result.error()));
  } else if (request.format == api::OutputFormat::kJson) {
    reply = api::MgmtReply::success(request.id, {}, std::move(result->data));
  } else {
    reply = api::MgmtReply::success(request.id, std::move(result->text), nullptr);
  }
  auto line = api::encode_reply(reply);
  if (line) return std::move(*line);
  return *api::encode_reply(api::MgmtReply::failure(request.id, line.error()));
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string failure_line(std::string why) {
  // A short error message always fits within the reply bound.
  return *api::encode_reply(api::MgmtReply::failure(0, std::move(why)));
}

}  // namespace

// One client. Serves requests in order: read until a line is complete, dispatch, write the reply,
// repeat. Reading pauses while a reply is written, so a client that does not read its replies
// cannot make the server buffer without bound.
class MgmtServer::Connection : public std::enable_shared_from_this<MgmtServer::Connection> {
 public:
  Connection(MgmtServer& server, stream::socket socket)
      : server_(&server),
        alive_(server.alive_),
        socket_(std::move(socket)),
        framer_(api::kMaxRequestSize) {}

  void start() { process(); }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(stream::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  // Answers the next complete request, or reads more.
  void process() {
    auto line = framer_.next();
    while (line && *line && is_blank(**line)) line = framer_.next();  // hand typing, socat crlf
    if (!line) {
      // The stream cannot be resynchronised after an oversized line: say why, then hang up.
      write(failure_line("request rejected: " + line.error()), /*then_close=*/true);
      return;
    }
    if (!*line) {
      read();
      return;
    }
    auto request = api::decode_request(**line);
    if (!request) {
      write(failure_line("malformed request: " + request.error()), /*then_close=*/false);
      return;
    }
    write(answer(server_->commands_, *request), /*then_close=*/false);
  }

  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              if (self->alive_.expired()) return;
                              if (ec) {
                                self->finish();
                                return;
                              }
                              self->framer_.append(std::string_view(self->buffer_.data(), n));
                              self->process();
                            });
  }

  void write(std::string line, bool then_close) {
    out_ = std::move(line);
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = shared_from_this(), then_close](boost::system::error_code ec, size_t) {
          if (self->alive_.expired()) return;
          if (ec || then_close) {
            self->finish();
            return;
          }
          self->process();
        });
  }

  void finish() {
    close();
    server_->remove(shared_from_this());
  }

  MgmtServer* server_;
  std::weak_ptr<MgmtServer*> alive_;
  stream::socket socket_;
  api::LineFramer framer_;
  std::array<char, kReadChunk> buffer_{};
  std::string out_;
};

MgmtServer::MgmtServer(asio::io_context& io, std::filesystem::path socket_path,
                       const CommandTable& commands)
    : io_(io),
      socket_path_(std::move(socket_path)),
      commands_(commands),
      acceptor_(io),
      accept_retry_(io),
      alive_(std::make_shared<MgmtServer*>(this)) {}

MgmtServer::~MgmtServer() {
  stop();
}

std::expected<void, std::string> MgmtServer::start() {
  const std::string path = socket_path_.string();
  auto fail = [&path](std::string_view what, const std::error_code& ec) {
    return std::unexpected(fmt::format("management socket {}: {}: {}", path, what, ec.message()));
  };
  if (acceptor_.is_open())
    return std::unexpected("management socket " + path + ": already started");
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
    return std::unexpected(fmt::format("management socket '{}': path must be 1 to {} bytes", path,
                                       sizeof(sockaddr_un::sun_path) - 1));
  }

  std::error_code ec;
  if (socket_path_.has_parent_path()) {
    std::filesystem::create_directories(socket_path_.parent_path(), ec);
    if (ec) return fail("cannot create its directory", ec);
  }

  // A socket file left by a crashed sbcd blocks bind(); remove it, but only if nobody serves it.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return std::unexpected("management socket " + path + ": exists and is not a socket");
    }
    stream::socket probe(io_);
    boost::system::error_code probe_ec;
    probe.connect(stream::endpoint(path), probe_ec);
    if (!probe_ec) {
      return std::unexpected("management socket " + path + ": another process is serving it");
    }
    if (probe_ec != asio::error::connection_refused) return fail("cannot probe it", probe_ec);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail("cannot remove stale socket", std::error_code(errno, std::generic_category()));
    }
  }

  boost::system::error_code bec;
  acceptor_.open(stream(), bec);
  if (bec) return fail("socket", bec);
  acceptor_.bind(stream::endpoint(path), bec);
  if (bec) {
    acceptor_.close();
    return fail("bind", bec);
  }
  created_socket_ = true;
  // Before listen(): nobody can connect until the mode is right.
  if (::chmod(path.c_str(), kSocketMode) != 0) {
    auto chmod_ec = std::error_code(errno, std::generic_category());
    stop();
    return fail("chmod", chmod_ec);
  }
  acceptor_.listen(asio::socket_base::max_listen_connections, bec);
  if (bec) {
    stop();
    return fail("listen", bec);
  }
  accept_next();
  return {};
}

void MgmtServer::accept_next() {
  acceptor_.async_accept([alive = std::weak_ptr(alive_)](boost::system::error_code ec,
                                                         stream::socket socket) {
    auto owner = alive.lock();
    if (!owner || ec == asio::error::operation_aborted) return;
    MgmtServer& self = **owner;
    if (!self.acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and friends: retrying at once would spin; wait a little.
      spdlog::warn("management socket {}: accept: {}", self.socket_path_.string(), ec.message());
      self.accept_retry_.expires_after(kAcceptRetryDelay);
      self.accept_retry_.async_wait([alive](boost::system::error_code wait_ec) {
        auto retry_owner = alive.lock();
        if (retry_owner && !wait_ec && (*retry_owner)->acceptor_.is_open()) {
          (*retry_owner)->accept_next();
        }
      });
      return;
    }
    if (self.connections_.size() >= kMaxClients) {
      self.reject(std::move(socket),
                  fmt::format("too many management clients (at most {})", kMaxClients));
    } else {
      auto connection = std::make_shared<Connection>(self, std::move(socket));
      self.connections_.insert(connection);
      connection->start();
    }
    self.accept_next();
  });
}

void MgmtServer::reject(stream::socket socket, const std::string& why) {
  // The line is short and the new socket's send buffer empty, so one non-blocking send suffices;
  // no need to keep the connection (and count it) while it drains.
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  std::string line = failure_line(why);
  socket.write_some(asio::buffer(line), ignored);
  socket.close(ignored);
}

void MgmtServer::remove(const std::shared_ptr<Connection>& connection) {
  connections_.erase(connection);
}

void MgmtServer::stop() {
  boost::system::error_code ignored;
  accept_retry_.cancel();
  acceptor_.close(ignored);
  for (const auto& connection : connections_) connection->close();
  connections_.clear();
  if (created_socket_) {
    ::unlink(socket_path_.c_str());
    created_socket_ = false;
  }
}

}  // namespace sbc::cp
