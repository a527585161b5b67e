#include "controlplane/security/acl.h"

#include <gtest/gtest.h>

#include <vector>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;

ip::address addr(const char* text) {
  return ip::make_address(text);
}

std::vector<IpNetwork> nets(std::initializer_list<const char*> texts) {
  std::vector<IpNetwork> out;
  for (const char* t : texts) out.push_back(IpNetwork::parse(t).value());
  return out;
}

TEST(AclTest, DefaultAllowsEveryone) {
  const Acl acl;
  EXPECT_TRUE(acl.empty());
  EXPECT_TRUE(acl.allows(addr("192.0.2.1")));
  EXPECT_TRUE(acl.allows(addr("2001:db8::1")));
}

TEST(AclTest, AllowListDeniesTheRest) {
  const Acl acl(nets({"198.51.100.0/24", "2001:db8::/32"}), {});
  EXPECT_FALSE(acl.empty());
  EXPECT_TRUE(acl.allows(addr("198.51.100.10")));
  EXPECT_TRUE(acl.allows(addr("::ffff:198.51.100.10")));
  EXPECT_TRUE(acl.allows(addr("2001:db8::5")));
  EXPECT_FALSE(acl.allows(addr("198.51.101.10")));
  EXPECT_FALSE(acl.allows(addr("2001:db9::5")));
  EXPECT_EQ(acl.allow_list().size(), 2u);
  EXPECT_TRUE(acl.deny_list().empty());
}

TEST(AclTest, DenyOnlyAllowsTheRest) {
  const Acl acl({}, nets({"203.0.113.0/24"}));
  EXPECT_FALSE(acl.allows(addr("203.0.113.7")));
  EXPECT_FALSE(acl.allows(addr("::ffff:203.0.113.7")));
  EXPECT_TRUE(acl.allows(addr("203.0.114.7")));
  EXPECT_TRUE(acl.allows(addr("2001:db8::1")));
}

TEST(AclTest, LongestPrefixDecides) {
  // A carrier's /24 allowed except one bad host; a denied /16 with an allowed /24 hole.
  const Acl acl(nets({"198.51.100.0/24", "10.20.30.0/24"}),
                nets({"198.51.100.66", "10.20.0.0/16"}));
  EXPECT_TRUE(acl.allows(addr("198.51.100.65")));
  EXPECT_FALSE(acl.allows(addr("198.51.100.66")));
  EXPECT_TRUE(acl.allows(addr("10.20.30.1")));
  EXPECT_FALSE(acl.allows(addr("10.20.31.1")));
  EXPECT_FALSE(acl.allows(addr("192.0.2.1")));  // no match, allow list not empty
}

TEST(AclTest, TieGoesToDeny) {
  const Acl acl(nets({"192.0.2.0/24", "2001:db8::/32"}), nets({"192.0.2.0/24", "2001:db8::/32"}));
  EXPECT_FALSE(acl.allows(addr("192.0.2.1")));
  EXPECT_FALSE(acl.allows(addr("2001:db8::1")));
}

TEST(AclTest, FamiliesAreSeparate) {
  const Acl acl(nets({"::/0"}), {});
  EXPECT_TRUE(acl.allows(addr("2001:db8::1")));
  EXPECT_FALSE(acl.allows(addr("192.0.2.1")));
  const Acl v4all(nets({"0.0.0.0/0"}), nets({"2001:db8::/32"}));
  EXPECT_TRUE(v4all.allows(addr("192.0.2.1")));
  EXPECT_FALSE(v4all.allows(addr("2001:db8::1")));
  EXPECT_FALSE(v4all.allows(addr("2001:db9::1")));
}

}  // namespace
}  // namespace sbc::cp
