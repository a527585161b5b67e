#include "controlplane/transport/stream_connection.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include "controlplane/transport/tls_context.h"
#include "controlplane/transport/transport_manager.h"

namespace sbc::cp {
namespace {

using Stream = std::variant<StreamConnection::TcpSocket, StreamConnection::TlsStream>;

Stream make_stream(StreamConnection::TcpSocket socket, boost::asio::ssl::context* tls) {
  if (tls == nullptr) return Stream(std::in_place_index<0>, std::move(socket));
  return Stream(std::in_place_index<1>, std::move(socket), *tls);
}

std::string describe(const Endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

}  // namespace

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kFrameError: return "frame_error";
    case CloseReason::kBufferFull: return "buffer_full";
    case CloseReason::kSendQueueFull: return "send_queue_full";
    case CloseReason::kConnectFailed: return "connect_failed";
    case CloseReason::kHandshakeFailed: return "handshake_failed";
    case CloseReason::kHandshakeTimeout: return "handshake_timeout";
    case CloseReason::kError: return "error";
    case CloseReason::kShutdown: return "shutdown";
  }
  return "error";
}

StreamConnection::StreamConnection(TransportManager& owner, const StreamSettings& settings,
                                   uint64_t id, size_t zone, bool inbound, TcpSocket socket,
                                   boost::asio::ssl::context* tls, const Endpoint& remote,
                                   const Endpoint& listener)
    : owner_(&owner),
      settings_(settings),
      id_(id),
      zone_(zone),
      tls_(tls != nullptr),
      inbound_(inbound),
      remote_(remote),
      listener_(listener),
      deadline_(socket.get_executor()),
      idle_(socket.get_executor()),
      stream_(make_stream(std::move(socket), tls)),
      framer_(settings.limits) {}

StreamConnection::TcpSocket& StreamConnection::tcp() {
  if (auto* s = std::get_if<TcpSocket>(&stream_)) return *s;
  return std::get<TlsStream>(stream_).next_layer();
}

SipPeer StreamConnection::peer() const {
  SipPeer p;
  p.zone = zone_;
  p.transport = transport();
  p.remote = remote_;
  p.local = listener_;
  p.connection = id_;
  return p;
}

void StreamConnection::start_accepted() {
  last_activity_ = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  tcp().set_option(boost::asio::ip::tcp::no_delay(true), ec);
  if (tls_) {
    handshake();
  } else {
    opened();
  }
}

void StreamConnection::start_connect(const boost::asio::ip::address& bind_address) {
  last_activity_ = std::chrono::steady_clock::now();
  const boost::asio::ip::tcp::endpoint to(remote_.address(), remote_.port());
  boost::system::error_code ec;
  tcp().open(to.protocol(), ec);
  if (!ec && !bind_address.is_unspecified()) {
    // Leave from the zone's address so the peer sees the same host as in Via and Contact.
    tcp().bind(boost::asio::ip::tcp::endpoint(bind_address, 0), ec);
  }
  if (ec) {
    spdlog::debug("sip: {} connect to {}: {}", to_string(transport()), describe(remote_),
                  ec.message());
    // Reported after send() queued the first message, never from inside it.
    boost::asio::post(tcp().get_executor(),
                      [self = shared_from_this()] { self->close(CloseReason::kConnectFailed); });
    return;
  }
  arm_deadline(CloseReason::kConnectFailed);
  tcp().async_connect(to, [self = shared_from_this()](const boost::system::error_code& error) {
    if (self->closed()) return;
    if (error) {
      spdlog::debug("sip: {} connect to {}: {}", to_string(self->transport()),
                    describe(self->remote_), error.message());
      self->close(CloseReason::kConnectFailed);
      return;
    }
    boost::system::error_code ignored;
    self->tcp().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    if (self->tls_) {
      self->handshake();
    } else {
      self->deadline_.cancel();
      self->opened();
    }
  });
}

void StreamConnection::handshake() {
  state_ = State::kHandshaking;
  arm_deadline(CloseReason::kHandshakeTimeout);
  auto& tls = std::get<TlsStream>(stream_);
  const auto type =
      inbound_ ? boost::asio::ssl::stream_base::server : boost::asio::ssl::stream_base::client;
  tls.async_handshake(type, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->closed()) return;
    if (ec) {
      spdlog::debug("sip: tls handshake with {}: {}", describe(self->remote_),
                    ec.category() == boost::asio::error::get_ssl_category() ? openssl_errors()
                                                                            : ec.message());
      self->close(CloseReason::kHandshakeFailed);
      return;
    }
    self->deadline_.cancel();
    self->opened();
  });
}

void StreamConnection::opened() {
  state_ = State::kOpen;
  last_activity_ = std::chrono::steady_clock::now();
  arm_idle();
  read();
  if (!queue_.empty()) write_next();
}

void StreamConnection::arm_deadline(CloseReason reason) {
  deadline_.expires_after(settings_.handshake_timeout);
  deadline_.async_wait([self = shared_from_this(), reason](const boost::system::error_code& ec) {
    if (ec || self->closed() || self->state_ == State::kOpen) return;
    spdlog::debug("sip: {} with {}: no progress after {} ms", to_string(reason),
                  describe(self->remote_), self->settings_.handshake_timeout.count());
    self->close(reason);
  });
}

// One timer per connection, re-armed lazily: traffic only moves last_activity_.
void StreamConnection::arm_idle() {
  idle_.expires_at(last_activity_ + settings_.idle_timeout);
  idle_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed()) return;
    if (std::chrono::steady_clock::now() - self->last_activity_ >= self->settings_.idle_timeout) {
      spdlog::debug("sip: {} connection {} to {} idle, closing", to_string(self->transport()),
                    self->id_, describe(self->remote_));
      self->close(CloseReason::kIdleTimeout);
      return;
    }
    self->arm_idle();
  });
}

void StreamConnection::read() {
  std::visit(
      [this](auto& stream) {
        stream.async_read_some(
            boost::asio::buffer(read_buffer_),
            [self = shared_from_this()](const boost::system::error_code& ec, size_t size) {
              if (self->closed()) return;
              if (ec) {
                const bool eof = ec == boost::asio::error::eof ||
                                 ec == boost::asio::error::connection_reset ||
                                 ec == boost::asio::ssl::error::stream_truncated;
                if (!eof) {
                  spdlog::debug("sip: read from {}: {}", describe(self->remote_), ec.message());
                }
                self->close(eof ? CloseReason::kPeerClosed : CloseReason::kError);
                return;
              }
              self->on_read(size);
            });
      },
      stream_);
}

void StreamConnection::on_read(size_t size) {
  last_activity_ = std::chrono::steady_clock::now();
  if (!framer_.append(std::string_view(read_buffer_.data(), size))) {
    close(CloseReason::kBufferFull);
    return;
  }
  // The owner's callbacks may close this connection (or send on it): hold it and re-check.
  const auto self = shared_from_this();
  while (!closed()) {
    auto frame = framer_.next();
    if (!frame) {
      spdlog::debug("sip: {} from {}: {}, closing", to_string(transport()), describe(remote_),
                    sip::to_string(frame.error()));
      close(CloseReason::kFrameError);
      return;
    }
    if (frame->kind == StreamFramer::Frame::Kind::kNeedMore) break;
    if (frame->kind == StreamFramer::Frame::Kind::kPing) {
      if (owner_ != nullptr) owner_->connection_keepalive(*this);
      send("\r\n");
      continue;
    }
    if (owner_ != nullptr) owner_->connection_message(*this, std::move(frame->message));
  }
  if (!closed()) read();
}

bool StreamConnection::send(std::string_view data) {
  if (closed()) return false;
  if (queued_bytes_ + data.size() > settings_.max_send_queue) {
    spdlog::debug("sip: {} send queue to {} full ({} bytes), closing", to_string(transport()),
                  describe(remote_), queued_bytes_);
    close(CloseReason::kSendQueueFull);
    return false;
  }
  queue_.emplace_back(data);
  queued_bytes_ += data.size();
  if (state_ == State::kOpen && !writing_) write_next();
  return true;
}

void StreamConnection::write_next() {
  writing_ = true;
  std::visit(
      [this](auto& stream) {
        boost::asio::async_write(
            stream, boost::asio::buffer(queue_.front()),
            [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
              self->writing_ = false;
              if (self->closed()) return;
              if (ec) {
                spdlog::debug("sip: write to {}: {}", describe(self->remote_), ec.message());
                self->close(CloseReason::kError);
                return;
              }
              self->last_activity_ = std::chrono::steady_clock::now();
              self->queued_bytes_ -= self->queue_.front().size();
              self->queue_.pop_front();
              if (!self->queue_.empty()) self->write_next();
            });
      },
      stream_);
}

void StreamConnection::close(CloseReason reason) {
  if (closed()) return;
  const auto self = shared_from_this();
  state_ = State::kClosed;
  deadline_.cancel();
  idle_.cancel();
  boost::system::error_code ignored;
  tcp().shutdown(TcpSocket::shutdown_both, ignored);
  tcp().close(ignored);
  const bool unsent = !queue_.empty();
  queue_.clear();
  queued_bytes_ = 0;
  if (owner_ != nullptr) owner_->connection_closed(*this, reason, unsent);
}

void StreamConnection::detach() {
  owner_ = nullptr;
  close(CloseReason::kShutdown);
}

}  // namespace sbc::cp
