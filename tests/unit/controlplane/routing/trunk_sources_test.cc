#include "controlplane/routing/trunk_sources.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <string>

#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

using boost::asio::ip::make_address;

// Zones sorted by name: access (0), carrier (1). Both trunks are on carrier; carrier2's allow
// list covers carrier1's host too.
const std::string kConfig = testing::kTwoZoneConfig +
                            "[trunk.carrier2]\nzone = carrier\nhost = 198.51.100.20\n"
                            "allow = 198.51.100.0/24, 2001:db8::/32\n";

Config parsed(const std::string& text = kConfig) {
  auto config = parse_config(text);
  EXPECT_TRUE(config.has_value()) << config.error();
  return std::move(*config);
}

TEST(TrunkSourcesTest, TheMostSpecificAllowEntryWins) {
  const Config config = parsed();
  const TrunkSources sources(config.zones, config.trunks);
  EXPECT_EQ(sources.trunk_of(1, make_address("198.51.100.10")), 0u);  // its /32 beats the /24
  EXPECT_EQ(sources.trunk_of(1, make_address("198.51.100.20")), 1u);
  EXPECT_EQ(sources.trunk_of(1, make_address("198.51.100.77")), 1u);
  EXPECT_EQ(sources.trunk_of(1, make_address("2001:db8::5")), 1u);
}

TEST(TrunkSourcesTest, AV4MappedSourceIsItsIpv4Address) {
  const Config config = parsed();
  const TrunkSources sources(config.zones, config.trunks);
  EXPECT_EQ(sources.trunk_of(1, make_address("::ffff:198.51.100.10")), 0u);
}

TEST(TrunkSourcesTest, NoTrunkForOtherSourcesZonesOrIndices) {
  const Config config = parsed();
  const TrunkSources sources(config.zones, config.trunks);
  EXPECT_FALSE(sources.trunk_of(1, make_address("203.0.113.9")).has_value());
  // The access zone has no trunk, whatever the source.
  EXPECT_FALSE(sources.trunk_of(0, make_address("198.51.100.10")).has_value());
  EXPECT_FALSE(sources.trunk_of(7, make_address("198.51.100.10")).has_value());
  EXPECT_FALSE(TrunkSources().trunk_of(0, make_address("198.51.100.10")).has_value());
}

}  // namespace
}  // namespace sbc::cp
