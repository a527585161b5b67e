// Known-answer tests of the SRTP contexts.
//
// 1. libsrtp's own reference packets (its test/srtp_driver.c srtp_validate*: data, not code):
//    master key||salt in, the exact SRTP/SRTCP bytes out, and back.
// 2. RFC 3711 appendix B and RFC 7714 sections 16/17. Those vectors are given below the master key
//    (B.2: AES-CM keystream from a session key; B.3: the key derivation; RFC 7714: AEAD packets
//    from a session key and salt), so they validate a small reference SRTP written here on
//    OpenSSL's AES and HMAC; then the contexts' output for every suite, RTP and RTCP, must equal
//    that reference's output from the same master key. The reference is a test oracle only.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <vector>

#include "dataplane/media/srtp_context.h"
#include "tests/unit/dataplane/media/srtp_test_util.h"

namespace sbc::dp {
namespace {

using test::hex;
using Bytes = std::vector<uint8_t>;

// ---- the reference -------------------------------------------------------------------------

const EVP_CIPHER* ctr_cipher(size_t key_length) {
  return key_length == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
}

// AES in counter mode (RFC 3711 4.1.1): the keystream from a 16-byte initial counter block.
Bytes keystream(const Bytes& key, const Bytes& iv16, size_t length) {
  Bytes zeros(length, 0), out(length + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(ctx, ctr_cipher(key.size()), nullptr, key.data(), iv16.data());
  EVP_EncryptUpdate(ctx, out.data(), &n, zeros.data(), static_cast<int>(length));
  EVP_CIPHER_CTX_free(ctx);
  out.resize(length);
  return out;
}

// RFC 3711 4.3.1 with key_derivation_rate 0: x = label at octet 7 XOR master salt (padded to 14
// octets with zeros, RFC 7714's 12-octet salts), IV = x * 2^16.
Bytes derive(const Bytes& master_key, const Bytes& master_salt, uint8_t label, size_t length) {
  Bytes iv(16, 0);
  std::copy(master_salt.begin(), master_salt.end(), iv.begin());
  iv[7] ^= label;
  return keystream(master_key, iv, length);
}

struct SessionKeys {
  Bytes cipher, salt, auth;
};

SessionKeys session_keys(SrtpSuite suite, const Bytes& key_salt, bool rtcp) {
  const SrtpSuiteInfo& s = suite_info(suite);
  const Bytes master_key(key_salt.begin(), key_salt.begin() + static_cast<long>(s.key_length));
  const Bytes master_salt(key_salt.begin() + static_cast<long>(s.key_length), key_salt.end());
  const uint8_t base = rtcp ? 3 : 0;
  return {derive(master_key, master_salt, base + 0, s.key_length),
          derive(master_key, master_salt, base + 2, s.salt_length),
          derive(master_key, master_salt, base + 1, 20)};
}

Bytes hmac_sha1(const Bytes& key, const Bytes& data) {
  Bytes out(20);
  unsigned int n = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
       &n);
  return out;
}

void put32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] ^= static_cast<uint8_t>(v >> (24 - 8 * i));
}

// AES-CM + HMAC-SHA1 SRTP (RFC 3711 4.1.1, 4.2), ROC 0, a 12-octet header.
Bytes cm_protect_rtp(const SessionKeys& k, const Bytes& rtp, size_t tag_length) {
  Bytes iv(16, 0);
  std::copy(k.salt.begin(), k.salt.end(), iv.begin());
  put32(iv, 4, uint32_t{rtp[8]} << 24 | uint32_t{rtp[9]} << 16 | uint32_t{rtp[10]} << 8 | rtp[11]);
  iv[12] ^= rtp[2];
  iv[13] ^= rtp[3];
  Bytes out = rtp;
  const Bytes ks = keystream(k.cipher, iv, rtp.size() - 12);
  for (size_t i = 12; i < out.size(); ++i) out[i] ^= ks[i - 12];
  Bytes authenticated = out;
  authenticated.insert(authenticated.end(), {0, 0, 0, 0});  // ROC
  const Bytes tag = hmac_sha1(k.auth, authenticated);
  out.insert(out.end(), tag.begin(), tag.begin() + static_cast<long>(tag_length));
  return out;
}

// SRTCP (RFC 3711 3.4): encrypted from octet 8, E=1 and the index, 80-bit tag over all of it.
Bytes cm_protect_rtcp(const SessionKeys& k, const Bytes& rtcp, uint32_t index) {
  Bytes iv(16, 0);
  std::copy(k.salt.begin(), k.salt.end(), iv.begin());
  put32(iv, 4,
        uint32_t{rtcp[4]} << 24 | uint32_t{rtcp[5]} << 16 | uint32_t{rtcp[6]} << 8 | rtcp[7]);
  put32(iv, 10, index);  // the 31-bit index occupies octets 10..13 (index * 2^16)
  Bytes out = rtcp;
  const Bytes ks = keystream(k.cipher, iv, rtcp.size() - 8);
  for (size_t i = 8; i < out.size(); ++i) out[i] ^= ks[i - 8];
  const uint32_t e_index = 0x80000000u | index;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(e_index >> (24 - 8 * i)));
  const Bytes tag = hmac_sha1(k.auth, out);
  out.insert(out.end(), tag.begin(), tag.begin() + 10);
  return out;
}

Bytes gcm_seal(const Bytes& key, const Bytes& iv12, const Bytes& aad, const Bytes& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(ctx, key.size() == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), nullptr,
                     nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
  EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.data(), iv12.data());
  EVP_EncryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size()));
  Bytes out(plain.size() + 16);
  EVP_EncryptUpdate(ctx, out.data(), &n, plain.data(), static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx, out.data() + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// RFC 7714 8.1 / 9.1: IV = (0 || SSRC || ROC || SEQ) XOR salt; the header is the AAD.
Bytes gcm_protect_rtp(const SessionKeys& k, const Bytes& rtp) {
  Bytes iv = k.salt;
  for (int i = 0; i < 4; ++i) iv[2 + i] ^= rtp[8 + i];
  iv[10] ^= rtp[2];
  iv[11] ^= rtp[3];
  const Bytes aad(rtp.begin(), rtp.begin() + 12);
  Bytes out = aad;
  const Bytes sealed = gcm_seal(k.cipher, iv, aad, Bytes(rtp.begin() + 12, rtp.end()));
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

// RFC 7714 9.1 / 17: IV = (0 || SSRC || 0 || index) XOR salt; AAD = first 8 octets || E|index.
Bytes gcm_protect_rtcp(const SessionKeys& k, const Bytes& rtcp, uint32_t index) {
  Bytes iv = k.salt;
  for (int i = 0; i < 4; ++i) iv[2 + i] ^= rtcp[4 + i];
  put32(iv, 8, index);
  const uint32_t e_index = 0x80000000u | index;
  Bytes aad(rtcp.begin(), rtcp.begin() + 8);
  for (int i = 0; i < 4; ++i) aad.push_back(static_cast<uint8_t>(e_index >> (24 - 8 * i)));
  Bytes out(rtcp.begin(), rtcp.begin() + 8);
  const Bytes sealed = gcm_seal(k.cipher, iv, aad, Bytes(rtcp.begin() + 8, rtcp.end()));
  out.insert(out.end(), sealed.begin(), sealed.end());
  out.insert(out.end(), aad.end() - 4, aad.end());
  return out;
}

bool is_gcm(SrtpSuite suite) {
  return suite == SrtpSuite::kAeadAes128Gcm || suite == SrtpSuite::kAeadAes256Gcm;
}

Bytes reference_rtp(SrtpSuite suite, const Bytes& key_salt, const Bytes& rtp) {
  const SessionKeys k = session_keys(suite, key_salt, false);
  return is_gcm(suite) ? gcm_protect_rtp(k, rtp)
                       : cm_protect_rtp(k, rtp, suite_info(suite).rtp_tag_length);
}

Bytes reference_rtcp(SrtpSuite suite, const Bytes& key_salt, const Bytes& rtcp, uint32_t index) {
  const SessionKeys k = session_keys(suite, key_salt, true);
  return is_gcm(suite) ? gcm_protect_rtcp(k, rtcp, index) : cm_protect_rtcp(k, rtcp, index);
}

// ---- the RFC vectors check the reference ----------------------------------------------------

// RFC 3711 B.2: AES-CM keystream, session key 2B7E1516..., IV F0F1...FD || 0000.
TEST(SrtpReference, Rfc3711B2KeystreamSegments) {
  const Bytes ks = keystream(hex("2B7E151628AED2A6ABF7158809CF4F3C"),
                             hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"), 16 * 0x10000);
  EXPECT_EQ(Bytes(ks.begin(), ks.begin() + 48),
            hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
                "41E95B3BB0A2E8DD477901E4FCA894C0"));
  EXPECT_EQ(Bytes(ks.begin() + 16 * 0xfeff, ks.begin() + 16 * 0xff02),
            hex("EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE"
                "6A2CC3787889374FBEB4C81B17BA6C44"));
}

// RFC 3711 B.3: key derivation from master key E1F97A0D... and salt 0EC675AD....
TEST(SrtpReference, Rfc3711B3KeyDerivation) {
  const Bytes key_salt =
      test::concat(hex("E1F97A0D3E018BE0D64FA32C06DE4139"), hex("0EC675AD498AFEEBB6960B3AABE6"));
  const SessionKeys k = session_keys(SrtpSuite::kAesCm128HmacSha1_80, key_salt, false);
  EXPECT_EQ(k.cipher, hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(k.salt, hex("30CBBC08863D8C85D49DB34A9AE1"));
  const Bytes master_key = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const Bytes master_salt = hex("0EC675AD498AFEEBB6960B3AABE6");
  EXPECT_EQ(derive(master_key, master_salt, 1, 94),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
                "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
                "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2"));
}

const Bytes kRfc7714Rtp =
    hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070"
        "61727465 73207472 6573");
const Bytes kRfc7714Rtcp =
    hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef"
        "deadbeef deadbeef deadbeef");
const Bytes kRfc7714Salt = hex("517569642070726f2071756f");

// RFC 7714 16.1.1 / 16.2.1 (SRTP) and 17.1 / 17.2 (SRTCP, index 0x5d4), from session keys.
TEST(SrtpReference, Rfc7714AeadPackets) {
  const SessionKeys k128{hex("000102030405060708090a0b0c0d0e0f"), kRfc7714Salt, {}};
  const SessionKeys k256{
      hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), kRfc7714Salt, {}};
  EXPECT_EQ(gcm_protect_rtp(k128, kRfc7714Rtp),
            hex("8040f17b8041f8d35501a0b2 f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f"
                "42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce"));
  EXPECT_EQ(gcm_protect_rtp(k256, kRfc7714Rtp),
            hex("8040f17b8041f8d35501a0b2 32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3"
                "b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13"));
  EXPECT_EQ(gcm_protect_rtcp(k128, kRfc7714Rtcp, 0x5d4),
            hex("81c8000d4d617273 63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda"
                "4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade 800005d4"));
  EXPECT_EQ(gcm_protect_rtcp(k256, kRfc7714Rtcp, 0x5d4),
            hex("81c8000d4d617273 d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be"
                "8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be 800005d4"));
}

// ---- the contexts against libsrtp's reference packets and against the reference -------------

class SrtpVectors : public ::testing::Test {
 protected:
  void SetUp() override { library_.emplace(*SrtpLibrary::init()); }

  // Protects `plain` with a fresh outbound context, checks the bytes, then unprotects them with a
  // fresh inbound context back to `plain` (SRTP, or SRTCP with `rtcp`).
  void check(bool rtcp, SrtpSuite suite, const Bytes& key_salt, const Bytes& plain,
             const Bytes& wire) {
    const SrtpMasterKey key = *SrtpMasterKey::create(suite, key_salt);
    auto out = SrtpOutbound::create(library_.value(), key);
    auto in = SrtpInbound::create(library_.value(), key);
    ASSERT_TRUE(out && in);
    Bytes buffer = plain;
    buffer.resize(plain.size() + kMaxSrtpTrailer);
    size_t length = plain.size();
    ASSERT_EQ(rtcp ? out->protect_rtcp(buffer, length) : out->protect_rtp(buffer, length),
              SrtpResult::kOk);
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<long>(length)), wire);
    Bytes received = wire;
    length = wire.size();
    ASSERT_EQ(rtcp ? in->unprotect_rtcp(received, length) : in->unprotect_rtp(received, length),
              SrtpResult::kOk);
    EXPECT_EQ(Bytes(received.begin(), received.begin() + static_cast<long>(length)), plain);
  }
  void check_rtp(SrtpSuite suite, const Bytes& key_salt, const Bytes& plain, const Bytes& wire) {
    check(false, suite, key_salt, plain, wire);
  }
  void check_rtcp(SrtpSuite suite, const Bytes& key_salt, const Bytes& plain, const Bytes& wire) {
    check(true, suite, key_salt, plain, wire);
  }

  std::optional<SrtpLibrary> library_;
};

// libsrtp's srtp_validate key is RFC 3711 B.3's master key and salt.
const Bytes kCmKey = hex("e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3aabe6");
const Bytes kCmRtp = hex("800f1234decafbadcafebabe abababababababababababababababab");
const Bytes kCmRtcp = hex("81c8000bcafebabe abababababababababababababababab");
const Bytes kGcmKey = hex("000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab");

TEST_F(SrtpVectors, LibsrtpAesCm80) {
  check_rtp(SrtpSuite::kAesCm128HmacSha1_80, kCmKey, kCmRtp,
            hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb"));
  check_rtcp(
      SrtpSuite::kAesCm128HmacSha1_80, kCmKey, kCmRtcp,
      hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798"));
}

TEST_F(SrtpVectors, LibsrtpAesCm32) {
  check_rtp(SrtpSuite::kAesCm128HmacSha1_32, kCmKey, kCmRtp,
            hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc"));
  // SRTCP keeps the 80-bit tag: the same packet as with _80.
  check_rtcp(
      SrtpSuite::kAesCm128HmacSha1_32, kCmKey, kCmRtcp,
      hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798"));
}

TEST_F(SrtpVectors, LibsrtpAeadAes128Gcm) {
  check_rtp(SrtpSuite::kAeadAes128Gcm, kGcmKey, kCmRtp,
            hex("800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e"
                "d2976826f796b201df3131a127e8a392"));
  check_rtcp(SrtpSuite::kAeadAes128Gcm, kGcmKey, kCmRtcp,
             hex("81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025"
                 "c52c6fbea2b3b446ea31123ba88ce61e 80000001"));
}

// Every suite: the RFC 7714 packets (a longer payload, sequence 0xf17b) protected by a context
// from a master key equal the reference's packets from the same master key.
TEST_F(SrtpVectors, EverySuiteMatchesTheRfcValidatedReference) {
  const Bytes key_bytes = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  for (const SrtpSuiteInfo& s : srtp_suites()) {
    SCOPED_TRACE(s.name);
    Bytes key_salt(key_bytes.begin(), key_bytes.begin() + static_cast<long>(s.key_length));
    const Bytes salt = s.salt_length == 12 ? kRfc7714Salt : hex("0ec675ad498afeebb6960b3aabe6");
    key_salt.insert(key_salt.end(), salt.begin(), salt.end());
    check_rtp(s.suite, key_salt, kRfc7714Rtp, reference_rtp(s.suite, key_salt, kRfc7714Rtp));
    // The first SRTCP packet a context sends has index 1.
    check_rtcp(s.suite, key_salt, kRfc7714Rtcp, reference_rtcp(s.suite, key_salt, kRfc7714Rtcp, 1));
  }
}

// The counter-mode keystream runs across partial blocks and the cipher's batches of 16 blocks:
// every payload length from 0 to 40 octets and lengths around 256 octets, RTP and RTCP, match the
// reference (an EVP AES-CTR context) for the AES-CM suites.
TEST_F(SrtpVectors, AesCmMatchesTheReferenceAtEveryPayloadLength) {
  const Bytes key_salt = hex("e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6");
  const Bytes header(kRfc7714Rtp.begin(), kRfc7714Rtp.begin() + 12);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 40; ++n) lengths.push_back(n);
  for (size_t n : {239, 240, 241, 255, 256, 257, 272, 300, 1200}) lengths.push_back(n);
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32}) {
    for (size_t n : lengths) {
      SCOPED_TRACE(fmt::format("{} octets", n));
      Bytes rtp = header;
      for (size_t i = 0; i < n; ++i) rtp.push_back(static_cast<uint8_t>(i * 7 + 1));
      check_rtp(suite, key_salt, rtp, reference_rtp(suite, key_salt, rtp));
      Bytes rtcp(kRfc7714Rtcp.begin(), kRfc7714Rtcp.begin() + 8);
      rtcp.insert(rtcp.end(), rtp.begin() + 12, rtp.end());
      check_rtcp(suite, key_salt, rtcp, reference_rtcp(suite, key_salt, rtcp, 1));
    }
  }
}

}  // namespace
}  // namespace sbc::dp
