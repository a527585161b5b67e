// Media port leases: released on destruction, moved without a double release.
#include "controlplane/media/port_lease.h"

#include <gtest/gtest.h>

#include <utility>

namespace sbc::cp {
namespace {

TEST(PortLeaseTest, ReleasesItsPortWhenDestroyed) {
  MediaPortAllocator ports(20000, 20003);
  {
    auto lease = PortLease::allocate(ports, 1);
    ASSERT_TRUE(lease.has_value());
    EXPECT_TRUE(lease->held());
    EXPECT_EQ(lease->dataplane_port(), 1);
    EXPECT_EQ(lease->rtp_port(), 20000);
    EXPECT_EQ(ports.in_use(1), 1u);
  }
  EXPECT_EQ(ports.in_use(1), 0u);
}

TEST(PortLeaseTest, MovedLeaseReleasesOnce) {
  MediaPortAllocator ports(20000, 20003);
  auto first = PortLease::allocate(ports, 0);
  ASSERT_TRUE(first.has_value());
  PortLease moved = std::move(*first);
  EXPECT_FALSE(first->held());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(ports.in_use(0), 1u);
  PortLease other = *PortLease::allocate(ports, 0);
  EXPECT_EQ(ports.in_use(0), 2u);
  other = std::move(moved);  // the pair `other` held goes back, `moved`'s stays held
  EXPECT_EQ(ports.in_use(0), 1u);
  EXPECT_EQ(other.rtp_port(), 20000);
  other.reset();
  EXPECT_EQ(ports.in_use(0), 0u);
  EXPECT_EQ(other.rtp_port(), 0);
}

TEST(PortLeaseTest, ExhaustedAndClaimedPairs) {
  MediaPortAllocator ports(20000, 20003);  // two pairs
  auto claimed = PortLease::claim(ports, 0, 20002);
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->rtp_port(), 20002);
  auto again = PortLease::claim(ports, 0, 20002);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), MediaPortError::kExhausted);
  auto next = PortLease::allocate(ports, 0);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->rtp_port(), 20000);
  auto none = PortLease::allocate(ports, 0);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error(), MediaPortError::kExhausted);
  EXPECT_EQ(ports.in_use(0), 2u);
}

}  // namespace
}  // namespace sbc::cp
