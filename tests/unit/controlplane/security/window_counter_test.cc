#include "controlplane/security/window_counter.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

TEST(WindowCounterTest, CountsInsideTheWindow) {
  WindowCounter<6> c;
  EXPECT_EQ(c.total(0), 0u);
  c.add(10);
  c.add(10);
  c.add(12, 3);
  EXPECT_EQ(c.total(12), 5u);
  EXPECT_EQ(c.total(15), 5u);  // slots 10..15
  EXPECT_EQ(c.total(16), 3u);  // slot 10 left the window
  EXPECT_EQ(c.total(17), 3u);
  EXPECT_EQ(c.total(18), 0u);
  EXPECT_EQ(c.total(100), 0u);
}

TEST(WindowCounterTest, AdvancingClearsOldSlots) {
  WindowCounter<6> c;
  c.add(0, 7);
  c.add(3);
  c.add(6);  // slot 0 reused by 6
  EXPECT_EQ(c.total(6), 2u);
  c.add(100);  // a jump past the window empties everything
  EXPECT_EQ(c.total(100), 1u);
  c.add(99);  // an older slot (a clock that went back) counts in the current one
  EXPECT_EQ(c.total(100), 2u);
  c.clear();
  EXPECT_EQ(c.total(100), 0u);
}

TEST(WindowCounterTest, Saturates) {
  WindowCounter<2> c;
  c.add(1, 0xffffffffu);
  c.add(1, 5);
  c.add(2, 0xffffffffu);
  EXPECT_EQ(c.total(2), 0xffffffffu);
}

TEST(WindowCounterTest, NegativeSlotsWork) {
  WindowCounter<4> c;
  c.add(-5);
  c.add(-3);
  EXPECT_EQ(c.total(-3), 2u);
  EXPECT_EQ(c.total(-1), 1u);
  EXPECT_EQ(c.total(1), 0u);
}

}  // namespace
}  // namespace sbc::cp
