// RFC 3581 / RFC 3261 §18.2 response routing (response_via.cc), alone and through the layer.
#include "controlplane/transaction/response_via.h"

#include "tests/unit/controlplane/transaction/transaction_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

const Endpoint kNatted(boost::asio::ip::make_address("203.0.113.7"), 40123);

sip::Via via_of(std::string_view value) {  // views into a literal: they stay valid
  auto via = sip::parse_via(value);
  EXPECT_TRUE(via.has_value()) << value;
  return *via;
}

TEST(ResponseViaTest, RportGetsReceivedAndTheSourcePort) {
  const sip::Via via = via_of("SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK-1");
  EXPECT_EQ(stamped_via(via, kNatted),
            "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1;received=203.0.113.7;rport=40123");
  SipPeer from = peer(Transport::kUdp, kNatted);
  EXPECT_EQ(response_target(from, via).remote, kNatted);  // the source port, not 5060
}

TEST(ResponseViaTest, WithoutRportReceivedOnlyWhenTheHostDiffers) {
  const sip::Via other = via_of("SIP/2.0/UDP pbx.example.com;branch=z9hG4bK-2");
  EXPECT_EQ(stamped_via(other, kNatted),
            "SIP/2.0/UDP pbx.example.com;branch=z9hG4bK-2;received=203.0.113.7");
  const sip::Via same = via_of("SIP/2.0/UDP 203.0.113.7:5070;branch=z9hG4bK-3");
  EXPECT_EQ(stamped_via(same, kNatted), "SIP/2.0/UDP 203.0.113.7:5070;branch=z9hG4bK-3");
  // No rport: the source address at the Via's port.
  SipPeer from = peer(Transport::kUdp, kNatted);
  EXPECT_EQ(response_target(from, same).remote,
            Endpoint(boost::asio::ip::make_address("203.0.113.7"), 5070));
  EXPECT_EQ(response_target(from, other).remote.port(), 5060);
  // Over TCP/TLS the connection it came on; should it be gone, the source address at the
  // sent-by port (§18.2.2), never the ephemeral source port.
  SipPeer tcp = peer(Transport::kTcp, kNatted);
  EXPECT_EQ(response_target(tcp, other).connection, 7u);
  EXPECT_EQ(response_target(tcp, other).remote,
            Endpoint(boost::asio::ip::make_address("203.0.113.7"), 5060));
  EXPECT_EQ(response_target(tcp, same).remote.port(), 5070);
  SipPeer tls = peer(Transport::kTls, kNatted);
  EXPECT_EQ(response_target(tls, other).remote.port(), 5061);
  EXPECT_EQ(response_target(tls, other).connection, 7u);
}

TEST(ResponseViaTest, OldReceivedAndRportValuesAreReplaced) {
  const sip::Via via =
      via_of("SIP/2.0/UDP [2001:db8::1]:5060;received=192.0.2.99;rport=1;branch=z9hG4bK-4");
  EXPECT_EQ(stamped_via(via, kNatted),
            "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-4;received=203.0.113.7;rport=40123");
}

TEST(ResponseViaTest, OnlyTheTopViaOfTheResponseChanges) {
  auto req = parse_message(
      "OPTIONS sip:sbc@192.0.2.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK-5, SIP/2.0/UDP "
      "10.0.0.9;branch=z9hG4bK-x\r\n"
      "Via: SIP/2.0/UDP 10.0.0.10;branch=z9hG4bK-y\r\n"
      "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n");
  auto response = sip::make_response(req, 200, {}, "t");
  stamp_received(response, *req.top_via(), kNatted);
  auto out = parse_message(response.build());
  auto vias = out.vias();
  ASSERT_TRUE(vias.has_value());
  ASSERT_EQ(vias->size(), 3u);
  EXPECT_EQ((*vias)[0].received.value_or(""), "203.0.113.7");
  EXPECT_EQ((*vias)[0].rport.value_or(0), 40123);
  EXPECT_EQ((*vias)[1].text, "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-x");
  EXPECT_EQ((*vias)[2].text, "SIP/2.0/UDP 10.0.0.10;branch=z9hG4bK-y");
  EXPECT_EQ(out.status_code(), 200);
}

class LayerRportTest : public TransactionTest {};

TEST_F(LayerRportTest, ResponsesCarryReceivedAndRportAndGoToTheSource) {
  const std::string text = request("OPTIONS", "SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK-nat");
  const SipPeer from = peer(Transport::kUdp, kNatted);
  receive(text, from);
  const sip::Message req = parse_message(text);
  layer_->respond(0, req, sip::make_response(req, 200, {}, "t"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, kNatted);
  auto ok = parse_message(transport_.sent[0].data);
  EXPECT_EQ(ok.top_via()->received.value_or(""), "203.0.113.7");
  EXPECT_EQ(ok.top_via()->rport.value_or(0), 40123);
}

}  // namespace
}  // namespace sbc::cp
