// The transport names and the hop identity of sip_transport.cc/.h: Via tokens, metric labels,
// config parsing of transport names, and which peers are the same hop.
#include "controlplane/transport/sip_transport.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

TEST(SipTransportTest, NamesForViaAndForLabels) {
  EXPECT_EQ(via_token(Transport::kUdp), "UDP");
  EXPECT_EQ(via_token(Transport::kTcp), "TCP");
  EXPECT_EQ(via_token(Transport::kTls), "TLS");
  EXPECT_EQ(to_string(Transport::kUdp), "udp");
  EXPECT_EQ(to_string(Transport::kTcp), "tcp");
  EXPECT_EQ(to_string(Transport::kTls), "tls");
  EXPECT_FALSE(is_stream(Transport::kUdp));
  EXPECT_TRUE(is_stream(Transport::kTcp));
  EXPECT_TRUE(is_stream(Transport::kTls));
}

TEST(SipTransportTest, ParseTransportIsCaseInsensitiveAndExact) {
  EXPECT_EQ(parse_transport("udp"), Transport::kUdp);
  EXPECT_EQ(parse_transport("TCP"), Transport::kTcp);
  EXPECT_EQ(parse_transport("Tls"), Transport::kTls);
  for (const Transport t : {Transport::kUdp, Transport::kTcp, Transport::kTls}) {
    EXPECT_EQ(parse_transport(to_string(t)), t);
    EXPECT_EQ(parse_transport(via_token(t)), t);
  }
  EXPECT_EQ(parse_transport(""), std::nullopt);
  EXPECT_EQ(parse_transport("sctp"), std::nullopt);
  EXPECT_EQ(parse_transport("ud"), std::nullopt);
  EXPECT_EQ(parse_transport("udp "), std::nullopt);
  EXPECT_EQ(parse_transport("tlsx"), std::nullopt);
  EXPECT_EQ(parse_transport("dtls"), std::nullopt);
}

// A hop is zone, transport and remote end: the local end and the connection do not matter.
TEST(SipTransportTest, SameHopIgnoresLocalEndAndConnection) {
  SipPeer a;
  a.zone = 1;
  a.transport = Transport::kTcp;
  a.remote = Endpoint(boost::asio::ip::make_address("192.0.2.10"), 5060);
  a.local = Endpoint(boost::asio::ip::make_address("192.0.2.1"), 5060);
  a.connection = 3;
  SipPeer b = a;
  b.local = Endpoint(boost::asio::ip::make_address("192.0.2.2"), 5070);
  b.connection = 9;
  EXPECT_TRUE(a.same_hop(b));
  EXPECT_TRUE(b.same_hop(a));
  for (auto change :
       {+[](SipPeer& p) { p.zone = 2; }, +[](SipPeer& p) { p.transport = Transport::kTls; },
        +[](SipPeer& p) { p.remote.port(5061); },
        +[](SipPeer& p) { p.remote.address(boost::asio::ip::make_address("192.0.2.11")); }}) {
    SipPeer c = a;
    change(c);
    EXPECT_FALSE(a.same_hop(c));
  }
}

}  // namespace
}  // namespace sbc::cp
