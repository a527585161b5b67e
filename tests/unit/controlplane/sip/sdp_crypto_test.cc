#include "controlplane/sip/sdp_crypto.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace sbc::cp::sip {
namespace {

template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

// Key material has no printer: it cannot reach a log line by accident.
static_assert(!fmt::is_formattable<SdesKey>::value);
static_assert(!Streamable<SdesKey>);
static_assert(!fmt::is_formattable<SdesKeyParam>::value);

std::string text(const SdesKey& key) {
  return std::string(key.bytes().begin(), key.bytes().end());
}

// RFC 4568 section 4: key-params with lifetime and MKI, and a session parameter.
TEST(SdpCrypto, ParsesRfc4568Section4Example) {
  auto c = parse_crypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 "
      "FEC_ORDER=FEC_SRTP");
  ASSERT_TRUE(c) << to_string(c.error());
  EXPECT_EQ(c->tag, 1u);
  EXPECT_EQ(c->suite, SdesSuite::kAesCm128HmacSha1_80);
  ASSERT_EQ(c->keys.size(), 1u);
  EXPECT_EQ(text(c->keys[0].key), "YS___semctl () {\t220;}\n}\nunles");
  EXPECT_EQ(c->keys[0].lifetime, (SdesLifetime{1u << 20, true}));
  EXPECT_EQ(c->keys[0].mki, (SdesMki{1, 4}));
  EXPECT_EQ(c->session_params, std::vector<std::string>{"FEC_ORDER=FEC_SRTP"});
  EXPECT_EQ(first_unsupported_param(*c), "FEC_ORDER=FEC_SRTP");
}

// RFC 4568 sections 6.1 / 9: the offer's lines; lifetime alone, MKI alone, neither.
TEST(SdpCrypto, ParsesRfc4568KeyParamForms) {
  auto a = parse_crypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->keys[0].key.bytes().size(), 30u);
  EXPECT_EQ(a->keys[0].mki, (SdesMki{1, 32}));
  EXPECT_FALSE(first_unsupported_param(*a));

  auto b = parse_crypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|1066:4");
  ASSERT_TRUE(b);
  EXPECT_EQ(text(b->keys[0].key), "aBCdefghiJKLmoPQrsTuVwyz123456");
  EXPECT_FALSE(b->keys[0].lifetime);
  EXPECT_EQ(b->keys[0].mki, (SdesMki{1066, 4}));

  auto c =
      parse_crypto("2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->tag, 2u);
  EXPECT_EQ(c->suite, SdesSuite::kAesCm128HmacSha1_32);
  EXPECT_FALSE(c->keys[0].lifetime);
  EXPECT_FALSE(c->keys[0].mki);

  auto d = parse_crypto(
      "3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->keys[0].lifetime, (SdesLifetime{1048576, false}));
}

// RFC 4568 section 4's second line has two keys with MKIs (its F8 suite is not one we run).
TEST(SdpCrypto, ParsesSeveralKeysWithMkis) {
  constexpr std::string_view kKeys =
      "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;"
      "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4";
  auto f8 = parse_crypto(std::string("2 F8_128_HMAC_SHA1_80 ") + std::string(kKeys) +
                         " FEC_ORDER=FEC_SRTP");
  ASSERT_FALSE(f8);
  EXPECT_EQ(f8.error(), CryptoError::kUnknownSuite);

  auto c = parse_crypto(std::string("2 AES_CM_128_HMAC_SHA1_80 ") + std::string(kKeys));
  ASSERT_TRUE(c) << to_string(c.error());
  ASSERT_EQ(c->keys.size(), 2u);
  EXPECT_EQ(text(c->keys[0].key), "123456789ABCDE0123456789ABcdef");
  EXPECT_EQ(text(c->keys[1].key), "ABcdef123456789ABCDE0123456789");
  EXPECT_EQ(c->keys[1].mki, (SdesMki{2, 4}));
  EXPECT_EQ(format_crypto(*c), std::string("2 AES_CM_128_HMAC_SHA1_80 ") + std::string(kKeys));
}

TEST(SdpCrypto, ParsesGcmSuites) {
  std::vector<uint8_t> k28(28), k44(44);
  for (size_t i = 0; i < k44.size(); ++i) k44[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < k28.size(); ++i) k28[i] = static_cast<uint8_t>(i * 5);
  CryptoAttribute gcm128{
      .tag = 1, .suite = SdesSuite::kAeadAes128Gcm, .keys = {}, .session_params = {}};
  gcm128.keys.push_back(SdesKeyParam{SdesKey::from_bytes(k28), std::nullopt, std::nullopt});
  const std::string line = format_crypto(gcm128);
  EXPECT_EQ(line.size(), std::string("1 AEAD_AES_128_GCM inline:").size() + 40);
  EXPECT_EQ(line.back(), '=');  // 28 bytes: two padding characters
  auto parsed = parse_crypto(line);
  ASSERT_TRUE(parsed) << to_string(parsed.error());
  EXPECT_EQ(parsed->keys[0].key, gcm128.keys[0].key);

  CryptoAttribute gcm256{
      .tag = 9, .suite = SdesSuite::kAeadAes256Gcm, .keys = {}, .session_params = {}};
  gcm256.keys.push_back(
      SdesKeyParam{SdesKey::from_bytes(k44), SdesLifetime{1u << 31, true}, std::nullopt});
  auto parsed256 = parse_crypto(format_crypto(gcm256));
  ASSERT_TRUE(parsed256);
  EXPECT_EQ(parsed256->keys[0].key, gcm256.keys[0].key);
  EXPECT_EQ(format_crypto(*parsed256), format_crypto(gcm256));

  // Unpadded base64 of a 28-byte key is accepted too (some endpoints omit "=").
  std::string unpadded = line.substr(0, line.size() - 2);
  EXPECT_TRUE(parse_crypto(unpadded));
  EXPECT_EQ(parse_crypto(line.substr(0, line.size() - 1)).error(), CryptoError::kBadBase64);
}

TEST(SdpCrypto, FormatRoundTripsWhatItParses) {
  for (std::string_view line : {
           "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
           "1 AES_CM_128_HMAC_SHA1_80 inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|1066:4",
           "7 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|1048576 "
           "KDR=0 "
           "WSH=256 -X-VENDOR",
       }) {
    auto c = parse_crypto(line);
    ASSERT_TRUE(c) << line;
    EXPECT_EQ(format_crypto(*c), line);
    EXPECT_FALSE(first_unsupported_param(*c)) << line;
  }
}

TEST(SdpCrypto, ToleratesExtraWhitespaceBetweenFields) {
  auto c = parse_crypto(
      "1\tAES_CM_128_HMAC_SHA1_80   inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR  KDR=0 ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session_params, std::vector<std::string>{"KDR=0"});
}

TEST(SdpCrypto, UnsupportedSessionParams) {
  const std::string base =
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR ";
  for (std::string_view p :
       {"KDR=1", "UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP", "WSH=10", "WSH=x",
        "FEC_KEY=inline:abc", "NEW_THING"}) {
    auto c = parse_crypto(base + std::string(p));
    ASSERT_TRUE(c) << p;
    EXPECT_EQ(first_unsupported_param(*c), p);
  }
}

struct Malformed {
  std::string_view value;
  CryptoError error;
};

class SdpCryptoMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(SdpCryptoMalformed, IsRefusedWithItsReason) {
  auto c = parse_crypto(GetParam().value);
  ASSERT_FALSE(c) << GetParam().value;
  EXPECT_EQ(c.error(), GetParam().error) << GetParam().value << ": " << to_string(c.error());
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4568, SdpCryptoMalformed,
    ::testing::Values(
        Malformed{"", CryptoError::kMalformed}, Malformed{"1", CryptoError::kMalformed},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80", CryptoError::kMalformed},
        Malformed{"x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kBadTag},
        Malformed{
            "1234567890 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            CryptoError::kBadTag},
        Malformed{"-1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kBadTag},
        Malformed{"1 AES_CM_128_HMAC_SHA1_81 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kUnknownSuite},
        Malformed{"1 AES_256_CM_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kUnknownSuite},
        Malformed{"1 aes_cm_128_hmac_sha1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kUnknownSuite},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 uri:sip:keys@example.com", CryptoError::kBadKeyMethod},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kMalformed},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:", CryptoError::kBadBase64},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",
                  CryptoError::kBadBase64},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1u=CVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kBadBase64},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB",
                  CryptoError::kWrongKeyLength},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRAAAA",
                  CryptoError::kWrongKeyLength},
        Malformed{"1 AEAD_AES_256_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kWrongKeyLength},
        Malformed{
            "1 AES_CM_128_HMAC_SHA1_80 "
            "inline:"
            "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRPS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            CryptoError::kBadBase64},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^49",
                  CryptoError::kBadLifetime},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|0",
                  CryptoError::kBadLifetime},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^",
                  CryptoError::kBadLifetime},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|3^20",
                  CryptoError::kBadLifetime},
        Malformed{
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",
            CryptoError::kBadLifetime},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0",
                  CryptoError::kBadMki},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:129",
                  CryptoError::kBadMki},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1",
                  CryptoError::kBadMki},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:",
                  CryptoError::kBadMki},
        Malformed{
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2:4",
            CryptoError::kBadMki},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 "
                  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4|x",
                  CryptoError::kMalformed},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR;"
                  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                  CryptoError::kMkiRequired},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4;"
                  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2:2",
                  CryptoError::kMkiRequired},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4;"
                  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2:4;"
                  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|3:4;"
                  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|4:4;"
                  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|5:4",
                  CryptoError::kTooManyKeys},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR;",
                  CryptoError::kMalformed},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR A\x01",
                  CryptoError::kBadSessionParam},
        Malformed{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR "
                  "a b c d e f g h i",
                  CryptoError::kBadSessionParam}),
    [](const auto& info) { return "Case" + std::to_string(info.index); });

TEST(SdpCrypto, ErrorNamesAreDistinct) {
  std::vector<std::string_view> names;
  for (uint8_t e = 0; e <= static_cast<uint8_t>(CryptoError::kBadSessionParam); ++e) {
    names.push_back(to_string(static_cast<CryptoError>(e)));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_EQ(to_string(CryptoError::kUnknownSuite), "unknown_suite");
}

TEST(SdpCrypto, SuiteNamesAndLengths) {
  EXPECT_EQ(sdes_suite_from_name("AES_CM_128_HMAC_SHA1_32"), SdesSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(sdes_suite_from_name("AEAD_AES_128_GCM"), SdesSuite::kAeadAes128Gcm);
  EXPECT_FALSE(sdes_suite_from_name("NULL_HMAC_SHA1_80"));
  EXPECT_EQ(to_string(SdesSuite::kAeadAes256Gcm), "AEAD_AES_256_GCM");
  EXPECT_EQ(sdes_key_salt_length(SdesSuite::kAesCm128HmacSha1_80), 30u);
  EXPECT_EQ(sdes_key_salt_length(SdesSuite::kAeadAes128Gcm), 28u);
  EXPECT_EQ(sdes_key_salt_length(SdesSuite::kAeadAes256Gcm), 44u);
}

TEST(SdesKey, RandomKeysHaveTheSuitesLengthAndDiffer) {
  const std::optional<SdesKey> a = SdesKey::random(SdesSuite::kAeadAes256Gcm);
  const std::optional<SdesKey> b = SdesKey::random(SdesSuite::kAeadAes256Gcm);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a.value().bytes().size(), 44u);
  EXPECT_FALSE(a.value() == b.value());
  SdesKey copy = a.value();
  EXPECT_TRUE(copy == a.value());
  copy = b.value();
  EXPECT_TRUE(copy == b.value());
  EXPECT_TRUE(SdesKey::from_bytes(std::vector<uint8_t>(45, 1)).empty());
}

// What the call store keeps: every key of every a=crypto line overwritten, nothing else touched,
// the length unchanged (a stored INVITE's Content-Length stays right).
TEST(RedactCryptoKeys, EveryKeyGoesAndEveryOtherByteStays) {
  const std::string text =
      "INVITE sip:x@y SIP/2.0\r\nContent-Length: 99\r\n\r\nv=0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
      "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyAo|2^20|1:4;"
      "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n"
      "a=inline:NOTACRYPTOLINE\r\n"
      "a=crypto:2 AEAD_AES_128_GCM inline:Zm9vYmFy\n"
      "a=crypto:3 AEAD_AES_256_GCM inline:bGFzdA==";
  const std::string redacted = redact_crypto_keys(text);
  EXPECT_EQ(redacted.size(), text.size());
  EXPECT_EQ(redacted,
            "INVITE sip:x@y SIP/2.0\r\nContent-Length: 99\r\n\r\nv=0\r\n"
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
            "inline:********************************************|2^20|1:4;"
            "inline:****************************************|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n"
            "a=inline:NOTACRYPTOLINE\r\n"
            "a=crypto:2 AEAD_AES_128_GCM inline:********\n"
            "a=crypto:3 AEAD_AES_256_GCM inline:********");
  // A redacted line is no key: it does not parse as one.
  EXPECT_EQ(parse_crypto("2 AEAD_AES_128_GCM inline:********").error(), CryptoError::kBadBase64);
  EXPECT_EQ(redact_crypto_keys(""), "");
}

// Keys a peer wrote oddly are keys all the same: other cases, CR-only line ends, blanks after
// "inline:", a malformed key, a line without its CRLF at the end of the text.
TEST(RedactCryptoKeys, OddlyWrittenKeysGoToo) {
  EXPECT_EQ(redact_crypto_keys("a=CRYPTO:1 AES_CM_128_HMAC_SHA1_80 INLINE:QUJD\r"
                               "a=Crypto:2 AES_CM_128_HMAC_SHA1_32 Inline: \tREVG|2^31\r"
                               "a=crypto:3 F8_128_HMAC_SHA1_80 inline:!#%&\r\n"
                               "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:R0hJ"),
            "a=CRYPTO:1 AES_CM_128_HMAC_SHA1_80 INLINE:****\r"
            "a=Crypto:2 AES_CM_128_HMAC_SHA1_32 Inline: \t****|2^31\r"
            "a=crypto:3 F8_128_HMAC_SHA1_80 inline:****\r\n"
            "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:****");
  // "inline:" outside an a=crypto line is not a key.
  EXPECT_EQ(redact_crypto_keys("a=x-crypto:1 inline:QUJD\r\ns=inline:QUJD\r\n"),
            "a=x-crypto:1 inline:QUJD\r\ns=inline:QUJD\r\n");
}

}  // namespace
}  // namespace sbc::cp::sip
