#include "controlplane/media/dataplane_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>
#include <functional>

#include "controlplane/media/dataplane_resync.h"
#include "controlplane/runtime/scheduler.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using Proto = boost::asio::generic::seq_packet_protocol;

// A scripted dataplane on a real AF_UNIX SOCK_SEQPACKET socket in a temp dir.
class TestServer {
 public:
  TestServer(boost::asio::io_context& io, const std::string& path) : io_(io), acceptor_(io) {
    const boost::asio::local::stream_protocol::endpoint local(path);
    const Proto::endpoint endpoint(local.data(), local.size());
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    accept();
  }
  void close_client() {
    if (client_) client_->close();
    client_.reset();
  }
  void push(const api::Message& message) {
    auto bytes = api::encode(0, message);
    client_->send(boost::asio::buffer(*bytes), 0);
  }

  bool answer_stats = true;
  uint32_t max_message_size = api::kMaxMessageSize;  // announced in HelloReply
  size_t largest_received = 0;                       // bytes
  int accepted = 0;
  std::vector<api::Message> received;

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, Proto::socket socket) {
      if (ec) return;
      ++accepted;
      client_ = std::make_unique<Proto::socket>(std::move(socket));
      read();
      accept();
    });
  }
  void read() {
    client_->async_receive(boost::asio::buffer(buffer_), flags_,
                           [this](const boost::system::error_code& ec, size_t size) {
                             if (ec || size == 0 || !client_) return;
                             auto envelope = api::decode({buffer_.data(), size});
                             ASSERT_TRUE(envelope.has_value());
                             received.push_back(envelope->message);
                             largest_received = std::max(largest_received, size);
                             reply(*envelope);
                             read();
                           });
  }
  void reply(const api::Envelope& request) {
    std::optional<api::Message> out;
    if (std::holds_alternative<api::Hello>(request.message)) {
      api::HelloReply hello;
      hello.peer_name = "test-dataplane";
      api::PortInfo port;
      port.index = 0;
      port.name = "access";
      port.address = api::Address::parse("192.0.2.1");
      hello.ports.push_back(port);
      hello.max_sessions = 4096;
      hello.max_message_size = max_message_size;
      out = hello;
    } else if (std::holds_alternative<api::StatsQuery>(request.message)) {
      if (!answer_stats) return;
      api::StatsReply stats;
      stats.active_sessions = 7;
      out = stats;
    } else if (const auto* batch = std::get_if<api::Batch>(&request.message)) {
      out = api::BatchReply{std::vector<api::Result>(batch->items.size())};
    } else {
      out = api::Result{api::Status::kOk, ""};
    }
    auto bytes = api::encode(request.request_id, *out);
    client_->send(boost::asio::buffer(*bytes), 0);
  }

  boost::asio::io_context& io_;
  boost::asio::basic_socket_acceptor<Proto> acceptor_;
  std::unique_ptr<Proto::socket> client_;
  std::array<uint8_t, api::kMaxMessageSize> buffer_{};
  boost::asio::socket_base::message_flags flags_ = 0;
};

class DataplaneClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sbcd_dp_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "dp.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the loop until `done` holds, at most ~3 s.
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 300 && !done(); ++i) io_.run_for(10ms);
    return done();
  }

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(DataplaneClientTest, HelloRequestsAndEvents) {
  TestServer server(io_, path_);
  UnixDataplaneClient client(io_, path_);
  std::vector<bool> transitions;
  client.set_connection_handler([&](bool up) { transitions.push_back(up); });
  std::vector<uint64_t> timeouts;
  client.set_timeout_handler(
      [&](const api::MediaTimeoutEvent& e) { timeouts.push_back(e.session_id); });
  client.start();
  ASSERT_TRUE(run_until([&] { return client.connected(); }));
  ASSERT_EQ(client.ports().size(), 1u);
  EXPECT_EQ(client.max_sessions(), 4096u);
  EXPECT_EQ(client.find_port("access")->address.to_string(), "192.0.2.1");
  EXPECT_EQ(client.find_port("trunk"), nullptr);
  EXPECT_EQ(transitions, std::vector<bool>{true});

  std::optional<DataplaneClient::Reply> stats;
  client.request(api::StatsQuery{0}, [&](DataplaneClient::Reply r) { stats = std::move(r); });
  ASSERT_TRUE(run_until([&] { return stats.has_value(); }));
  ASSERT_TRUE(stats->has_value());
  EXPECT_EQ(std::get<api::StatsReply>(**stats).active_sessions, 7u);

  server.push(api::MediaTimeoutEvent{42, 1000});
  ASSERT_TRUE(run_until([&] { return !timeouts.empty(); }));
  EXPECT_EQ(timeouts[0], 42u);
}

// The message size both sides accept comes from the HelloReply and bounds the resync's batches.
TEST_F(DataplaneClientTest, NegotiatedMessageSizeBoundsResyncBatches) {
  TestServer server(io_, path_);
  server.max_message_size = 8192;
  UnixDataplaneClient client(io_, path_);
  AsioScheduler scheduler(io_);
  DataplaneResync resync(client, scheduler);
  size_t ok = 0;
  client.set_connection_handler([&](bool up) {
    if (!up) return;
    resync.begin();
    resync.add(DataplaneResync::Lane::kSessions, "session", 1000, [&](size_t i) {
      api::SessionAdd add;
      add.session_id = i + 1;
      return std::optional<DataplaneResync::Request>(
          DataplaneResync::Request{add, [&ok](DataplaneClient::Reply r) {
                                     if (r && std::get<api::Result>(*r).status == api::Status::kOk)
                                       ++ok;
                                   }});
    });
    resync.run();
  });
  client.start();
  ASSERT_TRUE(run_until([&] { return client.connected(); }));
  EXPECT_EQ(client.max_message_size(), 8192u);
  ASSERT_TRUE(run_until([&] { return resync.progress().completed == 1; }));
  EXPECT_EQ(ok, 1000u);
  EXPECT_LE(server.largest_received, 8192u);
  EXPECT_GT(server.largest_received, 8192u - 200);  // filled by size, not by count
  const size_t per_batch = (8192 - api::kBatchOverhead) / api::batch_item_size(api::SessionAdd{});
  EXPECT_EQ(resync.progress().batches, (1000 + per_batch - 1) / per_batch);
  client.stop();
}

TEST_F(DataplaneClientTest, NotConnectedFailsRequests) {
  UnixDataplaneClient client(io_, path_);  // nobody listening
  client.start();
  std::optional<DataplaneClient::Reply> reply;
  client.request(api::StatsQuery{0}, [&](DataplaneClient::Reply r) { reply = std::move(r); });
  EXPECT_FALSE(reply.has_value());  // never from inside request()
  ASSERT_TRUE(run_until([&] { return reply.has_value(); }));
  EXPECT_EQ(reply->error(), DataplaneError::kNotConnected);
}

TEST_F(DataplaneClientTest, ConnectsWhenTheDataplaneComesUpLater) {
  UnixDataplaneClient client(io_, path_);
  client.start();
  io_.run_for(150ms);
  EXPECT_FALSE(client.connected());
  TestServer server(io_, path_);
  ASSERT_TRUE(run_until([&] { return client.connected(); }));
}

TEST_F(DataplaneClientTest, UnansweredRequestTimesOut) {
  TestServer server(io_, path_);
  UnixDataplaneClient client(io_, path_, 100ms);
  client.start();
  ASSERT_TRUE(run_until([&] { return client.connected(); }));

  server.answer_stats = false;
  std::optional<DataplaneClient::Reply> reply;
  client.request(api::StatsQuery{0}, [&](DataplaneClient::Reply r) { reply = std::move(r); });
  ASSERT_TRUE(run_until([&] { return reply.has_value(); }));
  EXPECT_EQ(reply->error(), DataplaneError::kTimeout);
}

// A request in flight when the dataplane goes away fails; the client comes back by itself. The
// request timeout is long so that, on a loaded machine, the disconnect is what ends the request.
TEST_F(DataplaneClientTest, DisconnectFailsRequestInFlightAndReconnects) {
  TestServer server(io_, path_);
  UnixDataplaneClient client(io_, path_, 60s);
  std::vector<bool> transitions;
  client.set_connection_handler([&](bool up) { transitions.push_back(up); });
  client.start();
  ASSERT_TRUE(run_until([&] { return client.connected(); }));

  server.answer_stats = false;
  std::optional<DataplaneClient::Reply> reply;
  client.request(api::StatsQuery{0}, [&](DataplaneClient::Reply r) { reply = std::move(r); });
  io_.run_for(20ms);
  server.close_client();
  ASSERT_TRUE(run_until([&] { return reply.has_value(); }));
  EXPECT_EQ(reply->error(), DataplaneError::kDisconnected);
  ASSERT_TRUE(run_until([&] { return server.accepted == 2 && client.connected(); }));
  EXPECT_EQ(transitions, (std::vector<bool>{true, false, true}));
}

}  // namespace
}  // namespace sbc::cp
