// SDES (RFC 4568) a=crypto attributes: parse one attribute's value into a CryptoAttribute and
// format one back. Suites are the four the dataplane runs (RFC 4568 AES_CM_128_HMAC_SHA1_80/_32,
// RFC 7714 AEAD_AES_128_GCM/_256_GCM); any other suite name is an error value, so an offer with
// only unsupported lines can be answered 488 with a counted reason.
//
// Key material: the inline key||salt is decoded into an SdesKey, a fixed array that wipes itself
// (OPENSSL_cleanse) and has neither operator<< nor a fmt formatter. format_crypto's output carries
// the key in base64 for the SDP toward the peer: it must go into that body only, never into a log.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::cp::sip {

enum class SdesSuite : uint8_t {
  kAesCm128HmacSha1_80,
  kAesCm128HmacSha1_32,
  kAeadAes128Gcm,
  kAeadAes256Gcm,
};

[[nodiscard]] std::string_view to_string(SdesSuite suite);
[[nodiscard]] std::optional<SdesSuite> sdes_suite_from_name(std::string_view name);
// Master key || master salt length of the suite (30, 30, 28, 44).
[[nodiscard]] size_t sdes_key_salt_length(SdesSuite suite);

inline constexpr size_t kMaxSdesKeySaltLength = 44;
inline constexpr size_t kMaxSdesKeys = 4;           // key-params (";inline:...") per attribute
inline constexpr size_t kMaxSdesSessionParams = 8;  // session params per attribute
inline constexpr uint64_t kMaxSdesLifetime = 1ULL << 48;  // RFC 4568 6.2: SRTP packets per key

// One master key || salt. Copies are allowed (a call keeps its offer's and answer's keys); each
// copy wipes its own bytes when destroyed or overwritten.
class SdesKey {
 public:
  SdesKey() = default;
  // At most kMaxSdesKeySaltLength bytes; more are refused by returning an empty key.
  static SdesKey from_bytes(std::span<const uint8_t> bytes);
  // A fresh key for `suite` from OpenSSL's CSPRNG (our side's a=crypto); nullopt if it fails.
  static std::optional<SdesKey> random(SdesSuite suite);

  SdesKey(const SdesKey& other);
  SdesKey& operator=(const SdesKey& other);
  ~SdesKey();

  std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  bool empty() const { return size_ == 0; }
  friend bool operator==(const SdesKey& a, const SdesKey& b);

 private:
  void wipe();
  std::array<uint8_t, kMaxSdesKeySaltLength> bytes_{};
  uint8_t size_ = 0;
};

// The key lifetime in packets, as written: "2^31" (power) or "2147483648".
struct SdesLifetime {
  uint64_t packets = 0;
  bool power_of_two = false;
  friend bool operator==(const SdesLifetime&, const SdesLifetime&) = default;
};

// Master key identifier: its value and its length in bytes on the wire (1..128).
struct SdesMki {
  uint64_t value = 0;
  uint8_t length = 0;
  friend bool operator==(const SdesMki&, const SdesMki&) = default;
};

struct SdesKeyParam {
  SdesKey key;
  std::optional<SdesLifetime> lifetime;
  std::optional<SdesMki> mki;
};

struct CryptoAttribute {
  uint32_t tag = 0;  // 1*9DIGIT
  SdesSuite suite = SdesSuite::kAesCm128HmacSha1_80;
  std::vector<SdesKeyParam> keys;           // at least one; each has an MKI when there are several
  std::vector<std::string> session_params;  // as written: "KDR=1", "WSH=128", "-FOO"
};

enum class CryptoError : uint8_t {
  kMalformed,        // not "<tag> <suite> <key-params> [<session-params>]"
  kBadTag,           // not 1 to 9 digits
  kUnknownSuite,     // a suite we do not run (or no such suite)
  kBadKeyMethod,     // a key-param other than "inline:"
  kBadBase64,        // the key||salt is not base64
  kWrongKeyLength,   // decodes to another length than the suite's key||salt
  kBadLifetime,      // not "2^n" or a number, zero, or above 2^48
  kBadMki,           // not "<value>:<length>", length outside 1..128, value wider than length
  kMkiRequired,      // several keys and one of them without an MKI, or MKI lengths differ
  kTooManyKeys,      // more than kMaxSdesKeys key-params
  kBadSessionParam,  // a control character, or more than kMaxSdesSessionParams
};

[[nodiscard]] std::string_view to_string(CryptoError error);

// `value` is the attribute's value, after "a=crypto:" (SdpAttribute::value).
[[nodiscard]] std::expected<CryptoAttribute, CryptoError> parse_crypto(std::string_view value);
// The attribute's value (without "a=crypto:"); keys in padded base64.
[[nodiscard]] std::string format_crypto(const CryptoAttribute& crypto);

// The first session parameter the dataplane cannot honour (libsrtp runs KDR 0 only, always
// encrypts and authenticates, has no FEC ordering), or nullopt. An unknown parameter written with
// a leading "-" (an optional srtp-session-extension in RFC 4568's grammar) is ignored; KDR=0 and
// WSH=<n>, n >= 64 (the replay window) are honoured.
[[nodiscard]] std::optional<std::string_view> first_unsupported_param(
    const CryptoAttribute& crypto);

// `text` (an SDP body, or a whole SIP message) with the key||salt of every inline key-param of
// every "a=crypto:" line overwritten by '*', in place and at the same length (a message's
// Content-Length stays right, it still parses); tag, suite, lifetime, MKI and session parameters
// stay. Names are matched without regard to case, lines end at CR or LF. What may be kept where
// keys must never go (the call store).
[[nodiscard]] std::string redact_crypto_keys(std::string text);

}  // namespace sbc::cp::sip
