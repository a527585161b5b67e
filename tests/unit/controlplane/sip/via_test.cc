#include "controlplane/sip/via.h"

#include <gtest/gtest.h>

namespace sbc::cp::sip {
namespace {

TEST(Via, TypicalWithRportAndReceived) {
  auto v = parse_via(
      "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.7;rport=5070");
  ASSERT_TRUE(v) << to_string(v.error());
  EXPECT_EQ(v->protocol_name, "SIP");
  EXPECT_EQ(v->protocol_version, "2.0");
  EXPECT_EQ(v->transport, "UDP");
  EXPECT_EQ(v->host, "pc33.atlanta.com");
  EXPECT_EQ(v->port, 5066);
  EXPECT_EQ(v->branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(v->rfc3261_branch());
  EXPECT_EQ(v->received, "192.0.2.7");
  EXPECT_TRUE(v->rport_present);
  EXPECT_EQ(v->rport, 5070);
  EXPECT_EQ(v->params.size(), 3u);
}

TEST(Via, EmptyRportLwsAndIpv6) {
  auto v =
      parse_via("SIP / 2.0 / TCP [2001:db8::9] ; rport ; branch=z9hG4bKx;ttl=16;maddr=224.2.0.1");
  ASSERT_TRUE(v) << to_string(v.error());
  EXPECT_EQ(v->transport, "TCP");
  EXPECT_EQ(v->host, "2001:db8::9");
  EXPECT_TRUE(v->host_is_ipv6);
  EXPECT_FALSE(v->port);
  EXPECT_TRUE(v->rport_present);
  EXPECT_FALSE(v->rport);
  EXPECT_EQ(v->ttl, 16);
  EXPECT_EQ(v->maddr, "224.2.0.1");
}

TEST(Via, OldBranchIsNotRfc3261) {
  auto v = parse_via("SIP/2.0/UDP host;branch=1234");
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->rfc3261_branch());
}

TEST(Via, RejectsMalformed) {
  for (const char* bad :
       {"", "SIP/2.0 host", "SIP/2.0/UDP", "SIP/2.0/UDP host:70000", "SIP/2.0/UDP host;rport=x",
        "SIP/2.0/UDP host;ttl=300", "SIP/2.0/UDP [::1;branch=z", "SIP/2.0/UDP host junk",
        "SIP/2.0/UDP ho_st"}) {
    EXPECT_FALSE(parse_via(bad).has_value()) << bad;
  }
  EXPECT_EQ(parse_via("SIP/2.0/UDP 192.0.2.15;;").error(), ParseError::kBadParameter);
}

TEST(Via, Format) {
  EXPECT_EQ(format_via("UDP", "192.0.2.1", 5060, "z9hG4bKabc"),
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport");
  EXPECT_EQ(format_via("TLS", "2001:db8::1", std::nullopt, "z9hG4bKabc", false),
            "SIP/2.0/TLS [2001:db8::1];branch=z9hG4bKabc");
  const std::string text = format_via("TCP", "2001:db8::1", 5061, "z9hG4bKq");
  auto v = parse_via(text);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host, "2001:db8::1");
  EXPECT_EQ(v->port, 5061);
}

}  // namespace
}  // namespace sbc::cp::sip
