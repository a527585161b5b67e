// The B2BUA on the transaction layer: mixed transports (TCP caller, UDP callee and the reverse),
// RFC 3581 toward the caller, request checks before any dialog logic, transport failures.
#include <prometheus/text_serializer.h>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

const Endpoint kTcpCaller(boost::asio::ip::make_address("192.0.2.10"), 40000);

class B2buaTransportTest : public B2buaTest {
 protected:
  static SipPeer tcp_caller() {
    SipPeer p;
    p.zone = kAccess;
    p.transport = Transport::kTcp;
    p.remote = kTcpCaller;
    p.local = Endpoint(boost::asio::ip::make_address("192.0.2.1"), 5060);
    p.connection = 9;
    return p;
  }
  static std::string over_tcp(std::string text) {
    const std::string udp = "SIP/2.0/UDP 192.0.2.10:5060";
    for (size_t at = text.find(udp); at != std::string::npos; at = text.find(udp, at)) {
      text.replace(at, udp.size(), "SIP/2.0/TCP 192.0.2.10:40000");
    }
    return text;
  }
  std::string metrics_text() {
    return prometheus::TextSerializer().Serialize(metrics_.registry().Collect());
  }
};

TEST_F(B2buaTransportTest, TcpCallerUdpCallee) {
  receive(tcp_caller(), over_tcp(caller_invite()));
  SentDatagram trying = next();
  EXPECT_EQ(trying.peer.transport, Transport::kTcp);
  EXPECT_EQ(trying.peer.connection, 9u);  // back on the caller's connection
  EXPECT_EQ(trying.to, kTcpCaller);
  EXPECT_EQ(parse(trying.data).status_code(), 100);
  SentDatagram out = next();
  EXPECT_EQ(out.peer.transport, Transport::kUdp);
  EXPECT_EQ(out.to, kTrunkAddr);
  const sip::Message invite = parse(out.data);
  EXPECT_EQ(invite.top_via()->transport, "UDP");
  EXPECT_EQ(invite.contacts()->entries.at(0).uri_text, "sip:198.51.100.1:5060");

  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  dataplane_.flush();
  SentDatagram ok_out = next();
  EXPECT_EQ(ok_out.peer.transport, Transport::kTcp);
  EXPECT_EQ(ok_out.peer.connection, 9u);
  const sip::Message ok = parse(ok_out.data);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.contacts()->entries.at(0).uri_text, "sip:192.0.2.1:5060;transport=tcp");
  EXPECT_EQ(ok.top_via()->transport, "TCP");

  receive(tcp_caller(), over_tcp(in_dialog("ACK", ok, false, "192.0.2.10", 1)));
  SentDatagram ack = next();
  EXPECT_EQ(ack.peer.transport, Transport::kUdp);
  EXPECT_EQ(parse(ack.data).method(), sip::Method::kAck);

  // The callee hangs up: the BYE reaches the caller on its connection, with a TCP Via, once.
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 2));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  SentDatagram bye_out = next();
  EXPECT_EQ(bye_out.peer.transport, Transport::kTcp);
  EXPECT_EQ(bye_out.peer.connection, 9u);
  const sip::Message bye = parse(bye_out.data);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.top_via()->transport, "TCP");
  EXPECT_EQ(bye.request_uri_text(), "sip:alice@192.0.2.10:5060");
  clock_.advance(10s);
  EXPECT_TRUE(transport_.sent.empty());  // no Timer E over TCP
  receive(tcp_caller(), over_tcp(response_to(bye, 200, "")));
  dataplane_.flush();
  // The BYE's transaction ended with its 200 (Timer K = 0 over TCP); the INVITE's stays Accepted
  // for Timer M.
  EXPECT_EQ(b2bua_->transactions().client_transactions(), 1u);
  clock_.advance(22s);
  EXPECT_EQ(b2bua_->transactions().client_transactions(), 0u);
  EXPECT_TRUE(transport_.sent.empty());
}

// RFC 3261 §12.1.1: an INVITE over TLS to a SIPS Request-URI makes a secure dialog, so the 2xx's
// Contact is a SIPS URI; the same INVITE to a sip: URI keeps a sip: Contact with ;transport=tls.
TEST_F(B2buaTransportTest, SipsRequestUriGetsASipsContact) {
  for (const bool sips : {true, false}) {
    SipPeer caller = tcp_caller();
    caller.transport = Transport::kTls;
    caller.local = Endpoint(boost::asio::ip::make_address("192.0.2.1"), 5061);
    InviteParts p;
    p.request_uri = sips ? "sips:callee@192.0.2.1" : "sip:callee@192.0.2.1";
    p.call_id = sips ? "secure@192.0.2.10" : "plain@192.0.2.10";
    p.branch = sips ? "z9hG4bKsecure" : "z9hG4bKplain";
    std::string text = caller_invite(p);
    const std::string udp = "SIP/2.0/UDP 192.0.2.10:5060";
    text.replace(text.find(udp), udp.size(), "SIP/2.0/TLS 192.0.2.10:40000");
    receive(caller, text);
    EXPECT_EQ(parse(next().data).status_code(), 100);
    const sip::Message invite = parse(next().data);
    deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
    dataplane_.flush();
    const sip::Message ok = parse(next().data);
    ASSERT_EQ(ok.status_code(), 200);
    EXPECT_EQ(ok.contacts()->entries.at(0).uri_text,
              sips ? "sips:192.0.2.1:5061" : "sip:192.0.2.1:5061;transport=tls");
    transport_.sent.clear();
  }
}

// A TCP trunk: the INVITE is not retransmitted, Timer B still ends the call with a 408.
TEST_F(B2buaTransportTest, UdpCallerTcpCalleeTimesOutWithoutRetransmissions) {
  config_.trunks[0].transport = Transport::kTcp;
  make_b2bua();  // the router reads where a trunk is once per configuration
  const sip::Message invite = start_call();
  EXPECT_EQ(invite.top_via()->transport, "TCP");
  EXPECT_EQ(invite.request_uri_text(), "sip:callee@198.51.100.10;transport=tcp");
  clock_.advance(32s - 1ms);
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(1ms);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 408);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

TEST_F(B2buaTransportTest, UnreachableCalleeIs503AtOnce) {
  config_.trunks[0].transport = Transport::kTls;
  make_b2bua();
  start_call();
  SipPeer trunk;
  trunk.zone = kCarrier;
  trunk.transport = Transport::kTls;
  trunk.remote = kTrunkAddr;
  b2bua_->on_transport_error(trunk);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 503);
  EXPECT_EQ(b2bua_->active_calls(), 0u);
}

// RFC 3581: the caller behind NAT asks for rport; responses say where they came from and go back
// to the source port.
TEST_F(B2buaTransportTest, ResponsesCarryReceivedAndRport) {
  const Endpoint natted(boost::asio::ip::make_address("203.0.113.7"), 40123);
  std::string invite = caller_invite();
  invite.replace(invite.find("SIP/2.0/UDP 192.0.2.10:5060;branch"), 34,
                 "SIP/2.0/UDP 10.0.0.5:5060;rport;branch");
  receive(udp_peer(kAccess, natted), invite);
  const sip::Message trying = next_to(kAccess, natted);
  EXPECT_EQ(trying.status_code(), 100);
  EXPECT_EQ(trying.top_via()->received.value_or(""), "203.0.113.7");
  EXPECT_EQ(trying.top_via()->rport.value_or(0), 40123);
}

// check_request() runs before any dialog logic; what cannot be answered is dropped and counted.
TEST_F(B2buaTransportTest, RequestChecksComeFirst) {
  InviteParts p;
  // An extension sbcd does not implement (RFC 3312 preconditions).
  p.extra_headers = "Require: precondition\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  const sip::Message refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 420);
  EXPECT_EQ(refused.header(sip::HeaderId::kUnsupported), "precondition");
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(b2bua_->active_calls(), 0u);
  // Answered statelessly: no transaction stays, the 420 is not retransmitted; a retransmitted
  // request gets the same answer again.
  EXPECT_EQ(b2bua_->transactions().server_transactions(), 0u);
  clock_.advance(5s);
  EXPECT_TRUE(transport_.sent.empty());
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 420);

  // A scanner's INVITE on a trunk zone: one 403 per request, nothing kept.
  const Endpoint stranger(boost::asio::ip::make_address("198.51.100.66"), 5060);
  deliver(kCarrier, stranger, caller_invite());
  EXPECT_EQ(next_to(kCarrier, stranger).status_code(), 403);
  clock_.advance(5s);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(b2bua_->transactions().server_transactions(), 0u);

  deliver(kAccess, kCallerAddr,
          "PUBLISH sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-r\r\n"
          "From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: r@x\r\nCSeq: 1 PUBLISH\r\n"
          "Content-Length: 0\r\n\r\n");
  const sip::Message not_allowed = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(not_allowed.status_code(), 405);
  EXPECT_NE(not_allowed.header(sip::HeaderId::kAllow).find("INVITE"), std::string_view::npos);

  // No CSeq: nothing to answer with.
  deliver(kAccess, kCallerAddr,
          "OPTIONS sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-n\r\n"
          "From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: n@x\r\n"
          "Content-Length: 0\r\n\r\n");
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_NE(metrics_text().find("sbc_sip_dropped_total{reason=\"missing_header\"}"),
            std::string::npos)
      << metrics_text();
}

}  // namespace
}  // namespace sbc::cp
