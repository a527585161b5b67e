// Authentication header fields (RFC 3261 §20.7, §20.27, §20.28, §20.44, §22; RFC 2617 digest):
// Authorization / Proxy-Authorization carry credentials, WWW-Authenticate / Proxy-Authenticate
// carry challenges. Both are "scheme LWS auth-param *(COMMA auth-param)"; AuthHeader keeps views,
// and the digest views resolve quoted values into plain strings on request.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/parse_error.h"

namespace sbc::cp::sip {

struct AuthParam {
  std::string_view name;
  std::string_view value;  // as written: quotes and escapes kept when quoted
  bool quoted = false;
};

struct AuthHeader {
  std::string_view scheme;  // "Digest", or any other token (RFC 4475 regaut01)
  std::vector<AuthParam> params;

  [[nodiscard]] bool is_digest() const;
  // Case-insensitive lookup by name; nullptr when absent.
  [[nodiscard]] const AuthParam* find(std::string_view name) const;
  // The value with quotes removed and quoted-pairs resolved; nullopt when absent.
  [[nodiscard]] std::optional<std::string> param(std::string_view name) const;
};

// Most parameters one field may carry (Digest uses about a dozen); more is a syntax error.
inline constexpr size_t kMaxAuthParams = 32;

// Parses one field value. A parameter name may appear once. error is the value to return on bad
// syntax (kBadCredentials for requests' fields, kBadChallenge for responses').
[[nodiscard]] std::expected<AuthHeader, ParseError> parse_auth_header(std::string_view value,
                                                                      ParseError error);

// Digest credentials (RFC 2617 §3.2.2); username, realm, nonce, uri and response are required.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;  // "" when absent (MD5 implied)
  std::string qop;        // "auth" / "auth-int" / ""
  std::string nc;
  std::string cnonce;
  std::string opaque;
};
[[nodiscard]] std::expected<DigestCredentials, ParseError> digest_credentials(
    const AuthHeader& header);

// Digest challenge (RFC 2617 §3.2.1); realm and nonce are required.
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string algorithm;
  std::string opaque;
  std::string domain;
  std::vector<std::string> qop;  // qop-options split on commas ("auth", "auth-int")
  bool stale = false;
};
[[nodiscard]] std::expected<DigestChallenge, ParseError> digest_challenge(const AuthHeader& header);

// `text` as a quoted-string (RFC 3261 §25.1) for an auth-param we write: '"' and '\' escaped.
[[nodiscard]] std::string quoted_string(std::string_view text);

}  // namespace sbc::cp::sip
