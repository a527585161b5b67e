// media_profile, srtp_suites, codecs and dtmf of zones and trunks (config_media.cc): defaults, a
// trunk's override over its zone's, and each malformed value named with its option.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/config/config.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

using sip::SdesSuite;

std::expected<Config, std::string> parse(const std::string& extra) {
  return parse_config(testing::kTwoZoneConfig + extra);
}

TEST(ConfigMediaTest, DefaultsAreAsOfferedWithEverySuite) {
  auto config = parse("");
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->zones[0].media, MediaPolicy{});
  EXPECT_EQ(config->zones[0].media.profile, MediaProfile::kAsOffered);
  EXPECT_EQ(config->zones[0].media.srtp_suites.size(), 4U);
  EXPECT_EQ(config->trunks[0].media, MediaPolicyOverride{});
  EXPECT_TRUE(config->zones[0].media.codecs.empty());  // as offered
  EXPECT_TRUE(config->zones[0].media.allows(api::MediaCodec::kG729));
  EXPECT_EQ(config->zones[0].media.dtmf, DtmfMode::kAsOffered);
}

TEST(ConfigMediaTest, CodecListsKeepTheirOrderAndTrunksOverrideThem) {
  auto config = parse(
      "[zone.carrier]\ncodecs = pcma, G722, OPUS\ndtmf = inband\n"
      "[trunk.carrier1]\ncodecs = G729, PCMU\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  const MediaPolicy& zone = config->zones[1].media;
  EXPECT_EQ(zone.codecs,
            (std::vector<api::MediaCodec>{api::MediaCodec::kPcma, api::MediaCodec::kG722,
                                          api::MediaCodec::kOpus}));
  EXPECT_FALSE(zone.allows(api::MediaCodec::kPcmu));
  const MediaPolicy trunk = config->trunks[0].media.over(zone);
  EXPECT_EQ(trunk.codecs,
            (std::vector<api::MediaCodec>{api::MediaCodec::kG729, api::MediaCodec::kPcmu}));
  EXPECT_EQ(trunk.dtmf, DtmfMode::kInband);  // the zone's
}

TEST(ConfigMediaTest, ZoneKeysAndTrunkOverridesEachReplaceOneSetting) {
  auto config = parse(
      "[zone.carrier]\nmedia_profile = srtp\n"
      "srtp_suites = AEAD_AES_256_GCM, AES_CM_128_HMAC_SHA1_80\n"
      "[trunk.carrier1]\nmedia_profile = rtp\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  const MediaPolicy& zone = config->zones[1].media;
  EXPECT_EQ(zone.profile, MediaProfile::kSrtp);
  EXPECT_EQ(zone.srtp_suites,
            (std::vector<SdesSuite>{SdesSuite::kAeadAes256Gcm, SdesSuite::kAesCm128HmacSha1_80}));
  const MediaPolicy trunk = config->trunks[0].media.over(zone);
  EXPECT_EQ(trunk.profile, MediaProfile::kRtp);    // the trunk's own
  EXPECT_EQ(trunk.srtp_suites, zone.srtp_suites);  // the zone's
  EXPECT_FALSE(trunk.allows(SdesSuite::kAesCm128HmacSha1_32));
}

TEST(ConfigMediaTest, MalformedValuesNameTheirOption) {
  const std::pair<const char*, const char*> bad[] = {
      {"[zone.access]\nmedia_profile = SAVP\n", "zone.access.media_profile"},
      {"[trunk.carrier1]\nmedia_profile = \n", "trunk.carrier1.media_profile"},
      {"[zone.access]\nsrtp_suites = AES_CM_128_HMAC_SHA1_80, F8_128_HMAC_SHA1_80\n",
       "zone.access.srtp_suites"},
      {"[zone.access]\nsrtp_suites = AEAD_AES_128_GCM, AEAD_AES_128_GCM\n",
       "zone.access.srtp_suites"},
      {"[trunk.carrier1]\nsrtp_suites = AEAD_AES_128_GCM,\n", "trunk.carrier1.srtp_suites"},
      {"[zone.access]\ncodecs = PCMU, GSM\n", "zone.access.codecs"},
      {"[zone.access]\ncodecs = PCMU, pcmu\n", "zone.access.codecs"},
      {"[trunk.carrier1]\ncodecs = \n", "trunk.carrier1.codecs"},
      {"[trunk.carrier1]\ndtmf = info\n", "trunk.carrier1.dtmf"},
  };
  for (const auto& [text, option] : bad) {
    auto config = parse(text);
    ASSERT_FALSE(config.has_value()) << text;
    EXPECT_NE(config.error().find(option), std::string::npos) << config.error();
  }
}

}  // namespace
}  // namespace sbc::cp
