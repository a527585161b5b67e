// api::SrtpSuite is the wire value; the dataplane (dp::SrtpSuite) and the SDP layer
// (sip::SdesSuite) have their own enums and map to and from it by SDES name. Every wire suite
// must name a suite of both, with the same key||salt length, and the other way round.
#include <gtest/gtest.h>

#include "api/control_protocol.h"
#include "controlplane/sip/sdp_crypto.h"
#include "dataplane/media/srtp_suite.h"

namespace sbc::api {
namespace {

constexpr SrtpSuite kWireSuites[] = {SrtpSuite::kAesCm128HmacSha1_80,
                                     SrtpSuite::kAesCm128HmacSha1_32, SrtpSuite::kAeadAes128Gcm,
                                     SrtpSuite::kAeadAes256Gcm};

TEST(SrtpSuiteMapping, EveryWireSuiteIsADataplaneAndAnSdesSuiteOfTheSameKeyLength) {
  for (SrtpSuite suite : kWireSuites) {
    const std::string_view name = to_string(suite);
    const auto dp_suite = dp::srtp_suite_from_name(name);
    ASSERT_TRUE(dp_suite.has_value()) << name;
    EXPECT_EQ(dp::to_string(*dp_suite), name);
    EXPECT_EQ(dp::key_salt_length(*dp_suite), srtp_key_salt_length(suite)) << name;
    const auto sdes = cp::sip::sdes_suite_from_name(name);
    ASSERT_TRUE(sdes.has_value()) << name;
    EXPECT_EQ(cp::sip::to_string(*sdes), name);
    EXPECT_EQ(cp::sip::sdes_key_salt_length(*sdes), srtp_key_salt_length(suite)) << name;
  }
  EXPECT_EQ(kMaxSrtpKeySaltLength, dp::kMaxSrtpKeySaltLength);
  EXPECT_EQ(kMaxSrtpKeySaltLength, cp::sip::kMaxSdesKeySaltLength);
}

TEST(SrtpSuiteMapping, EveryDataplaneSuiteHasAWireValue) {
  size_t mapped = 0;
  for (const dp::SrtpSuiteInfo& info : dp::srtp_suites()) {
    bool found = false;
    for (SrtpSuite suite : kWireSuites) found = found || to_string(suite) == info.name;
    EXPECT_TRUE(found) << info.name;
    mapped += found ? 1 : 0;
  }
  EXPECT_EQ(mapped, std::size(kWireSuites));
}

}  // namespace
}  // namespace sbc::api
