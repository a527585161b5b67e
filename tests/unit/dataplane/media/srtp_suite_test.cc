#include "dataplane/media/srtp_suite.h"

#include <gtest/gtest.h>

namespace sbc::dp {
namespace {

TEST(SrtpSuite, TableGivesTheRfcLengths) {
  const SrtpSuiteInfo& cm80 = suite_info(SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(cm80.key_length, 16u);
  EXPECT_EQ(cm80.salt_length, 14u);
  EXPECT_EQ(rtp_trailer(SrtpSuite::kAesCm128HmacSha1_80), 10u);
  EXPECT_EQ(rtcp_trailer(SrtpSuite::kAesCm128HmacSha1_80), 14u);
  // _32 shortens the SRTP tag only; SRTCP keeps 80 bits (RFC 4568 section 6.2.2).
  EXPECT_EQ(rtp_trailer(SrtpSuite::kAesCm128HmacSha1_32), 4u);
  EXPECT_EQ(rtcp_trailer(SrtpSuite::kAesCm128HmacSha1_32), 14u);
  EXPECT_EQ(key_salt_length(SrtpSuite::kAeadAes128Gcm), 28u);
  EXPECT_EQ(key_salt_length(SrtpSuite::kAeadAes256Gcm), 44u);
  EXPECT_EQ(rtp_trailer(SrtpSuite::kAeadAes256Gcm), 16u);
  EXPECT_EQ(rtcp_trailer(SrtpSuite::kAeadAes128Gcm), 20u);
}

TEST(SrtpSuite, NamesRoundTrip) {
  ASSERT_EQ(srtp_suites().size(), 4u);
  for (const SrtpSuiteInfo& s : srtp_suites()) {
    EXPECT_EQ(srtp_suite_from_name(s.name), s.suite);
    EXPECT_EQ(to_string(s.suite), s.name);
    EXPECT_LE(s.key_length + s.salt_length, kMaxSrtpKeySaltLength);
  }
  EXPECT_EQ(srtp_suite_from_name("AEAD_AES_256_GCM"), SrtpSuite::kAeadAes256Gcm);
}

TEST(SrtpSuite, UnknownNamesAreNotSuites) {
  EXPECT_FALSE(srtp_suite_from_name(""));
  EXPECT_FALSE(srtp_suite_from_name("aes_cm_128_hmac_sha1_80"));
  EXPECT_FALSE(srtp_suite_from_name("F8_128_HMAC_SHA1_80"));
  EXPECT_FALSE(srtp_suite_from_name("AES_256_CM_HMAC_SHA1_80"));
  EXPECT_FALSE(srtp_suite_from_name("AES_CM_128_HMAC_SHA1_80 "));
}

}  // namespace
}  // namespace sbc::dp
