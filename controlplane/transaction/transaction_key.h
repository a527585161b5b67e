// How messages are matched to transactions (RFC 3261 §17.1.3 and §17.2.3).
//
// Client side: a response matches the client transaction whose request had the same top-Via
// branch and the same CSeq method (a CANCEL shares its INVITE's branch but is its own
// transaction).
// Server side: a request whose branch starts with the magic cookie matches by branch, sent-by and
// method (ACK counts as INVITE); an RFC 2543 request (no cookie, e.g. RFC 4475 inv2543) matches by
// Request-URI, From tag, Call-ID, CSeq number, top Via and method, plus a To-tag check the caller
// makes (server_to_tag_matches).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "controlplane/sip/message.h"

namespace sbc::cp {

// "INVITE", "BYE", ... for a CSeq or a request (extension methods by their text).
[[nodiscard]] std::string method_key(sip::Method method, std::string_view text);

// Key of the client transaction a response belongs to (its top Via and CSeq); nullopt when the
// response has no usable Via or CSeq.
[[nodiscard]] std::optional<std::string> client_key_of_response(const sip::Message& response);
// Key of a client transaction from the branch and method of the request it sends.
[[nodiscard]] std::string client_key(std::string_view branch, std::string_view method);

struct ServerKey {
  std::string key;
  bool rfc2543 = false;  // fallback matching: the To tag must be checked as well
};

// Key of the server transaction a request belongs to (ACK and CANCEL included: ACK maps to the
// INVITE's key, CANCEL to a key of its own). `zone` keeps zones apart. nullopt without a top Via
// that parses.
[[nodiscard]] std::optional<ServerKey> server_key(size_t zone, const sip::Message& request);

// The To tag of a message, "" when absent or unparsable.
[[nodiscard]] std::string to_tag(const sip::Message& message);

}  // namespace sbc::cp
