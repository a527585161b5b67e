// The trunk settings' lookups: a zone some trunk uses faces carriers; the access zone is the one
// (not retired) no trunk uses.
#include "controlplane/routing/trunk_settings.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace sbc::cp {
namespace {

std::vector<ZoneConfig> zones(std::initializer_list<const char*> names) {
  std::vector<ZoneConfig> out;
  for (const char* name : names) {
    out.emplace_back();
    out.back().name = name;
  }
  return out;
}

std::vector<TrunkConfig> one_trunk_on(const char* zone) {
  std::vector<TrunkConfig> trunks(1);
  trunks[0].name = "carrier1";
  trunks[0].zone = zone;
  return trunks;
}

TEST(TrunkSettingsTest, AZoneSomeTrunkUsesIsATrunkZone) {
  const std::vector<TrunkConfig> trunks = one_trunk_on("carrier");
  EXPECT_TRUE(is_trunk_zone(trunks, "carrier"));
  EXPECT_FALSE(is_trunk_zone(trunks, "access"));
  EXPECT_FALSE(is_trunk_zone({}, "carrier"));
}

TEST(TrunkSettingsTest, TheAccessZoneIsTheOneNoTrunkUsesAndNotRetired) {
  const std::vector<TrunkConfig> trunks = one_trunk_on("carrier");
  std::vector<ZoneConfig> z = zones({"access", "carrier", "phones"});
  EXPECT_EQ(&access_zone(z, trunks), &z[0]);
  z[0].retired = true;  // a reload replaced it by "phones"
  EXPECT_EQ(&access_zone(z, trunks), &z[2]);
}

}  // namespace
}  // namespace sbc::cp
