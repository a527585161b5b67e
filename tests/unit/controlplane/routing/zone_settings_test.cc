// The zone settings' lookups: which listeners a zone has, and which zone a name finds.
#include "controlplane/routing/zone_settings.h"

#include <gtest/gtest.h>

#include <vector>

namespace sbc::cp {
namespace {

TEST(ZoneSettingsTest, HasListenerLooksAtTheListenersNotTheTransportsKey) {
  ZoneConfig zone;
  zone.listeners.resize(2);
  zone.listeners[0].transport = Transport::kUdp;
  zone.listeners[1].transport = Transport::kTls;
  EXPECT_TRUE(zone.has_listener(Transport::kUdp));
  EXPECT_TRUE(zone.has_listener(Transport::kTls));
  EXPECT_FALSE(zone.has_listener(Transport::kTcp));  // in the default `transports`, not bound
}

TEST(ZoneSettingsTest, FindZoneSkipsRetiredZones) {
  std::vector<ZoneConfig> zones(3);
  zones[0].name = "access";
  zones[1].name = "carrier";
  zones[1].retired = true;
  zones[2].name = "backbone";
  EXPECT_EQ(find_zone(zones, "access"), &zones[0]);
  EXPECT_EQ(find_zone(zones, "backbone"), &zones[2]);
  EXPECT_EQ(find_zone(zones, "carrier"), nullptr);
  EXPECT_EQ(find_zone(zones, "nowhere"), nullptr);
}

TEST(ZoneSettingsTest, DigestAlgorithmNamesRoundTrip) {
  EXPECT_EQ(parse_digest_algorithm("SHA-256"), DigestAlgorithm::kSha256);
  EXPECT_EQ(parse_digest_algorithm("sha256"), DigestAlgorithm::kSha256);
  EXPECT_EQ(parse_digest_algorithm("Md5"), DigestAlgorithm::kMd5);
  EXPECT_EQ(parse_digest_algorithm("md5-sess"), std::nullopt);
  EXPECT_EQ(to_string(DigestAlgorithm::kSha256), "SHA-256");
  EXPECT_EQ(to_string(DigestAlgorithm::kMd5), "MD5");
}

}  // namespace
}  // namespace sbc::cp
