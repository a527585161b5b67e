// The control socket: AF_UNIX SOCK_SEQPACKET, several clients, one poll() loop on the main lcore.
// It decodes each message and calls one ControlService operation; on every wake-up it reclaims
// retired records and sweeps expired source entries, and every ~1 s it scans for media timeouts
// (pushed to every client that said Hello).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "api/control_protocol.h"
#include "dataplane/control/control_service.h"

namespace sbc::dp {

class ControlServer {
 public:
  using Clock = std::function<uint64_t()>;  // TSC "now"; tests pass a fake one
  static constexpr size_t kMaxClients = 16;
  // A client must accept at least this much per message (a dump page, a stats reply).
  static constexpr uint32_t kMinMessageSize = 4096;

  struct Stats {
    uint64_t malformed = 0;         // undecodable or out-of-protocol messages (connection closed)
    uint64_t version_mismatch = 0;  // Hello/header with another protocol version (closed)
    uint64_t clients_refused = 0;   // over kMaxClients
    uint64_t clients_dropped = 0;   // send failed (peer gone or not reading)
    uint64_t events_sent = 0;
    uint64_t accept_errors = 0;  // accept4 failed (EMFILE, ENFILE, ...): listening paused ~1 s
    uint64_t batches = 0;        // Batch messages applied
    uint64_t batch_items = 0;    // their items
  };

  ControlServer(ControlService& service, std::string path, uint64_t tsc_hz, Clock clock);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds the socket (a stale socket file is replaced; a live one is an error), mode 0660.
  std::expected<void, std::string> open();
  // Waits up to timeout_ms for activity on the sockets or on `wake_fd` (e.g. a signalfd), handles
  // it and runs periodic work when due. Returns true when wake_fd is readable.
  bool poll_once(int timeout_ms, int wake_fd = -1);

  [[nodiscard]] const Stats& stats() const { return stats_; }
  [[nodiscard]] size_t client_count() const { return clients_.size(); }

 private:
  struct Client {
    int fd = -1;
    bool hello_done = false;
    size_t max_message_size = api::kMaxMessageSize;
    bool closing = false;
  };

  void accept_clients();
  void receive(Client& client);
  // Hello first, then one handler per request type; `now` is the TSC at dispatch.
  void dispatch(Client& client, uint32_t request_id, const api::Message& message);
  void handle(Client& client, uint32_t request_id, const api::Hello& hello, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::SessionAdd& add, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::SessionDelete& del, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::StatsQuery& query, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::DumpQuery& query, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::SourceAdd& add, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::SourceDelete& del, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::SourceFlush& flush, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::MediaPortsSet& range, uint64_t now);
  void handle(Client& client, uint32_t request_id, const api::Batch& batch, uint64_t now);
  // Replies, results and events are the dataplane's to send: from a client, the connection is
  // refused (counted as malformed).
  template <typename Other>
  void handle(Client& client, uint32_t request_id, const Other& other, uint64_t now);
  void reply(Client& client, uint32_t request_id, const api::Message& message);
  void reply_dump(Client& client, uint32_t request_id, const api::DumpQuery& query);
  void reply_batch(Client& client, uint32_t request_id, api::BatchReply results);
  // Sends one encoded message; a client whose socket refuses it is dropped.
  void send_bytes(Client& client, const std::vector<uint8_t>& bytes);
  void refuse(Client& client, uint32_t request_id, api::Status status, std::string detail);
  void periodic(uint64_t now_tsc);

  ControlService& service_;
  std::string path_;
  uint64_t tsc_hz_;
  Clock clock_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
  std::vector<uint8_t> buffer_;
  uint64_t next_scan_tsc_ = 0;
  uint64_t accept_resume_tsc_ = 0;  // the listening fd is left out of poll() until then
  Stats stats_;
};

}  // namespace sbc::dp
