// sbcd's side of the control protocol (api/sbc/api/control_protocol.h): one AF_UNIX SOCK_SEQPACKET
// connection to sbc-dataplane, request/reply matching by request id, pushed events.
//
// DataplaneClient is the interface the rest of sbcd uses, so unit tests substitute a fake
// dataplane.
#pragma once

#include <boost/asio/generic/seq_packet_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/control_protocol.h"

namespace sbc::cp {

enum class DataplaneError : uint8_t {
  kNotConnected,  // no connection (yet); the request was not sent
  kTimeout,       // no reply in time
  kDisconnected,  // the connection went away before the reply
  kEncode,        // the message could not be encoded (a bug or an oversized message)
  kOverloaded,    // too many requests in flight
  kBadReply,      // the reply had an unexpected type
};
std::string_view to_string(DataplaneError error);

class DataplaneClient {
 public:
  using Reply = std::expected<api::Message, DataplaneError>;
  using ReplyHandler = std::function<void(Reply)>;
  using TimeoutHandler = std::function<void(const api::MediaTimeoutEvent&)>;
  using ConnectionHandler = std::function<void(bool up)>;

  virtual ~DataplaneClient() = default;

  [[nodiscard]] virtual bool connected() const = 0;
  // Port table from the last HelloReply (empty before the first connection).
  [[nodiscard]] virtual const std::vector<api::PortInfo>& ports() const = 0;
  // Session table capacity from the last HelloReply; 0 before the first connection.
  [[nodiscard]] virtual uint32_t max_sessions() const { return 0; }
  // Sessions the dataplane can transcode at once, from the last HelloReply; 0: none (no
  // transcoding lcore, or before the first connection): sbcd then offers no transcoding.
  [[nodiscard]] virtual uint32_t max_transcoded_sessions() const { return 0; }
  // Largest message both sides accept (negotiated in Hello): bounds a Batch.
  [[nodiscard]] virtual size_t max_message_size() const { return api::kMaxMessageSize; }
  // Sends a request; `handler` runs exactly once, on the event loop, with the reply message
  // (a Result, StatsReply, ...) or an error. Never runs `handler` from inside request().
  virtual void request(api::Message message, ReplyHandler handler) = 0;
  virtual void set_timeout_handler(TimeoutHandler handler) = 0;
  virtual void set_connection_handler(ConnectionHandler handler) = 0;

  [[nodiscard]] const api::PortInfo* find_port(std::string_view name) const;
};

// The real client. Connects (and reconnects with backoff) to the dataplane's control socket.
class UnixDataplaneClient final : public DataplaneClient {
 public:
  static constexpr std::chrono::milliseconds kRequestTimeout{2000};
  static constexpr std::chrono::milliseconds kMinBackoff{100};
  // A restarted dataplane is found within 200 ms of listening, so its calls' media is back soon
  // after (the resync follows at once). A connect to a local socket that is not there yet costs
  // microseconds: five tries a second cost nothing.
  static constexpr std::chrono::milliseconds kMaxBackoff{200};
  static constexpr size_t kMaxPending = 4096;

  UnixDataplaneClient(boost::asio::io_context& io, std::string socket_path,
                      std::chrono::milliseconds request_timeout = kRequestTimeout);
  ~UnixDataplaneClient() override;

  void start();  // begins connecting
  void stop();   // closes; pending requests fail with kDisconnected

  [[nodiscard]] bool connected() const override { return connected_; }
  [[nodiscard]] const std::vector<api::PortInfo>& ports() const override { return ports_; }
  [[nodiscard]] uint32_t max_sessions() const override { return max_sessions_; }
  [[nodiscard]] uint32_t max_transcoded_sessions() const override {
    return max_transcoded_sessions_;
  }
  [[nodiscard]] size_t max_message_size() const override { return max_message_size_; }
  void request(api::Message message, ReplyHandler handler) override;
  void set_timeout_handler(TimeoutHandler handler) override { on_timeout_ = std::move(handler); }
  void set_connection_handler(ConnectionHandler handler) override {
    on_connection_ = std::move(handler);
  }

 private:
  using Socket = boost::asio::generic::seq_packet_protocol::socket;
  struct Pending {
    ReplyHandler handler;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  void connect();
  void on_connected();
  void schedule_reconnect();
  void fail_connection(std::string_view why);
  void send(uint32_t request_id, const api::Message& message, ReplyHandler handler);
  void write_next();
  void read_next();
  void handle_packet(std::span<const uint8_t> packet);
  void complete(uint32_t request_id, Reply reply);
  uint32_t next_request_id();

  boost::asio::io_context& io_;
  std::string socket_path_;
  std::chrono::milliseconds request_timeout_;
  Socket socket_;
  boost::asio::steady_timer reconnect_timer_;
  std::chrono::milliseconds backoff_ = kMinBackoff;
  bool running_ = false;
  bool connected_ = false;  // Hello exchanged
  bool writing_ = false;
  uint64_t generation_ = 0;  // bumps on every (re)connect so stale callbacks are ignored
  uint32_t last_request_id_ = 0;
  std::vector<api::PortInfo> ports_;
  uint32_t max_sessions_ = 0;
  uint32_t max_transcoded_sessions_ = 0;
  size_t max_message_size_ = api::kMaxMessageSize;
  std::map<uint32_t, Pending> pending_;
  std::deque<std::vector<uint8_t>> out_;
  std::vector<uint8_t> in_;
  TimeoutHandler on_timeout_;
  ConnectionHandler on_connection_;
};

}  // namespace sbc::cp
