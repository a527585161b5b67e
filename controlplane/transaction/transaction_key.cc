#include "controlplane/transaction/transaction_key.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

namespace sbc::cp {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string method_key(sip::Method method, std::string_view text) {
  if (method == sip::Method::kOther) return std::string(text);
  return std::string(sip::method_name(method));
}

std::string client_key(std::string_view branch, std::string_view method) {
  return fmt::format("{}|{}", branch, method);
}

std::optional<std::string> client_key_of_response(const sip::Message& response) {
  auto via = response.top_via();
  auto cseq = response.cseq();
  if (!via || !cseq || via->branch.empty()) return std::nullopt;
  return client_key(via->branch, method_key(cseq->method, cseq->method_text));
}

std::string to_tag(const sip::Message& message) {
  auto to = message.to();
  return to ? std::string(to->tag()) : std::string();
}

std::optional<ServerKey> server_key(size_t zone, const sip::Message& request) {
  auto via = request.top_via();
  if (!via) return std::nullopt;
  // The ACK for a non-2xx final response is part of the INVITE transaction (§17.2.3).
  const std::string method = request.method() == sip::Method::kAck
                                 ? std::string("INVITE")
                                 : method_key(request.method(), request.method_text());
  if (via->rfc3261_branch()) {
    // sent-by: host case-insensitive; a missing port is kept apart from an explicit one (a
    // retransmission repeats the Via exactly).
    return ServerKey{fmt::format("{}|{}|{}:{}|{}", zone, via->branch, lower(via->host),
                                 via->port.value_or(0), method),
                     false};
  }
  // RFC 2543 (§17.2.3, second half): no globally unique branch, so the request's identifying
  // fields make the key. Missing fields make an empty part: such requests were answered 400 (or
  // dropped) before reaching a transaction anyway.
  auto from = request.from();
  auto call_id = request.call_id();
  auto cseq = request.cseq();
  return ServerKey{
      fmt::format("{}|2543|{}|{}|{}|{}|{}|{}", zone, request.request_uri_text(),
                  from ? from->tag() : std::string_view(), call_id ? *call_id : std::string_view(),
                  cseq ? cseq->number : 0, via->text, method),
      true};
}

}  // namespace sbc::cp
