#include "dataplane/config/dp_config_sections.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sbc::dp::config_detail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Values values(std::initializer_list<std::pair<const std::string, std::string>> options) {
  return Values(std::map<std::string, std::string>(options));
}

template <typename T>
std::string error_of(const std::expected<T, std::string>& result) {
  EXPECT_FALSE(result.has_value());
  return result ? std::string() : result.error();
}

TEST(DpConfigProcess, ControlSocketNeedsAPathThatFitsSunPath) {
  Config config;
  ASSERT_TRUE(read_process(values({{"dataplane.control_socket", "/tmp/dp.sock"},
                                   {"dataplane.eal_args", "--no-huge  -m 64"}}),
                           config)
                  .has_value());
  EXPECT_EQ(config.control_socket, "/tmp/dp.sock");
  EXPECT_THAT(config.eal_args, ElementsAre("--no-huge", "-m", "64"));

  // 107 bytes and the NUL fill sockaddr_un::sun_path; 108 do not fit.
  Config fits;
  EXPECT_TRUE(
      read_process(values({{"dataplane.control_socket", "/" + std::string(106, 's')}}), fits)
          .has_value());
  Config too_long;
  EXPECT_THAT(error_of(read_process(
                  values({{"dataplane.control_socket", "/" + std::string(107, 's')}}), too_long)),
              HasSubstr("dataplane.control_socket: needs a path of 1..107 bytes"));
  EXPECT_EQ(too_long.control_socket, Config{}.control_socket);
  Config empty;
  EXPECT_THAT(error_of(read_process(values({{"dataplane.control_socket", ""}}), empty)),
              HasSubstr("dataplane.control_socket"));
}

TEST(DpConfigLcores, DefaultsToOneMainAndOneWorker) {
  Config config;
  ASSERT_TRUE(read_lcores(values({}), config).has_value());
  EXPECT_THAT(config.lcore_ids, ElementsAre(0u, 1u));
  EXPECT_EQ(config.idle_policy, IdlePolicy::kBackoff);
}

TEST(DpConfigLcores, ErrorsNameTheOption) {
  Config config;
  EXPECT_THAT(error_of(read_lcores(values({{"dataplane.lcores", "0-65"}}), config)),
              HasSubstr("dataplane.lcores: at most 64 workers"));
  EXPECT_TRUE(read_lcores(values({{"dataplane.lcores", "0-64"}}), config).has_value());
  EXPECT_EQ(config.worker_count(), 64u);
  EXPECT_THAT(error_of(read_lcores(values({{"dataplane.lcores", "x"}}), config)),
              HasSubstr("dataplane.lcores: 'x' is not an lcore list"));
  Config policy;
  EXPECT_THAT(error_of(read_lcores(values({{"dataplane.idle_policy", "Poll"}}), policy)),
              HasSubstr("dataplane.idle_policy: 'Poll' is neither 'poll' nor 'backoff'"));
  ASSERT_TRUE(read_lcores(values({{"dataplane.idle_policy", "poll"}}), policy).has_value());
  EXPECT_EQ(policy.idle_policy, IdlePolicy::kPoll);
}

TEST(DpConfigLcores, TranscodingLcoresAreCpusOfTheirOwn) {
  Config none;
  ASSERT_TRUE(read_lcores(values({}), none).has_value());
  EXPECT_TRUE(none.transcode_cpus.empty());
  Config config;
  ASSERT_TRUE(
      read_lcores(values({{"dataplane.lcores", "0-1"}, {"dataplane.transcode_lcores", "1,3"}}),
                  config)
          .has_value());
  EXPECT_THAT(config.transcode_cpus, ElementsAre(1u, 3u));
  Config bad;
  EXPECT_THAT(error_of(read_lcores(values({{"dataplane.transcode_lcores", "a"}}), bad)),
              HasSubstr("dataplane.transcode_lcores: 'a' is not an lcore list"));
  EXPECT_THAT(error_of(read_lcores(values({{"dataplane.transcode_lcores", "0-16"}}), bad)),
              HasSubstr("dataplane.transcode_lcores: at most 16 transcoding lcores"));
}

TEST(DpConfigCapacity, TranscodeCapacityIsCallsPerLcore) {
  Config config;
  ASSERT_TRUE(read_capacity(values({}), config).has_value());
  EXPECT_EQ(config.transcode_capacity, kDefaultTranscodeCapacity);
  ASSERT_TRUE(read_capacity(values({{"dataplane.transcode_capacity", "500"}}), config).has_value());
  EXPECT_EQ(config.transcode_capacity, 500u);
  EXPECT_THAT(error_of(read_capacity(values({{"dataplane.transcode_capacity", "0"}}), config)),
              HasSubstr("dataplane.transcode_capacity"));
}

TEST(DpConfigCapacity, BoundsOfThePoolAndTheSessionTable) {
  Config config;
  EXPECT_THAT(error_of(read_capacity(values({{"dataplane.mbuf_count", "1023"}}), config)),
              HasSubstr("dataplane.mbuf_count: 1023 is outside 1024..16777216"));
  EXPECT_THAT(error_of(read_capacity(values({{"dataplane.max_sessions", "4194305"}}), config)),
              HasSubstr("dataplane.max_sessions: 4194305 is outside 1..4194304"));
  ASSERT_TRUE(
      read_capacity(
          values({{"dataplane.mbuf_count", "1024"}, {"dataplane.max_sessions", "4194304"}}), config)
          .has_value());
  EXPECT_EQ(config.mbuf_count, 1024u);
  EXPECT_EQ(config.max_sessions, kMaxSessionsLimit);
}

TEST(DpConfigPuntPolicer, UntrustedBudgetIsNeverAboveTheTrustedOne) {
  Config config;
  ASSERT_TRUE(
      read_punt_policer(values({{"dataplane.punt_rate", "100"}, {"dataplane.punt_burst", "3000"}}),
                        config)
          .has_value());
  EXPECT_EQ(config.untrusted_punt_rate, 100u);   // the default follows the smaller rate
  EXPECT_EQ(config.untrusted_punt_burst, 256u);  // the default stays below the burst
  Config refused;
  EXPECT_THAT(error_of(read_punt_policer(values({{"dataplane.punt_rate", "100"},
                                                 {"dataplane.untrusted_punt_rate", "101"}}),
                                         refused)),
              HasSubstr("dataplane.untrusted_punt_rate: 101 is outside 1..100 (at most "
                        "dataplane.punt_rate)"));
  EXPECT_THAT(error_of(read_punt_policer(values({{"dataplane.punt_rate", "10000001"}}), refused)),
              HasSubstr("dataplane.punt_rate: 10000001 is outside 1..10000000"));
}

TEST(DpConfigSourceTable, MaxSources) {
  Config config;
  ASSERT_TRUE(read_source_table(values({}), config).has_value());
  EXPECT_EQ(config.max_sources, kDefaultMaxSources);
  EXPECT_THAT(error_of(read_source_table(values({{"dataplane.max_sources", "1 000"}}), config)),
              HasSubstr("dataplane.max_sources: '1 000' is not a number"));
}

Values port_values(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> values{
      {"port.p.device", "net_null0"}, {"port.p.tap", "t0"}, {"port.p.address", "10.0.0.1/24"}};
  for (auto& [key, value] : extra) values[key] = value;
  return Values(std::move(values));
}

TEST(DpConfigPort, ReadsOnePort) {
  auto port = read_port(port_values({{"port.p.gateway", "10.0.0.254"}}), "p");
  ASSERT_TRUE(port.has_value()) << port.error();
  EXPECT_EQ(port->name, "p");
  EXPECT_EQ(port->device, "net_null0");
  EXPECT_EQ(port->tap, "t0");
  EXPECT_EQ(port->address, (Ipv4Prefix{0x0a000001, 24}));
  EXPECT_EQ(port->gateway, 0x0a0000feu);
  // An empty gateway is no gateway.
  auto no_gateway = read_port(port_values({{"port.p.gateway", ""}}), "p");
  ASSERT_TRUE(no_gateway.has_value()) << no_gateway.error();
  EXPECT_FALSE(no_gateway->gateway.has_value());
}

TEST(DpConfigPort, ErrorsNameTheOption) {
  EXPECT_THAT(error_of(read_port(port_values({{"port.p.address", "10.0.0.0/0"}}), "p")),
              HasSubstr("port.p.address: needs a host address"));
  EXPECT_THAT(error_of(read_port(port_values({{"port.p.gateway", "10.0.0.1"}}), "p")),
              HasSubstr("port.p.gateway: 10.0.0.1 is not another host on 10.0.0.1/24"));
  EXPECT_THAT(error_of(read_port(port_values({{"port.p.gateway", "gw"}}), "p")),
              HasSubstr("port.p.gateway: 'gw' is not an IPv4 address"));
  EXPECT_THAT(error_of(read_port(port_values({{"port.p.tap", "t234567890123456"}}), "p")),
              HasSubstr("port.p.tap: 't234567890123456' is longer than 15 characters"));
  EXPECT_THAT(error_of(read_port(port_values(), "q")), HasSubstr("port.q.address: missing"));
}

TEST(DpConfigPort, MediaAddressesAreARangeOnThePortsSubnet) {
  auto port = read_port(port_values({{"port.p.media_addresses", "10.0.0.100 - 10.0.0.131"},
                                     {"port.p.gateway", "10.0.0.254"}}),
                        "p");
  ASSERT_TRUE(port.has_value()) << port.error();
  ASSERT_TRUE(port->media_addresses.has_value());
  EXPECT_EQ(port->media_addresses->first, 0x0a000064u);
  EXPECT_EQ(port->media_addresses->size(), 32u);
  auto one = read_port(port_values({{"port.p.media_addresses", "10.0.0.7"}}), "p");
  ASSERT_TRUE(one.has_value()) << one.error();
  EXPECT_EQ(one->media_addresses->size(), 1u);
  EXPECT_THAT(
      error_of(read_port(port_values({{"port.p.media_addresses", "10.0.0.9-10.0.0.8"}}), "p")),
      HasSubstr("port.p.media_addresses: '10.0.0.9-10.0.0.8' is not a.b.c.d-e.f.g.h"));
  EXPECT_THAT(
      error_of(read_port(port_values({{"port.p.media_addresses", "10.0.1.1-10.0.1.9"}}), "p")),
      HasSubstr("port.p.media_addresses: 10.0.1.1-10.0.1.9 is not on 10.0.0.1/24"));
  EXPECT_THAT(
      error_of(read_port(port_values({{"port.p.media_addresses", "10.0.0.1-10.0.0.9"}}), "p")),
      HasSubstr("holds the port's address or its gateway"));
  EXPECT_THAT(error_of(read_port(port_values({{"port.p.address", "10.0.0.1/16"},
                                              {"port.p.media_addresses", "10.0.8.0-10.0.15.255"}}),
                                 "p")),
              HasSubstr("port.p.media_addresses: 2048 addresses, at most 1024"));
  EXPECT_THAT(error_of(read_port(port_values({{"port.p.tap", "sbc-access-00"},
                                              {"port.p.media_addresses", "10.0.0.10-10.0.0.20"}}),
                                 "p")),
              HasSubstr("port.p.tap: 'sbc-access-00' leaves no room for the media addresses"));
}

TEST(DpConfigPort, FitsBesideTheOtherPorts) {
  Config config;
  config.lcore_ids = {0, 1};
  config.ports.push_back(
      {"a", "net_null0,size=64", "t0", {0x0a000001, 24}, std::nullopt, std::nullopt});
  const PortConfig same_tap{"b", "net_null1", "t0", {0x0a000101, 24}, std::nullopt, std::nullopt};
  EXPECT_THAT(error_of(check_port_fits(same_tap, config)),
              HasSubstr("port.b.tap: 't0' is used by another port"));
  const PortConfig same_device{"b",          "net_null0", "t1", {0x0a000101, 24},
                               std::nullopt, std::nullopt};
  EXPECT_THAT(error_of(check_port_fits(same_device, config)),
              HasSubstr("port.b.device: 'net_null0' is used by another port"));
  const PortConfig af_packet{
      "b", "net_af_packet0,iface=x", "t1", {0x0a000101, 24}, std::nullopt, std::nullopt};
  EXPECT_TRUE(check_port_fits(af_packet, config).has_value());
  // No local address on two ports: neither a port's own nor its media addresses.
  PortConfig overlapping{"b",          "net_null1",
                         "t1",         {0x0a000101, 24},
                         std::nullopt, Ipv4Range{0x0a000101 + 10, 0x0a000101 + 20}};
  EXPECT_TRUE(check_port_fits(overlapping, config).has_value());
  config.ports[0].media_addresses = Ipv4Range{0x0a000101 + 15, 0x0a000101 + 30};
  EXPECT_THAT(error_of(check_port_fits(overlapping, config)),
              HasSubstr("port.b: its addresses overlap port.a's"));
  config.ports[0].media_addresses = Ipv4Range{0x0a000101, 0x0a000101};
  overlapping.media_addresses.reset();
  EXPECT_THAT(error_of(check_port_fits(overlapping, config)),
              HasSubstr("port.b: its addresses overlap port.a's"));
  config.ports[0].media_addresses.reset();
  // Several workers: one af_packet queue pair each, set by build_eal_args or named to match.
  config.lcore_ids = {0, 1, 2};
  config.lcores = "0-2";
  EXPECT_TRUE(check_port_fits(af_packet, config).has_value());
  const PortConfig two_pairs{
      "b", "net_af_packet0,iface=x,qpairs=2", "t1", {0x0a000101, 24}, std::nullopt, std::nullopt};
  EXPECT_TRUE(check_port_fits(two_pairs, config).has_value());
  const PortConfig four_pairs{
      "b", "net_af_packet0,qpairs=4,iface=x", "t1", {0x0a000101, 24}, std::nullopt, std::nullopt};
  EXPECT_THAT(error_of(check_port_fits(four_pairs, config)),
              HasSubstr("port.b.device: qpairs=4 but dataplane.lcores '0-2' gives 2 workers"));
}

}  // namespace
}  // namespace sbc::dp::config_detail
