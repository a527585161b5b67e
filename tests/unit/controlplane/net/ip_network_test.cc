#include "controlplane/net/ip_network.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp {
namespace {

namespace ip = boost::asio::ip;

ip::address addr(const char* text) {
  return ip::make_address(text);
}

IpNetwork net(const char* text) {
  auto n = IpNetwork::parse(text);
  EXPECT_TRUE(n.has_value()) << text << ": " << (n ? "" : n.error());
  return n.value_or(IpNetwork{});
}

TEST(IpNetworkTest, ParsesV4AndV6) {
  const IpNetwork v4 = net("192.0.2.0/24");
  EXPECT_EQ(v4.address, addr("192.0.2.0"));
  EXPECT_EQ(v4.prefix_length, 24);
  EXPECT_EQ(v4.to_string(), "192.0.2.0/24");
  const IpNetwork v6 = net("2001:db8::/32");
  EXPECT_EQ(v6.address, addr("2001:db8::"));
  EXPECT_EQ(v6.prefix_length, 32);
  EXPECT_EQ(v6.to_string(), "2001:db8::/32");
  EXPECT_EQ(net("0.0.0.0/0").prefix_length, 0);
  EXPECT_EQ(net("::/0").prefix_length, 0);
  EXPECT_EQ(net("2001:db8::1/128").prefix_length, 128);
}

TEST(IpNetworkTest, BareAddressIsAHost) {
  EXPECT_EQ(net("198.51.100.10"), (IpNetwork{addr("198.51.100.10"), 32}));
  EXPECT_EQ(net("2001:db8::7"), (IpNetwork{addr("2001:db8::7"), 128}));
  EXPECT_EQ(net("198.51.100.10").to_string(), "198.51.100.10/32");
}

TEST(IpNetworkTest, HostBitsAreRefused) {
  auto n = IpNetwork::parse("192.0.2.1/24");
  ASSERT_FALSE(n.has_value());
  EXPECT_NE(n.error().find("host bits"), std::string::npos);
  EXPECT_NE(n.error().find("192.0.2.0/24"), std::string::npos);  // says what was meant
  EXPECT_FALSE(IpNetwork::parse("2001:db8::1/64").has_value());
  EXPECT_FALSE(IpNetwork::parse("10.0.0.128/24").has_value());
  EXPECT_FALSE(IpNetwork::parse("0.0.0.1/0").has_value());
  EXPECT_TRUE(IpNetwork::parse("10.0.0.128/25").has_value());
}

TEST(IpNetworkTest, MalformedIsRefused) {
  for (const char* bad :
       {"", "/24", "192.0.2.0/", "192.0.2.0/33", "2001:db8::/129", "192.0.2.0/-1", "192.0.2.0/+8",
        "192.0.2.0/0024", "192.0.2.0/24/1", "192.0.2", "192.0.2.256", "host.example",
        "fe80::1%eth0", "192.0.2.0 /24", "192.0.2.0/2x", "1.2.3.4.5"}) {
    auto n = IpNetwork::parse(bad);
    EXPECT_FALSE(n.has_value()) << bad;
  }
  // The error repeats the offending text so the config error can be acted on.
  EXPECT_NE(IpNetwork::parse("bogus").error().find("bogus"), std::string::npos);
}

TEST(IpNetworkTest, ContainsByPrefix) {
  const IpNetwork n = net("192.0.2.0/24");
  EXPECT_TRUE(n.contains(addr("192.0.2.0")));
  EXPECT_TRUE(n.contains(addr("192.0.2.255")));
  EXPECT_FALSE(n.contains(addr("192.0.3.0")));
  EXPECT_FALSE(n.contains(addr("2001:db8::1")));
  EXPECT_TRUE(net("0.0.0.0/0").contains(addr("203.0.113.9")));
  EXPECT_FALSE(net("0.0.0.0/0").contains(addr("2001:db8::1")));
  EXPECT_TRUE(net("10.0.0.128/25").contains(addr("10.0.0.200")));
  EXPECT_FALSE(net("10.0.0.128/25").contains(addr("10.0.0.127")));
  const IpNetwork v6 = net("2001:db8:0:1::/64");
  EXPECT_TRUE(v6.contains(addr("2001:db8:0:1:ffff::1")));
  EXPECT_FALSE(v6.contains(addr("2001:db8:0:2::1")));
  EXPECT_TRUE(net("2001:db8::/33").contains(addr("2001:db8:7fff::1")));
  EXPECT_FALSE(net("2001:db8::/33").contains(addr("2001:db8:8000::1")));
  EXPECT_TRUE(net("2001:db8::1/128").contains(addr("2001:db8::1")));
  EXPECT_FALSE(net("2001:db8::1/128").contains(addr("2001:db8::2")));
  // IPv6 networks never contain IPv4 addresses, not even ::/0.
  EXPECT_FALSE(net("::/0").contains(addr("192.0.2.1")));
}

TEST(IpNetworkTest, V4MappedIsIpv4) {
  // A v4-mapped source is matched as its IPv4 address.
  EXPECT_TRUE(net("192.0.2.0/24").contains(addr("::ffff:192.0.2.77")));
  EXPECT_FALSE(net("192.0.2.0/24").contains(addr("::ffff:192.0.3.77")));
  // A v4-mapped network is the IPv4 network.
  EXPECT_EQ(net("::ffff:192.0.2.0/120"), (IpNetwork{addr("192.0.2.0"), 24}));
  EXPECT_EQ(net("::ffff:192.0.2.1"), (IpNetwork{addr("192.0.2.1"), 32}));
  EXPECT_EQ(net("::ffff:0.0.0.0/96"), (IpNetwork{addr("0.0.0.0"), 0}));
  EXPECT_EQ(normalize(addr("::ffff:10.1.2.3")), addr("10.1.2.3"));
  EXPECT_EQ(normalize(addr("2001:db8::1")), addr("2001:db8::1"));
  EXPECT_EQ(normalize(addr("10.1.2.3")), addr("10.1.2.3"));
}

TEST(IpNetworkTest, ParsesLists) {
  auto list = parse_network_list("192.0.2.0/24, 2001:db8::/32 ,10.0.0.1");
  ASSERT_TRUE(list.has_value()) << list.error();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].to_string(), "192.0.2.0/24");
  EXPECT_EQ((*list)[1].to_string(), "2001:db8::/32");
  EXPECT_EQ((*list)[2].to_string(), "10.0.0.1/32");
  EXPECT_FALSE(parse_network_list("").has_value());
  EXPECT_FALSE(parse_network_list("192.0.2.0/24,").has_value());
  EXPECT_FALSE(parse_network_list("192.0.2.0/24,,10.0.0.0/8").has_value());
  auto bad = parse_network_list("10.0.0.0/8, 192.0.2.1/24");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("192.0.2.1/24"), std::string::npos);
}

TEST(IpNetworkTest, AddressKeysRoundTrip) {
  for (const char* a : {"192.0.2.1", "2001:db8::1", "::", "0.0.0.0", "255.255.255.255"}) {
    EXPECT_EQ(address_from_key(address_key(addr(a))), addr(a)) << a;
  }
  EXPECT_EQ(address_key(addr("::ffff:192.0.2.1")), address_key(addr("192.0.2.1")));
  EXPECT_NE(address_key(addr("192.0.2.1")), address_key(addr("192.0.2.2")));
  const AddressKeyHash h1{1};
  const AddressKeyHash h2{2};
  // Seeds change where a key lands (a table's layout cannot be predicted from outside).
  EXPECT_NE(h1(address_key(addr("192.0.2.1"))), h2(address_key(addr("192.0.2.1"))));
}

TEST(NetworkSetTest, LongestMatch) {
  const NetworkSet set({net("10.0.0.0/8"), net("10.1.0.0/16"), net("10.1.2.0/24"),
                        net("2001:db8::/32"), net("2001:db8:1::/48")});
  EXPECT_EQ(set.longest_match(addr("10.1.2.3")), 24);
  EXPECT_EQ(set.longest_match(addr("10.1.3.3")), 16);
  EXPECT_EQ(set.longest_match(addr("10.2.3.3")), 8);
  EXPECT_EQ(set.longest_match(addr("::ffff:10.2.3.3")), 8);
  EXPECT_EQ(set.longest_match(addr("11.0.0.1")), std::nullopt);
  EXPECT_EQ(set.longest_match(addr("2001:db8:1::5")), 48);
  EXPECT_EQ(set.longest_match(addr("2001:db8:2::5")), 32);
  EXPECT_EQ(set.longest_match(addr("2001:db9::5")), std::nullopt);
  EXPECT_FALSE(set.empty());
  EXPECT_TRUE(NetworkSet().empty());
  EXPECT_FALSE(NetworkSet().contains(addr("10.0.0.1")));
  EXPECT_TRUE(NetworkSet({net("0.0.0.0/0")}).contains(addr("203.0.113.1")));
  EXPECT_FALSE(NetworkSet({net("0.0.0.0/0")}).contains(addr("2001:db8::1")));
}

}  // namespace
}  // namespace sbc::cp
