#include "controlplane/security/digest_authenticator.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace sbc::cp {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr size_t kNonceMacBytes = 16;                             // truncated HMAC-SHA256
constexpr size_t kNonceHexLength = 2 * (8 + 8 + kNonceMacBytes);  // timestamp, counter, mac
constexpr size_t kOpaqueBytes = 16;

std::string to_hex(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0f];
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Big-endian 64-bit value from 16 hex digits; nullopt on a non-hex digit.
std::optional<uint64_t> hex_u64(std::string_view text) {
  uint64_t v = 0;
  for (char c : text) {
    const int d = hex_value(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

void append_u64_hex(std::string& out, uint64_t v) {
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0x0f];
}

// nonce-count: 1..8 hex digits (RFC 2617 says 8; some clients drop leading zeros).
std::optional<uint32_t> parse_nc(std::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  const auto v = hex_u64(text);
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

const EVP_MD* evp(DigestAlgorithm a) {
  return a == DigestAlgorithm::kSha256 ? EVP_sha256() : EVP_md5();
}

std::string hash_hex(DigestAlgorithm a, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, evp(a), nullptr) != 1) {
    // Only a broken OpenSSL build fails here (MD5 and SHA-256 are in the default provider).
    throw std::runtime_error("digest: EVP_Digest failed");
  }
  std::string hex = to_hex(std::span<const unsigned char>(out, len));
  OPENSSL_cleanse(out, sizeof(out));
  return hex;
}

// The algorithm= token; "" (absent) is MD5 (RFC 2617 §3.2.1). -sess variants and SHA-512-256
// are not offered, so a response using them is refused.
std::optional<DigestAlgorithm> parse_algorithm(std::string_view text) {
  if (text.empty() || sip::iequals(text, "MD5")) return DigestAlgorithm::kMd5;
  if (sip::iequals(text, "SHA-256")) return DigestAlgorithm::kSha256;
  return std::nullopt;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string_view to_string(AuthFailure f) {
  switch (f) {
    case AuthFailure::kNoCredentials: return "no_credentials";
    case AuthFailure::kStale: return "stale";
    case AuthFailure::kMalformed: return "malformed";
    case AuthFailure::kUnknownUser: return "unknown_user";
    case AuthFailure::kWrongRealm: return "wrong_realm";
    case AuthFailure::kBadNonce: return "bad_nonce";
    case AuthFailure::kReplay: return "replay";
    case AuthFailure::kAlgorithmRefused: return "algorithm_refused";
    case AuthFailure::kUriMismatch: return "uri_mismatch";
    case AuthFailure::kWrongResponse: return "wrong_response";
    case AuthFailure::kUpstreamRefused: return "upstream_refused";
  }
  return "unknown";
}

// A nonce we cannot open is not counted either: every phone re-using the nonce it cached before
// sbcd restarted (a new key) sends one, and five phones behind one NAT would ban their office.
// No password can be tested against such a nonce, so a cracker gains nothing from it.
bool is_offence(AuthFailure f) {
  return f != AuthFailure::kNoCredentials && f != AuthFailure::kStale &&
         f != AuthFailure::kBadNonce;
}

std::string_view digest_algorithm_token(DigestAlgorithm a) {
  return a == DigestAlgorithm::kSha256 ? "SHA-256" : "MD5";
}

std::string digest_response(const DigestInput& in) {
  std::string a1;
  a1.reserve(in.username.size() + in.realm.size() + in.secret.size() + 2);
  a1.append(in.username).append(":").append(in.realm).append(":").append(in.secret);
  std::string ha1 = hash_hex(in.algorithm, a1);
  OPENSSL_cleanse(a1.data(), a1.size());  // the buffer held the secret
  std::string a2;
  a2.append(in.method).append(":").append(in.uri);
  const std::string ha2 = hash_hex(in.algorithm, a2);
  std::string kd = ha1;
  kd.append(":").append(in.nonce).append(":");
  if (!in.qop.empty()) {
    kd.append(in.nc).append(":").append(in.cnonce).append(":").append(in.qop).append(":");
  }
  kd.append(ha2);
  std::string response = hash_hex(in.algorithm, kd);
  // ha1 is password-equivalent (RFC 2617 §4.13).
  OPENSSL_cleanse(ha1.data(), ha1.size());
  OPENSSL_cleanse(kd.data(), kd.size());
  return response;
}

DigestAuthenticator::DigestAuthenticator() : DigestAuthenticator(Settings()) {}

DigestAuthenticator::DigestAuthenticator(Settings settings)
    : settings_(settings), slots_(std::max<size_t>(settings.max_nonces, 1)) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("digest authenticator: RAND_bytes failed");
  }
}

std::array<unsigned char, 32> DigestAuthenticator::mac(std::string_view label, uint64_t a,
                                                       uint64_t b, std::string_view realm) const {
  // label | a | b | realm, fixed-width integers so no two inputs collide.
  std::string data(label);
  data += '\0';
  for (int shift = 56; shift >= 0; shift -= 8) data += static_cast<char>((a >> shift) & 0xff);
  for (int shift = 56; shift >= 0; shift -= 8) data += static_cast<char>((b >> shift) & 0xff);
  data.append(realm);
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string DigestAuthenticator::make_nonce(std::string_view realm, TimePoint now) {
  const uint64_t counter = next_counter_++;
  const auto ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  NonceSlot& slot = slots_[counter % slots_.size()];
  slot = NonceSlot();  // forgets the nonce issued max_nonces ago
  slot.counter = counter;
  std::string nonce;
  nonce.reserve(kNonceHexLength);
  append_u64_hex(nonce, ms);
  append_u64_hex(nonce, counter);
  const auto m = mac("nonce", ms, counter, realm);
  nonce += to_hex(std::span<const unsigned char>(m.data(), kNonceMacBytes));
  return nonce;
}

std::optional<DigestAuthenticator::NonceFields> DigestAuthenticator::open_nonce(
    std::string_view nonce, std::string_view realm) const {
  if (nonce.size() != kNonceHexLength) return std::nullopt;
  const auto ms = hex_u64(nonce.substr(0, 16));
  const auto counter = hex_u64(nonce.substr(16, 16));
  if (!ms || !counter) return std::nullopt;
  const auto m = mac("nonce", *ms, *counter, realm);
  const std::string expected = to_hex(std::span<const unsigned char>(m.data(), kNonceMacBytes));
  const std::string given = lowercase(nonce.substr(32));
  if (CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0) return std::nullopt;
  return NonceFields{.timestamp_ms = *ms, .counter = *counter};
}

std::string DigestAuthenticator::opaque(std::string_view realm) const {
  const auto m = mac("opaque", 0, 0, realm);
  return to_hex(std::span<const unsigned char>(m.data(), kOpaqueBytes));
}

std::vector<std::string> DigestAuthenticator::challenges(
    std::string_view realm, std::span<const DigestAlgorithm> algorithms, bool stale,
    TimePoint now) {
  std::vector<std::string> out;
  if (algorithms.empty()) return out;
  // One nonce for all offered algorithms: the client answers exactly one of them.
  const std::string nonce = make_nonce(realm, now);
  const std::string op = opaque(realm);
  for (DigestAlgorithm a : algorithms) {
    std::string v = "Digest realm=" + sip::quoted_string(realm) + ", nonce=\"" + nonce +
                    "\", opaque=\"" + op +
                    "\", algorithm=" + std::string(digest_algorithm_token(a)) + ", qop=\"auth\"";
    if (stale) v += ", stale=true";
    out.push_back(std::move(v));
  }
  return out;
}

// The Digest credentials for our realm among the request's (Proxy-)Authorization fields: several
// may carry credentials for several realms (RFC 3261 §22.3), ours decides.
std::expected<sip::DigestCredentials, AuthFailure> DigestAuthenticator::our_credentials(
    const sip::Message& request, sip::HeaderId header, std::string_view realm) const {
  const auto headers = header == sip::HeaderId::kProxyAuthorization ? request.proxy_authorizations()
                                                                    : request.authorizations();
  if (!headers) return std::unexpected(AuthFailure::kMalformed);
  const sip::AuthHeader* ours = nullptr;
  bool our_nonce_elsewhere = false;
  for (const auto& h : *headers) {
    if (!h.is_digest()) continue;
    const auto r = h.param("realm");
    if (r && *r == realm) {
      ours = &h;
      break;
    }
    const auto n = h.param("nonce");
    if (n && open_nonce(*n, realm)) our_nonce_elsewhere = true;
  }
  if (ours == nullptr) {
    // Our nonce under another realm is a tampered answer to our challenge.
    return std::unexpected(our_nonce_elsewhere ? AuthFailure::kWrongRealm
                                               : AuthFailure::kNoCredentials);
  }
  auto creds = sip::digest_credentials(*ours);
  if (!creds) return std::unexpected(AuthFailure::kMalformed);
  return std::move(*creds);
}

namespace {

// The nonce-count of credentials using qop (nullopt: the RFC 2069 form). We offer qop="auth"
// only; SHA-256 has no qop-less form (RFC 7616 §3.4); only MD5 keeps the RFC 2069 form for old
// clients.
std::expected<std::optional<uint32_t>, AuthFailure> nonce_count(const sip::DigestCredentials& creds,
                                                                DigestAlgorithm algorithm) {
  if (creds.qop.empty()) {
    if (algorithm != DigestAlgorithm::kMd5) return std::unexpected(AuthFailure::kMalformed);
    return std::nullopt;
  }
  if (!sip::iequals(creds.qop, "auth")) return std::unexpected(AuthFailure::kMalformed);
  const auto nc = parse_nc(creds.nc);
  if (!nc || *nc == 0) return std::unexpected(AuthFailure::kMalformed);
  return nc;
}

uint64_t to_ms(std::chrono::nanoseconds duration) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
}

// The response the credentials' user must give with `secret`.
std::string expected_response(const sip::DigestCredentials& creds, DigestAlgorithm algorithm,
                              std::string_view realm, std::string_view secret,
                              std::string_view method) {
  return digest_response(DigestInput{
      .algorithm = algorithm,
      .username = creds.username,
      .realm = realm,
      .secret = secret,
      .method = method,
      .uri = creds.uri,
      .nonce = creds.nonce,
      .nc = creds.nc,
      .cnonce = creds.cnonce,
      .qop = creds.qop,  // as the client wrote it (auth, any case)
  });
}

}  // namespace

// The fields of a nonce we issued for `realm` and may still know: verified, not from the future,
// its counter already issued (another process's key would not verify; treat it as forged).
std::expected<DigestAuthenticator::NonceFields, AuthFailure> DigestAuthenticator::issued_nonce(
    const sip::DigestCredentials& creds, std::string_view realm, uint64_t now_ms) const {
  const auto fields = open_nonce(creds.nonce, realm);
  if (!fields) return std::unexpected(AuthFailure::kBadNonce);
  if (!creds.opaque.empty() && creds.opaque != opaque(realm)) {
    return std::unexpected(AuthFailure::kBadNonce);
  }
  if (fields->timestamp_ms > now_ms || fields->counter == 0 || fields->counter >= next_counter_) {
    return std::unexpected(AuthFailure::kBadNonce);
  }
  return *fields;
}

// The response is right: now the nonce's age and use decide (stale only for a right response).
std::expected<void, AuthFailure> DigestAuthenticator::use_nonce(const NonceFields& fields,
                                                                std::optional<uint32_t> nc,
                                                                uint64_t now_ms) {
  NonceSlot& slot = slots_[fields.counter % slots_.size()];
  if (now_ms - fields.timestamp_ms > to_ms(settings_.nonce_lifetime) ||
      slot.counter != fields.counter) {
    return std::unexpected(AuthFailure::kStale);
  }
  if (nc) {
    if (*nc <= slot.last_nc) return std::unexpected(AuthFailure::kReplay);
    slot.last_nc = *nc;
  } else if (slot.used) {
    // RFC 2069 has no nonce-count: a second use cannot be told from a replay, so the client
    // gets a fresh nonce (stale) instead of access or an offence.
    return std::unexpected(AuthFailure::kStale);
  }
  slot.used = true;
  return {};
}

std::expected<AuthenticatedUser, AuthFailure> DigestAuthenticator::verify(
    const sip::Message& request, sip::HeaderId header, std::string_view realm,
    const std::function<const UserConfig*(std::string_view)>& find_user,
    std::span<const DigestAlgorithm> zone_algorithms, TimePoint now) {
  const auto creds = our_credentials(request, header, realm);
  if (!creds) return std::unexpected(creds.error());
  const auto algorithm = parse_algorithm(creds->algorithm);
  if (!algorithm) return std::unexpected(AuthFailure::kAlgorithmRefused);
  const auto nc = nonce_count(*creds, *algorithm);
  if (!nc) return std::unexpected(nc.error());
  const uint64_t now_ms = to_ms(now.time_since_epoch());
  const auto fields = issued_nonce(*creds, realm, now_ms);
  if (!fields) return std::unexpected(fields.error());

  const UserConfig* user = find_user(creds->username);
  if (user == nullptr) {
    // Spend the same hashing as for a known user, so timing does not tell names apart (svwar).
    (void)expected_response(*creds, *algorithm, realm, creds->nonce, request.method_text());
    return std::unexpected(AuthFailure::kUnknownUser);
  }
  const std::span<const DigestAlgorithm> allowed =
      user->algorithms.empty() ? zone_algorithms
                               : std::span<const DigestAlgorithm>(user->algorithms);
  if (std::find(allowed.begin(), allowed.end(), *algorithm) == allowed.end()) {
    return std::unexpected(AuthFailure::kAlgorithmRefused);
  }
  if (creds->uri != request.request_uri_text()) return std::unexpected(AuthFailure::kUriMismatch);
  const std::string expected =
      expected_response(*creds, *algorithm, realm, user->secret, request.method_text());
  const std::string given = lowercase(creds->response);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return std::unexpected(AuthFailure::kWrongResponse);
  }
  if (auto used = use_nonce(*fields, *nc, now_ms); !used) return std::unexpected(used.error());
  return AuthenticatedUser{.user = user->name, .algorithm = *algorithm};
}

}  // namespace sbc::cp
