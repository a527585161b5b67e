#include "controlplane/sip/sdp_crypto.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <bit>
#include <charconv>

namespace sbc::cp::sip {
namespace {

struct SuiteRow {
  SdesSuite suite;
  std::string_view name;
  size_t key_salt_length;
};

constexpr std::array<SuiteRow, 4> kSuites = {{
    {SdesSuite::kAesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80", 30},
    {SdesSuite::kAesCm128HmacSha1_32, "AES_CM_128_HMAC_SHA1_32", 30},
    {SdesSuite::kAeadAes128Gcm, "AEAD_AES_128_GCM", 28},
    {SdesSuite::kAeadAes256Gcm, "AEAD_AES_256_GCM", 44},
}};

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// key-salt of the largest suite in base64 (44 bytes -> 60 characters), with room to spare.
constexpr size_t kMaxBase64Length = 64;
constexpr size_t kMaxMkiLength = 128;

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Splits off the next whitespace-separated field.
std::string_view next_field(std::string_view& rest) {
  size_t start = 0;
  while (start < rest.size() && is_space(rest[start])) ++start;
  size_t end = start;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  std::string_view field = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return field;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <typename T>
std::optional<T> number(std::string_view s, size_t max_digits) {
  if (!all_digits(s) || s.size() > max_digits) return std::nullopt;
  T value{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

int base64_value(char c) {
  const size_t at = kBase64.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// Strict base64: the 64 characters, "=" padding only at the end (optional), no whitespace.
std::expected<SdesKey, CryptoError> decode_key(std::string_view text) {
  if (text.empty() || text.size() > kMaxBase64Length)
    return std::unexpected(CryptoError::kBadBase64);
  size_t data_chars = text.size();
  while (data_chars > 0 && text[data_chars - 1] == '=') --data_chars;
  const size_t padding = text.size() - data_chars;
  if (padding > 2 || (padding > 0 && text.size() % 4 != 0) || data_chars % 4 == 1) {
    return std::unexpected(CryptoError::kBadBase64);
  }
  std::array<uint8_t, kMaxBase64Length> out{};
  size_t size = 0;
  uint32_t bits = 0;
  int bit_count = 0;
  for (size_t i = 0; i < data_chars; ++i) {
    const int v = base64_value(text[i]);
    if (v < 0) {
      OPENSSL_cleanse(out.data(), out.size());
      return std::unexpected(CryptoError::kBadBase64);
    }
    bits = (bits << 6) | static_cast<uint32_t>(v);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out[size++] = static_cast<uint8_t>(bits >> bit_count);
    }
  }
  SdesKey key = SdesKey::from_bytes(std::span<const uint8_t>(out.data(), size));
  OPENSSL_cleanse(out.data(), out.size());
  if (size > kMaxSdesKeySaltLength) return std::unexpected(CryptoError::kWrongKeyLength);
  return key;
}

void encode_key(std::span<const uint8_t> bytes, std::string& out) {
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kBase64[(v >> shift) & 0x3f];
  }
  const size_t left = bytes.size() - i;
  if (left == 0) return;
  uint32_t v = uint32_t{bytes[i]} << 16;
  if (left == 2) v |= uint32_t{bytes[i + 1]} << 8;
  out += kBase64[(v >> 18) & 0x3f];
  out += kBase64[(v >> 12) & 0x3f];
  out += left == 2 ? kBase64[(v >> 6) & 0x3f] : '=';
  out += '=';
}

std::expected<SdesLifetime, CryptoError> parse_lifetime(std::string_view text) {
  SdesLifetime lifetime;
  if (text.starts_with("2^")) {
    auto exponent = number<unsigned>(text.substr(2), 2);
    if (!exponent || *exponent > 48) return std::unexpected(CryptoError::kBadLifetime);
    lifetime.packets = uint64_t{1} << *exponent;
    lifetime.power_of_two = true;
    return lifetime;
  }
  auto packets = number<uint64_t>(text, 15);
  if (!packets || *packets == 0 || *packets > kMaxSdesLifetime) {
    return std::unexpected(CryptoError::kBadLifetime);
  }
  lifetime.packets = *packets;
  return lifetime;
}

std::expected<SdesMki, CryptoError> parse_mki(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::unexpected(CryptoError::kBadMki);
  auto value = number<uint64_t>(text.substr(0, colon), 19);
  auto length = number<unsigned>(text.substr(colon + 1), 3);
  if (!value || !length || *length == 0 || *length > kMaxMkiLength) {
    return std::unexpected(CryptoError::kBadMki);
  }
  if (*length < 8 && *value >> (8 * *length) != 0) return std::unexpected(CryptoError::kBadMki);
  return SdesMki{*value, static_cast<uint8_t>(*length)};
}

// "inline:" key-salt ["|" lifetime] ["|" mki-value ":" mki-length]
std::expected<SdesKeyParam, CryptoError> parse_key_param(std::string_view text, SdesSuite suite) {
  constexpr std::string_view kInline = "inline:";
  if (!text.starts_with(kInline)) {
    return std::unexpected(text.find(':') == std::string_view::npos ? CryptoError::kMalformed
                                                                    : CryptoError::kBadKeyMethod);
  }
  text.remove_prefix(kInline.size());
  std::array<std::string_view, 3> parts{};
  size_t count = 0;
  while (true) {
    const size_t bar = text.find('|');
    if (count == parts.size()) return std::unexpected(CryptoError::kMalformed);
    parts[count++] = text.substr(0, bar);
    if (bar == std::string_view::npos) break;
    text.remove_prefix(bar + 1);
  }
  SdesKeyParam param;
  auto key = decode_key(parts[0]);
  if (!key) return std::unexpected(key.error());
  if (key->bytes().size() != sdes_key_salt_length(suite)) {
    return std::unexpected(CryptoError::kWrongKeyLength);
  }
  param.key = *key;
  for (size_t i = 1; i < count; ++i) {
    if (parts[i].find(':') != std::string_view::npos) {
      if (param.mki) return std::unexpected(CryptoError::kBadMki);
      auto mki = parse_mki(parts[i]);
      if (!mki) return std::unexpected(mki.error());
      param.mki = *mki;
    } else {
      if (param.lifetime || param.mki) return std::unexpected(CryptoError::kBadLifetime);
      auto lifetime = parse_lifetime(parts[i]);
      if (!lifetime) return std::unexpected(lifetime.error());
      param.lifetime = *lifetime;
    }
  }
  return param;
}

std::expected<std::vector<SdesKeyParam>, CryptoError> parse_key_params(std::string_view text,
                                                                       SdesSuite suite) {
  std::vector<SdesKeyParam> keys;
  while (true) {
    const size_t semi = text.find(';');
    if (keys.size() == kMaxSdesKeys) return std::unexpected(CryptoError::kTooManyKeys);
    auto key = parse_key_param(text.substr(0, semi), suite);
    if (!key) return std::unexpected(key.error());
    keys.push_back(std::move(*key));
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  if (keys.size() > 1) {
    const std::optional<SdesMki>& first = keys.front().mki;
    for (const SdesKeyParam& k : keys) {
      if (!k.mki || !first || k.mki->length != first->length) {
        return std::unexpected(CryptoError::kMkiRequired);
      }
    }
  }
  return keys;
}

bool visible(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string_view to_string(SdesSuite suite) {
  return kSuites[static_cast<size_t>(suite)].name;
}

std::optional<SdesSuite> sdes_suite_from_name(std::string_view name) {
  for (const SuiteRow& row : kSuites) {
    if (row.name == name) return row.suite;
  }
  return std::nullopt;
}

size_t sdes_key_salt_length(SdesSuite suite) {
  return kSuites[static_cast<size_t>(suite)].key_salt_length;
}

SdesKey SdesKey::from_bytes(std::span<const uint8_t> bytes) {
  SdesKey key;
  if (bytes.size() > key.bytes_.size()) return key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  key.size_ = static_cast<uint8_t>(bytes.size());
  return key;
}

std::optional<SdesKey> SdesKey::random(SdesSuite suite) {
  SdesKey key;
  const size_t size = sdes_key_salt_length(suite);
  if (RAND_bytes(key.bytes_.data(), static_cast<int>(size)) != 1) return std::nullopt;
  key.size_ = static_cast<uint8_t>(size);
  return key;
}

SdesKey::SdesKey(const SdesKey& other) : bytes_(other.bytes_), size_(other.size_) {}

SdesKey& SdesKey::operator=(const SdesKey& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
    size_ = other.size_;
  }
  return *this;
}

SdesKey::~SdesKey() {
  wipe();
}

void SdesKey::wipe() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  size_ = 0;
}

bool operator==(const SdesKey& a, const SdesKey& b) {
  return a.size_ == b.size_ && CRYPTO_memcmp(a.bytes_.data(), b.bytes_.data(), a.size_) == 0;
}

std::string_view to_string(CryptoError error) {
  switch (error) {
    case CryptoError::kMalformed: return "malformed";
    case CryptoError::kBadTag: return "bad_tag";
    case CryptoError::kUnknownSuite: return "unknown_suite";
    case CryptoError::kBadKeyMethod: return "bad_key_method";
    case CryptoError::kBadBase64: return "bad_base64";
    case CryptoError::kWrongKeyLength: return "wrong_key_length";
    case CryptoError::kBadLifetime: return "bad_lifetime";
    case CryptoError::kBadMki: return "bad_mki";
    case CryptoError::kMkiRequired: return "mki_required";
    case CryptoError::kTooManyKeys: return "too_many_keys";
    case CryptoError::kBadSessionParam: return "bad_session_param";
  }
  return "unknown";
}

std::expected<CryptoAttribute, CryptoError> parse_crypto(std::string_view value) {
  std::string_view rest = value;
  const std::string_view tag = next_field(rest);
  const std::string_view suite_name = next_field(rest);
  const std::string_view key_params = next_field(rest);
  if (tag.empty() || suite_name.empty() || key_params.empty()) {
    return std::unexpected(CryptoError::kMalformed);
  }
  CryptoAttribute crypto;
  auto tag_value = number<uint32_t>(tag, 9);
  if (!tag_value) return std::unexpected(CryptoError::kBadTag);
  crypto.tag = *tag_value;
  auto suite = sdes_suite_from_name(suite_name);
  if (!suite) return std::unexpected(CryptoError::kUnknownSuite);
  crypto.suite = *suite;
  auto keys = parse_key_params(key_params, *suite);
  if (!keys) return std::unexpected(keys.error());
  crypto.keys = std::move(*keys);
  for (std::string_view param = next_field(rest); !param.empty(); param = next_field(rest)) {
    if (crypto.session_params.size() == kMaxSdesSessionParams || !visible(param)) {
      return std::unexpected(CryptoError::kBadSessionParam);
    }
    crypto.session_params.emplace_back(param);
  }
  // next_field stops at whitespace only, so anything left is whitespace; a control character
  // inside a field was refused above (session params) or by the key / tag / suite grammar.
  return crypto;
}

std::string format_crypto(const CryptoAttribute& crypto) {
  std::string out = std::to_string(crypto.tag);
  out += ' ';
  out += to_string(crypto.suite);
  out += ' ';
  for (size_t i = 0; i < crypto.keys.size(); ++i) {
    const SdesKeyParam& key = crypto.keys[i];
    if (i > 0) out += ';';
    out += "inline:";
    encode_key(key.key.bytes(), out);
    if (key.lifetime) {
      out += '|';
      if (key.lifetime->power_of_two) {
        out += "2^";
        out += std::to_string(std::countr_zero(key.lifetime->packets));
      } else {
        out += std::to_string(key.lifetime->packets);
      }
    }
    if (key.mki) {
      out += '|';
      out += std::to_string(key.mki->value);
      out += ':';
      out += std::to_string(key.mki->length);
    }
  }
  for (const std::string& param : crypto.session_params) {
    out += ' ';
    out += param;
  }
  return out;
}

std::optional<std::string_view> first_unsupported_param(const CryptoAttribute& crypto) {
  for (const std::string& param : crypto.session_params) {
    const std::string_view p = param;
    if (p == "KDR=0") continue;
    if (p.starts_with("WSH=")) {
      auto window = number<unsigned>(p.substr(4), 5);
      if (window && *window >= 64 && *window <= 0x7fff) continue;
      return p;
    }
    if (p.starts_with('-')) continue;
    return p;
  }
  return std::nullopt;
}

std::string redact_crypto_keys(std::string text) {
  constexpr std::string_view kCrypto = "a=crypto:";
  constexpr std::string_view kInline = "inline:";
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  // Whether `text` holds `word` (lower case) at `at`, case aside.
  const auto holds = [&](size_t at, size_t end, std::string_view word) {
    if (end - at < word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (lower(text[at + i]) != word[i]) return false;
    }
    return true;
  };
  for (size_t line = 0; line < text.size();) {
    size_t end = text.find_first_of("\r\n", line);
    if (end == std::string::npos) end = text.size();
    if (holds(line, end, kCrypto)) {
      for (size_t at = line + kCrypto.size(); at < end; ++at) {
        if (!holds(at, end, kInline)) continue;
        at += kInline.size();
        while (at < end && is_space(text[at])) ++at;  // not a valid key-param: masked all the same
        for (; at < end && text[at] != '|' && text[at] != ';' && !is_space(text[at]); ++at) {
          text[at] = '*';
        }
        if (at == end) break;
      }
    }
    line = end + 1;
  }
  return text;
}

}  // namespace sbc::cp::sip
