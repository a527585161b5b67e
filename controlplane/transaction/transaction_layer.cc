#include "controlplane/transaction/transaction_layer.h"

#include <fmt/core.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "controlplane/transaction/response_via.h"
#include "controlplane/transaction/transaction_key.h"

namespace sbc::cp {

std::string_view to_string(TransactionError error) {
  switch (error) {
    case TransactionError::kTimeout: return "timeout";
    case TransactionError::kTransport: return "transport error";
  }
  return "unknown";
}

std::string_view to_string(SendError error) {
  switch (error) {
    case SendError::kMalformed: return "malformed request";
    case SendError::kDuplicate: return "duplicate transaction";
    case SendError::kLimit: return "transaction limit";
  }
  return "unknown";
}

TransactionLayer::TransactionLayer(Scheduler& scheduler, SipTransport& transport,
                                   TransactionUser& tu, Metrics& metrics, TransactionTimers timers,
                                   size_t max_transactions)
    : scheduler_(scheduler),
      transport_(transport),
      tu_(tu),
      metrics_(metrics),
      timers_(timers),
      max_transactions_(max_transactions) {
  // Start-up, not per message: without randomness the process cannot run safely at all.
  if (RAND_bytes(tag_key_.data(), static_cast<int>(tag_key_.size())) != 1) {
    throw std::runtime_error("transaction layer: RAND_bytes failed");
  }
}

std::string TransactionLayer::stateless_tag(const sip::Message& request) const {
  auto call_id = request.call_id();
  auto from = request.from();
  auto via = request.top_via();
  std::string data;
  data += call_id ? *call_id : std::string_view();
  data += '\0';
  data += from ? from->tag() : std::string_view();
  data += '\0';
  // An RFC 2543 request has no unique branch: its whole top Via stands in for it.
  if (via) data += via->branch.empty() ? via->text : via->branch;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), tag_key_.data(), static_cast<int>(tag_key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  std::string tag;
  for (unsigned int i = 0; i < 8 && i < length; ++i) tag += fmt::format("{:02x}", digest[i]);
  return tag;
}

// The transactions cancel their own timers.
TransactionLayer::~TransactionLayer() = default;

const ClientTransaction* TransactionLayer::client(TransactionId id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

const ServerTransaction* TransactionLayer::server(size_t zone, const sip::Message& request) const {
  return find_server(zone, request);
}

ServerTransaction* TransactionLayer::find_server(size_t zone, const sip::Message& request) const {
  auto key = server_key(zone, request);
  if (!key) return nullptr;
  auto it = servers_.find(key->key);
  if (it == servers_.end() || !it->second->to_tag_matches(request)) return nullptr;
  return it->second.get();
}

// --- receive ------------------------------------------------------------------------------------

void TransactionLayer::on_message(const SipPeer& from, const sip::Message& message) {
  if (message.is_request()) {
    on_request(from, message);
  } else {
    on_response(from, message);
  }
}

void TransactionLayer::on_request(const SipPeer& from, const sip::Message& request) {
  auto key = server_key(from.zone, request);
  if (!key) {
    metrics_.sip_dropped(SipDropReason::kBadVia);
    return;
  }
  const bool ack = request.method() == sip::Method::kAck;
  auto it = servers_.find(key->key);
  if (it != servers_.end() && it->second->to_tag_matches(request)) {
    ServerTransaction& tx = *it->second;
    if (!ack) {
      tx.on_retransmission();
    } else if (!tx.on_ack(request)) {
      tu_.on_request(from, request);
    }
    erase_server_if_done(key->key);
    return;
  }
  if (ack) {
    tu_.on_request(from, request);  // the ACK of a 2xx, or a stray one: the TU decides
    return;
  }
  if (it != servers_.end()) {
    // RFC 2543 matching: same identifying fields, different To tag. Two transactions cannot
    // share a key; the later request is the odd one out.
    metrics_.sip_dropped(SipDropReason::kTransactionConflict);
    return;
  }
  if (servers_.size() >= max_transactions_) {
    refuse_over_limit(from, request);
    return;
  }
  const SipPeer to = response_target(from, *request.top_via());
  auto tx = std::make_unique<ServerTransaction>(*this, key->key, key->rfc2543, from, to, request);
  tx->start();
  servers_.emplace(key->key, std::move(tx));
  tu_.on_request(from, request);
}

void TransactionLayer::refuse_over_limit(const SipPeer& from, const sip::Message& request) {
  ++stats_.over_limit;
  metrics_.sip_dropped(SipDropReason::kTransactionLimit);
  auto to = request.to();
  const std::string tag = to && to->tag().empty() ? stateless_tag(request) : std::string();
  auto response = sip::make_response(request, 503, {}, tag);
  response.add(sip::HeaderId::kRetryAfter, "5");
  respond_stateless(from, request, std::move(response));
}

void TransactionLayer::on_response(const SipPeer& from, const sip::Message& response) {
  auto key = client_key_of_response(response);
  auto found = key ? client_keys_.find(*key) : client_keys_.end();
  if (found != client_keys_.end()) {
    const TransactionId id = found->second;
    ClientTransaction& tx = *clients_.at(id);
    // A response comes back to the zone the request left from.
    if (tx.peer().zone == from.zone) {
      tx.on_response(from, response);
      erase_client_if_done(id);
      return;
    }
  }
  // §17.1.3 / RFC 6026: a 2xx to an INVITE without a transaction (Timer M fired) is the TU's to
  // ACK; anything else is a stray.
  auto cseq = response.cseq();
  const int code = response.status_code();
  if (cseq && cseq->method == sip::Method::kInvite && code >= 200 && code < 300) {
    tu_.on_response(0, 0, from, response);
    return;
  }
  ++stats_.stray_responses;
  metrics_.sip_dropped(SipDropReason::kStrayResponse);
}

// --- send ---------------------------------------------------------------------------------------

std::expected<TransactionId, SendError> TransactionLayer::send_request(const SipPeer& to,
                                                                       sip::OutgoingRequest request,
                                                                       uint64_t owner) {
  if (request.method == sip::Method::kAck || request.branch.empty()) {
    return std::unexpected(SendError::kMalformed);
  }
  std::string key = client_key(request.branch, method_key(request.method, request.method_text));
  if (client_keys_.contains(key)) return std::unexpected(SendError::kDuplicate);
  if (clients_.size() >= max_transactions_) {
    ++stats_.over_limit;
    return std::unexpected(SendError::kLimit);
  }
  const TransactionId id = next_id_++;
  client_keys_.emplace(key, id);
  auto tx =
      std::make_unique<ClientTransaction>(*this, id, owner, std::move(key), to, std::move(request));
  ClientTransaction& started = *tx;
  clients_.emplace(id, std::move(tx));
  started.start();
  return id;
}

void TransactionLayer::abandon(TransactionId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  it->second->abandon();
  erase_client_if_done(id);
}

void TransactionLayer::on_transport_error(const SipPeer& to) {
  std::vector<TransactionId> hit;
  for (const auto& [id, tx] : clients_) {
    if (tx->peer().same_hop(to)) hit.push_back(id);
  }
  for (TransactionId id : hit) {
    auto it = clients_.find(id);
    if (it == clients_.end()) continue;  // a TU callback ended it meanwhile
    it->second->on_transport_error();
    erase_client_if_done(id);
  }
}

std::string TransactionLayer::respond(size_t zone, const sip::Message& request,
                                      sip::MessageBuilder response) {
  ServerTransaction* tx = find_server(zone, request);
  if (tx == nullptr) {
    metrics_.sip_dropped(SipDropReason::kNoServerTransaction);
    spdlog::debug("sip: response {} to a request without a server transaction not sent",
                  response.start_line());
    return {};
  }
  stamp_received(response, *request.top_via(), tx->source().remote);
  sip::OutgoingResponse built = sip::build_response(response);
  std::string bytes = built.bytes;
  if (!send_in(*tx, std::move(built))) return {};
  return bytes;
}

bool TransactionLayer::respond(size_t zone, const sip::Message& request,
                               sip::OutgoingResponse response) {
  ServerTransaction* tx = find_server(zone, request);
  if (tx == nullptr) {
    metrics_.sip_dropped(SipDropReason::kNoServerTransaction);
    return false;
  }
  return send_in(*tx, std::move(response));
}

void TransactionLayer::respond_stateless(const SipPeer& from, const sip::Message& request,
                                         sip::MessageBuilder response) {
  if (auto key = server_key(from.zone, request)) servers_.erase(key->key);
  const sip::Via via = *request.top_via();
  stamp_received(response, via, from.remote);
  transport_.send(response_target(from, via), response.build());
}

bool TransactionLayer::send_in(ServerTransaction& tx, sip::OutgoingResponse response) {
  const std::string key = tx.key();
  const int code = response.code;
  const bool sent = tx.respond(std::move(response));
  if (!sent) {
    metrics_.sip_dropped(SipDropReason::kResponseOutOfState);
    spdlog::debug("sip: a {} response is not allowed in server transaction state {}", code,
                  to_string(tx.state()));
  }
  erase_server_if_done(key);
  return sent;
}

// --- timers and clean-up ------------------------------------------------------------------------

void TransactionLayer::client_timer(TransactionId id, ClientTransaction::Timer timer) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  it->second->on_timer(timer);
  erase_client_if_done(id);
}

void TransactionLayer::server_timer(const std::string& key, ServerTransaction::Timer timer) {
  auto it = servers_.find(key);
  if (it == servers_.end()) return;
  it->second->on_timer(timer);
  erase_server_if_done(key);
}

void TransactionLayer::erase_client_if_done(TransactionId id) {
  auto it = clients_.find(id);
  if (it == clients_.end() || !it->second->terminated()) return;
  client_keys_.erase(it->second->key());
  clients_.erase(it);
}

void TransactionLayer::erase_server_if_done(const std::string& key) {
  auto it = servers_.find(key);
  if (it != servers_.end() && it->second->terminated()) servers_.erase(it);
}

}  // namespace sbc::cp
