// HTTP Digest authentication of SIP requests (RFC 2617, RFC 7616, RFC 8760 for SIP): challenges
// for 401/407 and verification of Authorization / Proxy-Authorization credentials.
//
// Nonces are self-verifying: "timestamp counter mac" in hex, the MAC an HMAC-SHA256 (key from
// RAND_bytes, per process) over timestamp, counter and realm. A nonce that fails the MAC was not
// made here (kBadNonce); one older than nonce_lifetime is stale. Replay protection keeps the last
// nonce-count per issued nonce in a fixed ring of max_nonces slots indexed by the counter, so
// memory is bounded and the oldest nonce is the one forgotten; a forgotten nonce reads as stale.
// Staleness is only reported for a correct response (RFC 2617 §3.2.1), so guessing passwords with
// old nonces still counts as failures.
//
// Secrets are used to compute digests and nothing else: never logged, never returned.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/security/security_settings.h"
#include "controlplane/sip/auth.h"
#include "controlplane/sip/header_table.h"
#include "controlplane/sip/message.h"

namespace sbc::cp {

enum class AuthFailure : uint8_t {
  kNoCredentials,  // no Authorization (or none for our realm): challenge, not an offence
  kStale,          // our nonce, expired: challenge with stale=true, not an offence
  kMalformed,      // credentials that do not parse / lack required fields
  kUnknownUser,
  kWrongRealm,        // no credentials for our realm, but one carrying a nonce we issued for it
  kBadNonce,          // not a nonce we issued (forged/garbled), or a foreign opaque
  kReplay,            // nonce-count not above the last one seen for the nonce
  kAlgorithmRefused,  // an algorithm the user/zone does not allow
  kUriMismatch,       // digest uri differs from the Request-URI
  kWrongResponse,     // wrong password
  // A REGISTER relayed to an upstream registrar (b2bua/register_relay.h) refused there: its
  // credentials rejected again, or 403/404 (a user it does not know: svwar's enumeration).
  kUpstreamRefused,
};
inline constexpr AuthFailure kAllAuthFailures[] = {
    AuthFailure::kNoCredentials,  AuthFailure::kStale,
    AuthFailure::kMalformed,      AuthFailure::kUnknownUser,
    AuthFailure::kWrongRealm,     AuthFailure::kBadNonce,
    AuthFailure::kReplay,         AuthFailure::kAlgorithmRefused,
    AuthFailure::kUriMismatch,    AuthFailure::kWrongResponse,
    AuthFailure::kUpstreamRefused};
// "no_credentials", "stale", "malformed", ... (snake_case; metric labels and logs).
[[nodiscard]] std::string_view to_string(AuthFailure f);
// False for kNoCredentials, kStale and kBadNonce: a client following the protocol meets those
// (a nonce from before a restart no longer opens).
[[nodiscard]] bool is_offence(AuthFailure f);

struct AuthenticatedUser {
  std::string user;
  DigestAlgorithm algorithm;
};

// What a request-digest is computed over (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1).
struct DigestInput {
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  std::string_view username;
  std::string_view realm;
  std::string_view secret;
  std::string_view method;
  std::string_view uri;
  std::string_view nonce;
  std::string_view nc;      // with qop
  std::string_view cnonce;  // with qop
  std::string_view qop;     // "auth", or "" for the RFC 2069 form
};
// The request-digest in lowercase hex. Also what a client computes (outbound registration).
[[nodiscard]] std::string digest_response(const DigestInput& in);

// "MD5" / "SHA-256" as written in algorithm= (the wire form).
[[nodiscard]] std::string_view digest_algorithm_token(DigestAlgorithm a);

class DigestAuthenticator {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Settings {
    std::chrono::seconds nonce_lifetime{300};
    size_t max_nonces = 65536;
  };

  // HMAC key from RAND_bytes; throws std::runtime_error when the CSPRNG fails (start-up only).
  // (Two constructors rather than `Settings settings = {}`: g++ cannot use a nested struct's
  // member initializers in a default argument of the enclosing class.)
  DigestAuthenticator();
  explicit DigestAuthenticator(Settings settings);

  // Header values for WWW-Authenticate (401) or Proxy-Authenticate (407): one per algorithm in
  // the given order (RFC 8760 §2.4: most preferred first), qop="auth", a fresh nonce, opaque.
  std::vector<std::string> challenges(std::string_view realm,
                                      std::span<const DigestAlgorithm> algorithms, bool stale,
                                      TimePoint now);

  // Verifies `request`'s credentials in headers `header` (kAuthorization or kProxyAuthorization)
  // for `realm`. find_user(name) gives the user's config (nullptr: unknown user); the algorithms
  // allowed are the user's list, else zone_algorithms. Counts nc per nonce (replay).
  std::expected<AuthenticatedUser, AuthFailure> verify(
      const sip::Message& request, sip::HeaderId header, std::string_view realm,
      const std::function<const UserConfig*(std::string_view)>& find_user,
      std::span<const DigestAlgorithm> zone_algorithms, TimePoint now);

  // Nonces issued so far (metrics, tests).
  [[nodiscard]] uint64_t nonces_issued() const { return next_counter_ - 1; }

 private:
  // Replay state of one issued nonce; the slot is reused by the nonce max_nonces later.
  struct NonceSlot {
    uint64_t counter = 0;  // 0: never used
    uint32_t last_nc = 0;
    bool used = false;  // authenticated once (RFC 2069 clients may not reuse it)
  };
  struct NonceFields {
    uint64_t timestamp_ms = 0;
    uint64_t counter = 0;
  };

  std::string make_nonce(std::string_view realm, TimePoint now);
  // Fields of a nonce whose MAC verifies for realm; nullopt otherwise.
  [[nodiscard]] std::optional<NonceFields> open_nonce(std::string_view nonce,
                                                      std::string_view realm) const;
  [[nodiscard]] std::string opaque(std::string_view realm) const;
  // verify()'s steps.
  [[nodiscard]] std::expected<sip::DigestCredentials, AuthFailure> our_credentials(
      const sip::Message& request, sip::HeaderId header, std::string_view realm) const;
  [[nodiscard]] std::expected<NonceFields, AuthFailure> issued_nonce(
      const sip::DigestCredentials& creds, std::string_view realm, uint64_t now_ms) const;
  std::expected<void, AuthFailure> use_nonce(const NonceFields& fields, std::optional<uint32_t> nc,
                                             uint64_t now_ms);
  [[nodiscard]] std::array<unsigned char, 32> mac(std::string_view label, uint64_t a, uint64_t b,
                                                  std::string_view realm) const;

  Settings settings_;
  std::array<unsigned char, 32> key_{};
  uint64_t next_counter_ = 1;
  std::vector<NonceSlot> slots_;
};

}  // namespace sbc::cp
