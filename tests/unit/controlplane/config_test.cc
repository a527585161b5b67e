#include "controlplane/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::cp {
namespace {

// The sample from the project brief, comments included.
constexpr const char* kSample = R"(
[sbcd]
dataplane_socket = /run/sbc/dataplane.sock
mgmt_socket = /run/sbc/sbcd.sock
cdr_file = /var/log/sbc/cdr.jsonl
log_level = info
[media]
port_min = 20000
port_max = 29999
timeout = 60          ; seconds without media before the call is torn down (0 = never)
latch_window = 2000   ; ms after the first packet during which the latch may still move
[metrics]
listen = 127.0.0.1:9100
[zone.access]
dataplane_port = access     ; media is anchored on this dataplane port (its address)
sip_address = 192.0.2.1     ; kernel address SIP binds
sip_port = 5060
default_target = 192.0.2.10:5060   ; where calls arriving from a trunk are sent (a PBX)
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
sip_port = 5060
[trunk.carrier1]
zone = carrier
host = 198.51.100.10
port = 5060
fromdomain = carrier.example     ; optional
fromuser = 15550001              ; optional
)";

std::string with(const std::string& extra) {
  return std::string(kSample) + extra;
}

std::string error_of(const std::string& text) {
  auto config = parse_config(text);
  EXPECT_FALSE(config.has_value()) << text;
  return config ? std::string() : config.error();
}

TEST(ConfigTest, ParsesTheSample) {
  auto config = parse_config(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->max_call_duration_s, 14400u);  // default
  EXPECT_EQ(config->media.port_min, 20000);
  EXPECT_EQ(config->media.port_max, 29999);
  EXPECT_EQ(config->media.timeout_s, 60u);
  EXPECT_EQ(config->media.latch_window_ms, 2000u);
  ASSERT_TRUE(config->metrics_listen.has_value());
  EXPECT_EQ(config->metrics_listen->port, 9100);
  ASSERT_EQ(config->zones.size(), 2u);
  EXPECT_EQ(config->zones[0].name, "access");
  EXPECT_EQ(config->zones[0].sip_address, "192.0.2.1");
  ASSERT_TRUE(config->zones[0].default_target.has_value());
  EXPECT_EQ(config->zones[0].default_target->host, "192.0.2.10");
  EXPECT_EQ(config->zones[1].dataplane_port, "trunk");
  ASSERT_EQ(config->trunks.size(), 1u);
  EXPECT_EQ(config->trunks[0].host, "198.51.100.10");
  EXPECT_EQ(config->trunks[0].fromuser, "15550001");
  EXPECT_EQ(config->trunks[0].fromdomain, "carrier.example");
  EXPECT_EQ(config->access_zone().name, "access");
  EXPECT_TRUE(config->is_trunk_zone("carrier"));
}

TEST(ConfigTest, UnknownOptionIsNamed) {
  EXPECT_NE(error_of(with("[zone.access]\nsip_portt = 5\n")).find("zone.access.sip_portt"),
            std::string::npos);
  EXPECT_NE(error_of(with("[bogus]\nx = 1\n")).find("bogus.x"), std::string::npos);
}

TEST(ConfigTest, InvalidNumbersAreNamed) {
  std::string text = kSample;
  text.replace(text.find("port_min = 20000"), 16, "port_min = -2");
  EXPECT_NE(error_of(text).find("media.port_min"), std::string::npos);
  text = kSample;
  text.replace(text.find("\nport = 5060\n"), 12, "\nport = 70000");
  EXPECT_NE(error_of(text).find("trunk.carrier1.port"), std::string::npos);
}

TEST(ConfigTest, PortRangeMustBeEvenAndNonEmpty) {
  std::string text = kSample;
  text.replace(text.find("port_min = 20000"), 16, "port_min = 20001");
  EXPECT_NE(error_of(text).find("odd"), std::string::npos);
  text = kSample;
  text.replace(text.find("port_max = 29999"), 16, "port_max = 20000");
  EXPECT_NE(error_of(text).find("media.port_max"), std::string::npos);
}

TEST(ConfigTest, TrunkZoneMustExist) {
  std::string text = kSample;
  text.replace(text.find("zone = carrier"), 14, "zone = nowhere");
  EXPECT_NE(error_of(text).find("trunk.carrier1.zone"), std::string::npos);
}

TEST(ConfigTest, DefaultTargetOnlyOnAccessZone) {
  EXPECT_NE(error_of(with("[zone.carrier]\ndefault_target = 198.51.100.10:5060\n"))
                .find("zone.carrier.default_target"),
            std::string::npos);
}

TEST(ConfigTest, MalformedValuesAreNamed) {
  std::string text = kSample;
  text.replace(text.find("host = 198.51.100.10"), 20, "host = carrier.example");
  EXPECT_NE(error_of(text).find("trunk.carrier1.host"), std::string::npos);
  text = kSample;
  text.replace(text.find("log_level = info"), 16, "log_level = loud");
  EXPECT_NE(error_of(text).find("sbcd.log_level"), std::string::npos);
  text = kSample;
  text.replace(text.find("log_level = info"), 16, "log_level = info\nmax_call_duration = -1");
  EXPECT_NE(error_of(text).find("sbcd.max_call_duration"), std::string::npos);
  text = kSample;
  text.replace(text.find("log_level = info"), 16, "log_level = info\nmax_call_duration = 0");
  auto no_limit = parse_config(text);
  ASSERT_TRUE(no_limit.has_value()) << no_limit.error();
  EXPECT_EQ(no_limit->max_call_duration_s, 0u);
  text = kSample;
  text.replace(text.find("listen = 127.0.0.1:9100"), 23, "listen = 127.0.0.1");
  EXPECT_NE(error_of(text).find("metrics.listen"), std::string::npos);
  text = kSample;
  text.replace(text.find("fromuser = 15550001"), 19, "fromuser = a b");
  EXPECT_NE(error_of(text).find("trunk.carrier1.fromuser"), std::string::npos);
}

TEST(ConfigTest, DuplicateBindIsRefused) {
  std::string text = kSample;
  text.replace(text.find("sip_address = 198.51.100.1"), 26, "sip_address = 192.0.2.1");
  EXPECT_NE(error_of(text).find("already used"), std::string::npos);
}

TEST(ConfigTest, DuplicateOptionIsRefused) {
  EXPECT_NE(error_of(with("[media]\nport_min = 30000\n")).find("media.port_min"),
            std::string::npos);
}

TEST(ConfigTest, NeedsZonesAndTrunks) {
  EXPECT_NE(error_of("[sbcd]\nlog_level = info\n").find("zone"), std::string::npos);
  EXPECT_NE(error_of("[zone.a]\ndataplane_port = access\n").find("trunk"), std::string::npos);
}

TEST(ConfigTest, ExactlyOneAccessZone) {
  EXPECT_NE(error_of(with("[zone.second]\ndataplane_port = access\nsip_port = 5070\n"))
                .find("exactly one access zone"),
            std::string::npos);
}

TEST(ConfigTest, SectionNamesAreChecked) {
  EXPECT_NE(error_of(with("[zone.a.b]\ndataplane_port = x\n")).find("zone.a.b"), std::string::npos);
}

TEST(ConfigTest, TransportDefaults) {
  auto config = parse_config(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->sip.tcp_idle_timeout_s, 600u);
  EXPECT_EQ(config->sip.max_connections, 1024u);
  EXPECT_EQ(config->sip.max_connections_per_address, 32u);
  EXPECT_FALSE(config->tls.has_value());
  const ZoneConfig& access = config->zones[0];
  EXPECT_EQ(access.tls_port, 5061);
  EXPECT_EQ(access.listeners, (std::vector<ListenerConfig>{{Transport::kUdp, "192.0.2.1", 5060},
                                                           {Transport::kTcp, "192.0.2.1", 5060}}));
  EXPECT_EQ(access.default_target_transport, Transport::kUdp);
  EXPECT_EQ(config->trunks[0].transport, Transport::kUdp);
}

constexpr const char* kTls = R"(
[sip]
tcp_idle_timeout = 30
max_connections = 100
max_connections_per_address = 4
[tls]
certificate = /etc/sbc/tls/sbc.crt
private_key = /etc/sbc/tls/sbc.key
ca_file = /etc/sbc/tls/ca.crt
min_version = 1.3
ciphers = ECDHE+AESGCM:ECDHE+CHACHA20
ciphersuites = TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384
groups = X25519:P-256:P-384
verify_client = true
verify_server = false
[zone.access]
tls_port = 5071
transports = udp, tls
listen = tcp:10.0.0.1:5070
listen = udp:10.0.0.1:5070
default_target_transport = tls
[zone.carrier]
transports = tcp
[trunk.carrier1]
transport = tcp
)";

// kSample plus kTls: sections may repeat, each option only once.
TEST(ConfigTest, EveryTransportOption) {
  auto config = parse_config(with(kTls));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->sip.tcp_idle_timeout_s, 30u);
  EXPECT_EQ(config->sip.max_connections, 100u);
  EXPECT_EQ(config->sip.max_connections_per_address, 4u);
  ASSERT_TRUE(config->tls.has_value());
  const TlsConfig& tls = *config->tls;
  EXPECT_EQ(tls.certificate, "/etc/sbc/tls/sbc.crt");
  EXPECT_EQ(tls.private_key, "/etc/sbc/tls/sbc.key");
  EXPECT_EQ(tls.ca_file, "/etc/sbc/tls/ca.crt");
  EXPECT_EQ(tls.min_version, TlsVersion::k13);
  EXPECT_EQ(tls.ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20");
  EXPECT_EQ(tls.ciphersuites, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(tls.groups, "X25519:P-256:P-384");
  EXPECT_TRUE(tls.verify_client);
  EXPECT_FALSE(tls.verify_server);
  const ZoneConfig& access = config->zones[0];
  EXPECT_EQ(access.listeners, (std::vector<ListenerConfig>{{Transport::kUdp, "192.0.2.1", 5060},
                                                           {Transport::kTls, "192.0.2.1", 5071},
                                                           {Transport::kTcp, "10.0.0.1", 5070},
                                                           {Transport::kUdp, "10.0.0.1", 5070}}));
  EXPECT_EQ(access.default_target_transport, Transport::kTls);
  EXPECT_EQ(config->zones[1].listeners,
            (std::vector<ListenerConfig>{{Transport::kTcp, "198.51.100.1", 5060}}));
  EXPECT_EQ(config->trunks[0].transport, Transport::kTcp);
  // A zone whose address comes from the dataplane keeps it empty in its listeners.
  std::string text = kSample;
  text.replace(text.find("sip_address = 198.51.100.1"), 26, "");
  auto late = parse_config(text);
  ASSERT_TRUE(late.has_value()) << late.error();
  EXPECT_EQ(late->zones[1].listeners[0].address, "");
}

TEST(ConfigTest, TransportErrorsNameTheOption) {
  const auto error = [](const std::string& extra) { return error_of(with(extra)); };
  const auto names = [](const std::string& message, const std::string& option) {
    return message.find(option) != std::string::npos;
  };
  EXPECT_TRUE(names(error("[sip]\ntcp_idle_timeout = 0\n"), "sip.tcp_idle_timeout"));
  EXPECT_TRUE(names(error("[sip]\nmax_connections = -1\n"), "sip.max_connections"));
  EXPECT_TRUE(
      names(error("[sip]\nmax_connections_per_address = x\n"), "sip.max_connections_per_address"));
  EXPECT_TRUE(names(error("[tls]\nmin_version = 1.1\n"), "tls.min_version"));
  EXPECT_TRUE(names(error("[tls]\nverify_client = maybe\n"), "tls.verify_client"));
  EXPECT_TRUE(names(error("[tls]\nverify_server = 2\n"), "tls.verify_server"));
  EXPECT_TRUE(names(error("[tls]\ncertificate = /a.crt\n"), "tls.private_key"));
  EXPECT_TRUE(names(error("[tls]\nprivate_key = /a.key\n"), "tls.certificate"));
  EXPECT_TRUE(names(error("[tls]\ncertificate = /a\nprivate_key = /b\nverify_client = true\n"),
                    "tls.verify_client"));
  EXPECT_TRUE(names(error("[tls]\ngroups =\n"), "tls.groups"));
  EXPECT_TRUE(names(error("[tls]\nbogus = 1\n"), "tls.bogus"));
  EXPECT_TRUE(names(error("[zone.access]\ntransports = udp,sctp\n"), "zone.access.transports"));
  EXPECT_TRUE(names(error("[zone.access]\ntransports = udp,,tcp\n"), "zone.access.transports"));
  EXPECT_TRUE(names(error("[zone.access]\ntransports = udp,UDP\n"), "zone.access.transports"));
  EXPECT_TRUE(names(error("[zone.access]\ntls_port = 0\n"), "zone.access.tls_port"));
  EXPECT_TRUE(names(error("[zone.access]\nlisten = tcp:10.0.0.1\n"), "zone.access.listen"));
  EXPECT_TRUE(names(error("[zone.access]\nlisten = ws:10.0.0.1:80\n"), "zone.access.listen"));
  EXPECT_TRUE(names(error("[zone.access]\nlisten = 10.0.0.1:80\n"), "zone.access.listen"));
  EXPECT_TRUE(names(error("[zone.access]\nlisten = tcp:192.0.2.1:5060\n"), "zone.access.listen"));
  EXPECT_TRUE(names(error("[zone.access]\ndefault_target_transport = sctp\n"),
                    "zone.access.default_target_transport"));
  EXPECT_TRUE(names(error("[zone.access]\ndefault_target_transport = tls\n"),
                    "zone.access.default_target_transport"));
  EXPECT_TRUE(names(error("[trunk.carrier1]\ntransport = ws\n"), "trunk.carrier1.transport"));
  EXPECT_TRUE(names(error("[zone.carrier]\ntransports = udp\n[trunk.carrier1]\ntransport = tcp\n"),
                    "trunk.carrier1.transport"));
  // TLS listeners need a certificate; TCP and TLS cannot share a port.
  EXPECT_TRUE(names(error("[zone.access]\ntransports = udp,tls\n"), "zone.access"));
  EXPECT_TRUE(names(error("[tls]\ncertificate = /a\nprivate_key = /b\n[zone.access]\n"
                          "transports = tcp,tls\ntls_port = 5060\n"),
                    "already used"));
  // UDP and TCP on one port is the norm, not a clash.
  EXPECT_TRUE(parse_config(with("[zone.access]\ntransports = tcp,udp\n")).has_value());
}

TEST(ConfigTest, MissingFileIsAnError) {
  auto config = load_config("/nonexistent/sbc.conf");
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().find("/nonexistent/sbc.conf"), std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
