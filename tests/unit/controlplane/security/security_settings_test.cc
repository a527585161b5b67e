// The security settings' user lookup: a binary search of the users sorted by name.
#include "controlplane/security/security_settings.h"

#include <gtest/gtest.h>

#include <vector>

namespace sbc::cp {
namespace {

TEST(SecuritySettingsTest, FindUserFindsExactNamesOnly) {
  std::vector<UserConfig> users(3);
  users[0].name = "alice";
  users[1].name = "bob";
  users[2].name = "carol";
  EXPECT_EQ(find_user(users, "alice"), &users[0]);
  EXPECT_EQ(find_user(users, "carol"), &users[2]);
  EXPECT_EQ(find_user(users, "bo"), nullptr);
  EXPECT_EQ(find_user(users, "dave"), nullptr);
  EXPECT_EQ(find_user({}, "alice"), nullptr);
}

}  // namespace
}  // namespace sbc::cp
