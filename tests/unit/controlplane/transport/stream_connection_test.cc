// One StreamConnection over a loopback TCP socket pair, created by the test rather than by a
// listener: what it reports (peer, messages, keep-alives), what it sends and when, its send queue
// bound, the peer closing, and detach(). The manager only relays its reports here; its own rules
// (limits, reuse, idle and message timeouts, TLS) are in transport_manager_test and
// tls_transport_test.
#include "controlplane/transport/stream_connection.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <set>
#include <string>

#include "tests/unit/controlplane/transport/loopback.h"

namespace sbc::cp {
namespace {

using boost::asio::ip::tcp;
using testing::has_metric;
using testing::run_until;
using testing::sip_message;

class StreamConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_ = std::make_unique<TransportManager>(io_, 1, TransportSettings{}, metrics_,
                                                  received_.receiver());
    tcp::acceptor acceptor(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    client_.connect(acceptor.local_endpoint());
    tcp::socket accepted(io_);
    acceptor.accept(accepted);
    remote_ = Endpoint(accepted.remote_endpoint().address(), accepted.remote_endpoint().port());
    listener_ = Endpoint(acceptor.local_endpoint().address(), acceptor.local_endpoint().port());
    client_.non_blocking(true);
    connection_ = std::make_shared<StreamConnection>(
        *manager_, settings_, 77, 0, true, std::move(accepted), nullptr, remote_, listener_);
  }
  void TearDown() override {
    connection_->detach();
    manager_.reset();
  }
  // What the client reads within the bound, until `want` bytes or end of stream.
  std::string client_reads(size_t want) {
    std::string got;
    run_until(io_, [&] {
      char buffer[4096];
      boost::system::error_code ec;
      const size_t n = client_.read_some(boost::asio::buffer(buffer), ec);
      if (!ec) got.append(buffer, n);
      return got.size() >= want || (ec && ec != boost::asio::error::would_block);
    });
    return got;
  }
  // True when the client sees the connection's end (EOF or reset) within the bound.
  bool client_sees_end() {
    bool ended = false;
    run_until(io_, [&] {
      char buffer[4096];
      boost::system::error_code ec;
      client_.read_some(boost::asio::buffer(buffer), ec);
      ended = ec && ec != boost::asio::error::would_block;
      return ended;
    });
    return ended;
  }
  void client_writes(const std::string& bytes) {
    client_.non_blocking(false);
    boost::asio::write(client_, boost::asio::buffer(bytes));
    client_.non_blocking(true);
  }

  boost::asio::io_context io_;
  testing::TestMetrics metrics_;
  testing::Received received_;
  StreamSettings settings_;
  std::unique_ptr<TransportManager> manager_;
  tcp::socket client_{io_};
  Endpoint remote_;
  Endpoint listener_;
  std::shared_ptr<StreamConnection> connection_;
};

TEST(CloseReasonTest, EveryReasonHasItsOwnLabel) {
  std::set<std::string_view> names;
  for (CloseReason r : kAllCloseReasons) EXPECT_TRUE(names.insert(to_string(r)).second);
  EXPECT_EQ(names.size(), std::size(kAllCloseReasons));
  EXPECT_EQ(to_string(CloseReason::kSendQueueFull), "send_queue_full");
  EXPECT_EQ(to_string(CloseReason::kMessageTimeout), "message_timeout");
}

TEST_F(StreamConnectionTest, PeerNamesZoneTransportEndsAndConnection) {
  EXPECT_EQ(connection_->id(), 77u);
  EXPECT_TRUE(connection_->inbound());
  EXPECT_EQ(connection_->transport(), Transport::kTcp);
  EXPECT_FALSE(connection_->closed());
  const SipPeer peer = connection_->peer();
  EXPECT_EQ(peer.zone, 0u);
  EXPECT_EQ(peer.transport, Transport::kTcp);
  EXPECT_EQ(peer.remote, remote_);
  EXPECT_EQ(peer.local, listener_);
  EXPECT_EQ(peer.connection, 77u);
}

TEST_F(StreamConnectionTest, FramedMessagesAreDeliveredAndPingsAnswered) {
  connection_->start_accepted();
  client_writes(sip_message(1) + "\r\n\r\n" + sip_message(2, "body"));
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 2; }));
  EXPECT_EQ(received_.messages[0].second, sip_message(1));
  EXPECT_EQ(received_.messages[1].second, sip_message(2, "body"));
  EXPECT_EQ(received_.messages[0].first.connection, 77u);
  EXPECT_EQ(received_.messages[0].first.remote, remote_);
  EXPECT_EQ(client_reads(2), "\r\n");  // RFC 5626 §3.5.1 pong
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_keepalives_total{transport=\"tcp\"} 1"));
}

TEST_F(StreamConnectionTest, WritesQueuedBeforeOpeningGoOutInOrder) {
  EXPECT_TRUE(connection_->send("first "));
  EXPECT_TRUE(connection_->send("second"));
  connection_->start_accepted();
  EXPECT_EQ(client_reads(12), "first second");
  EXPECT_TRUE(connection_->send(" third"));
  EXPECT_EQ(client_reads(6), " third");
}

// Every queue entry is charged at least kMinEntryCharge; going over the bound closes the
// connection (a peer that does not read), and a closed connection sends nothing.
TEST_F(StreamConnectionTest, SendQueueBoundClosesTheConnection) {
  settings_.max_send_queue = 2 * StreamSettings::kMinEntryCharge;
  EXPECT_TRUE(connection_->send(std::string(50, 'a')));  // charged 64
  EXPECT_TRUE(connection_->send(std::string(50, 'b')));  // joined: 100
  EXPECT_FALSE(connection_->closed());
  EXPECT_FALSE(connection_->send(std::string(40, 'c')));  // 140 > 128
  EXPECT_TRUE(connection_->closed());
  EXPECT_FALSE(connection_->send("x"));
  EXPECT_TRUE(client_sees_end());
}

TEST_F(StreamConnectionTest, PeerClosingEndsTheConnection) {
  connection_->start_accepted();
  client_.close();
  EXPECT_TRUE(run_until(io_, [&] { return connection_->closed(); }));
  EXPECT_FALSE(connection_->send("late"));
}

TEST_F(StreamConnectionTest, BytesThatCannotFrameCloseTheConnection) {
  connection_->start_accepted();
  client_writes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(run_until(io_, [&] { return connection_->closed(); }));
  EXPECT_TRUE(received_.messages.empty());
  EXPECT_TRUE(client_sees_end());
}

// After detach() the owner may go away: the connection's pending completions must not reach it.
TEST_F(StreamConnectionTest, DetachClosesAndStopsReporting) {
  connection_->start_accepted();
  connection_->detach();
  EXPECT_TRUE(connection_->closed());
  manager_.reset();
  testing::run_for(io_, std::chrono::milliseconds(20));  // the aborted read completes
  EXPECT_TRUE(received_.messages.empty());
  EXPECT_TRUE(client_sees_end());
}

}  // namespace
}  // namespace sbc::cp
