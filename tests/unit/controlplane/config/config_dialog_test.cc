// session_expires, min_se and 100rel of zones and trunks (config_dialog.cc): [sbcd]'s values as
// every zone's default, a trunk's over its zone's, and each bad value named with its option.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/config/config.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

std::expected<Config, std::string> parse(const std::string& extra,
                                         const std::string& sbcd = "[sbcd]\n") {
  return parse_config(sbcd + testing::kTwoZoneConfig + extra);
}

TEST(ConfigDialogTest, ZonesTakeSbcdTimersAndSupport100relByDefault) {
  auto config = parse("", "[sbcd]\nsession_expires = 600\nmin_se = 120\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  for (const ZoneConfig& zone : config->zones) {
    EXPECT_EQ(zone.dialog, (DialogPolicy{600, 120, Rel100::kSupported, ReferPolicy::kRelay}))
        << zone.name;
  }
  EXPECT_EQ(config->trunks[0].dialog, DialogPolicyOverride{});
}

TEST(ConfigDialogTest, ATrunkOverridesItsZone) {
  auto config = parse(
      "[zone.carrier]\nsession_expires = 900\n100rel = required\n"
      "[trunk.carrier1]\n100rel = off\nmin_se = 300\nrefer = refuse\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  const ZoneConfig& carrier = *config->find_zone("carrier");
  EXPECT_EQ(carrier.dialog, (DialogPolicy{900, 90, Rel100::kRequired, ReferPolicy::kRelay}));
  EXPECT_EQ(config->trunks[0].dialog.over(carrier.dialog),
            (DialogPolicy{900, 300, Rel100::kOff, ReferPolicy::kRefuse}));
}

TEST(ConfigDialogTest, BadValuesNameTheirOption) {
  auto bad_mode = parse("[zone.access]\n100rel = maybe\n");
  ASSERT_FALSE(bad_mode.has_value());
  EXPECT_NE(bad_mode.error().find("zone.access.100rel"), std::string::npos) << bad_mode.error();
  auto bad_refer = parse("[trunk.carrier1]\nrefer = maybe\n");
  ASSERT_FALSE(bad_refer.has_value());
  EXPECT_NE(bad_refer.error().find("trunk.carrier1.refer"), std::string::npos);
  auto low_min_se = parse("[trunk.carrier1]\nmin_se = 30\n");
  ASSERT_FALSE(low_min_se.has_value());
  EXPECT_NE(low_min_se.error().find("trunk.carrier1.min_se"), std::string::npos);
  // A trunk whose own min_se rises above its zone's session_expires.
  auto below = parse("[trunk.carrier1]\nmin_se = 3600\n");
  ASSERT_FALSE(below.has_value());
  EXPECT_NE(below.error().find("trunk.carrier1.session_expires"), std::string::npos)
      << below.error();
  EXPECT_TRUE(parse("[zone.access]\nsession_expires = 0\n").has_value());  // none offered
}

}  // namespace
}  // namespace sbc::cp
