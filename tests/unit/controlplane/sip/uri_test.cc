#include "controlplane/sip/uri.h"

#include <gtest/gtest.h>

namespace sbc::cp::sip {
namespace {

TEST(Uri, FullSipUri) {
  auto u = parse_uri("sip:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=hi&x=y");
  ASSERT_TRUE(u) << to_string(u.error());
  EXPECT_EQ(u->scheme, UriScheme::kSip);
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->password, "secret");
  EXPECT_EQ(u->host, "atlanta.example.com");
  EXPECT_EQ(u->port, 5061);
  EXPECT_EQ(u->transport(), "tcp");
  EXPECT_TRUE(u->loose_route());
  ASSERT_EQ(u->headers.size(), 2u);
  EXPECT_EQ(u->headers[0].name, "subject");
  EXPECT_EQ(u->headers[1].value, "y");
  EXPECT_EQ(u->host_port(), "atlanta.example.com:5061");
}

TEST(Uri, Ipv6ReferenceAndSchemeCase) {
  auto u = parse_uri("SIPS:bob@[2001:db8::10]:5061;maddr=[2001:db8::1]");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, UriScheme::kSips);
  EXPECT_EQ(u->host, "2001:db8::10");
  EXPECT_TRUE(u->host_is_ipv6);
  EXPECT_EQ(u->port, 5061);
  EXPECT_EQ(u->param("maddr")->value, "[2001:db8::1]");
  EXPECT_EQ(u->host_port(), "[2001:db8::10]:5061");
}

TEST(Uri, HostOnlyAndUserParams) {
  auto u = parse_uri("sip:192.0.2.1");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->user.empty());
  EXPECT_EQ(u->host, "192.0.2.1");
  EXPECT_FALSE(u->port);
  auto v = parse_uri("sip:+15550001;npdi@carrier.example;user=phone");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->user, "+15550001;npdi");
  EXPECT_EQ(v->param("user")->value, "phone");
  auto e = parse_uri("sip:%61lice@example.com");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->user, "%61lice");
}

TEST(Uri, TelAndOtherSchemes) {
  auto t = parse_uri("tel:+1-555-0100;phone-context=example.com");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->scheme, UriScheme::kTel);
  EXPECT_EQ(t->user, "+1-555-0100");
  EXPECT_EQ(t->param("phone-context")->value, "example.com");
  auto o = parse_uri("mailto:someone@example.com");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->scheme, UriScheme::kOther);
  EXPECT_FALSE(o->is_sip_or_sips());
}

TEST(Uri, RejectsMalformed) {
  for (const char* bad :
       {"", "sip:", "sip:@host", "sip:user@", "sip:host:99999", "sip:host:", "sip:[::1",
        "sip:a b@host", "sip:host;", "sip:host?", "sip:ho$t", "sip:%zzuser@host", "<sip:host>",
        "sip:host:5060x", "tel:", "1sip:host"}) {
    EXPECT_FALSE(parse_uri(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sbc::cp::sip
