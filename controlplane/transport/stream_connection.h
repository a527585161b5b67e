// One SIP connection over TCP or TLS, accepted or opened by the TransportManager: reads and frames
// messages, answers CRLF keep-alives, queues writes (bounded), closes itself when idle, when a
// message takes too long to arrive, when the peer breaks framing, or when a TLS handshake fails or
// takes too long.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "controlplane/transport/sip_transport.h"
#include "controlplane/transport/stream_framer.h"

namespace sbc::cp {

class TransportManager;

// Why a connection ended (the reason label of sbc_sip_connections_closed_total).
enum class CloseReason : uint8_t {
  kPeerClosed,
  kIdleTimeout,
  kMessageTimeout,  // no first message, or a started message not completed, in time (slowloris)
  kFrameError,      // bytes that can never frame a SIP message (or a message over the limits)
  kBufferFull,      // receive buffer bound reached
  kSendQueueFull,   // the peer does not read fast enough
  kConnectFailed,   // outbound TCP connect failed or timed out
  kHandshakeFailed,
  kHandshakeTimeout,
  kError,     // read/write error
  kShutdown,  // sbcd stopping
};
inline constexpr CloseReason kAllCloseReasons[] = {
    CloseReason::kPeerClosed,    CloseReason::kIdleTimeout,     CloseReason::kMessageTimeout,
    CloseReason::kFrameError,    CloseReason::kBufferFull,      CloseReason::kSendQueueFull,
    CloseReason::kConnectFailed, CloseReason::kHandshakeFailed, CloseReason::kHandshakeTimeout,
    CloseReason::kError,         CloseReason::kShutdown};
[[nodiscard]] std::string_view to_string(CloseReason reason);

struct StreamSettings {
  // No bytes received for this long (after at least one message, nothing buffered): closed.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(600)};
  // An inbound connection must deliver its first complete message within this, and a message once
  // started must complete within it: a slow or silent peer cannot hold a connection slot.
  std::chrono::milliseconds message_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};  // connect + TLS
  // Bytes queued toward a peer that does not read; every queue entry is charged at least
  // kMinEntryCharge, so tiny writes (pongs) cannot amplify memory use behind a small count.
  size_t max_send_queue = 1024 * 1024;
  static constexpr size_t kMinEntryCharge = 64;
  sip::Limits limits;
};

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  using TcpSocket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<TcpSocket>;

  // Inbound: an accepted socket; outbound: a fresh one (start_connect()). `tls` non-null: a TLS
  // server (inbound) or client (outbound) connection.
  StreamConnection(TransportManager& owner, const StreamSettings& settings, uint64_t id,
                   size_t zone, bool inbound, TcpSocket socket, boost::asio::ssl::context* tls,
                   const Endpoint& remote, const Endpoint& listener);
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Inbound: TLS handshake (if any), then reading.
  void start_accepted();
  // Outbound: connect from `bind_address` (the listener's, port chosen by the kernel), handshake
  // (if TLS: the certificate checked against `server_name`, also sent as SNI, or when empty
  // against the address), then send what was queued meanwhile.
  void start_connect(const boost::asio::ip::address& bind_address, std::string server_name = {});
  // Queues bytes; false when the connection is closed or the queue bound was hit (it closes).
  bool send(std::string_view data);
  void close(CloseReason reason);
  // Stops reporting to the owner (the owner is going away); closes the socket.
  void detach();

  [[nodiscard]] uint64_t id() const { return id_; }
  [[nodiscard]] size_t zone() const { return zone_; }
  [[nodiscard]] Transport transport() const { return tls_ ? Transport::kTls : Transport::kTcp; }
  [[nodiscard]] bool inbound() const { return inbound_; }
  [[nodiscard]] bool closed() const { return state_ == State::kClosed; }
  [[nodiscard]] const Endpoint& remote() const { return remote_; }
  [[nodiscard]] const Endpoint& listener() const { return listener_; }
  [[nodiscard]] SipPeer peer() const;

 private:
  enum class State : uint8_t { kConnecting, kHandshaking, kOpen, kClosed };

  TcpSocket& tcp();
  void handshake();
  void opened();
  void read();
  void on_read(size_t size);
  void write_next();
  void arm_idle();
  void arm_deadline(CloseReason reason);
  // After framing a read: starts, keeps or clears the message deadline.
  void update_message_deadline(bool completed);

  TransportManager* owner_;
  const StreamSettings& settings_;
  const uint64_t id_;
  const size_t zone_;
  const bool tls_;
  const bool inbound_;
  Endpoint remote_;
  std::string server_name_;  // outbound TLS to a peer known by name
  Endpoint listener_;
  boost::asio::steady_timer deadline_;  // connect + handshake
  boost::asio::steady_timer idle_;      // idle timeout and message deadline, whichever is first
  std::variant<TcpSocket, TlsStream> stream_;
  std::chrono::steady_clock::time_point last_activity_;  // last bytes received
  // Set while a message is awaited (an inbound connection's first one) or partly received.
  std::optional<std::chrono::steady_clock::time_point> message_deadline_;
  bool got_message_ = false;
  State state_ = State::kConnecting;
  StreamFramer framer_;
  std::array<char, StreamFramer::kReadChunk> read_buffer_{};
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;  // charged bytes (see kMinEntryCharge)
  bool writing_ = false;
};

}  // namespace sbc::cp
