#include "controlplane/transport/transport_manager.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <filesystem>
#include <memory>

#include "tests/unit/controlplane/transport/loopback.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;
using testing::has_metric;
using testing::run_until;
using testing::sip_message;

// SO_KEEPALIVE of this process's socket bound to `local` and connected to `peer`; -1 if none.
int keepalive_of(const tcp::endpoint& local, const tcp::endpoint& peer) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    tcp::endpoint mine;
    tcp::endpoint theirs;
    socklen_t mine_len = static_cast<socklen_t>(mine.capacity());
    socklen_t theirs_len = static_cast<socklen_t>(theirs.capacity());
    if (::getsockname(fd, mine.data(), &mine_len) != 0 ||
        ::getpeername(fd, theirs.data(), &theirs_len) != 0) {
      continue;
    }
    mine.resize(mine_len);
    theirs.resize(theirs_len);
    if (mine != local || theirs != peer) continue;
    int on = 0;
    socklen_t len = sizeof(on);
    if (::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) != 0) return -1;
    return on;
  }
  return -1;
}

class TransportManagerTest : public ::testing::Test {
 protected:
  // A manager with one zone and a TCP listener on 127.0.0.1:<any>.
  std::unique_ptr<TransportManager> make_tcp(TransportSettings settings, Endpoint& local,
                                             testing::Received& received,
                                             testing::TestMetrics& metrics) {
    auto m = std::make_unique<TransportManager>(io_, 1, settings, metrics, received.receiver());
    auto bound = m->listen(0, Transport::kTcp, "127.0.0.1", 0);
    EXPECT_TRUE(bound.has_value()) << bound.error();
    local = bound.value_or(Endpoint());
    return m;
  }
  tcp::socket connect(const Endpoint& to) {
    tcp::socket s(io_);
    s.connect(testing::to_tcp(to));
    return s;
  }

  boost::asio::io_context io_;
  testing::TestMetrics metrics_;
  testing::Received received_;
  Endpoint local_;
};

TEST_F(TransportManagerTest, TcpMessageSplitByteByByte) {
  auto manager = make_tcp({}, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  const std::string m = sip_message(1, "v=0\r\n");
  for (char c : m) {
    boost::asio::write(client, boost::asio::buffer(&c, 1));
    io_.restart();
    io_.poll();
  }
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
  const auto& [peer, data] = received_.messages[0];
  EXPECT_EQ(data, m);
  EXPECT_EQ(peer.transport, Transport::kTcp);
  EXPECT_EQ(peer.zone, 0u);
  EXPECT_NE(peer.connection, 0u);
  EXPECT_EQ(peer.remote, testing::to_endpoint(client.local_endpoint()));
  EXPECT_EQ(peer.local, local_);
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_connections{transport=\"tcp\"} 1"));
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_connections_accepted_total{transport=\"tcp\"} 1"));
}

TEST_F(TransportManagerTest, SeveralMessagesInOneWrite) {
  auto manager = make_tcp({}, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  const std::string bytes =
      "\r\n" + sip_message(1) + sip_message(2, "hello") + "\r\n" + sip_message(3);
  boost::asio::write(client, boost::asio::buffer(bytes));
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 3; }));
  EXPECT_EQ(received_.messages[0].second, sip_message(1));
  EXPECT_EQ(received_.messages[1].second, sip_message(2, "hello"));
  EXPECT_EQ(received_.messages[2].second, sip_message(3));
  EXPECT_EQ(manager->connections(), 1u);
}

TEST_F(TransportManagerTest, CrlfKeepAliveIsAnswered) {
  auto manager = make_tcp({}, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  boost::asio::write(client, boost::asio::buffer(std::string("\r\n\r\n")));
  std::string pong;
  ASSERT_TRUE(run_until(io_, [&] {
    pong += testing::read_available(client);
    return !pong.empty();
  }));
  testing::run_for(io_, 20ms);
  pong += testing::read_available(client);
  EXPECT_EQ(pong, "\r\n");
  EXPECT_TRUE(received_.messages.empty());
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_keepalives_total{transport=\"tcp\"} 1"));
  // The connection stays usable.
  boost::asio::write(client, boost::asio::buffer(sip_message(1)));
  EXPECT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
}

TEST_F(TransportManagerTest, FrameErrorClosesTheConnection) {
  auto manager = make_tcp({}, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  boost::asio::write(client, boost::asio::buffer(std::string("HELLO there\r\nX: y\r\n\r\n")));
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 0; }));
  EXPECT_TRUE(run_until(io_, [&] { return testing::peer_closed(client); }));
  EXPECT_TRUE(received_.messages.empty());
  EXPECT_TRUE(has_metric(
      metrics_, "sbc_sip_connections_closed_total{reason=\"frame_error\",transport=\"tcp\"} 1"));
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_connections{transport=\"tcp\"} 0"));
}

TEST_F(TransportManagerTest, ResponseAndNewRequestReuseTheInboundConnection) {
  auto manager = make_tcp({}, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  boost::asio::write(client, boost::asio::buffer(sip_message(1)));
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
  const SipPeer from = received_.messages[0].first;
  manager->send(from, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  // A new request names only zone, transport and remote: the open connection carries it.
  SipPeer request;
  request.zone = 0;
  request.transport = Transport::kTcp;
  request.remote = from.remote;
  manager->send(request, sip_message(2));
  const std::string expected = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n" + sip_message(2);
  std::string got;
  ASSERT_TRUE(run_until(io_, [&] {
    got += testing::read_available(client);
    return got.size() >= expected.size();
  }));
  EXPECT_EQ(got, expected);
  EXPECT_EQ(manager->connections(), 1u);
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_connections_initiated_total{transport=\"tcp\"} 0"));
}

TEST_F(TransportManagerTest, OutboundConnectionIsOpenedOnceAndReused) {
  testing::TestMetrics server_metrics;
  testing::Received server_received;
  Endpoint server_local;
  auto server = make_tcp({}, server_local, server_received, server_metrics);
  auto client = make_tcp({}, local_, received_, metrics_);
  SipPeer to;
  to.transport = Transport::kTcp;
  to.remote = server_local;
  client->send(to, sip_message(1));  // queued while connecting
  client->send(to, sip_message(2));
  ASSERT_TRUE(run_until(io_, [&] { return server_received.messages.size() == 2; }));
  EXPECT_EQ(server_received.messages[0].first.connection,
            server_received.messages[1].first.connection);
  EXPECT_EQ(client->connections(), 1u);
  // The connection leaves from the client zone's address.
  EXPECT_EQ(server_received.messages[0].first.remote.address(), local_.address());
  // The answer comes back on that connection, reported with our listener as local.
  server->send(server_received.messages[0].first, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
  EXPECT_EQ(received_.messages[0].first.remote, server_local);
  EXPECT_EQ(received_.messages[0].first.local, local_);
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_connections_initiated_total{transport=\"tcp\"} 1"));
  // The peer closing is noticed and the next request opens a new connection.
  server->close();
  ASSERT_TRUE(run_until(io_, [&] { return client->connections() == 0; }));
  EXPECT_TRUE(has_metric(
      metrics_, "sbc_sip_connections_closed_total{reason=\"peer_closed\",transport=\"tcp\"} 1"));
}

TEST_F(TransportManagerTest, ConnectFailureIsCountedNotThrown) {
  auto client = make_tcp({}, local_, received_, metrics_);
  std::vector<SipPeer> failed;
  client->set_failure_handler([&](const SipPeer& to) { failed.push_back(to); });
  // A port nobody listens on: take one and release it.
  Endpoint dead;
  {
    tcp::acceptor a(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    dead = testing::to_endpoint(a.local_endpoint());
  }
  SipPeer to;
  to.transport = Transport::kTcp;
  to.remote = dead;
  client->send(to, sip_message(1));
  ASSERT_TRUE(run_until(io_, [&] { return client->connections() == 0; }));
  EXPECT_TRUE(has_metric(
      metrics_, "sbc_sip_connections_closed_total{reason=\"connect_failed\",transport=\"tcp\"} 1"));
  // The lost message is reported (to end its transaction now, not at Timer B/F).
  ASSERT_TRUE(run_until(io_, [&] { return failed.size() == 1; }));
  EXPECT_TRUE(failed[0].same_hop(to));
  // A zone without a listener of the transport has nowhere to send from; reported from the loop,
  // not from inside send().
  to.transport = Transport::kTls;
  client->send(to, sip_message(2));
  EXPECT_EQ(failed.size(), 1u);
  EXPECT_TRUE(
      has_metric(metrics_, "sbc_sip_send_failures_total{reason=\"no_tls\",transport=\"tls\"} 1"));
  ASSERT_TRUE(run_until(io_, [&] { return failed.size() == 2; }));
  EXPECT_EQ(failed[1].transport, Transport::kTls);
}

TEST_F(TransportManagerTest, IdleConnectionIsClosed) {
  TransportSettings settings;
  settings.stream.idle_timeout = 300ms;
  auto manager = make_tcp(settings, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 1; }));
  // Traffic keeps it open past one timeout.
  for (int i = 0; i < 8; ++i) {
    testing::run_for(io_, 50ms);
    boost::system::error_code ec;
    boost::asio::write(client, boost::asio::buffer(sip_message(i)), ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  EXPECT_EQ(manager->connections(), 1u);
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 0; }));
  EXPECT_TRUE(run_until(io_, [&] { return testing::peer_closed(client); }));
  EXPECT_EQ(received_.messages.size(), 8u);
  EXPECT_TRUE(has_metric(
      metrics_, "sbc_sip_connections_closed_total{reason=\"idle_timeout\",transport=\"tcp\"} 1"));
}

TEST_F(TransportManagerTest, PerAddressAndGlobalLimits) {
  TransportSettings settings;
  settings.max_connections_per_address = 2;
  auto manager = make_tcp(settings, local_, received_, metrics_);
  tcp::socket a = connect(local_);
  tcp::socket b = connect(local_);
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 2; }));
  tcp::socket c = connect(local_);
  EXPECT_TRUE(run_until(io_, [&] { return testing::peer_closed(c); }));
  EXPECT_EQ(manager->connections(), 2u);
  EXPECT_TRUE(has_metric(metrics_,
                         "sbc_sip_connections_refused_total{reason=\"max_connections_per_address\","
                         "transport=\"tcp\"} 1"));

  testing::TestMetrics global_metrics;
  testing::Received global_received;
  Endpoint global_local;
  TransportSettings global;
  global.max_connections = 1;
  auto limited = make_tcp(global, global_local, global_received, global_metrics);
  tcp::socket d = connect(global_local);
  ASSERT_TRUE(run_until(io_, [&] { return limited->connections() == 1; }));
  // Outbound connections have their own pool: peers filling the inbound one cannot keep sbcd from
  // reaching its trunks.
  SipPeer to;
  to.transport = Transport::kTcp;
  to.remote = local_;
  limited->send(to, sip_message(1));
  EXPECT_EQ(limited->connections(), 2u);
  // The outbound pool has the same bound.
  SipPeer other = to;
  other.remote = global_local;
  limited->send(other, sip_message(2));
  EXPECT_EQ(limited->connections(), 2u);
  // The per-address limit is for inbound connections only.
  manager->send(other, sip_message(3));
  EXPECT_EQ(manager->connections(), 3u);
  tcp::socket e = connect(global_local);
  EXPECT_TRUE(run_until(io_, [&] { return testing::peer_closed(e); }));
  // Refused: the second outbound one, then `manager`'s connection and `e` (inbound pool full).
  EXPECT_TRUE(run_until(io_, [&] {
    return has_metric(
        global_metrics,
        "sbc_sip_connections_refused_total{reason=\"max_connections\",transport=\"tcp\"} 3");
  }));
}

TEST_F(TransportManagerTest, SendQueueIsBounded) {
  TransportSettings settings;
  settings.stream.max_send_queue = 64 * 1024;
  auto manager = make_tcp(settings, local_, received_, metrics_);
  tcp::socket client(io_);
  client.open(tcp::v4());
  client.set_option(boost::asio::socket_base::receive_buffer_size(4096));
  client.connect(testing::to_tcp(local_));
  boost::asio::write(client, boost::asio::buffer(sip_message(1)));
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
  const SipPeer peer = received_.messages[0].first;
  // The client never reads: kernel buffers fill, then the queue, then the connection is closed.
  const std::string chunk(16 * 1024, 'x');
  for (int i = 0; i < 4096 && manager->connections() == 1; ++i) {
    manager->send(peer, chunk);
    io_.restart();
    io_.poll();
  }
  EXPECT_EQ(manager->connections(), 0u);
  EXPECT_TRUE(has_metric(
      metrics_,
      "sbc_sip_connections_closed_total{reason=\"send_queue_full\",transport=\"tcp\"} 1"));
}

TEST_F(TransportManagerTest, UdpListenersKeepAlivesAndSourceSelection) {
  TransportManager manager(io_, 1, {}, metrics_, received_.receiver());
  auto first = manager.listen(0, Transport::kUdp, "127.0.0.1", 0);
  auto second = manager.listen(0, Transport::kUdp, "127.0.0.1", 0);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(manager.local_endpoint(0, Transport::kUdp), *first);
  EXPECT_EQ(manager.local_endpoint(0, Transport::kTcp), std::nullopt);
  boost::asio::ip::udp::socket peer(io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
  peer.send_to(boost::asio::buffer(std::string("\r\n\r\n")), *second);
  peer.send_to(boost::asio::buffer(sip_message(1)), *second);
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
  testing::run_for(io_, 20ms);
  ASSERT_EQ(received_.messages.size(), 1u);  // the keep-alive was not handed on
  EXPECT_EQ(received_.messages[0].first.local, *second);
  EXPECT_EQ(received_.messages[0].first.transport, Transport::kUdp);
  EXPECT_TRUE(has_metric(metrics_, "sbc_sip_keepalives_total{transport=\"udp\"} 1"));
  // A response leaves from the listener the request came in on.
  manager.send(received_.messages[0].first, "SIP/2.0 200 OK\r\n\r\n");
  std::array<char, 256> buffer{};
  Endpoint from;
  size_t n = 0;
  bool got = false;
  peer.async_receive_from(boost::asio::buffer(buffer), from,
                          [&](const boost::system::error_code& ec, size_t size) {
                            got = !ec;
                            n = size;
                          });
  ASSERT_TRUE(run_until(io_, [&] { return got; }));
  EXPECT_EQ(from, *second);
  EXPECT_EQ(std::string(buffer.data(), n), "SIP/2.0 200 OK\r\n\r\n");
  // A zone with no listener at all: counted, nothing thrown.
  TransportManager empty(io_, 1, {}, metrics_, received_.receiver());
  SipPeer to;
  to.remote = *first;
  empty.send(to, "x");
  EXPECT_TRUE(has_metric(
      metrics_, "sbc_sip_send_failures_total{reason=\"no_listener\",transport=\"udp\"} 1"));
}

TEST_F(TransportManagerTest, SilentOrSlowPeersHitTheMessageTimeout) {
  TransportSettings settings;
  settings.stream.message_timeout = 200ms;  // idle_timeout stays 600 s
  auto manager = make_tcp(settings, local_, received_, metrics_);
  const std::string closed_line =
      "sbc_sip_connections_closed_total{reason=\"message_timeout\",transport=\"tcp\"} ";
  // A client that never sends.
  tcp::socket silent = connect(local_);
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 1; }));
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 0; }));
  EXPECT_TRUE(has_metric(metrics_, closed_line + "1"));
  // Keep-alives alone are no first message.
  tcp::socket pinger = connect(local_);
  for (int i = 0; i < 10 && manager->connections() <= 1; ++i) {
    boost::system::error_code ec;
    boost::asio::write(pinger, boost::asio::buffer(std::string("\r\n\r\n")), ec);
    testing::run_for(io_, 50ms);
  }
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 0; }));
  EXPECT_TRUE(has_metric(metrics_, closed_line + "2"));
  // After a message, a connection with nothing buffered waits for the idle timeout only...
  tcp::socket slow = connect(local_);
  boost::asio::write(slow, boost::asio::buffer(sip_message(1)));
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
  testing::run_for(io_, 400ms);
  EXPECT_EQ(manager->connections(), 1u);
  // ...but a started message must complete in time, however steadily its bytes trickle in.
  const std::string m = sip_message(2);
  for (size_t i = 0; i < 16 && manager->connections() == 1; ++i) {
    boost::system::error_code ec;
    boost::asio::write(slow, boost::asio::buffer(&m[i], 1), ec);
    testing::run_for(io_, 50ms);
  }
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 0; }));
  EXPECT_EQ(received_.messages.size(), 1u);
  EXPECT_TRUE(has_metric(metrics_, closed_line + "3"));
}

TEST_F(TransportManagerTest, SmallWritesAreCoalescedAndEveryEntryIsCharged) {
  tcp::acceptor acceptor(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  TransportSettings settings;
  settings.stream.max_send_queue = 100 * StreamSettings::kMinEntryCharge;
  auto client = make_tcp(settings, local_, received_, metrics_);
  SipPeer to;
  to.transport = Transport::kTcp;
  to.remote = testing::to_endpoint(acceptor.local_endpoint());
  // 1000 pongs' worth queued while connecting make one 2000-byte entry, not 1000 entries.
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    client->send(to, "\r\n");
    expected += "\r\n";
  }
  EXPECT_EQ(client->connections(), 1u);
  tcp::socket peer = acceptor.accept();
  std::string got;
  EXPECT_TRUE(run_until(io_, [&] {
    got += testing::read_available(peer);
    return got.size() >= expected.size();
  }));
  EXPECT_EQ(got, expected);
  // Each entry costs at least kMinEntryCharge: below it even one byte does not fit.
  TransportSettings tiny;
  tiny.stream.max_send_queue = StreamSettings::kMinEntryCharge - 1;
  testing::TestMetrics tiny_metrics;
  testing::Received tiny_received;
  Endpoint tiny_local;
  auto limited = make_tcp(tiny, tiny_local, tiny_received, tiny_metrics);
  std::vector<SipPeer> failed;
  limited->set_failure_handler([&](const SipPeer& peer) { failed.push_back(peer); });
  limited->send(to, "x");
  EXPECT_EQ(limited->connections(), 0u);
  EXPECT_TRUE(has_metric(
      tiny_metrics,
      "sbc_sip_connections_closed_total{reason=\"send_queue_full\",transport=\"tcp\"} 1"));
  EXPECT_TRUE(run_until(io_, [&] { return failed.size() == 1; }));
}

TEST_F(TransportManagerTest, OurWritesDoNotKeepAConnectionAlive) {
  TransportSettings settings;
  settings.stream.idle_timeout = 300ms;
  auto manager = make_tcp(settings, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  boost::asio::write(client, boost::asio::buffer(sip_message(1)));
  ASSERT_TRUE(run_until(io_, [&] { return received_.messages.size() == 1; }));
  const SipPeer peer = received_.messages[0].first;
  // We keep sending; the peer reads but never sends: idle all the same.
  for (int i = 0; i < 20 && manager->connections() == 1; ++i) {
    manager->send(peer, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    testing::run_for(io_, 50ms);
    (void)testing::read_available(client);
  }
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 0; }));
  EXPECT_TRUE(has_metric(
      metrics_, "sbc_sip_connections_closed_total{reason=\"idle_timeout\",transport=\"tcp\"} 1"));
}

TEST_F(TransportManagerTest, KeepAliveOnAcceptedAndConnectedSockets) {
  auto manager = make_tcp({}, local_, received_, metrics_);
  tcp::socket client = connect(local_);
  ASSERT_TRUE(run_until(io_, [&] { return manager->connections() == 1; }));
  EXPECT_EQ(keepalive_of(client.remote_endpoint(), client.local_endpoint()), 1);
  // Outbound: toward a raw acceptor.
  tcp::acceptor acceptor(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  SipPeer to;
  to.transport = Transport::kTcp;
  to.remote = testing::to_endpoint(acceptor.local_endpoint());
  manager->send(to, sip_message(1));
  tcp::socket accepted = acceptor.accept();
  std::string got;
  ASSERT_TRUE(run_until(io_, [&] {
    got += testing::read_available(accepted);
    return got.size() >= sip_message(1).size();
  }));
  EXPECT_EQ(keepalive_of(accepted.remote_endpoint(), accepted.local_endpoint()), 1);
}

}  // namespace
}  // namespace sbc::cp

namespace sbc::cp {
namespace {

// A reload adds zones (they can listen from then on) and closes a removed zone's listeners once
// no call uses it; the zone can listen again later, and new requests never leave from a closed
// socket.
TEST(TransportManagerReloadTest, ZonesAreAddedAndClosed) {
  boost::asio::io_context io;
  testing::TestMetrics metrics;
  TransportManager manager(io, 1, {}, metrics, [](const SipPeer&, std::string) {});
  manager.add_zones(2);
  auto bound = manager.listen(1, Transport::kUdp, "127.0.0.1", 0);
  ASSERT_TRUE(bound.has_value()) << bound.error();
  ASSERT_TRUE(manager.listen(1, Transport::kTcp, "127.0.0.1", 0).has_value());
  EXPECT_EQ(manager.local_endpoint(1, Transport::kUdp), *bound);
  manager.close_zone(1);
  EXPECT_FALSE(manager.local_endpoint(1, Transport::kUdp).has_value());
  EXPECT_FALSE(manager.local_endpoint(1, Transport::kTcp).has_value());
  auto again = manager.listen(1, Transport::kUdp, "127.0.0.1", 0);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(manager.local_endpoint(1, Transport::kUdp), *again);
  manager.close();
}

}  // namespace
}  // namespace sbc::cp
