#include "controlplane/transport/stream_connection.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include <algorithm>
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

// Small writes (pongs, short responses) join the last queued entry up to this size.
constexpr size_t kCoalesceLimit = 64 * 1024;

size_t charge(size_t entry_size) {
  return std::max(entry_size, StreamSettings::kMinEntryCharge);
}

// TCP keep-alive finds peers that vanished without a FIN (power loss, NAT state dropped), so their
// slots are freed before the SIP idle timeout; no delay for small SIP writes.
void set_socket_options(StreamConnection::TcpSocket& socket) {
  boost::system::error_code ignored;
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  socket.set_option(boost::asio::socket_base::keep_alive(true), ignored);
}

}  // namespace

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kMessageTimeout: return "message_timeout";
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
  // The first message must arrive in time (handshake included): a silent client cannot hold a slot.
  message_deadline_ = last_activity_ + settings_.message_timeout;
  set_socket_options(tcp());
  if (tls_) {
    handshake();
  } else {
    opened();
  }
}

void StreamConnection::start_connect(const boost::asio::ip::address& bind_address,
                                     std::string server_name) {
  server_name_ = std::move(server_name);
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
    set_socket_options(self->tcp());
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
  SSL* ssl = tls.native_handle();
  if (!inbound_ && !server_name_.empty() &&
      SSL_set_tlsext_host_name(ssl, server_name_.c_str()) != 1) {
    spdlog::debug("sip: tls to {}: cannot set the server name: {}", describe(remote_),
                  openssl_errors());
    close(CloseReason::kHandshakeFailed);
    return;
  }
  if (!inbound_ && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0) {
    // The certificate must name the trunk we meant, not just chain to a trusted CA (else any
    // certificate from that CA could impersonate it): its DNS name (RFC 5922 §7.2: the domain
    // we resolved, not the SRV target), else the address we connect to.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const std::string ip = remote_.address().to_string();
    if ((server_name_.empty() ? X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, server_name_.c_str(), 0)) != 1) {
      spdlog::debug("sip: tls to {}: cannot set the expected address: {}", describe(remote_),
                    openssl_errors());
      close(CloseReason::kHandshakeFailed);
      return;
    }
  }
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

// One timer per connection for both the idle timeout and the message deadline, re-armed lazily:
// received bytes only move last_activity_.
void StreamConnection::arm_idle() {
  auto at = last_activity_ + settings_.idle_timeout;
  if (message_deadline_ && *message_deadline_ < at) at = *message_deadline_;
  idle_.expires_at(at);
  idle_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed()) return;
    const auto now = std::chrono::steady_clock::now();
    if (self->message_deadline_ && now >= *self->message_deadline_) {
      spdlog::debug("sip: {} connection {} from {}: no complete message within {} ms, closing",
                    to_string(self->transport()), self->id_, describe(self->remote_),
                    self->settings_.message_timeout.count());
      self->close(CloseReason::kMessageTimeout);
      return;
    }
    if (now - self->last_activity_ >= self->settings_.idle_timeout) {
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
  bool completed = false;
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
      // RFC 5626 §3.5.1: the server side answers the client's ping. On a connection we opened we
      // are the client: two merged pongs from the server look like a ping and must not be echoed.
      if (inbound_) send("\r\n");
      continue;
    }
    completed = true;
    got_message_ = true;
    if (owner_ != nullptr) owner_->connection_message(*this, std::move(frame->message));
  }
  if (closed()) return;
  update_message_deadline(completed);
  read();
}

void StreamConnection::update_message_deadline(bool completed) {
  if (framer_.buffered() == 0) {
    // Between messages only the idle timeout applies; an inbound connection's first message is
    // still awaited (keep-alives alone do not count).
    if (got_message_ || !inbound_) message_deadline_.reset();
    return;
  }
  // Bytes of a message are buffered: its clock started when its first bytes came, i.e. in this
  // read if nothing was pending before or a message just completed.
  if (message_deadline_ && !completed) return;
  message_deadline_ = std::chrono::steady_clock::now() + settings_.message_timeout;
  if (*message_deadline_ < idle_.expiry()) arm_idle();
}

bool StreamConnection::send(std::string_view data) {
  if (closed()) return false;
  // Join the last entry unless it is the one being written: a stream of pongs toward a peer that
  // does not read becomes one growing string, not one allocation per pong.
  const bool back_free = !queue_.empty() && !(writing_ && queue_.size() == 1);
  const bool coalesce = back_free && queue_.back().size() + data.size() <= kCoalesceLimit;
  const size_t before = coalesce ? charge(queue_.back().size()) : 0;
  const size_t after = charge((coalesce ? queue_.back().size() : 0) + data.size());
  if (queued_bytes_ - before + after > settings_.max_send_queue) {
    spdlog::debug("sip: {} send queue to {} full ({} bytes), closing", to_string(transport()),
                  describe(remote_), queued_bytes_);
    close(CloseReason::kSendQueueFull);
    return false;
  }
  if (coalesce) {
    queue_.back().append(data);
  } else {
    queue_.emplace_back(data);
  }
  queued_bytes_ = queued_bytes_ - before + after;
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
              // Our own writes do not count as activity: a peer that only receives is idle.
              self->queued_bytes_ -= charge(self->queue_.front().size());
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
