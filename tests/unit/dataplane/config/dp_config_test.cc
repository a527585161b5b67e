#include "dataplane/config/dp_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace sbc::dp {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kSample = R"(
[dataplane]
control_socket = /run/sbc/dataplane.sock
eal_args = --no-huge --no-pci -m 512 --file-prefix sbc-dp     ; extra EAL args
lcores = 0-1                ; main lcore (control thread) + workers
idle_policy = backoff       ; backoff (lab/CI/VMs) | poll (dedicated cores)
mbuf_count = 16383
max_sessions = 65536
[port.trunk]
device = net_af_packet1,iface=t0
tap = sbc1
address = 198.51.100.1/24
[port.access]
device = net_af_packet0,iface=a0   ; a DPDK vdev spec, or a PCI address
tap = sbc0                          ; kernel exception-path interface (dataplane creates it)
address = 192.0.2.1/24
gateway = 192.0.2.254               ; optional next hop for off-link peers
)";

std::expected<Config, std::string> parse(const std::string& text) {
  std::istringstream in(text);
  return parse_config(in);
}

std::string error_of(const std::string& text) {
  auto config = parse(text);
  EXPECT_FALSE(config.has_value());
  return config ? std::string() : config.error();
}

constexpr const char* kMinimalPort =
    "[port.p]\ndevice = net_null0\ntap = t0\naddress = 10.0.0.1/24\n";

TEST(DpConfig, ParsesTheSampleWithInlineComments) {
  auto config = parse(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->control_socket, "/run/sbc/dataplane.sock");
  EXPECT_THAT(config->eal_args,
              ElementsAre("--no-huge", "--no-pci", "-m", "512", "--file-prefix", "sbc-dp"));
  EXPECT_EQ(config->lcores, "0-1");
  EXPECT_THAT(config->lcore_ids, ElementsAre(0u, 1u));
  EXPECT_EQ(config->worker_count(), 1u);
  EXPECT_EQ(config->idle_policy, IdlePolicy::kBackoff);
  EXPECT_EQ(config->mbuf_count, 16383u);
  EXPECT_EQ(config->max_sessions, 65536u);
  ASSERT_EQ(config->ports.size(), 2u);
  // Indices follow ascending port names, not file order.
  EXPECT_EQ(config->ports[0].name, "access");
  EXPECT_EQ(config->ports[0].device, "net_af_packet0,iface=a0");
  EXPECT_EQ(config->ports[0].tap, "sbc0");
  EXPECT_EQ(config->ports[0].address, (Ipv4Prefix{0xc0000201, 24}));
  EXPECT_EQ(config->ports[0].gateway, 0xc00002feu);
  EXPECT_EQ(config->ports[1].name, "trunk");
  EXPECT_FALSE(config->ports[1].gateway.has_value());
}

TEST(DpConfig, DefaultsApplyWithoutADataplaneSection) {
  auto config = parse(kMinimalPort);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->control_socket, "/run/sbc/dataplane.sock");
  EXPECT_EQ(config->idle_policy, IdlePolicy::kBackoff);
  EXPECT_EQ(config->max_sessions, 65536u);
}

TEST(DpConfig, UnknownOptionIsNamed) {
  EXPECT_THAT(error_of(std::string(kMinimalPort) + "devce = x\n"), HasSubstr("port.p.devce"));
  EXPECT_THAT(error_of(std::string("[dataplane]\nlcore = 0-1\n") + kMinimalPort),
              HasSubstr("dataplane.lcore"));
  EXPECT_THAT(error_of(std::string("[other]\nx = 1\n") + kMinimalPort), HasSubstr("other.x"));
}

TEST(DpConfig, InvalidValuesAreNamed) {
  const std::string port = kMinimalPort;
  EXPECT_THAT(error_of("[dataplane]\nidle_policy = spin\n" + port),
              HasSubstr("dataplane.idle_policy"));
  EXPECT_THAT(error_of("[dataplane]\nmbuf_count = lots\n" + port),
              HasSubstr("dataplane.mbuf_count"));
  EXPECT_THAT(error_of("[dataplane]\nmbuf_count = 10\n" + port), HasSubstr("outside"));
  EXPECT_THAT(error_of("[dataplane]\nmax_sessions = 0\n" + port),
              HasSubstr("dataplane.max_sessions"));
  EXPECT_THAT(error_of("[dataplane]\nlcores = 0\n" + port), HasSubstr("at least one worker"));
  EXPECT_THAT(error_of("[dataplane]\nlcores = 3-1\n" + port), HasSubstr("dataplane.lcores"));
  EXPECT_THAT(error_of("[port.p]\ndevice = net_null0\ntap = t0\naddress = 10.0.0.1\n"),
              HasSubstr("port.p.address"));
  EXPECT_THAT(error_of("[port.p]\ndevice = net_null0\ntap = t0\naddress = 10.0.0.1/33\n"),
              HasSubstr("port.p.address"));
  EXPECT_THAT(error_of("[port.p]\ndevice = net_null0\ntap = t0\naddress = 10.0.0.256/24\n"),
              HasSubstr("port.p.address"));
  EXPECT_THAT(error_of(port + "gateway = 10.0.1.1\n"), HasSubstr("port.p.gateway"));
  EXPECT_THAT(
      error_of(
          "[port.p]\ndevice = net_null0\ntap = a_name_longer_than_15\naddress = 10.0.0.1/24\n"),
      HasSubstr("port.p.tap"));
}

TEST(DpConfig, MissingAndDuplicateOptions) {
  EXPECT_THAT(error_of("[port.p]\ntap = t0\naddress = 10.0.0.1/24\n"), HasSubstr("port.p.device"));
  EXPECT_THAT(error_of("[port.p]\ndevice = net_null0\naddress = 10.0.0.1/24\n"),
              HasSubstr("port.p.tap"));
  EXPECT_THAT(error_of("[port.p]\ndevice = net_null0\ntap = t0\n"), HasSubstr("port.p.address"));
  EXPECT_THAT(error_of(std::string(kMinimalPort) + "tap = t1\n"), HasSubstr("port.p.tap"));
  EXPECT_THAT(error_of("[dataplane]\nlcores = 0-1\n"), HasSubstr("no [port.NAME]"));
  EXPECT_THAT(error_of(std::string(kMinimalPort) +
                       "[port.q]\ndevice = net_null1\ntap = t0\naddress = 10.0.1.1/24\n"),
              HasSubstr("port.q.tap"));
  EXPECT_THAT(error_of(std::string(kMinimalPort) +
                       "[port.q]\ndevice = net_null0,size=64\ntap = t1\naddress = 10.0.1.1/24\n"),
              HasSubstr("port.q.device"));
  EXPECT_THAT(error_of("[port.bad!name]\ndevice = net_null0\ntap = t0\naddress = 10.0.0.1/24\n"),
              HasSubstr("bad section name"));
}

TEST(DpConfig, PuntPolicerOptions) {
  auto defaults = parse(kMinimalPort);
  ASSERT_TRUE(defaults.has_value()) << defaults.error();
  EXPECT_EQ(defaults->punt_rate, 20000u);
  EXPECT_EQ(defaults->punt_burst, 2000u);
  auto set = parse(std::string("[dataplane]\npunt_rate = 500\npunt_burst = 50\n") + kMinimalPort);
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ(set->punt_rate, 500u);
  EXPECT_EQ(set->punt_burst, 50u);
  EXPECT_THAT(error_of(std::string("[dataplane]\npunt_rate = 0\n") + kMinimalPort),
              HasSubstr("dataplane.punt_rate"));
  EXPECT_THAT(error_of(std::string("[dataplane]\npunt_burst = many\n") + kMinimalPort),
              HasSubstr("dataplane.punt_burst"));
}

TEST(DpConfig, AfPacketGetsOneQueuePairPerWorker) {
  std::string text = kSample;
  text.replace(text.find("lcores = 0-1"), 12, "lcores = 0-2");
  auto config = parse(text);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->worker_count(), 2u);
  const auto args = build_eal_args(*config, "p", {});
  EXPECT_THAT(args, Contains("--vdev=net_af_packet0,iface=a0,qpairs=2"));
  EXPECT_THAT(args, Contains("--vdev=net_af_packet1,iface=t0,qpairs=2"));
  // Named in the spec: kept as it is (and checked against the workers).
  text.replace(text.find("iface=a0"), 8, "iface=a0,qpairs=2");
  config = parse(text);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_THAT(build_eal_args(*config, "p", {}),
              Contains("--vdev=net_af_packet0,iface=a0,qpairs=2"));
  text.replace(text.find("qpairs=2"), 8, "qpairs=3");
  EXPECT_THAT(error_of(text), HasSubstr("port.access.device: qpairs=3 but dataplane.lcores"));
  EXPECT_EQ(vdev_arg("net_af_packet0,iface=a0,qpairs=2", "qpairs"), "2");
  EXPECT_EQ(vdev_arg("net_af_packet0,iface=a0", "qpairs"), std::nullopt);
  EXPECT_EQ(vdev_arg("net_af_packet0,qpairsx=1", "qpairs"), std::nullopt);
}

TEST(DpConfigHelpers, NoPciWhenNoPortIsPci) {
  auto vdevs = parse("[dataplane]\neal_args = -m 512\n" + std::string(kMinimalPort));
  ASSERT_TRUE(vdevs.has_value()) << vdevs.error();
  EXPECT_THAT(build_eal_args(*vdevs, "p", {}),
              ElementsAre("p", "-l", "0-1", "-m", "512", "--no-pci", "--vdev=net_null0"));
  // Given already (in the file or after --): not repeated.
  const std::vector<std::string> extra{"--no-pci"};
  EXPECT_THAT(build_eal_args(*vdevs, "p", extra),
              ElementsAre("p", "-l", "0-1", "-m", "512", "--vdev=net_null0", "--no-pci"));
  // A PCI port: the EAL must probe PCI.
  auto pci = parse("[port.p]\ndevice = 0000:01:00.0\ntap = t0\naddress = 10.0.0.1/24\n");
  ASSERT_TRUE(pci.has_value()) << pci.error();
  EXPECT_THAT(build_eal_args(*pci, "p", {}), ElementsAre("p", "-l", "0-1", "-a", "0000:01:00.0"));
}

TEST(DpConfigHelpers, TranscodingLcoresAreNumberedAfterTheRelayLcoresAndPinned) {
  auto config =
      parse("[dataplane]\nlcores = 0-1\ntranscode_lcores = 1\n" + std::string(kMinimalPort));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_THAT(build_eal_args(*config, "p", {}),
              ElementsAre("p", "--lcores", "0,1,2@1", "--no-pci", "--vdev=net_null0"));
}

TEST(DpConfigHelpers, AnLcoreCanBePinnedToAnotherCpu) {
  // A lab with more relay workers than CPUs: lcore 2 runs on CPU 1 beside lcore 1.
  auto config = parse("[dataplane]\nlcores = 0-1,2@1\n" + std::string(kMinimalPort));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_THAT(config->lcore_ids, ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(config->lcore_cpus, ElementsAre(0u, 1u, 1u));
  EXPECT_EQ(config->worker_count(), 2u);
  EXPECT_THAT(build_eal_args(*config, "p", {}),
              ElementsAre("p", "--lcores", "0,1,2@1", "--no-pci", "--vdev=net_null0"));
  config =
      parse("[dataplane]\nlcores = 0-1,2@1\ntranscode_lcores = 0\n" + std::string(kMinimalPort));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_THAT(build_eal_args(*config, "p", {}),
              ElementsAre("p", "--lcores", "0,1,2@1,3@0", "--no-pci", "--vdev=net_null0"));
  EXPECT_THAT(error_of("[dataplane]\nlcores = 0,1@x\n" + std::string(kMinimalPort)),
              HasSubstr("dataplane.lcores: '1@x' is not 'lcore@cpu'"));
  EXPECT_THAT(error_of("[dataplane]\nlcores = 0-1,1@0\n" + std::string(kMinimalPort)),
              HasSubstr("dataplane.lcores: lcore 1 is given twice"));
}

TEST(DpConfig, LoadReportsAMissingFile) {
  auto config = load_config("/nonexistent/dataplane.conf");
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error(), HasSubstr("cannot open"));
}

TEST(DpConfigHelpers, Ipv4AndPrefix) {
  EXPECT_EQ(parse_ipv4("192.0.2.1"), 0xc0000201u);
  EXPECT_FALSE(parse_ipv4("192.0.2").has_value());
  EXPECT_FALSE(parse_ipv4("::1").has_value());
  EXPECT_EQ(parse_ipv4_prefix("10.1.2.3/8"), (Ipv4Prefix{0x0a010203, 8}));
  EXPECT_FALSE(parse_ipv4_prefix("10.1.2.3/").has_value());
  EXPECT_FALSE(parse_ipv4_prefix("10.1.2.3/x").has_value());
  EXPECT_EQ(format_ipv4(0xc6336401), "198.51.100.1");
}

TEST(DpConfig, SourceTableAndUntrustedPuntDefaults) {
  auto config = parse(kMinimalPort);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->untrusted_punt_rate, 2000u);
  EXPECT_EQ(config->untrusted_punt_burst, 256u);
  EXPECT_EQ(config->max_sources, 65536u);
  EXPECT_EQ(config->punt_rate, 20000u);
  EXPECT_EQ(config->punt_burst, 2000u);
}

TEST(DpConfig, SourceTableAndUntrustedPuntOptions) {
  auto config = parse(
      "[dataplane]\npunt_rate = 30000\npunt_burst = 3000\nuntrusted_punt_rate = 500 ; small\n"
      "untrusted_punt_burst = 50\nmax_sources = 1000\n" +
      std::string(kMinimalPort));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->punt_rate, 30000u);
  EXPECT_EQ(config->untrusted_punt_rate, 500u);
  EXPECT_EQ(config->untrusted_punt_burst, 50u);
  EXPECT_EQ(config->max_sources, 1000u);
  // Equal to the trusted budget is allowed (no distinction).
  config = parse("[dataplane]\nuntrusted_punt_rate = 20000\nuntrusted_punt_burst = 2000\n" +
                 std::string(kMinimalPort));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->untrusted_punt_rate, 20000u);
}

TEST(DpConfig, UntrustedDefaultsFollowASmallerTrustedBudget) {
  auto config =
      parse("[dataplane]\npunt_rate = 1000\npunt_burst = 100\n" + std::string(kMinimalPort));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->untrusted_punt_rate, 1000u);
  EXPECT_EQ(config->untrusted_punt_burst, 100u);
}

TEST(DpConfig, InvalidSourceTableAndUntrustedPuntOptionsAreNamed) {
  const std::string port = kMinimalPort;
  EXPECT_THAT(error_of("[dataplane]\nuntrusted_punt_rate = 0\n" + port),
              HasSubstr("dataplane.untrusted_punt_rate"));
  EXPECT_THAT(error_of("[dataplane]\nuntrusted_punt_rate = fast\n" + port),
              HasSubstr("dataplane.untrusted_punt_rate: 'fast' is not a number"));
  // Above the trusted budget: the untrusted one must be the smaller.
  EXPECT_THAT(error_of("[dataplane]\nuntrusted_punt_rate = 20001\n" + port),
              HasSubstr("at most dataplane.punt_rate"));
  EXPECT_THAT(error_of("[dataplane]\npunt_burst = 100\nuntrusted_punt_burst = 101\n" + port),
              HasSubstr("dataplane.untrusted_punt_burst: 101 is outside 1..100"));
  EXPECT_THAT(error_of("[dataplane]\nuntrusted_punt_burst = -1\n" + port),
              HasSubstr("dataplane.untrusted_punt_burst"));
  EXPECT_THAT(error_of("[dataplane]\nmax_sources = 0\n" + port),
              HasSubstr("dataplane.max_sources: 0 is outside"));
  EXPECT_THAT(error_of("[dataplane]\nmax_sources = 99999999\n" + port),
              HasSubstr("dataplane.max_sources"));
  EXPECT_THAT(error_of("[dataplane]\nmax_source = 10\n" + port), HasSubstr("dataplane.max_source"));
}

TEST(DpConfigHelpers, LcoreList) {
  EXPECT_THAT(*parse_lcore_list("0-3,5"), ElementsAre(0u, 1u, 2u, 3u, 5u));
  EXPECT_THAT(*parse_lcore_list("2,1,2"), ElementsAre(1u, 2u));
  EXPECT_FALSE(parse_lcore_list("").has_value());
  EXPECT_FALSE(parse_lcore_list("1,,2").has_value());
  EXPECT_FALSE(parse_lcore_list("a-b").has_value());
  EXPECT_FALSE(parse_lcore_list("0-99999").has_value());
}

TEST(DpConfigHelpers, EalArgs) {
  auto config = parse(std::string(kSample) +
                      "[port.zpci]\ndevice = 0000:01:00.0\ntap = sbc2\naddress = 203.0.113.1/24\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  const std::vector<std::string> extra{"--log-level=*:debug"};
  EXPECT_THAT(
      build_eal_args(*config, "sbc-dataplane", extra),
      ElementsAre("sbc-dataplane", "-l", "0-1", "--no-huge", "--no-pci", "-m", "512",
                  "--file-prefix", "sbc-dp", "--vdev=net_af_packet0,iface=a0",
                  "--vdev=net_af_packet1,iface=t0", "-a", "0000:01:00.0", "--log-level=*:debug"));
  EXPECT_TRUE(is_vdev_spec("net_tap0,iface=x"));
  EXPECT_FALSE(is_vdev_spec("0000:01:00.0"));
  EXPECT_EQ(device_name("net_af_packet0,iface=a0"), "net_af_packet0");
}

}  // namespace
}  // namespace sbc::dp
