#include "controlplane/security/media_address_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;

class MediaAddressPolicyTest : public ::testing::Test {
 protected:
  MediaAddressPolicy policy_{
      {ip::make_address("192.0.2.1"), ip::make_address("198.51.100.1"),
       ip::make_address("2001:db8::1")},
      {IpNetwork::parse("192.0.2.0/24").value(), IpNetwork::parse("198.51.100.0/25").value(),
       IpNetwork::parse("203.0.113.8/31").value()}};

  std::string verdict(const std::string& text) const {
    auto r = policy_.check(ip::make_address(text));
    return r ? std::string(to_string(*r)) : std::string("ok");
  }
};

TEST_F(MediaAddressPolicyTest, RoutableUnicastIsAccepted) {
  for (const char* a : {"192.0.2.10", "198.51.100.10", "10.1.2.3", "172.16.0.9", "100.64.0.1",
                        "8.8.8.8", "223.255.255.254", "192.0.2.254", "203.0.113.9", "2001:db8::10",
                        "2001:db8:1::", "fd00::1", "::ffff:192.0.2.10"}) {
    EXPECT_EQ(verdict(a), "ok") << a;
  }
}

TEST_F(MediaAddressPolicyTest, RefusedByKind) {
  EXPECT_EQ(verdict("0.0.0.0"), "unspecified");  // legacy hold: not in a new offer/answer
  EXPECT_EQ(verdict("::"), "unspecified");
  EXPECT_EQ(verdict("::ffff:0.0.0.0"), "unspecified");
  EXPECT_EQ(verdict("127.0.0.1"), "loopback");
  EXPECT_EQ(verdict("127.255.0.9"), "loopback");
  EXPECT_EQ(verdict("::1"), "loopback");
  EXPECT_EQ(verdict("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(verdict("224.0.0.1"), "multicast");
  EXPECT_EQ(verdict("239.255.255.250"), "multicast");
  EXPECT_EQ(verdict("ff02::1"), "multicast");
  EXPECT_EQ(verdict("255.255.255.255"), "broadcast");
  EXPECT_EQ(verdict("192.0.2.255"), "broadcast");     // directed broadcast of a port's /24
  EXPECT_EQ(verdict("198.51.100.127"), "broadcast");  // ... and of a /25
  EXPECT_EQ(verdict("169.254.10.1"), "link_local");
  EXPECT_EQ(verdict("fe80::1"), "link_local");
  EXPECT_EQ(verdict("0.1.2.3"), "this_network");
  EXPECT_EQ(verdict("240.0.0.1"), "reserved");
  EXPECT_EQ(verdict("192.0.2.1"), "own_address");
  EXPECT_EQ(verdict("198.51.100.1"), "own_address");
  EXPECT_EQ(verdict("2001:db8::1"), "own_address");
  EXPECT_EQ(verdict("::ffff:192.0.2.1"), "own_address");
}

TEST_F(MediaAddressPolicyTest, LabelsAreDistinct) {
  std::vector<std::string_view> labels;
  for (MediaAddressRefusal r : kMediaAddressRefusals) labels.push_back(to_string(r));
  std::ranges::sort(labels);
  EXPECT_EQ(std::ranges::adjacent_find(labels), labels.end());
  EXPECT_EQ(labels.size(), 8u);
}

}  // namespace
}  // namespace sbc::cp
