#include "dataplane/control/control_server.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace sbc::dp {
namespace {

constexpr int kSocketBuffer = 1 << 20;  // events are small; a client that fills this is dropped

bool fill_sockaddr(const std::string& path, sockaddr_un* addr) {
  if (path.size() >= sizeof(addr->sun_path)) return false;
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  std::memcpy(addr->sun_path, path.c_str(), path.size());
  return true;
}

// A leftover socket file with nobody listening is stale; a live listener means another dataplane.
std::expected<void, std::string> remove_stale(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode)) return std::unexpected(path + " exists and is not a socket");
  const int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  const bool live =
      probe >= 0 && connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  if (probe >= 0) close(probe);
  if (live) return std::unexpected(path + ": another process is listening");
  unlink(path.c_str());
  return {};
}

}  // namespace

ControlServer::ControlServer(ControlService& service, std::string path, uint64_t tsc_hz,
                             Clock clock)
    : service_(service),
      path_(std::move(path)),
      tsc_hz_(tsc_hz),
      clock_(std::move(clock)),
      buffer_(api::kMaxMessageSize + 1) {}

ControlServer::~ControlServer() {
  for (Client& c : clients_) close(c.fd);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
}

std::expected<void, std::string> ControlServer::open() {
  sockaddr_un addr{};
  if (!fill_sockaddr(path_, &addr)) return std::unexpected(path_ + ": path too long");
  if (auto ok = remove_stale(path_, addr); !ok) return ok;
  listen_fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    return std::unexpected(fmt::format("socket: {}", std::generic_category().message(errno)));
  if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string error =
        fmt::format("bind {}: {}", path_, std::generic_category().message(errno));
    close(listen_fd_);
    listen_fd_ = -1;
    return std::unexpected(error);
  }
  if (chmod(path_.c_str(), 0660) != 0 || listen(listen_fd_, 16) != 0) {
    return std::unexpected(fmt::format("{}: {}", path_, std::generic_category().message(errno)));
  }
  next_scan_tsc_ = clock_() + tsc_hz_;
  return {};
}

bool ControlServer::poll_once(int timeout_ms, int wake_fd) {
  const uint64_t now = clock_();
  std::vector<pollfd> fds;
  // While accept is paused the listening fd stays out (fd -1 is ignored by poll): a pending
  // connection would otherwise make every poll return at once and spin.
  fds.push_back({now >= accept_resume_tsc_ ? listen_fd_ : -1, POLLIN, 0});
  for (const Client& c : clients_) fds.push_back({c.fd, POLLIN, 0});
  if (wake_fd >= 0) fds.push_back({wake_fd, POLLIN, 0});

  const uint64_t until_scan_ms =
      next_scan_tsc_ > now ? (next_scan_tsc_ - now) * 1000 / tsc_hz_ + 1 : 0;
  const int wait = static_cast<int>(
      std::min<uint64_t>(static_cast<uint64_t>(std::max(timeout_ms, 0)), until_scan_ms));
  const int ready = poll(fds.data(), fds.size(), wait);
  bool woken = false;
  if (ready > 0) {
    // Clients first (indices match fds[1..]), then new connections: accepting may grow clients_.
    for (size_t i = 0; i < clients_.size(); ++i) {
      if (fds[i + 1].revents & (POLLIN | POLLERR | POLLHUP)) receive(clients_[i]);
    }
    if (fds[0].revents & POLLIN) accept_clients();
    woken = wake_fd >= 0 && (fds.back().revents & POLLIN);
  }
  periodic(clock_());
  std::erase_if(clients_, [](const Client& c) {
    if (c.closing) close(c.fd);
    return c.closing;
  });
  return woken;
}

void ControlServer::accept_clients() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
        return;
      // Out of descriptors or memory: the connection stays queued; retry in about a second.
      ++stats_.accept_errors;
      accept_resume_tsc_ = clock_() + tsc_hz_;
      spdlog::warn("control: accept: {}; not accepting for 1 s",
                   std::generic_category().message(errno));
      return;
    }
    if (clients_.size() >= kMaxClients) {
      ++stats_.clients_refused;
      spdlog::warn("control: refusing client, {} connected", clients_.size());
      close(fd);
      continue;
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof(kSocketBuffer));
    clients_.push_back({fd});
  }
}

void ControlServer::receive(Client& client) {
  // Bounded per wake-up so one busy client cannot starve the others or the periodic scan.
  for (int budget = 64; budget > 0 && !client.closing; --budget) {
    const ssize_t n = recv(client.fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      client.closing = true;
      return;
    }
    if (n < 0) return;
    const std::span<const uint8_t> packet(buffer_.data(),
                                          std::min<size_t>(static_cast<size_t>(n), buffer_.size()));
    uint32_t request_id = 0;
    if (packet.size() >= 8) std::memcpy(&request_id, packet.data() + 4, 4);  // little endian host
    if (static_cast<size_t>(n) > api::kMaxMessageSize) {
      ++stats_.malformed;
      refuse(client, request_id, api::Status::kInvalid, "message larger than the maximum");
      return;
    }
    auto envelope = api::decode(packet);
    if (!envelope) {
      if (envelope.error() == api::DecodeError::kWrongVersion) {
        ++stats_.version_mismatch;
        refuse(client, request_id, api::Status::kVersionMismatch,
               fmt::format("this dataplane speaks version {}", api::kProtocolVersion));
      } else {
        ++stats_.malformed;
        refuse(client, request_id, api::Status::kInvalid,
               fmt::format("malformed message: {}", api::to_string(envelope.error())));
      }
      return;
    }
    dispatch(client, envelope->request_id, envelope->message);
  }
}

void ControlServer::refuse(Client& client, uint32_t request_id, api::Status status,
                           std::string detail) {
  spdlog::warn("control: closing client: {} ({})", detail, api::to_string(status));
  reply(client, request_id, api::Result{status, std::move(detail)});
  client.closing = true;
}

void ControlServer::dispatch(Client& client, uint32_t request_id, const api::Message& message) {
  if (!client.hello_done && !std::holds_alternative<api::Hello>(message)) {
    ++stats_.malformed;
    refuse(client, request_id, api::Status::kInvalid, "the first message must be Hello");
    return;
  }
  const uint64_t now = clock_();
  std::visit([&](const auto& request) { handle(client, request_id, request, now); }, message);
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::Hello& hello,
                           uint64_t /*now*/) {
  if (hello.version != api::kProtocolVersion) {
    ++stats_.version_mismatch;
    refuse(client, request_id, api::Status::kVersionMismatch,
           fmt::format("this dataplane speaks version {}", api::kProtocolVersion));
    return;
  }
  if (hello.max_message_size < kMinMessageSize) {
    ++stats_.malformed;
    refuse(client, request_id, api::Status::kInvalid,
           fmt::format("max_message_size {} is below {}", hello.max_message_size, kMinMessageSize));
    return;
  }
  api::HelloReply r = service_.hello(hello);
  client.hello_done = true;
  client.max_message_size = r.max_message_size;
  spdlog::info("control: hello from '{}'", hello.peer_name);
  reply(client, request_id, r);
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::SessionAdd& add,
                           uint64_t now) {
  reply(client, request_id, service_.session_add(add, now));
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::SessionDelete& del,
                           uint64_t /*now*/) {
  reply(client, request_id, service_.session_delete(del));
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::StatsQuery& query,
                           uint64_t now) {
  auto stats = service_.stats(query, now);
  if (stats) {
    reply(client, request_id, *stats);
  } else {
    reply(client, request_id, stats.error());
  }
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::DumpQuery& query,
                           uint64_t /*now*/) {
  reply_dump(client, request_id, query);
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::SourceAdd& add,
                           uint64_t now) {
  reply(client, request_id, service_.source_add(add, now));
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::SourceDelete& del,
                           uint64_t now) {
  reply(client, request_id, service_.source_delete(del, now));
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::SourceFlush& /*flush*/,
                           uint64_t /*now*/) {
  reply(client, request_id, service_.source_flush());
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::MediaPortsSet& range,
                           uint64_t /*now*/) {
  reply(client, request_id, service_.media_ports_set(range));
}

void ControlServer::handle(Client& client, uint32_t request_id, const api::Batch& batch,
                           uint64_t now) {
  ++stats_.batches;
  stats_.batch_items += batch.items.size();
  reply_batch(client, request_id, service_.batch(batch, now));
}

template <typename Other>
void ControlServer::handle(Client& client, uint32_t request_id, const Other& other,
                           uint64_t /*now*/) {
  ++stats_.malformed;
  refuse(client, request_id, api::Status::kInvalid,
         fmt::format("unexpected {} from a client",
                     api::to_string(api::type_of(api::Message{other}))));
}

void ControlServer::reply(Client& client, uint32_t request_id, const api::Message& message) {
  auto bytes = api::encode(request_id, message);
  if (!bytes || bytes->size() > client.max_message_size) {
    // Our own message failed to encode: a bug, not the client's fault; answer something small.
    spdlog::error("control: cannot encode {}", api::to_string(api::type_of(message)));
    bytes = api::encode(request_id, api::Result{api::Status::kNoResources, "reply too large"});
    if (!bytes) return;
  }
  send_bytes(client, *bytes);
}

void ControlServer::send_bytes(Client& client, const std::vector<uint8_t>& bytes) {
  if (send(client.fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    ++stats_.clients_dropped;
    spdlog::warn("control: dropping client: send: {}", std::generic_category().message(errno));
    client.closing = true;
  }
}

void ControlServer::reply_dump(Client& client, uint32_t request_id, const api::DumpQuery& query) {
  api::DumpQuery page = query;
  for (;;) {
    api::DumpReply dump = service_.dump(page, clock_());
    auto bytes = api::encode(request_id, dump);
    if ((bytes && bytes->size() <= client.max_message_size) || page.max_entries <= 1) {
      reply(client, request_id, dump);
      return;
    }
    page.max_entries = std::min<uint32_t>(page.max_entries, api::kMaxDumpEntries) / 2;  // fit size
  }
}

void ControlServer::reply_batch(Client& client, uint32_t request_id, api::BatchReply results) {
  auto bytes = api::encode(request_id, results);
  if (bytes && bytes->size() <= client.max_message_size) {
    send_bytes(client, *bytes);
    return;
  }
  // Many refused items with long details: the statuses always fit (kMaxBatchItems).
  for (api::Result& r : results.results) r.detail.clear();
  reply(client, request_id, results);
}

void ControlServer::periodic(uint64_t now_tsc) {
  service_.housekeeping(now_tsc);
  if (now_tsc < next_scan_tsc_) return;
  next_scan_tsc_ = now_tsc + tsc_hz_;
  // An event nobody received is not reported: the next scan offers it again (e.g. to an sbcd that
  // reconnects after a restart).
  service_.scan_media_timeouts(now_tsc, [this](const api::MediaTimeoutEvent& event) {
    auto bytes = api::encode(0, event);
    if (!bytes) return false;
    bool delivered = false;
    for (Client& c : clients_) {
      if (!c.hello_done || c.closing) continue;
      if (send(c.fd, bytes->data(), bytes->size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        ++stats_.clients_dropped;
        c.closing = true;
        continue;
      }
      ++stats_.events_sent;
      delivered = true;
    }
    return delivered;
  });
}

}  // namespace sbc::dp
