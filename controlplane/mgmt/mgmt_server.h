// sbcd's management socket: serves the CommandTable to sbc-cli over AF_UNIX SOCK_STREAM.
//
// Wire format: newline-delimited JSON, see sbc/api/mgmt_protocol.h. Each connection is served
// strictly in order (read one request, dispatch it, write the reply, read the next), so a client
// may pipeline requests. Runs entirely on the io_context it is given (sbcd's single event loop);
// command handlers run on that thread.
//
// Usage in sbcd:
//     sbc::cp::CommandTable commands;
//     commands.add({"show", "calls"}, "List active calls", [&](sbc::cp::CommandArgs) { ... });
//     sbc::cp::MgmtServer mgmt(io, config.mgmt_socket, commands);
//     if (auto started = mgmt.start(); !started) { log(started.error()); return 1; }
//     io.run();
//
// Robustness: at most kMaxClients connections at once (more are told so and closed); a request
// line longer than api::kMaxRequestSize gets an error reply and the connection is closed; a reply
// larger than api::kMaxReplySize is replaced by an error reply. Nothing a client sends can crash
// or stall the server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_set>

#include "controlplane/mgmt/command_table.h"

namespace sbc::cp {

class MgmtServer {
 public:
  static constexpr size_t kMaxClients = 64;
  // Socket file permissions: owner and group (e.g. an "sbc" admin group) may connect.
  static constexpr unsigned kSocketMode = 0660;

  // Stores its arguments; nothing happens until start(). `commands` must outlive the server.
  MgmtServer(boost::asio::io_context& io, std::filesystem::path socket_path,
             const CommandTable& commands);
  // Closes every connection and removes the socket file (if this server created it).
  ~MgmtServer();

  MgmtServer(const MgmtServer&) = delete;
  MgmtServer& operator=(const MgmtServer&) = delete;

  // Binds and listens. Creates the parent directory if it is missing. A leftover socket file from a
  // crashed sbcd (nobody accepting on it) is removed; a socket some live process still serves, or a
  // path that is not a socket, is an error and left alone. Sets mode kSocketMode. The error names
  // the path and the reason.
  [[nodiscard]] std::expected<void, std::string> start();

  // Stops accepting, closes all connections and removes the socket file. Idempotent.
  void stop();

  [[nodiscard]] const std::filesystem::path& socket_path() const { return socket_path_; }
  // Currently open client connections.
  [[nodiscard]] size_t client_count() const { return connections_.size(); }

 private:
  class Connection;
  friend class Connection;

  void accept_next();
  void reject(boost::asio::local::stream_protocol::socket socket, const std::string& why);
  void remove(const std::shared_ptr<Connection>& connection);

  boost::asio::io_context& io_;
  std::filesystem::path socket_path_;
  const CommandTable& commands_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  // Completion handlers hold a weak_ptr to this: a handler that runs after the server is gone
  // (its io_context outlives it) sees it expired and touches nothing.
  std::shared_ptr<MgmtServer*> alive_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  bool created_socket_ = false;
};

}  // namespace sbc::cp
