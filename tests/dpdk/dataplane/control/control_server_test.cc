// The control server over a real AF_UNIX SOCK_SEQPACKET socket, driven one poll at a time with a
// fake clock.
#include "dataplane/control/control_server.h"

#include <fmt/core.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/dpdk/dataplane/control/control_server_fixture.h"

namespace sbc::dp::test {
namespace {

class ControlServerTest : public ControlServerFixture {
 protected:
  void TearDown() override {
    for (int fd : clients_) close(fd);
    ControlServerFixture::TearDown();
  }

  int connect_client() {
    const int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{2, 0};  // a missing reply fails the test instead of hanging it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    server_->poll_once(0);  // accept
    clients_.push_back(fd);
    return fd;
  }
  void send_raw(int fd, const std::vector<uint8_t>& bytes) {
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
    server_->poll_once(0);
  }
  void send_message(int fd, uint32_t request_id, const api::Message& message) {
    auto bytes = api::encode(request_id, message);
    ASSERT_TRUE(bytes.has_value());
    send_raw(fd, *bytes);
  }
  // Next message from the server; nullopt on EOF (server closed) or timeout.
  std::optional<api::Envelope> receive(int fd) {
    std::vector<uint8_t> buf(api::kMaxMessageSize);
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) return std::nullopt;
    auto envelope = api::decode(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
    EXPECT_TRUE(envelope.has_value());
    if (!envelope) return std::nullopt;
    return *envelope;
  }
  template <typename T>
  T call(int fd, uint32_t request_id, const api::Message& message) {
    send_message(fd, request_id, message);
    auto reply = receive(fd);
    EXPECT_TRUE(reply.has_value());
    if (!reply) return T{};
    EXPECT_EQ(reply->request_id, request_id);
    EXPECT_TRUE(std::holds_alternative<T>(reply->message))
        << "got " << api::to_string(api::type_of(reply->message));
    return std::holds_alternative<T>(reply->message) ? std::get<T>(reply->message) : T{};
  }
  int hello_client() {
    const int fd = connect_client();
    call<api::HelloReply>(fd, 1, api::Hello{api::kProtocolVersion, api::kMaxMessageSize, "test"});
    return fd;
  }
  bool closed_by_server(int fd) {
    server_->poll_once(0);
    char byte;
    return recv(fd, &byte, 1, 0) == 0;
  }

  std::vector<int> clients_;
};

TEST_F(ControlServerTest, HelloAddStatsDumpDelete) {
  const int fd = connect_client();
  auto hello = call<api::HelloReply>(fd, 1, api::Hello{api::kProtocolVersion, 8192, "sbcd"});
  EXPECT_EQ(hello.version, api::kProtocolVersion);
  EXPECT_EQ(hello.max_message_size, 8192u);
  ASSERT_EQ(hello.ports.size(), 2u);
  EXPECT_EQ(hello.ports[0].name, "access");
  EXPECT_EQ(hello.ports[0].address, api::Address::ipv4(access_ip()));
  EXPECT_EQ(hello.ports[0].prefix_length, 24);
  EXPECT_EQ(hello.ports[1].index, 1);
  EXPECT_EQ(hello.ports[1].name, "trunk");
  EXPECT_EQ(hello.max_sessions, max_sessions());  // sbcd sizes its call table from it

  EXPECT_EQ(call<api::Result>(fd, 2, session(7)).status, api::Status::kOk);
  EXPECT_EQ(call<api::Result>(fd, 3, session(7)).status, api::Status::kOk);  // idempotent upsert
  api::SessionAdd bad = session(8);
  bad.legs[0].local_rtp_port = 1;
  const api::Result invalid = call<api::Result>(fd, 4, bad);
  EXPECT_EQ(invalid.status, api::Status::kInvalid);
  EXPECT_FALSE(invalid.detail.empty());

  auto one = call<api::StatsReply>(fd, 5, api::StatsQuery{7});
  EXPECT_EQ(one.session_id, 7u);
  ASSERT_EQ(one.legs.size(), 2u);
  EXPECT_EQ(one.legs[0].rtp.idle_ms, UINT32_MAX);
  auto totals = call<api::StatsReply>(fd, 6, api::StatsQuery{0});
  EXPECT_EQ(totals.active_sessions, 1u);
  EXPECT_EQ(totals.ports.size(), 2u);
  ASSERT_EQ(totals.drops.size(), kDropCount);
  EXPECT_EQ(totals.drops[static_cast<size_t>(Drop::kSourceMismatch)].name, "source_mismatch");
  EXPECT_EQ(call<api::Result>(fd, 7, api::StatsQuery{99}).status, api::Status::kNotFound);

  auto dump = call<api::DumpReply>(fd, 8, api::DumpQuery{0, 10});
  ASSERT_EQ(dump.sessions.size(), 1u);
  EXPECT_EQ(dump.sessions[0].spec, session(7));
  EXPECT_EQ(dump.next_cursor, 0u);

  EXPECT_EQ(call<api::Result>(fd, 9, api::SessionDelete{7}).status, api::Status::kOk);
  EXPECT_EQ(call<api::Result>(fd, 10, api::SessionDelete{7}).status, api::Status::kNotFound);
  EXPECT_EQ(server_->stats().malformed, 0u);
}

// A Batch is applied item by item: one Result each, a bad item fails only itself.
TEST_F(ControlServerTest, BatchAppliesEveryItemWithItsOwnResult) {
  const int fd = hello_client();
  api::SessionAdd bad = session(3, 20004, 30004);
  bad.legs[0].local_rtp_port = 20005;  // odd: kInvalid
  api::Batch batch{
      {session(1, 20000, 30000), session(2, 20002, 30002), bad, api::SessionDelete{77},
       api::SourceAdd{api::Address::parse("203.0.113.9"), api::SourceClass::kBanned, 0},
       api::SourceAdd{api::Address::parse("203.0.113.10"), api::SourceClass::kTrusted, 0},
       api::SourceDelete{api::Address::parse("203.0.113.11")}, api::SessionDelete{2}}};
  auto reply = call<api::BatchReply>(fd, 5, batch);
  ASSERT_EQ(reply.results.size(), batch.items.size());
  EXPECT_EQ(reply.results[0].status, api::Status::kOk);
  EXPECT_EQ(reply.results[1].status, api::Status::kOk);
  EXPECT_EQ(reply.results[2].status, api::Status::kInvalid);
  EXPECT_NE(reply.results[2].detail.find("even"), std::string::npos) << reply.results[2].detail;
  EXPECT_EQ(reply.results[3].status, api::Status::kNotFound);
  EXPECT_EQ(reply.results[4].status, api::Status::kOk);
  EXPECT_EQ(reply.results[5].status, api::Status::kOk);
  EXPECT_EQ(reply.results[6].status, api::Status::kNotFound);
  EXPECT_EQ(reply.results[7].status, api::Status::kOk);  // in order: session 2 was added first
  EXPECT_EQ(table_->size(), 1u);
  EXPECT_NE(table_->find(1), nullptr);
  auto totals = service_->stats(api::StatsQuery{0}, now_);
  EXPECT_EQ(totals->banned_sources, 1u);
  EXPECT_EQ(totals->trusted_sources, 1u);
  EXPECT_EQ(server_->stats().batches, 1u);
  EXPECT_EQ(server_->stats().batch_items, batch.items.size());
  EXPECT_EQ(server_->stats().malformed, 0u);
}

// Many refused items whose details would not fit the client's message size: the statuses do.
TEST_F(ControlServerTest, BatchReplyFitsTheClientsMessageSize) {
  const int fd = connect_client();
  call<api::HelloReply>(fd, 1, api::Hello{api::kProtocolVersion, 4096, "small"});
  api::Batch batch;
  for (uint16_t i = 0; i < 400; ++i) {
    api::SessionAdd add = session(1000 + i, 20000 + 2 * i, 30000 + 2 * i);
    add.legs[1].port = 9;  // out of range: a long detail each
    batch.items.emplace_back(add);
  }
  auto reply = call<api::BatchReply>(fd, 2, batch);
  ASSERT_EQ(reply.results.size(), 400u);
  for (const auto& r : reply.results) {
    EXPECT_EQ(r.status, api::Status::kInvalid);
    EXPECT_TRUE(r.detail.empty());
  }
  EXPECT_EQ(table_->size(), 0u);
  EXPECT_FALSE(closed_by_server(fd));
}

// A Batch the decoder refuses (an item of a type a Batch cannot carry) is malformed: counted,
// answered kInvalid, connection closed; nothing of it is applied.
TEST_F(ControlServerTest, MalformedBatchIsCountedAndClosed) {
  const int fd = hello_client();
  auto bytes = *api::encode(3, api::Batch{{session(1), api::SessionDelete{1}}});
  bytes[api::kHeaderSize + 2] = static_cast<uint8_t>(api::MessageType::kHello);
  send_raw(fd, bytes);
  auto reply = receive(fd);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(std::get<api::Result>(reply->message).status, api::Status::kInvalid);
  EXPECT_EQ(server_->stats().malformed, 1u);
  EXPECT_EQ(server_->stats().batches, 0u);
  EXPECT_EQ(table_->size(), 0u);
  EXPECT_TRUE(closed_by_server(fd));
}

TEST_F(ControlServerTest, SourceTableAndMediaPortsOverTheSocket) {
  const int fd = hello_client();
  const api::SourceAdd ban{api::Address::parse("203.0.113.9"), api::SourceClass::kBanned, 2000};
  EXPECT_EQ(call<api::Result>(fd, 2, ban).status, api::Status::kOk);
  EXPECT_EQ(call<api::Result>(fd, 3, ban).status, api::Status::kOk);  // idempotent
  const api::SourceAdd trust{api::Address::parse("2001:db8::5"), api::SourceClass::kTrusted, 0};
  EXPECT_EQ(call<api::Result>(fd, 4, trust).status, api::Status::kOk);
  auto totals = call<api::StatsReply>(fd, 5, api::StatsQuery{0});
  EXPECT_EQ(totals.banned_sources, 1u);
  EXPECT_EQ(totals.trusted_sources, 1u);

  EXPECT_EQ(call<api::Result>(fd, 6, api::SourceDelete{trust.address}).status, api::Status::kOk);
  EXPECT_EQ(call<api::Result>(fd, 7, api::SourceDelete{trust.address}).status,
            api::Status::kNotFound);
  // The ban lapses by itself: the server's housekeeping sweeps it.
  advance_ms(2000);
  server_->poll_once(0);
  EXPECT_TRUE(sources_->empty());
  EXPECT_EQ(call<api::StatsReply>(fd, 8, api::StatsQuery{0}).banned_sources, 0u);

  EXPECT_EQ(call<api::Result>(fd, 9, ban).status, api::Status::kOk);
  EXPECT_EQ(call<api::Result>(fd, 10, api::SourceFlush{}).status, api::Status::kOk);
  EXPECT_EQ(call<api::Result>(fd, 11, api::SourceFlush{}).status, api::Status::kOk);
  EXPECT_TRUE(sources_->empty());

  EXPECT_EQ(call<api::Result>(fd, 12, api::MediaPortsSet{20000, 29999}).status, api::Status::kOk);
  EXPECT_EQ(datapath_->media_ports.port_min(), 20000);
  EXPECT_EQ(datapath_->media_ports.port_max(), 29999);
  EXPECT_EQ(call<api::Result>(fd, 13, api::MediaPortsSet{}).status, api::Status::kOk);
  EXPECT_FALSE(datapath_->media_ports.contains(20000));
  EXPECT_EQ(server_->stats().malformed, 0u);

  // An unknown class on the wire is malformed: refused and closed, nothing added.
  auto bytes = *api::encode(14, api::SourceAdd{api::Address::parse("203.0.113.9")});
  bytes[api::kHeaderSize + 17] = 7;
  send_raw(fd, bytes);
  auto reply = receive(fd);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(std::get<api::Result>(reply->message).status, api::Status::kInvalid);
  EXPECT_TRUE(closed_by_server(fd));
  EXPECT_TRUE(sources_->empty());
}

TEST_F(ControlServerTest, WrongVersionInHelloIsRejectedAndClosed) {
  const int fd = connect_client();
  api::Hello hello{api::kProtocolVersion + 1, api::kMaxMessageSize, "future-sbcd"};
  EXPECT_EQ(call<api::Result>(fd, 1, hello).status, api::Status::kVersionMismatch);
  EXPECT_TRUE(closed_by_server(fd));
  EXPECT_EQ(server_->stats().version_mismatch, 1u);
}

TEST_F(ControlServerTest, WrongVersionInHeaderIsRejectedAndClosed) {
  const int fd = connect_client();
  auto bytes = api::encode(42, api::Hello{});
  ASSERT_TRUE(bytes.has_value());
  (*bytes)[0] = 9;  // header version, little endian
  send_raw(fd, *bytes);
  auto reply = receive(fd);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(std::holds_alternative<api::Result>(reply->message));
  EXPECT_EQ(std::get<api::Result>(reply->message).status, api::Status::kVersionMismatch);
  EXPECT_EQ(reply->request_id, 42u);
  EXPECT_TRUE(closed_by_server(fd));
}

TEST_F(ControlServerTest, MalformedMessageIsCountedAndClosed) {
  const int fd = hello_client();
  send_raw(fd, {1, 2, 3, 4, 5});
  auto reply = receive(fd);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(std::holds_alternative<api::Result>(reply->message));
  EXPECT_EQ(std::get<api::Result>(reply->message).status, api::Status::kInvalid);
  EXPECT_TRUE(closed_by_server(fd));
  EXPECT_EQ(server_->stats().malformed, 1u);
  EXPECT_EQ(server_->client_count(), 0u);

  // Other clients are unaffected.
  const int other = hello_client();
  EXPECT_EQ(call<api::Result>(other, 2, session(1)).status, api::Status::kOk);
}

TEST_F(ControlServerTest, RequestBeforeHelloIsRefused) {
  const int fd = connect_client();
  EXPECT_EQ(call<api::Result>(fd, 1, session(1)).status, api::Status::kInvalid);
  EXPECT_TRUE(closed_by_server(fd));
  EXPECT_EQ(table_->size(), 0u);
}

TEST_F(ControlServerTest, ReplyOrEventFromAClientIsRefusedAndClosed) {
  // Each kind of message only the dataplane sends: refused by name, counted, connection closed.
  const std::vector<api::Message> ours{api::HelloReply{},
                                       api::Result{},
                                       api::StatsReply{},
                                       api::DumpReply{},
                                       api::MediaTimeoutEvent{5, 1000},
                                       api::BatchReply{{api::Result{}}}};
  uint64_t malformed = 0;
  for (const api::Message& message : ours) {
    const int fd = hello_client();
    send_message(fd, 2, message);
    auto reply = receive(fd);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->request_id, 2u);
    ASSERT_TRUE(std::holds_alternative<api::Result>(reply->message));
    const auto& result = std::get<api::Result>(reply->message);
    EXPECT_EQ(result.status, api::Status::kInvalid);
    EXPECT_EQ(result.detail,
              fmt::format("unexpected {} from a client", api::to_string(api::type_of(message))));
    EXPECT_TRUE(closed_by_server(fd));
    EXPECT_EQ(server_->stats().malformed, ++malformed);
  }
  EXPECT_EQ(server_->client_count(), 0u);
}

TEST_F(ControlServerTest, MediaTimeoutIsPushedToHelloClientsOnce) {
  const int a = hello_client();
  const int b = hello_client();
  const int silent = connect_client();  // never said Hello: gets no events
  api::SessionAdd s = session(5);
  s.media_timeout_ms = 1500;
  EXPECT_EQ(call<api::Result>(a, 2, s).status, api::Status::kOk);
  advance_ms(3000);
  server_->poll_once(0);
  for (int fd : {a, b}) {
    auto event = receive(fd);
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->request_id, 0u);
    ASSERT_TRUE(std::holds_alternative<api::MediaTimeoutEvent>(event->message));
    EXPECT_EQ(std::get<api::MediaTimeoutEvent>(event->message).session_id, 5u);
    EXPECT_GE(std::get<api::MediaTimeoutEvent>(event->message).idle_ms, 1500u);
  }
  advance_ms(3000);
  server_->poll_once(0);
  char byte;
  EXPECT_LT(recv(silent, &byte, 1, MSG_DONTWAIT), 0);
  EXPECT_LT(recv(a, &byte, 1, MSG_DONTWAIT), 0);  // only once
  EXPECT_EQ(server_->stats().events_sent, 2u);
}

TEST_F(ControlServerTest, HelloWithATooSmallMessageSizeIsRefused) {
  const int fd = connect_client();
  const api::Result refused = call<api::Result>(
      fd, 1, api::Hello{api::kProtocolVersion, ControlServer::kMinMessageSize - 1, "tiny"});
  EXPECT_EQ(refused.status, api::Status::kInvalid);
  EXPECT_TRUE(closed_by_server(fd));
  const int ok = connect_client();
  auto hello = call<api::HelloReply>(
      ok, 1, api::Hello{api::kProtocolVersion, ControlServer::kMinMessageSize, "small"});
  EXPECT_EQ(hello.max_message_size, ControlServer::kMinMessageSize);
}

TEST_F(ControlServerTest, MediaTimeoutWaitsForAClientInsteadOfBeingLost) {
  api::SessionAdd s = session(5);
  s.media_timeout_ms = 1500;
  ASSERT_EQ(add(s).status, api::Status::kOk);
  const int silent = connect_client();  // connected, no Hello: not a recipient
  advance_ms(3000);
  server_->poll_once(0);  // due, but nobody to tell
  EXPECT_EQ(server_->stats().events_sent, 0u);
  const int a = hello_client();  // e.g. sbcd after a restart
  advance_ms(1000);
  server_->poll_once(0);
  auto event = receive(a);
  ASSERT_TRUE(event.has_value());
  ASSERT_TRUE(std::holds_alternative<api::MediaTimeoutEvent>(event->message));
  EXPECT_EQ(std::get<api::MediaTimeoutEvent>(event->message).session_id, 5u);
  char byte;
  EXPECT_LT(recv(silent, &byte, 1, MSG_DONTWAIT), 0);
  EXPECT_EQ(server_->stats().events_sent, 1u);
}

TEST_F(ControlServerTest, AcceptOutOfDescriptorsBacksOffInsteadOfSpinning) {
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  ASSERT_GE(fd, 0);
  clients_.push_back(fd);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);  // queued
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  {
    // The lowest free descriptor becomes the limit: accept4 fails with EMFILE.
    const int lowest = dup(0);
    ASSERT_GE(lowest, 0);
    close(lowest);
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(lowest);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    server_->poll_once(0);
    server_->poll_once(0);
    server_->poll_once(0);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  }
  EXPECT_EQ(server_->stats().accept_errors, 1u);  // one failure, then the listener rests
  EXPECT_EQ(server_->client_count(), 0u);
  server_->poll_once(0);
  EXPECT_EQ(server_->client_count(), 0u);  // still resting, though descriptors are back
  advance_ms(1001);
  server_->poll_once(0);
  EXPECT_EQ(server_->client_count(), 1u);  // the queued connection was kept
  auto hello =
      call<api::HelloReply>(fd, 1, api::Hello{api::kProtocolVersion, api::kMaxMessageSize, "late"});
  EXPECT_EQ(hello.version, api::kProtocolVersion);
}

TEST_F(ControlServerTest, StaleSocketIsReplacedLiveOneRefused) {
  ControlServer second(*service_, path_, hz_, [this] { return now_; });
  auto refused = second.open();
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("another process"), std::string::npos);
}

}  // namespace
}  // namespace sbc::dp::test
