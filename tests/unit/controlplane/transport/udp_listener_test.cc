// One UdpListener on 127.0.0.1: binding and its errors, datagrams to the receiver with both ends,
// CR/LF-only datagrams as keep-alives, sending, and closing.
#include "controlplane/transport/udp_listener.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>
#include <string>
#include <vector>

#include "tests/unit/controlplane/transport/loopback.h"

namespace sbc::cp {
namespace {

using boost::asio::ip::udp;
using testing::run_until;

struct Datagram {
  Endpoint from;
  Endpoint local;
  std::string data;
};

class UdpListenerTest : public ::testing::Test {
 protected:
  UdpListener make() {
    return UdpListener(
        io_,
        [this](const Endpoint& from, const Endpoint& local, std::string data) {
          received_.push_back({from, local, std::move(data)});
        },
        [this] { ++keepalives_; });
  }
  void SetUp() override {
    client_.open(udp::v4());
    client_.bind(udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  }
  void client_sends(const Endpoint& to, const std::string& data) {
    client_.send_to(boost::asio::buffer(data), to);
  }

  boost::asio::io_context io_;
  udp::socket client_{io_};
  std::vector<Datagram> received_;
  int keepalives_ = 0;
};

TEST_F(UdpListenerTest, BindReportsTheBoundEndpointOrNamesTheProblem) {
  UdpListener listener = make();
  auto bound = listener.bind("127.0.0.1", 0);
  ASSERT_TRUE(bound.has_value()) << bound.error();
  EXPECT_NE(bound->port(), 0);
  EXPECT_EQ(listener.local(), *bound);

  UdpListener bad = make();
  auto not_an_address = bad.bind("not-an-address", 5060);
  ASSERT_FALSE(not_an_address.has_value());
  EXPECT_EQ(not_an_address.error().rfind("not-an-address: bad address", 0), 0u)
      << not_an_address.error();

  UdpListener taken = make();
  auto in_use = taken.bind("127.0.0.1", bound->port());
  ASSERT_FALSE(in_use.has_value());
  EXPECT_EQ(
      in_use.error().rfind(fmt::format("cannot bind SIP udp to 127.0.0.1:{}", bound->port()), 0),
      0u)
      << in_use.error();
  // The failed listener is usable again.
  EXPECT_TRUE(taken.bind("127.0.0.1", 0).has_value());
}

TEST_F(UdpListenerTest, DatagramsReachTheReceiverWithBothEnds) {
  UdpListener listener = make();
  const Endpoint local = listener.bind("127.0.0.1", 0).value();
  client_sends(local, "OPTIONS sip:x SIP/2.0\r\n\r\n");
  const std::string big(60000, 'b');
  client_sends(local, big);
  ASSERT_TRUE(run_until(io_, [&] { return received_.size() == 2; }));
  const Endpoint client(client_.local_endpoint().address(), client_.local_endpoint().port());
  EXPECT_EQ(received_[0].from, client);
  EXPECT_EQ(received_[0].local, local);
  EXPECT_EQ(received_[0].data, "OPTIONS sip:x SIP/2.0\r\n\r\n");
  EXPECT_EQ(received_[1].data, big);  // whole, not cut at some buffer size
  EXPECT_EQ(keepalives_, 0);
}

TEST_F(UdpListenerTest, CrlfOnlyDatagramsAreKeepAlives) {
  UdpListener listener = make();
  const Endpoint local = listener.bind("127.0.0.1", 0).value();
  client_sends(local, "\r\n\r\n");
  client_sends(local, "\n");
  client_sends(local, "\r\n \r\n");  // a space: not a keep-alive
  ASSERT_TRUE(run_until(io_, [&] { return keepalives_ == 2 && received_.size() == 1; }));
  EXPECT_EQ(received_[0].data, "\r\n \r\n");
}

TEST_F(UdpListenerTest, SendsFromTheListenersAddressAndFailsWhenClosed) {
  UdpListener listener = make();
  const Endpoint local = listener.bind("127.0.0.1", 0).value();
  const Endpoint client(client_.local_endpoint().address(), client_.local_endpoint().port());
  EXPECT_TRUE(listener.send(client, "SIP/2.0 200 OK\r\n\r\n"));
  char buffer[256];
  udp::endpoint from;
  const size_t n = client_.receive_from(boost::asio::buffer(buffer), from);
  EXPECT_EQ(std::string(buffer, n), "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(Endpoint(from.address(), from.port()), local);
  listener.close();
  EXPECT_FALSE(listener.send(client, "late"));
  // Closed: nothing more is received, and the aborted receive reports nothing.
  client_sends(local, "after close");
  testing::run_for(io_, std::chrono::milliseconds(20));
  EXPECT_TRUE(received_.empty());
}

}  // namespace
}  // namespace sbc::cp
