// The client side of digest authentication (RFC 3261 §22.2, RFC 2617, RFC 8760 for SHA-256):
// answering a carrier's 401/407 with a trunk's credentials. A server may offer several challenges
// (one per algorithm, RFC 8760 §2.4); the strongest we support is taken.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/sip/message.h"

namespace sbc::cp {

enum class ChallengeError : uint8_t {
  kNoChallenge,  // no WWW-Authenticate / Proxy-Authenticate in the response
  kUnsupported,  // none is Digest with MD5 or SHA-256 and qop auth (or none): e.g. auth-int
  kMalformed,    // a Digest challenge that does not parse
};
[[nodiscard]] std::string_view to_string(ChallengeError error);

struct DigestAnswer {
  sip::HeaderId header = sip::HeaderId::kAuthorization;  // or kProxyAuthorization (for a 407)
  std::string value;                                     // "Digest username=..., response=..."
  bool stale = false;  // the challenge said our previous nonce was stale, not our password wrong
};

// The credentials answering the challenge in `response` (a 401 or 407) for the request
// `method` `uri`; `cnonce`: a fresh random token (used when the server asks for qop=auth).
[[nodiscard]] std::expected<DigestAnswer, ChallengeError> answer_challenge(
    const sip::Message& response, std::string_view method, std::string_view uri,
    std::string_view username, std::string_view secret, std::string_view cnonce);

}  // namespace sbc::cp
