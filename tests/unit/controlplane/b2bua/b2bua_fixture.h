// Shared fixture for the B2BUA tests: a B2bua on fakes, peers built from what it sent.
#pragma once

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "controlplane/b2bua/b2bua.h"
#include "controlplane/ingress/sip_ingress.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/sip/message.h"
#include "tests/unit/controlplane/fakes.h"

namespace sbc::cp::testing {

using namespace std::chrono_literals;
inline constexpr size_t kAccess = 0;  // zones sorted by name: access, carrier
inline constexpr size_t kCarrier = 1;

inline constexpr const char* kConfig = R"(
[sbcd]
log_level = warn
[media]
port_min = 20000
port_max = 20099
timeout = 30
latch_window = 1500
[zone.access]
dataplane_port = access
sip_address = 192.0.2.1
sip_port = 5060
default_target = 192.0.2.10:5060
allow_open_access = yes
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
sip_port = 5060
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
port = 5060
fromdomain = carrier.example
fromuser = 15550001
)";

inline const Endpoint kCallerAddr(boost::asio::ip::make_address("192.0.2.10"), 5060);
inline const Endpoint kTrunkAddr(boost::asio::ip::make_address("198.51.100.10"), 5060);

// A UDP datagram's origin: `from`, arriving on the zone's listener (FakeTransport's addresses).
inline SipPeer udp_peer(size_t zone, const Endpoint& from) {
  SipPeer peer;
  peer.zone = zone;
  peer.remote = from;
  peer.local = *FakeTransport().local_endpoint(zone, Transport::kUdp);
  return peer;
}

inline std::string sdp(const std::string& address, int port, int version = 1) {
  return fmt::format(
      "v=0\r\no=user 1 {2} IN IP4 {0}\r\ns=-\r\nc=IN IP4 {0}\r\nt=0 0\r\n"
      "m=audio {1} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
      address, port, version);
}

// The caller's INVITE; the named parts can be replaced to build odd ones.
struct InviteParts {
  int max_forwards = 70;
  std::string call_id = "a-call-1@192.0.2.10";
  std::string request_uri = "sip:callee@192.0.2.1";
  std::string from = "\"Alice\" <sip:alice@192.0.2.10>;tag=atag";
  std::string branch = "z9hG4bK-a-1";
  uint32_t cseq = 1;
  std::string extra_headers;  // full lines with CRLF
  std::string body;           // the offer; empty: sdp("192.0.2.10", 6000)
};

inline std::string caller_invite(const InviteParts& p) {
  const std::string body = p.body.empty() ? sdp("192.0.2.10", 6000) : p.body;
  return fmt::format(
      "INVITE {} SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch={}\r\n"
      "Max-Forwards: {}\r\n"
      "From: {}\r\n"
      "To: <sip:callee@192.0.2.1>\r\n"
      "Call-ID: {}\r\n"
      "CSeq: {} INVITE\r\n"
      "Contact: <sip:alice@192.0.2.10:5060>\r\n"
      "{}"
      "Content-Type: application/sdp\r\n"
      "Content-Length: {}\r\n\r\n{}",
      p.request_uri, p.branch, p.max_forwards, p.from, p.call_id, p.cseq, p.extra_headers,
      body.size(), body);
}

inline std::string caller_invite(int max_forwards = 70,
                                 const std::string& call_id = "a-call-1@192.0.2.10") {
  InviteParts p;
  p.max_forwards = max_forwards;
  p.call_id = call_id;
  return caller_invite(p);
}

inline sip::Message parse(const std::string& text) {
  auto m = sip::Message::parse(text);
  EXPECT_TRUE(m.has_value()) << text;
  if (!m) std::abort();
  return *m;
}

// A response to `request` as the peer would send it (copies Via, From, To, Call-ID, CSeq).
inline std::string response_to(const sip::Message& request, int code, const std::string& to_tag,
                               const std::string& body = {}, const std::string& extra = {}) {
  std::string text = fmt::format("SIP/2.0 {} {}\r\n", code, sip::default_reason_phrase(code));
  for (const auto& h : request.headers()) {
    if (h.id == sip::HeaderId::kVia || h.id == sip::HeaderId::kFrom ||
        h.id == sip::HeaderId::kCallId || h.id == sip::HeaderId::kCSeq) {
      text += fmt::format("{}: {}\r\n", h.name, h.value);
    } else if (h.id == sip::HeaderId::kTo) {
      text += fmt::format(
          "To: {}{}\r\n", h.value,
          to_tag.empty() || h.value.find("tag=") != std::string_view::npos ? "" : ";tag=" + to_tag);
    }
  }
  text += "Contact: <sip:callee@198.51.100.10:5060>\r\n";
  text += extra;
  if (!body.empty()) text += "Content-Type: application/sdp\r\n";
  text += fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
  return text;
}

// An in-dialog request from a peer, built from what that peer saw of the dialog.
inline std::string in_dialog(const std::string& method, const sip::Message& seen_from_us,
                             bool seen_is_request, const std::string& via_host, uint32_t cseq) {
  // For a request we sent to the peer, its From is our side and To is theirs; for a response we
  // sent, From is theirs and To is ours.
  const std::string ours(seen_is_request ? seen_from_us.header(sip::HeaderId::kFrom)
                                         : seen_from_us.header(sip::HeaderId::kTo));
  const std::string theirs(seen_is_request ? seen_from_us.header(sip::HeaderId::kTo)
                                           : seen_from_us.header(sip::HeaderId::kFrom));
  return fmt::format(
      "{0} sip:sbc@{1} SIP/2.0\r\nVia: SIP/2.0/UDP {1}:5060;branch=z9hG4bK-{0}-{2}\r\n"
      "Max-Forwards: 70\r\nFrom: {3}\r\nTo: {4}\r\nCall-ID: {5}\r\nCSeq: {2} {0}\r\n"
      "Content-Length: 0\r\n\r\n",
      method, via_host, cseq, theirs, ours, seen_from_us.call_id().value());
}

// `request` (ending "Content-Length: 0" and the blank line) with extra header lines and, when
// `type` is set, a body of that type.
inline std::string with_parts(std::string request, const std::string& extra,
                              const std::string& type = {}, const std::string& body = {}) {
  const auto at = request.find("Content-Length: 0\r\n\r\n");
  request.replace(
      at, std::string::npos,
      fmt::format("{}{}Content-Length: {}\r\n\r\n{}", extra,
                  type.empty() ? "" : "Content-Type: " + type + "\r\n", body.size(), body));
  return request;
}

// The caller's ACK for a non-2xx final response we sent: part of the INVITE transaction, so it
// carries the INVITE's branch (the response's top Via) and CSeq number (RFC 3261 §17.1.1.3).
inline std::string non2xx_ack(const sip::Message& response) {
  return fmt::format(
      "ACK sip:callee@192.0.2.1 SIP/2.0\r\nVia: {}\r\nMax-Forwards: 70\r\nFrom: {}\r\n"
      "To: {}\r\nCall-ID: {}\r\nCSeq: {} ACK\r\nContent-Length: 0\r\n\r\n",
      response.top_via()->text, response.header(sip::HeaderId::kFrom),
      response.header(sip::HeaderId::kTo), *response.call_id(), response.cseq()->number);
}

class B2buaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = parse_config(kConfig);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    cdr_path_ = std::filesystem::temp_directory_path() /
                fmt::format("sbcd_cdr_test_{}_{}.jsonl", ::getpid(),
                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove(cdr_path_);
    ASSERT_TRUE(cdr_.open(cdr_path_.string()).has_value());
    make_b2bua();
  }
  // (Re)builds the B2BUA and its edge security from config_ (tests that change the config call it
  // again).
  void make_b2bua() {
    b2bua_.reset();
    security_ = std::make_unique<EdgeSecurity>(config_.security_view(), clock_, dataplane_,
                                               security_metrics_);
    registrar_ = std::make_unique<Registrar>(config_.registrar);
    b2bua_ = std::make_unique<B2bua>(config_, clock_, transport_, dataplane_, ports_, metrics_,
                                     *security_, *registrar_, &cdr_, dns_client_);
  }
  void TearDown() override {
    b2bua_.reset();
    std::filesystem::remove(cdr_path_);
  }

  // One message from the transport, through the ingress stage into the B2BUA's transaction
  // layer, as sbcd wires them.
  void receive(B2bua& b2bua, const SipPeer& from, std::string data) {
    SipIngress(b2bua.transactions(), B2bua::request_policy(), metrics_, *security_)
        .on_screened(from, std::move(data));
  }
  void receive(const SipPeer& from, std::string data) { receive(*b2bua_, from, std::move(data)); }
  // A UDP datagram from `from` arriving on the zone's listener.
  void deliver(size_t zone, const Endpoint& from, std::string data) {
    receive(udp_peer(zone, from), std::move(data));
  }

  SentDatagram next() {
    EXPECT_FALSE(transport_.sent.empty());
    if (transport_.sent.empty()) return {};
    SentDatagram d = transport_.sent.front();
    transport_.sent.pop_front();
    return d;
  }
  sip::Message next_to(size_t zone, const Endpoint& to) {
    SentDatagram d = next();
    EXPECT_EQ(d.zone, zone);
    EXPECT_EQ(d.to, to);
    return parse(d.data);
  }
  std::vector<nlohmann::json> cdrs() const {
    std::ifstream in(cdr_path_);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  // A new call from the caller, its Call-ID and branch made of `name`; returns the INVITE the
  // trunk (kTrunkAddr) received. What was sent before is cleared.
  sip::Message start_named_call(const std::string& name, const Endpoint& trunk = kTrunkAddr) {
    transport_.sent.clear();
    InviteParts parts;
    parts.call_id = name + "@192.0.2.10";
    parts.branch = "z9hG4bK-" + name;
    deliver(kAccess, kCallerAddr, caller_invite(parts));
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    auto invite = next_to(kCarrier, trunk);
    EXPECT_EQ(invite.method(), sip::Method::kInvite);
    return invite;
  }

  // INVITE from the caller; returns the INVITE the callee received.
  sip::Message start_call() {
    deliver(kAccess, kCallerAddr, caller_invite());
    auto trying = next_to(kAccess, kCallerAddr);
    EXPECT_EQ(trying.status_code(), 100);
    auto invite = next_to(kCarrier, kTrunkAddr);
    EXPECT_EQ(invite.method(), sip::Method::kInvite);
    return invite;
  }
  // INVITE up to the 200 the caller got (no ACK from the caller yet).
  std::pair<sip::Message, sip::Message> answer() {
    auto invite = start_call();
    deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
    dataplane_.flush();
    auto ok = next_to(kAccess, kCallerAddr);
    EXPECT_EQ(ok.status_code(), 200);
    return {invite, ok};
  }
  // Up to the caller's ACK; returns {callee INVITE, 200 the caller got}.
  std::pair<sip::Message, sip::Message> establish() {
    auto [invite, ok] = answer();
    std::string ack = in_dialog("ACK", ok, false, "192.0.2.10", 1);
    deliver(kAccess, kCallerAddr, ack);
    auto callee_ack = next_to(kCarrier, kTrunkAddr);
    EXPECT_EQ(callee_ack.method(), sip::Method::kAck);
    return {invite, ok};
  }

  // The SessionAdds sent to the dataplane since the last call.
  std::vector<api::SessionAdd> session_updates() {
    std::vector<api::SessionAdd> out;
    for (const auto& m : dataplane_.requests) {
      if (const auto* add = std::get_if<api::SessionAdd>(&m)) out.push_back(*add);
    }
    dataplane_.requests.clear();
    return out;
  }

  // What sbcd does when the dataplane connects: queue everything (the edge's sources too when
  // `sources`), then send it paced.
  void reconnect(bool sources = false) {
    resync_.begin();
    if (sources) security_->on_dataplane_up(resync_);
    b2bua_->on_dataplane_up(resync_);
    resync_.run();
  }

  Config config_;
  FakeScheduler clock_;
  FakeTransport transport_;
  FakeDataplane dataplane_;
  MediaPortAllocator ports_{20000, 20099};
  Metrics metrics_;
  SecurityMetrics security_metrics_{metrics_.registry()};
  std::filesystem::path cdr_path_;
  CdrWriter cdr_;
  std::unique_ptr<EdgeSecurity> security_;
  std::unique_ptr<Registrar> registrar_;
  DnsClient* dns_client_ = nullptr;  // where trunk host names are resolved (none by default)
  std::unique_ptr<B2bua> b2bua_;
  DataplaneResync resync_{dataplane_, clock_};
};

}  // namespace sbc::cp::testing
