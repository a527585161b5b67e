// DnsClient on c-ares, driven by the control plane's Boost.Asio event loop: c-ares tells which
// of its sockets to watch (ARES_OPT_SOCK_STATE_CB) and when its next timeout is (ares_timeout);
// asio waits on those sockets and that time and hands them back to ares_process_fd. No thread.
#pragma once

#include <ares.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controlplane/net/dns_client.h"

namespace sbc::cp {

class AresDnsClient final : public DnsClient {
 public:
  // The error names what c-ares refused (a bad server list, no resolv.conf).
  [[nodiscard]] static std::expected<std::unique_ptr<AresDnsClient>, std::string> create(
      boost::asio::io_context& io, const DnsSettings& settings);
  ~AresDnsClient() override;
  AresDnsClient(const AresDnsClient&) = delete;
  AresDnsClient& operator=(const AresDnsClient&) = delete;

  void query(std::string_view name, DnsType type, Callback done) override;

 private:
  struct Watch {
    uint64_t id = 0;  // tells a handler whether its watch is still the one for that fd
    std::unique_ptr<boost::asio::posix::stream_descriptor> descriptor;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
  };
  struct Pending;

  explicit AresDnsClient(boost::asio::io_context& io);
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);
  void arm(ares_socket_t fd);
  void ready(ares_socket_t fd, uint64_t id, bool read);
  void arm_timer();

  boost::asio::io_context& io_;
  ares_channel channel_ = nullptr;
  boost::asio::steady_timer timer_;
  std::unordered_map<ares_socket_t, Watch> watches_;
  uint64_t next_watch_id_ = 1;
};

}  // namespace sbc::cp
