#include "controlplane/sip/auth.h"

#include <gtest/gtest.h>

#include "controlplane/sip/message.h"
#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::crlf;
using testing::parse_ok;

TEST(Auth, DigestCredentialsUnquotedOnRequest) {
  const Message m = parse_ok(crlf(
      {"INVITE sip:b@example.com SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
       "From: <sip:a@example.com>;tag=1", "To: <sip:b@example.com>", "Call-ID: c1",
       "CSeq: 2 INVITE", "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\",",
       "  nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:b@example.com\", qop=auth,",
       "  nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\",",
       "  opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=MD5", ""}));
  EXPECT_TRUE(m.authorizations()->empty());
  const auto creds = m.proxy_authorizations();
  ASSERT_TRUE(creds) << to_string(creds.error());
  ASSERT_EQ(creds->size(), 1u);
  EXPECT_TRUE((*creds)[0].is_digest());
  EXPECT_EQ((*creds)[0].find("realm")->value, "\"example.com\"");
  const auto d = digest_credentials((*creds)[0]);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->username, "alice");
  EXPECT_EQ(d->realm, "example.com");
  EXPECT_EQ(d->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
  EXPECT_EQ(d->uri, "sip:b@example.com");
  EXPECT_EQ(d->response, "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(d->algorithm, "MD5");
  EXPECT_EQ(d->qop, "auth");
  EXPECT_EQ(d->nc, "00000001");
  EXPECT_EQ(d->cnonce, "0a4f113b");
  EXPECT_EQ(d->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
}

TEST(Auth, DigestChallenge) {
  const Message m =
      parse_ok(crlf({"SIP/2.0 401 Unauthorized", "Via: SIP/2.0/UDP h;branch=z9hG4bKa",
                     "From: <sip:a@example.com>;tag=1", "To: <sip:a@example.com>;tag=2",
                     "Call-ID: c1", "CSeq: 1 REGISTER",
                     "WWW-Authenticate: Digest realm=\"example.com\", qop=\"auth,auth-int\", "
                     "nonce=\"n1\", opaque=\"o\", stale=TRUE, algorithm=MD5",
                     "WWW-Authenticate: Digest realm=\"other.example\", nonce=\"n2\"", ""}));
  const auto ch = m.www_authenticates();
  ASSERT_TRUE(ch);
  ASSERT_EQ(ch->size(), 2u);
  const auto d = digest_challenge((*ch)[0]);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->realm, "example.com");
  EXPECT_EQ(d->nonce, "n1");
  EXPECT_EQ(d->qop, (std::vector<std::string>{"auth", "auth-int"}));
  EXPECT_EQ(d->opaque, "o");
  EXPECT_TRUE(d->stale);
  EXPECT_EQ(d->algorithm, "MD5");
  EXPECT_FALSE(digest_challenge((*ch)[1])->stale);
  EXPECT_TRUE(m.proxy_authenticates()->empty());
}

TEST(Auth, MalformedValues) {
  const auto bad = [](std::string_view v) {
    auto r = parse_auth_header(v, ParseError::kBadCredentials);
    return r ? ParseError::kEmpty : r.error();
  };
  EXPECT_EQ(bad("Digest"), ParseError::kBadCredentials);
  EXPECT_EQ(bad("Digest realm"), ParseError::kBadCredentials);
  EXPECT_EQ(bad("Digest realm="), ParseError::kBadCredentials);
  EXPECT_EQ(bad("Digest realm=\"x"), ParseError::kBadQuotedString);
  EXPECT_EQ(bad("Digest realm=a realm=b"), ParseError::kBadCredentials);
  EXPECT_EQ(bad("Digest realm=a, realm=b"), ParseError::kBadCredentials);
  EXPECT_EQ(bad("Digest realm=a,"), ParseError::kBadCredentials);
  EXPECT_EQ(bad("Dig@est realm=a"), ParseError::kBadCredentials);
  // A parameter count cap keeps the duplicate check cheap on hostile input.
  std::string many = "Digest p0=v";
  for (size_t i = 1; i < kMaxAuthParams; ++i) many += ",p" + std::to_string(i) + "=v";
  EXPECT_TRUE(parse_auth_header(many, ParseError::kBadCredentials));
  EXPECT_EQ(bad(many + ",one_more=v"), ParseError::kBadCredentials);
  // Digest needs its mandatory parameters; qop needs nc and cnonce.
  const auto partial =
      parse_auth_header("Digest username=\"a\", realm=\"r\"", ParseError::kBadCredentials);
  ASSERT_TRUE(partial);
  EXPECT_EQ(digest_credentials(*partial).error(), ParseError::kBadCredentials);
  const auto no_nc =
      parse_auth_header("Digest username=a, realm=r, nonce=n, uri=\"sip:x\", response=r, qop=auth",
                        ParseError::kBadCredentials);
  ASSERT_TRUE(no_nc);
  EXPECT_EQ(digest_credentials(*no_nc).error(), ParseError::kBadCredentials);
  const auto no_nonce = parse_auth_header("Digest realm=r", ParseError::kBadChallenge);
  EXPECT_EQ(digest_challenge(*no_nonce).error(), ParseError::kBadChallenge);
}

}  // namespace
}  // namespace sbc::cp::sip
