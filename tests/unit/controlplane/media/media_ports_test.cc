#include "controlplane/media/media_ports.h"

#include <gtest/gtest.h>

#include <set>

namespace sbc::cp {
namespace {

TEST(MediaPortsTest, AllocatesEvenPortsUntilExhausted) {
  MediaPortAllocator ports(20000, 20009);  // pairs 20000, 20002, ..., 20008
  EXPECT_EQ(ports.capacity(), 5u);
  std::set<uint16_t> seen;
  for (int i = 0; i < 5; ++i) {
    auto p = ports.allocate(0);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p % 2, 0);
    EXPECT_GE(*p, 20000);
    EXPECT_LE(*p + 1, 20009);
    EXPECT_TRUE(seen.insert(*p).second);
  }
  auto none = ports.allocate(0);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error(), MediaPortError::kExhausted);
  EXPECT_EQ(ports.in_use(0), 5u);
}

TEST(MediaPortsTest, OddMaxExcludesIncompletePair) {
  MediaPortAllocator ports(20000, 20004);  // 20004 has no RTCP port 20005
  EXPECT_EQ(ports.capacity(), 2u);
}

TEST(MediaPortsTest, PoolsArePerDataplanePort) {
  MediaPortAllocator ports(20000, 20001);
  EXPECT_EQ(*ports.allocate(0), 20000);
  EXPECT_EQ(*ports.allocate(1), 20000);
  EXPECT_FALSE(ports.allocate(0).has_value());
}

TEST(MediaPortsTest, ReleasedPortsComeBackLast) {
  MediaPortAllocator ports(20000, 20005);
  const uint16_t a = *ports.allocate(0);
  const uint16_t b = *ports.allocate(0);
  ASSERT_TRUE(ports.release(0, a).has_value());
  EXPECT_EQ(*ports.allocate(0), 20004);  // the never-used one before the released one
  EXPECT_EQ(*ports.allocate(0), a);
  EXPECT_NE(a, b);
  EXPECT_EQ(ports.in_use(0), 3u);
}

TEST(MediaPortsTest, BadReleaseIsAnError) {
  MediaPortAllocator ports(20000, 20005);
  EXPECT_EQ(ports.release(0, 20000).error(), MediaPortError::kNotAllocated);  // never allocated
  const uint16_t a = *ports.allocate(0);
  EXPECT_EQ(ports.release(0, a + 1).error(), MediaPortError::kNotAllocated);  // odd
  EXPECT_EQ(ports.release(0, 30000).error(), MediaPortError::kNotAllocated);  // out of range
  EXPECT_EQ(ports.release(1, a).error(), MediaPortError::kNotAllocated);      // other port
  ASSERT_TRUE(ports.release(0, a).has_value());
  EXPECT_EQ(ports.release(0, a).error(), MediaPortError::kNotAllocated);  // double release
  EXPECT_EQ(ports.in_use(0), 0u);
}

TEST(MediaPortsTest, ClaimTakesAGivenPairOutOfThePool) {
  MediaPortAllocator ports(20000, 20009);  // 5 pairs
  ASSERT_TRUE(ports.claim(0, 20004).has_value());
  ASSERT_TRUE(ports.claim(0, 20000).has_value());
  EXPECT_EQ(ports.claim(0, 20004).error(), MediaPortError::kExhausted);     // in use
  EXPECT_EQ(ports.claim(0, 20003).error(), MediaPortError::kNotAllocated);  // odd
  EXPECT_EQ(ports.claim(0, 20010).error(), MediaPortError::kNotAllocated);  // outside
  EXPECT_EQ(ports.in_use(0), 2u);
  std::set<uint16_t> rest;
  for (int i = 0; i < 3; ++i) rest.insert(ports.allocate(0).value());
  EXPECT_EQ(rest, (std::set<uint16_t>{20002, 20006, 20008}));
  EXPECT_FALSE(ports.allocate(0).has_value());
  ASSERT_TRUE(ports.release(0, 20004).has_value());
  EXPECT_EQ(ports.allocate(0).value(), 20004);
  // A claim after releases and allocations finds the pair wherever the ring has it.
  ASSERT_TRUE(ports.release(0, 20006).has_value());
  ASSERT_TRUE(ports.release(0, 20002).has_value());
  ASSERT_TRUE(ports.claim(0, 20002).has_value());
  EXPECT_EQ(ports.allocate(0).value(), 20006);
  EXPECT_FALSE(ports.allocate(0).has_value());
}

}  // namespace
}  // namespace sbc::cp
