#include "controlplane/sip/ids.h"

#include <gtest/gtest.h>

#include <set>

#include "controlplane/sip/via.h"

namespace sbc::cp::sip {
namespace {

bool all_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(Ids, ShapesAndUniqueness) {
  IdGenerator ids;
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) {  // crosses several pool refills
    const std::string tag = ids.tag();
    EXPECT_EQ(tag.size(), 16u);
    EXPECT_TRUE(all_hex(tag));
    const std::string branch = ids.branch();
    EXPECT_TRUE(branch.starts_with(kBranchMagicCookie));
    EXPECT_EQ(branch.size(), 29u);
    EXPECT_TRUE(all_hex(std::string_view(branch).substr(7)));
    EXPECT_TRUE(seen.insert(tag).second);
    EXPECT_TRUE(seen.insert(branch).second);
  }
  const std::string cid = ids.call_id("192.0.2.1");
  EXPECT_EQ(cid.size(), 32u + 10u);
  EXPECT_TRUE(cid.ends_with("@192.0.2.1"));
  EXPECT_EQ(ids.call_id().size(), 32u);
  EXPECT_EQ(ids.hex(5).size(), 5u);
}

}  // namespace
}  // namespace sbc::cp::sip
