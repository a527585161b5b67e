// Shared fixture for the transaction layer tests: a TransactionLayer on the fake clock and fake
// transport, a TU that records what reaches it, and builders for the requests and responses the
// tests exchange.
#pragma once

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/observability/metrics.h"
#include "controlplane/sip/builder.h"
#include "controlplane/sip/message.h"
#include "controlplane/transaction/transaction_layer.h"
#include "tests/unit/controlplane/fakes.h"

namespace sbc::cp::testing {

using namespace std::chrono_literals;

struct RecordingTu final : TransactionUser {
  struct Response {
    TransactionId id;
    uint64_t owner;
    int code;
    std::string method;  // CSeq method
  };
  struct Error {
    TransactionId id;
    uint64_t owner;
    TransactionError error;
  };
  void on_request(const SipPeer& from, const sip::Message& request) override {
    requests.push_back(request);
    sources.push_back(from);
  }
  void on_response(TransactionId id, uint64_t owner, const SipPeer&,
                   const sip::Message& response) override {
    responses.push_back(
        {id, owner, response.status_code(), std::string(response.cseq().value().method_text)});
  }
  void on_transaction_error(TransactionId id, uint64_t owner, TransactionError error) override {
    errors.push_back({id, owner, error});
  }
  std::vector<sip::Message> requests;
  std::vector<SipPeer> sources;
  std::vector<Response> responses;
  std::vector<Error> errors;
};

inline const Endpoint kPeer(boost::asio::ip::make_address("192.0.2.10"), 5060);
inline const Endpoint kLocal(boost::asio::ip::make_address("192.0.2.1"), 5060);

inline SipPeer peer(Transport transport = Transport::kUdp, const Endpoint& remote = kPeer) {
  SipPeer p;
  p.zone = 0;
  p.transport = transport;
  p.remote = remote;
  p.local = kLocal;
  p.connection = is_stream(transport) ? 7 : 0;
  return p;
}

inline sip::Message parse_message(const std::string& text) {
  auto m = sip::Message::parse(text);
  EXPECT_TRUE(m.has_value()) << text;
  if (!m) std::abort();
  return *m;
}

// A request with the given top Via (everything after "Via: "), method and CSeq.
inline std::string request(const std::string& method, const std::string& via, uint32_t cseq = 1,
                           const std::string& cseq_method = {}, const std::string& to_tag = {}) {
  return fmt::format(
      "{0} sip:bob@192.0.2.1 SIP/2.0\r\n"
      "Via: {1}\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@192.0.2.10>;tag=ft\r\n"
      "To: <sip:bob@192.0.2.1>{4}\r\n"
      "Call-ID: tx-test@192.0.2.10\r\n"
      "CSeq: {2} {3}\r\n"
      "Content-Length: 0\r\n\r\n",
      method, via, cseq, cseq_method.empty() ? method : cseq_method,
      to_tag.empty() ? "" : ";tag=" + to_tag);
}

inline std::string udp_via(const std::string& branch = "z9hG4bK-1") {
  return "SIP/2.0/UDP 192.0.2.10:5060;branch=" + branch;
}

// A response to `request_text` as its peer would send it.
inline std::string response(const std::string& request_text, int code,
                            const std::string& to_tag = "rt") {
  const sip::Message req = parse_message(request_text);
  auto b = sip::make_response(req, code, {}, code > 100 ? to_tag : std::string());
  return b.build();
}

class TransactionTest : public ::testing::Test {
 protected:
  void make_layer(size_t max_transactions = TransactionLayer::kDefaultMaxTransactions) {
    layer_ = std::make_unique<TransactionLayer>(clock_, transport_, tu_, metrics_, timers_,
                                                max_transactions);
  }
  void SetUp() override { make_layer(); }
  void TearDown() override { layer_.reset(); }

  void receive(const std::string& text, const SipPeer& from = peer()) {
    layer_->on_message(from, parse_message(text));
  }
  // What was sent since the last call, as parsed messages.
  std::vector<sip::Message> sent() {
    std::vector<sip::Message> out;
    for (const auto& d : transport_.sent) out.push_back(parse_message(d.data));
    transport_.sent.clear();
    return out;
  }
  // The request our side sends: a UDP INVITE/BYE/... with our branch, as the B2BUA builds it.
  static sip::OutgoingRequest ours(const std::string& method,
                                   const std::string& branch = "z9hG4bK-ours") {
    sip::RequestSpec spec;
    spec.method = sip::method_from_text(method);
    spec.method_text = method;
    spec.request_uri = "sip:bob@192.0.2.10";
    spec.via_host = "192.0.2.1";
    spec.via_port = 5060;
    spec.branch = branch;
    spec.from = "<sip:sbc@192.0.2.1>";
    spec.from_tag = "ours";
    spec.to = "<sip:bob@192.0.2.10>";
    spec.call_id = "ours@192.0.2.1";
    return sip::build_request(spec);
  }
  // A response to a request we sent, as its peer would send it.
  static std::string response(const sip::OutgoingRequest& ours, int code,
                              const std::string& to_tag = "rt") {
    return testing::response(ours.bytes, code, to_tag);
  }
  static std::string response(const std::string& request_text, int code,
                              const std::string& to_tag = "rt") {
    return testing::response(request_text, code, to_tag);
  }
  TransactionId send(const sip::OutgoingRequest& request, Transport transport = Transport::kUdp,
                     uint64_t owner = 42) {
    auto id = layer_->send_request(peer(transport), request, owner);
    EXPECT_TRUE(id.has_value());
    return id.value_or(0);
  }
  // Advances the clock and returns how many messages were sent meanwhile.
  size_t advance(std::chrono::milliseconds delta) {
    clock_.advance(delta);
    const size_t n = transport_.sent.size();
    transport_.sent.clear();
    return n;
  }

  TransactionTimers timers_;
  FakeScheduler clock_;
  FakeTransport transport_;
  Metrics metrics_;
  RecordingTu tu_;
  std::unique_ptr<TransactionLayer> layer_;
};

}  // namespace sbc::cp::testing
