#include "controlplane/config/config.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
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
allow_open_access = yes            ; a lab: any source may call out
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

boost::asio::ip::address ip(const char* text) {
  return boost::asio::ip::make_address(text);
}

// kSample with its first `from` replaced by `to`.
std::string replaced(const std::string& from, const std::string& to) {
  std::string text = kSample;
  text.replace(text.find(from), from.size(), to);
  return text;
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
  EXPECT_EQ(config->zones[0].sip_address, boost::asio::ip::make_address("192.0.2.1"));
  ASSERT_TRUE(config->zones[0].default_target.has_value());
  EXPECT_EQ(config->zones[0].default_target->host.to_string(), "192.0.2.10");
  EXPECT_EQ(config->zones[1].dataplane_port, "trunk");
  ASSERT_EQ(config->trunks.size(), 1u);
  EXPECT_EQ(config->trunks[0].host, "198.51.100.10");
  EXPECT_EQ(config->trunks[0].address, boost::asio::ip::make_address("198.51.100.10"));
  EXPECT_EQ(config->trunks[0].fromuser, "15550001");
  EXPECT_EQ(config->trunks[0].fromdomain, "carrier.example");
  EXPECT_EQ(config->access_zone().name, "access");
  EXPECT_TRUE(config->is_trunk_zone("carrier"));
}

TEST(ConfigTest, StateDbPath) {
  auto defaults = parse_config(kSample);
  ASSERT_TRUE(defaults.has_value()) << defaults.error();
  EXPECT_EQ(defaults->state_db, "/var/lib/sbc/state.db");
  const auto with_state = [](const std::string& line) {
    std::string text(kSample);
    text.replace(text.find("log_level = info"), 16, "log_level = info\n" + line);
    return text;
  };
  auto set = parse_config(with_state("state_db = /srv/sbc/state.db"));
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ(set->state_db, "/srv/sbc/state.db");
  EXPECT_EQ(error_of(with_state("state_db =")), "sbcd.state_db: must not be empty");
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

// A trunk known by DNS name: no port or transport (NAPTR and SRV decide), its sources the addresses
// it resolves to unless `allow` says; the resolver's servers and timeout from [sbcd].
TEST(ConfigTest, ATrunkHostMayBeADnsName) {
  std::string text =
      replaced("host = 198.51.100.10\nport = 5060\n", "host = sip.Carrier.example\n");
  text += "[sbcd]\ndns_servers = 127.0.0.1:5353, 192.0.2.53\ndns_timeout_ms = 500\n";
  auto config = parse_config(text);
  ASSERT_TRUE(config.has_value()) << config.error();
  const TrunkConfig& t = config->trunks[0];
  EXPECT_EQ(t.host, "sip.Carrier.example");
  EXPECT_FALSE(t.address);
  EXPECT_FALSE(t.port_set);
  EXPECT_FALSE(t.transport_set);
  EXPECT_TRUE(t.allow.empty()) << "its resolved addresses";
  EXPECT_EQ(config->dns.servers, "127.0.0.1:5353,192.0.2.53");
  EXPECT_EQ(config->dns.timeout, std::chrono::milliseconds(500));

  // A transport with no port: TLS's own; with allow, its networks.
  config = parse_config(replaced("host = 198.51.100.10\nport = 5060\n",
                                 "host = sip.carrier.example\ntransport = tls\n"
                                 "allow = 203.0.113.0/24\n") +
                        "[tls]\ncertificate = /c.pem\nprivate_key = /k.pem\n[zone.carrier]\n"
                        "transports = udp, tls\ntls_port = 5061\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->trunks[0].port, 5061);
  EXPECT_TRUE(config->trunks[0].transport_set);
  EXPECT_EQ(config->trunks[0].allow.size(), 1U);

  EXPECT_EQ(error_of(with("[sbcd]\ndns_servers = dns.example\n")),
            "sbcd.dns_servers: 'dns.example' is not an IPv4 address");
  EXPECT_EQ(error_of(with("[sbcd]\ndns_servers = 127.0.0.1:0\n")),
            "sbcd.dns_servers port: '0' is not a whole number in 1..65535");
  EXPECT_EQ(error_of(replaced("host = 198.51.100.10", "host = 10.1.2")),
            "trunk.carrier1.host: '10.1.2' is neither an IPv4 address nor a fully qualified host "
            "name");
}

TEST(ConfigTest, MalformedValuesAreNamed) {
  std::string text = kSample;
  text.replace(text.find("host = 198.51.100.10"), 20, "host = carrier");
  EXPECT_EQ(error_of(text),
            "trunk.carrier1.host: 'carrier' is neither an IPv4 address nor a fully qualified host "
            "name");
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

TEST(ConfigTest, TrunkCredentialsComeAsAPair) {
  const auto with = [](std::string_view lines) {
    std::string text = kSample;
    text.replace(text.find("fromuser = 15550001"), 19,
                 "fromuser = 15550001\n" + std::string(lines));
    return text;
  };
  auto both = parse_config(with("username = acct-42\nsecret = s3cret"));
  ASSERT_TRUE(both.has_value()) << both.error();
  EXPECT_EQ(both->trunks[0].username, "acct-42");
  EXPECT_EQ(both->trunks[0].secret, "s3cret");
  EXPECT_NE(error_of(with("username = acct-42")).find("set both or neither"), std::string::npos);
  EXPECT_NE(error_of(with("secret = s3cret")).find("set both or neither"), std::string::npos);
  EXPECT_NE(error_of(with("username = a\"b\nsecret = x")).find("trunk.carrier1.username"),
            std::string::npos);
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

TEST(ConfigTest, NeedsAnAccessZone) {
  // A trunk on kSample's access zone too: every zone faces carriers.
  const std::string text = replaced("default_target = 192.0.2.10:5060", ";") +
                           "[trunk.other]\nzone = access\nhost = 192.0.2.99\n";
  EXPECT_NE(error_of(text).find("zones: no access zone"), std::string::npos);
}

// A second access zone (a second PBX's site): a trunk, a user, a route and a DID each say which
// access zone they belong to when there is more than one.
constexpr const char* kSecondAccessZone =
    "[zone.office]\ndataplane_port = access\nsip_port = 5070\nallow_open_access = yes\n"
    "default_target = 192.0.2.30:5060\n";

TEST(ConfigTest, SeveralAccessZonesEachNamedWhereItMatters) {
  const std::string text = with(kSecondAccessZone);
  EXPECT_NE(error_of(text).find("trunk.carrier1.inbound_zone: there are several access zones "
                                "(access, office): name one"),
            std::string::npos);
  EXPECT_NE(error_of(text + "[trunk.carrier1]\ninbound_zone = carrier\n")
                .find("trunk.carrier1.inbound_zone: zone carrier faces carriers"),
            std::string::npos);
  EXPECT_NE(error_of(text + "[trunk.carrier1]\ninbound_zone = nowhere\n")
                .find("no section [zone.nowhere]"),
            std::string::npos);
  const std::string both = text + "[trunk.carrier1]\ninbound_zone = office\n";
  auto config = parse_config(both);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->trunks[0].inbound_zone, "office");

  EXPECT_NE(error_of(both + "[user.alice]\nsecret = s3cret\n").find("user.alice.zone: there are"),
            std::string::npos);
  auto user = parse_config(both + "[user.alice]\nsecret = s3cret\nzone = office\n");
  ASSERT_TRUE(user.has_value()) << user.error();
  EXPECT_EQ(user->users[0].zone, "office");
  EXPECT_NE(error_of(both + "[route.all]\ntrunks = carrier1\n").find("route.all.zone: there are"),
            std::string::npos);
  auto did = parse_config(both + "[did.sales]\nnumbers = 1555\nzone = access\ntarget = default\n");
  ASSERT_TRUE(did.has_value()) << did.error();
  EXPECT_EQ(did->dids[0].zone, "access");
  // Each access zone is screened on its own.
  EXPECT_NE(error_of(replaced("allow_open_access = yes", ";") + kSecondAccessZone +
                     "[trunk.carrier1]\ninbound_zone = office\n")
                .find("zone.access: any address could place calls"),
            std::string::npos);
}

TEST(ConfigTest, TheOnlyAccessZoneTakesATrunksCalls) {
  auto config = parse_config(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->trunks[0].inbound_zone, "access");
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
  EXPECT_EQ(access.listeners,
            (std::vector<ListenerConfig>{{Transport::kUdp, ip("192.0.2.1"), 5060},
                                         {Transport::kTcp, ip("192.0.2.1"), 5060}}));
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
  EXPECT_EQ(access.listeners,
            (std::vector<ListenerConfig>{{Transport::kUdp, ip("192.0.2.1"), 5060},
                                         {Transport::kTls, ip("192.0.2.1"), 5071},
                                         {Transport::kTcp, ip("10.0.0.1"), 5070},
                                         {Transport::kUdp, ip("10.0.0.1"), 5070}}));
  EXPECT_EQ(access.default_target_transport, Transport::kTls);
  EXPECT_EQ(config->zones[1].listeners,
            (std::vector<ListenerConfig>{{Transport::kTcp, ip("198.51.100.1"), 5060}}));
  EXPECT_EQ(config->trunks[0].transport, Transport::kTcp);
  // A zone whose address comes from the dataplane keeps it empty in its listeners.
  std::string text = kSample;
  text.replace(text.find("sip_address = 198.51.100.1"), 26, "");
  auto late = parse_config(text);
  ASSERT_TRUE(late.has_value()) << late.error();
  EXPECT_EQ(late->zones[1].listeners[0].address, std::nullopt);
}

// Every configured address is parsed once, by the configuration: a bad one is refused there,
// naming the option and the value.
TEST(ConfigTest, BadAddressesAreConfigErrors) {
  EXPECT_EQ(error_of(replaced("sip_address = 192.0.2.1", "sip_address = 192.0.2")),
            "zone.access.sip_address: '192.0.2' is not an IPv4 address");
  EXPECT_EQ(error_of(replaced("sip_address = 192.0.2.1", "sip_address = 2001:db8::1")),
            "zone.access.sip_address: '2001:db8::1' is not an IPv4 address");
  EXPECT_EQ(error_of(replaced("host = 198.51.100.10", "host = 198.51.100.300")),
            "trunk.carrier1.host: '198.51.100.300' is neither an IPv4 address nor a fully "
            "qualified host name");
  EXPECT_EQ(error_of(replaced("default_target = 192.0.2.10:5060", "default_target = pbx:5060")),
            "zone.access.default_target: 'pbx' is not an IPv4 address");
  EXPECT_EQ(error_of(replaced("listen = 127.0.0.1:9100", "listen = 127.0.0.256:9100")),
            "metrics.listen: '127.0.0.256' is not an IPv4 address");
  EXPECT_EQ(error_of(with("[zone.access]\nlisten = udp:10.0.0.x:5070\n")),
            "zone.access.listen: '10.0.0.x' is not an IPv4 address");
  // The parsed addresses are the configuration's.
  auto config = parse_config(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->zones[0].sip_address, ip("192.0.2.1"));
  EXPECT_EQ(config->zones[0].default_target->host, ip("192.0.2.10"));
  EXPECT_EQ(config->trunks[0].address, ip("198.51.100.10"));
  EXPECT_EQ(config->metrics_listen->host, ip("127.0.0.1"));
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

// --- issue 4: [security], [registrar], [user.NAME], zone/trunk/media security keys ---------

IpNetwork net(const char* text) {
  return IpNetwork::parse(text).value();
}

TEST(ConfigSecurityTest, DefaultsKeepExistingConfigsOpen) {
  auto config = parse_config(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  const SecurityConfig& s = config->security;
  EXPECT_TRUE(s.allowlist.empty());
  EXPECT_EQ(s.request_rate, 50u);
  EXPECT_EQ(s.request_burst, 100u);
  EXPECT_EQ(s.window, 60u);
  EXPECT_EQ(s.max_auth_failures, 5u);
  EXPECT_EQ(s.max_malformed, 10u);
  EXPECT_EQ(s.max_rate_violations, 200u);
  EXPECT_EQ(s.scanner_user_agents, kDefaultScannerUserAgents);
  EXPECT_EQ(s.ban_time, 600u);
  EXPECT_EQ(s.ban_time_max, 86400u);
  EXPECT_EQ(s.recidive_window, 86400u);
  EXPECT_EQ(s.max_tracked_sources, 65536u);
  EXPECT_EQ(s.max_bans, 65536u);
  EXPECT_EQ(s.limits, CallLimits{});  // no CAC
  EXPECT_EQ(s.max_calls_per_minute, 0u);
  EXPECT_EQ(s.max_calls_per_hour, 0u);
  EXPECT_TRUE(s.blocked_prefixes.empty());
  EXPECT_TRUE(s.allowed_prefixes.empty());
  const RegistrarConfig& r = config->registrar;
  EXPECT_EQ(r.min_expires, 60u);
  EXPECT_EQ(r.max_expires, 3600u);
  EXPECT_EQ(r.default_expires, 3600u);
  EXPECT_EQ(r.nat_expires, 60u);
  EXPECT_EQ(r.max_contacts, 5u);
  EXPECT_EQ(r.max_bindings, 100000u);
  EXPECT_TRUE(config->users.empty());
  EXPECT_EQ(config->find_user("alice"), nullptr);
  EXPECT_EQ(config->media.max_packet_rate, 0u);
  for (const ZoneConfig& z : config->zones) {  // no ACL, no authentication
    EXPECT_TRUE(z.acl_allow.empty());
    EXPECT_TRUE(z.acl_deny.empty());
    EXPECT_TRUE(z.authenticate.empty());
    EXPECT_TRUE(z.trusted.empty());
    EXPECT_EQ(z.auth_algorithms,
              (std::vector<DigestAlgorithm>{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}));
  }
  EXPECT_EQ(config->zones[0].realm, "192.0.2.1");  // the zone's sip_address
  EXPECT_EQ(config->trunks[0].allow, std::vector<IpNetwork>{net("198.51.100.10/32")});
  EXPECT_EQ(config->trunks[0].limits, CallLimits{});
}

constexpr const char* kSecurity = R"(
[media]
max_packet_rate = 200
[security]
allowlist = 10.0.0.0/8, 2001:db8:a::/48
allowlist = 192.0.2.10
request_rate = 20
request_burst = 40
window = 120
max_auth_failures = 3
max_malformed = 0
max_rate_violations = 50
scanner_user_agents = friendly-scanner, EvilBot 2.0
ban_time = 300
ban_time_max = 3600
recidive_window = 7200
max_tracked_sources = 1000
max_bans = 500
max_calls = 100
max_cps = 10
max_calls_per_minute = 5
max_calls_per_hour = 60
blocked_prefixes = 1900, 44
blocked_prefixes = 882
allowed_prefixes = 4420
[registrar]
min_expires = 30
max_expires = 7200
default_expires = 600
nat_expires = 25
max_contacts = 2
max_bindings = 1000
[user.bob]
secret = b0b-s3cret!
algorithms = MD5
max_calls = 2
max_cps = 1
max_calls_per_minute = 3
max_calls_per_hour = 30
[user.alice]
zone = access
secret = correct horse battery staple
[user.john.doe]
secret = x
[zone.access]
acl_allow = 192.0.2.0/24
acl_allow = 2001:db8::/32, 203.0.113.0/24
acl_deny = 192.0.2.66
trusted = 192.0.2.10/32
authenticate = register, INVITE
realm = sbc.example
auth_algorithms = sha256, md5
[zone.carrier]
acl_allow = 198.51.100.0/24
[trunk.carrier1]
allow = 198.51.100.0/28, 198.51.100.64/26
max_calls = 30
max_cps = 5
)";

TEST(ConfigSecurityTest, EveryOption) {
  auto config = parse_config(with(kSecurity));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->media.max_packet_rate, 200u);
  const SecurityConfig& s = config->security;
  EXPECT_EQ(s.allowlist,
            (std::vector<IpNetwork>{net("10.0.0.0/8"), net("2001:db8:a::/48"), net("192.0.2.10")}));
  EXPECT_EQ(s.request_rate, 20u);
  EXPECT_EQ(s.request_burst, 40u);
  EXPECT_EQ(s.window, 120u);
  EXPECT_EQ(s.max_auth_failures, 3u);
  EXPECT_EQ(s.max_malformed, 0u);
  EXPECT_EQ(s.max_rate_violations, 50u);
  EXPECT_EQ(s.scanner_user_agents, (std::vector<std::string>{"friendly-scanner", "EvilBot 2.0"}));
  EXPECT_EQ(s.ban_time, 300u);
  EXPECT_EQ(s.ban_time_max, 3600u);
  EXPECT_EQ(s.recidive_window, 7200u);
  EXPECT_EQ(s.max_tracked_sources, 1000u);
  EXPECT_EQ(s.max_bans, 500u);
  EXPECT_EQ(s.limits, (CallLimits{100, 10}));
  EXPECT_EQ(s.max_calls_per_minute, 5u);
  EXPECT_EQ(s.max_calls_per_hour, 60u);
  EXPECT_EQ(s.blocked_prefixes, (std::vector<std::string>{"1900", "44", "882"}));
  EXPECT_EQ(s.allowed_prefixes, (std::vector<std::string>{"4420"}));
  const RegistrarConfig& r = config->registrar;
  EXPECT_EQ(r.min_expires, 30u);
  EXPECT_EQ(r.max_expires, 7200u);
  EXPECT_EQ(r.default_expires, 600u);
  EXPECT_EQ(r.nat_expires, 25u);
  EXPECT_EQ(r.max_contacts, 2u);
  EXPECT_EQ(r.max_bindings, 1000u);

  ASSERT_EQ(config->users.size(), 3u);  // sorted by name
  EXPECT_EQ(config->users[0].name, "alice");
  EXPECT_EQ(config->users[1].name, "bob");
  EXPECT_EQ(config->users[2].name, "john.doe");
  const UserConfig* alice = config->find_user("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->zone, "access");
  EXPECT_EQ(alice->secret, "correct horse battery staple");
  EXPECT_TRUE(alice->algorithms.empty());
  EXPECT_EQ(alice->limits, CallLimits{});
  const UserConfig* bob = config->find_user("bob");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->zone, "access");  // default: the access zone
  EXPECT_EQ(bob->secret, "b0b-s3cret!");
  EXPECT_EQ(bob->algorithms, std::vector<DigestAlgorithm>{DigestAlgorithm::kMd5});
  EXPECT_EQ(bob->limits, (CallLimits{2, 1}));
  EXPECT_EQ(bob->max_calls_per_minute, 3u);
  EXPECT_EQ(bob->max_calls_per_hour, 30u);
  EXPECT_NE(config->find_user("john.doe"), nullptr);
  EXPECT_EQ(config->find_user("john"), nullptr);
  EXPECT_EQ(config->find_user("carol"), nullptr);
  EXPECT_EQ(config->find_user(""), nullptr);

  const ZoneConfig& access = config->zones[0];
  EXPECT_EQ(access.acl_allow, (std::vector<IpNetwork>{net("192.0.2.0/24"), net("2001:db8::/32"),
                                                      net("203.0.113.0/24")}));
  EXPECT_EQ(access.acl_deny, std::vector<IpNetwork>{net("192.0.2.66/32")});
  EXPECT_EQ(access.trusted, std::vector<IpNetwork>{net("192.0.2.10/32")});
  EXPECT_EQ(access.authenticate,
            (std::vector<sip::Method>{sip::Method::kRegister, sip::Method::kInvite}));
  EXPECT_EQ(access.realm, "sbc.example");
  EXPECT_EQ(access.auth_algorithms,
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}));
  EXPECT_EQ(config->zones[1].acl_allow, std::vector<IpNetwork>{net("198.51.100.0/24")});
  EXPECT_EQ(config->zones[1].realm, "198.51.100.1");
  const TrunkConfig& trunk = config->trunks[0];
  EXPECT_EQ(trunk.allow, (std::vector<IpNetwork>{net("198.51.100.0/28"), net("198.51.100.64/26")}));
  EXPECT_EQ(trunk.limits, (CallLimits{30, 5}));
}

TEST(ConfigSecurityTest, RealmWithoutSipAddressIsSbc) {
  std::string text = kSample;
  text.replace(text.find("sip_address = 198.51.100.1"), 26, "");
  auto config = parse_config(text);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->zones[1].realm, "sbc");
}

TEST(ConfigSecurityTest, ScannerListCanBeEmptied) {
  auto config = parse_config(with("[security]\nscanner_user_agents =\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_TRUE(config->security.scanner_user_agents.empty());
}

TEST(ConfigSecurityTest, DigestAlgorithms) {
  EXPECT_EQ(to_string(DigestAlgorithm::kMd5), "MD5");
  EXPECT_EQ(to_string(DigestAlgorithm::kSha256), "SHA-256");
  EXPECT_EQ(parse_digest_algorithm("md5"), DigestAlgorithm::kMd5);
  EXPECT_EQ(parse_digest_algorithm("MD5"), DigestAlgorithm::kMd5);
  EXPECT_EQ(parse_digest_algorithm("sha-256"), DigestAlgorithm::kSha256);
  EXPECT_EQ(parse_digest_algorithm("SHA-256"), DigestAlgorithm::kSha256);
  EXPECT_EQ(parse_digest_algorithm("sha256"), DigestAlgorithm::kSha256);
  EXPECT_EQ(parse_digest_algorithm("SHA-512-256"), std::nullopt);
  EXPECT_EQ(parse_digest_algorithm("md5-sess"), std::nullopt);
  EXPECT_EQ(parse_digest_algorithm(""), std::nullopt);
}

TEST(ConfigSecurityTest, ErrorsNameTheOption) {
  const auto names = [](const std::string& extra, const std::string& option) {
    const std::string message = error_of(with(extra));
    EXPECT_NE(message.find(option), std::string::npos) << extra << " -> " << message;
  };
  names("[media]\nmax_packet_rate = -1\n", "media.max_packet_rate");
  names("[security]\nallowlist = 10.0.0.1/8\n", "security.allowlist");
  names("[security]\nallowlist = 10.0.0.0/8,\n", "security.allowlist");
  names("[security]\nrequest_rate = x\n", "security.request_rate");
  names("[security]\nrequest_burst = 0\n", "security.request_burst");
  names("[security]\nwindow = 0\n", "security.window");
  names("[security]\nmax_auth_failures = -3\n", "security.max_auth_failures");
  names("[security]\nmax_malformed = 1e3\n", "security.max_malformed");
  names("[security]\nmax_rate_violations = 99999999\n", "security.max_rate_violations");
  names("[security]\nscanner_user_agents = a,,b\n", "security.scanner_user_agents");
  names("[security]\nban_time = 0\n", "security.ban_time");
  names("[security]\nban_time = 600\nban_time_max = 599\n", "security.ban_time_max");
  names("[security]\nrecidive_window = x\n", "security.recidive_window");
  names("[security]\nmax_tracked_sources = 0\n", "security.max_tracked_sources");
  names("[security]\nmax_bans = 0\n", "security.max_bans");
  names("[security]\nmax_calls = -1\n", "security.max_calls");
  names("[security]\nmax_cps = 100001\n", "security.max_cps");
  names("[security]\nmax_calls_per_minute = x\n", "security.max_calls_per_minute");
  names("[security]\nmax_calls_per_hour = x\n", "security.max_calls_per_hour");
  names("[security]\nblocked_prefixes = +1900\n", "security.blocked_prefixes");
  names("[security]\nblocked_prefixes = 123456789012345678901234567890123\n",
        "security.blocked_prefixes");
  names("[security]\nallowed_prefixes = 1a\n", "security.allowed_prefixes");
  names("[security]\nblocked_prefixes = 1900\nallowed_prefixes = 1900\n",
        "security.allowed_prefixes");
  names("[security]\nbogus = 1\n", "security.bogus");
  names("[registrar]\nmin_expires = 0\n", "registrar.min_expires");
  names("[registrar]\nmin_expires = 600\nmax_expires = 300\n", "registrar.max_expires");
  names("[registrar]\ndefault_expires = 10\n", "registrar.default_expires");
  names("[registrar]\ndefault_expires = 7200\n", "registrar.default_expires");
  names("[registrar]\nnat_expires = 7200\n", "registrar.nat_expires");
  names("[registrar]\nmax_contacts = 0\n", "registrar.max_contacts");
  names("[registrar]\nmax_bindings = x\n", "registrar.max_bindings");
  names("[user.alice]\nzone = access\n", "user.alice.secret");
  names("[user.alice]\nsecret = s\nzone = nowhere\n", "user.alice.zone");
  names("[user.alice]\nsecret = s\nzone = carrier\n", "user.alice.zone");
  names("[user.alice]\nsecret = s\nalgorithms = sha-512\n", "user.alice.algorithms");
  names("[user.alice]\nsecret = s\nalgorithms = md5, MD5\n", "user.alice.algorithms");
  names("[user.alice]\nsecret = s\nmax_calls = x\n", "user.alice.max_calls");
  names("[user.alice]\nsecret = s\nmax_cps = 1001\n", "user.alice.max_cps");
  names("[user.alice]\nsecret = s\nmax_calls_per_minute = x\n", "user.alice.max_calls_per_minute");
  names("[user.alice]\nsecret = s\nmax_calls_per_hour = x\n", "user.alice.max_calls_per_hour");
  names("[user.alice]\nsecret = s\npassword = s\n", "user.alice.password");
  names("[user.a/b]\nsecret = s\n", "user.a/b");
  names("[zone.access]\nacl_allow = 192.0.2.1/24\n", "zone.access.acl_allow");
  names("[zone.access]\nacl_deny = nonsense\n", "zone.access.acl_deny");
  names("[zone.access]\ntrusted = 192.0.2.0/33\n", "zone.access.trusted");
  names("[zone.access]\nauthenticate = register, bye\n", "zone.access.authenticate");
  names("[zone.access]\nauthenticate =\n", "zone.access.authenticate");
  names("[zone.access]\nrealm = a\"b\n", "zone.access.realm");
  names("[zone.access]\nauth_algorithms = sha-256, sha256\n", "zone.access.auth_algorithms");
  names("[zone.access]\nauth_algorithms =\n", "zone.access.auth_algorithms");
  names("[trunk.carrier1]\nallow = 203.0.113.0/24\n", "trunk.carrier1.allow");
  names("[trunk.carrier1]\nallow = 198.51.100.1/24\n", "trunk.carrier1.allow");
  names("[trunk.carrier1]\nmax_calls = x\n", "trunk.carrier1.max_calls");
  names("[trunk.carrier1]\nmax_cps = -5\n", "trunk.carrier1.max_cps");
  // Single-valued keys may not repeat.
  names("[zone.access]\nrealm = a\nrealm = b\n", "zone.access.realm");
  names("[user.alice]\nsecret = s\nsecret = t\n", "user.alice.secret");
}

TEST(ConfigSecurityTest, SecretsAreNeverEchoed) {
  const std::string secret = "Sup3rS3cr3t\x01";
  std::string message = error_of(with("[user.alice]\nsecret = " + secret + "\n"));
  EXPECT_NE(message.find("user.alice.secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("Sup3rS3cr3t"), std::string::npos) << message;
  message = error_of(with("[user.alice]\nsecret = " + std::string(129, 'k') + "\n"));
  EXPECT_NE(message.find("user.alice.secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("kkkk"), std::string::npos) << message;
  message = error_of(with("[user.alice]\nsecret = hunter2\nsecret = hunter3\n"));
  EXPECT_EQ(message.find("hunter"), std::string::npos) << message;
  // A ';' after a space starts a comment: what is left must still be a valid secret.
  message = error_of(with("[user.alice]\nsecret = ;hunter2\n"));
  EXPECT_NE(message.find("user.alice.secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter"), std::string::npos) << message;
  // Boost would cut a value at '#': it is kept whole (a '#' after a space starts a comment).
  auto config = parse_config(with("[user.alice]\nsecret = hunter2#x ;comment\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->find_user("alice")->secret, "hunter2#x");
  message = error_of(with("[user.alice]\nsecret = hunter2\x1fx\n"));
  EXPECT_NE(message.find("user.alice.secret: a control character"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter"), std::string::npos) << message;
  config = parse_config(with("[user.alice]\nsecret = a;b c!\"'\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->find_user("alice")->secret, "a;b c!\"'");
}

TEST(ConfigSecurityTest, UserNames) {
  auto config = parse_config(with("[user.+15550001]\nsecret = s\n[user.a_b-c]\nsecret = s\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_NE(config->find_user("+15550001"), nullptr);
  EXPECT_NE(config->find_user("a_b-c"), nullptr);
  EXPECT_FALSE(parse_config(with("[user." + std::string(65, 'u') + "]\nsecret = s\n")));
}

TEST(ConfigSecurityTest, AllowListsDeduplicateAndAcceptV6) {
  auto config = parse_config(with(
      "[zone.access]\nacl_deny = 2001:db8::/32, 2001:db8::/32\nacl_deny = ::ffff:192.0.2.0/120\n"
      "[trunk.carrier1]\nallow = 198.51.100.10\nallow = 2001:db8:c::1\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->zones[0].acl_deny,
            (std::vector<IpNetwork>{net("2001:db8::/32"), net("192.0.2.0/24")}));
  EXPECT_EQ(config->trunks[0].allow,
            (std::vector<IpNetwork>{net("198.51.100.10"), net("2001:db8:c::1")}));
}

// --- issue 8: secure by default ------------------------------------------------------------------

// kSample without its explicit allow_open_access: an access zone anyone may call out from.
std::string open_sample(const std::string& extra = {}) {
  std::string text = kSample;
  const std::string line = "allow_open_access = yes            ; a lab: any source may call out\n";
  text.erase(text.find(line), line.size());
  return text + extra;
}

TEST(ConfigSecureDefaultTest, OpenAccessZoneIsRefusedNamingZoneAndOption) {
  const std::string message = error_of(open_sample());
  EXPECT_NE(message.find("zone.access"), std::string::npos) << message;
  EXPECT_NE(message.find("trunk carrier1"), std::string::npos) << message;
  EXPECT_NE(message.find("zone.access.allow_open_access = yes"), std::string::npos) << message;
  EXPECT_NE(message.find("zone.access.acl_allow"), std::string::npos) << message;
  EXPECT_NE(message.find("zone.access.authenticate = invite"), std::string::npos) << message;
  // trusted alone admits everyone (it only spares a PBX the digest); authenticate = register
  // still lets anyone call.
  EXPECT_FALSE(parse_config(open_sample("[zone.access]\ntrusted = 192.0.2.10\n")));
  EXPECT_FALSE(parse_config(open_sample("[zone.access]\nauthenticate = register\n")));
  EXPECT_FALSE(parse_config(open_sample("[zone.access]\nallow_open_access = no\n")));
  EXPECT_FALSE(parse_config(open_sample("[zone.access]\nallow_open_access = maybe\n")));
}

TEST(ConfigSecureDefaultTest, ScreenedOrExplicitlyOpenZonesAreAccepted) {
  for (const char* extra : {"[zone.access]\nacl_allow = 192.0.2.0/24\n",
                            "[zone.access]\nauthenticate = invite\ntrusted = 192.0.2.10\n",
                            "[zone.access]\nallow_open_access = yes\n",
                            "[user.alice]\nsecret = s3cret\n"}) {  // users: digest by default
    auto config = parse_config(open_sample(extra));
    ASSERT_TRUE(config.has_value()) << extra << config.error();
  }
  auto config = parse_config(open_sample("[zone.access]\nallow_open_access = yes\n"));
  EXPECT_TRUE(config->access_zone().allow_open_access);
  EXPECT_FALSE(config->zones[1].allow_open_access);  // carrier: default
}

TEST(ConfigSecureDefaultTest, UsersMakeTheirZoneAuthenticateByDefault) {
  // No users: nothing to authenticate against.
  auto config = parse_config(kSample);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_TRUE(config->access_zone().authenticate.empty());
  // A user of the access zone (default zone, or named): REGISTER and INVITE are challenged.
  for (const char* user :
       {"[user.alice]\nsecret = s\n", "[user.alice]\nsecret = s\nzone = access\n"}) {
    config = parse_config(with(user));
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->access_zone().authenticate,
              (std::vector<sip::Method>{sip::Method::kRegister, sip::Method::kInvite}));
    EXPECT_TRUE(config->find_zone("carrier")->authenticate.empty());
  }
  // The operator may say otherwise, explicitly.
  config = parse_config(with("[user.alice]\nsecret = s\n[zone.access]\nauthenticate = none\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_TRUE(config->access_zone().authenticate.empty());
  config = parse_config(with("[user.alice]\nsecret = s\n[zone.access]\nauthenticate = register\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->access_zone().authenticate, std::vector<sip::Method>{sip::Method::kRegister});
  // ... but "none" with users and nothing else screening the zone is still open access.
  EXPECT_FALSE(
      parse_config(open_sample("[user.alice]\nsecret = s\n[zone.access]\nauthenticate = none\n")));
  EXPECT_FALSE(parse_config(with("[zone.access]\nauthenticate = none, invite\n")));
}

TEST(ConfigSecureDefaultTest, ProtectedNeighbours) {
  auto config = parse_config(with("[zone.access]\nprotect = 192.0.2.254, 2001:db8::1\n"));
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->access_zone().protect,
            (std::vector<IpNetwork>{net("192.0.2.254"), net("2001:db8::1")}));
  EXPECT_NE(error_of(with("[zone.access]\nprotect = 192.0.2.1/24\n")).find("zone.access.protect"),
            std::string::npos);
}

}  // namespace
}  // namespace sbc::cp
