#include "controlplane/media/dataplane_client.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>

namespace sbc::cp {

std::string_view to_string(DataplaneError error) {
  switch (error) {
    case DataplaneError::kNotConnected: return "dataplane not connected";
    case DataplaneError::kTimeout: return "dataplane request timed out";
    case DataplaneError::kDisconnected: return "dataplane connection lost";
    case DataplaneError::kEncode: return "control message could not be encoded";
    case DataplaneError::kOverloaded: return "too many dataplane requests in flight";
    case DataplaneError::kBadReply: return "unexpected dataplane reply";
  }
  return "unknown";
}

const api::PortInfo* DataplaneClient::find_port(std::string_view name) const {
  for (const api::PortInfo& p : ports()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

UnixDataplaneClient::UnixDataplaneClient(boost::asio::io_context& io, std::string socket_path,
                                         std::chrono::milliseconds request_timeout)
    : io_(io),
      socket_path_(std::move(socket_path)),
      request_timeout_(request_timeout),
      socket_(io),
      reconnect_timer_(io) {}

UnixDataplaneClient::~UnixDataplaneClient() {
  on_connection_ = nullptr;
  stop();
}

void UnixDataplaneClient::start() {
  if (running_) return;
  running_ = true;
  connect();
}

void UnixDataplaneClient::stop() {
  running_ = false;
  reconnect_timer_.cancel();
  fail_connection("stopped");
}

uint32_t UnixDataplaneClient::next_request_id() {
  do {
    ++last_request_id_;
  } while (last_request_id_ == 0 || pending_.contains(last_request_id_));
  return last_request_id_;
}

void UnixDataplaneClient::connect() {
  const uint64_t generation = ++generation_;
  socket_ = Socket(io_);
  const boost::asio::local::stream_protocol::endpoint local(socket_path_);
  const boost::asio::generic::seq_packet_protocol::endpoint endpoint(local.data(), local.size());
  socket_.async_connect(endpoint, [this, generation](const boost::system::error_code& ec) {
    if (generation != generation_ || !running_) return;
    if (ec) {
      if (backoff_ == kMinBackoff) {
        spdlog::warn("dataplane: cannot connect to {}: {} (retrying)", socket_path_, ec.message());
      } else {
        spdlog::debug("dataplane: cannot connect to {}: {}", socket_path_, ec.message());
      }
      schedule_reconnect();
      return;
    }
    on_connected();
  });
}

void UnixDataplaneClient::on_connected() {
  read_next();
  api::Hello hello;
  hello.peer_name = "sbcd";
  send(next_request_id(), hello, [this](Reply reply) {
    if (!reply) {
      fail_connection(fmt::format("hello: {}", to_string(reply.error())));
      return;
    }
    if (const auto* result = std::get_if<api::Result>(&*reply)) {
      spdlog::error("dataplane refused hello: {} {}", api::to_string(result->status),
                    result->detail);
      fail_connection("hello refused");
      return;
    }
    const auto* hello_reply = std::get_if<api::HelloReply>(&*reply);
    if (hello_reply == nullptr || hello_reply->version != api::kProtocolVersion) {
      spdlog::error("dataplane: bad hello reply (protocol version {} expected)",
                    api::kProtocolVersion);
      fail_connection("bad hello reply");
      return;
    }
    ports_ = hello_reply->ports;
    max_sessions_ = hello_reply->max_sessions;
    max_transcoded_sessions_ = hello_reply->max_transcoded_sessions;
    max_message_size_ = std::min<size_t>(hello_reply->max_message_size, api::kMaxMessageSize);
    connected_ = true;
    backoff_ = kMinBackoff;
    spdlog::info("dataplane: connected to {} ({}, {} ports, {} sessions)", socket_path_,
                 hello_reply->peer_name, ports_.size(), max_sessions_);
    for (const api::PortInfo& p : ports_) {
      spdlog::info("dataplane: port {} '{}' {}/{} link {}", p.index, p.name, p.address.to_string(),
                   p.prefix_length, p.link_up ? "up" : "down");
    }
    if (on_connection_) on_connection_(true);
  });
}

void UnixDataplaneClient::schedule_reconnect() {
  if (!running_) return;
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && running_) connect();
  });
}

void UnixDataplaneClient::fail_connection(std::string_view why) {
  const bool was_connected = connected_;
  if (was_connected) spdlog::warn("dataplane: connection lost ({})", why);
  ++generation_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  connected_ = false;
  writing_ = false;
  out_.clear();
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    p.timer->cancel();
    p.handler(std::unexpected(DataplaneError::kDisconnected));
  }
  if (was_connected && on_connection_) on_connection_(false);
  schedule_reconnect();
}

void UnixDataplaneClient::request(api::Message message, ReplyHandler handler) {
  auto fail = [&](DataplaneError error) {
    boost::asio::post(io_,
                      [handler = std::move(handler), error] { handler(std::unexpected(error)); });
  };
  if (!connected_) return fail(DataplaneError::kNotConnected);
  if (pending_.size() >= kMaxPending) return fail(DataplaneError::kOverloaded);
  send(next_request_id(), message, std::move(handler));
}

void UnixDataplaneClient::send(uint32_t request_id, const api::Message& message,
                               ReplyHandler handler) {
  auto bytes = api::encode(request_id, message);
  if (!bytes) {
    spdlog::error("dataplane: cannot encode {}: {}", api::to_string(api::type_of(message)),
                  api::to_string(bytes.error()));
    boost::asio::post(
        io_, [handler = std::move(handler)] { handler(std::unexpected(DataplaneError::kEncode)); });
    return;
  }
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, request_timeout_);
  timer->async_wait([this, request_id](const boost::system::error_code& ec) {
    if (!ec) complete(request_id, std::unexpected(DataplaneError::kTimeout));
  });
  pending_.emplace(request_id, Pending{std::move(handler), std::move(timer)});
  out_.push_back(std::move(*bytes));
  write_next();
}

void UnixDataplaneClient::write_next() {
  if (writing_ || out_.empty()) return;
  writing_ = true;
  const uint64_t generation = generation_;
  socket_.async_send(boost::asio::buffer(out_.front()), 0,
                     [this, generation](const boost::system::error_code& ec, size_t) {
                       if (generation != generation_) return;
                       writing_ = false;
                       if (ec) {
                         fail_connection(ec.message());
                         return;
                       }
                       out_.pop_front();
                       write_next();
                     });
}

void UnixDataplaneClient::read_next() {
  in_.resize(api::kMaxMessageSize);
  const uint64_t generation = generation_;
  auto flags = std::make_shared<boost::asio::socket_base::message_flags>(0);
  socket_.async_receive(
      boost::asio::buffer(in_), *flags,
      [this, generation, flags](const boost::system::error_code& ec, size_t size) {
        if (generation != generation_) return;
        if (ec || size == 0) {
          fail_connection(ec ? ec.message() : "closed by the dataplane");
          return;
        }
        if ((*flags & MSG_TRUNC) != 0) {
          fail_connection("oversized control message");
          return;
        }
        handle_packet(std::span<const uint8_t>(in_.data(), size));
        if (generation == generation_) read_next();
      });
}

void UnixDataplaneClient::handle_packet(std::span<const uint8_t> packet) {
  auto envelope = api::decode(packet);
  if (!envelope) {
    fail_connection(
        fmt::format("undecodable control message: {}", api::to_string(envelope.error())));
    return;
  }
  if (const auto* event = std::get_if<api::MediaTimeoutEvent>(&envelope->message)) {
    if (on_timeout_) on_timeout_(*event);
    return;
  }
  if (envelope->request_id == 0) {
    spdlog::debug("dataplane: ignoring unsolicited {}",
                  api::to_string(api::type_of(envelope->message)));
    return;
  }
  complete(envelope->request_id, std::move(envelope->message));
}

void UnixDataplaneClient::complete(uint32_t request_id, Reply reply) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return;  // late reply after a timeout
  Pending pending = std::move(it->second);
  pending_.erase(it);
  pending.timer->cancel();
  pending.handler(std::move(reply));
}

}  // namespace sbc::cp
