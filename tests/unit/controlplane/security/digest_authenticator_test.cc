#include "controlplane/security/digest_authenticator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "controlplane/sip/auth.h"
#include "controlplane/sip/message.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using TimePoint = DigestAuthenticator::TimePoint;

const TimePoint kT0 = TimePoint{} + 1000h;
constexpr std::string_view kRealm = "sbc.example";
constexpr std::string_view kUri = "sip:sbc.example";
const std::vector<DigestAlgorithm> kBoth = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};

sip::Message make_request(const std::vector<std::string>& extra, std::string_view uri = kUri,
                          std::string_view method = "REGISTER") {
  std::string text = std::string(method) + " " + std::string(uri) + " SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: <sip:alice@sbc.example>;tag=1928301774\r\n";
  text += "To: <sip:alice@sbc.example>\r\n";
  text += "Call-ID: a84b4c76e66710\r\n";
  text += "CSeq: 1 " + std::string(method) + "\r\n";
  for (const auto& h : extra) text += h + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  auto m = sip::Message::parse(std::move(text));
  EXPECT_TRUE(m.has_value());
  return std::move(*m);
}

// What a client answers to one challenge value; setters change one thing from alice's answer.
struct Answer {
  std::string user = "alice";
  std::string secret = "s3cret-Alice";
  std::string method = "REGISTER";
  std::string uri = std::string(kUri);
  std::string nc = "00000001";
  std::string cnonce = "0a4f113b";
  bool qop = true;
  std::string realm_override;  // "" = the challenge's realm

  Answer& with_user(std::string u, std::string s) {
    user = std::move(u);
    secret = std::move(s);
    return *this;
  }
  Answer& with_secret(std::string s) {
    secret = std::move(s);
    return *this;
  }
  Answer& with_request(std::string m, std::string u) {
    method = std::move(m);
    uri = std::move(u);
    return *this;
  }
  Answer& with_uri(std::string u) {
    uri = std::move(u);
    return *this;
  }
  Answer& with_nc(std::string n) {
    nc = std::move(n);
    return *this;
  }
  Answer& with_cnonce(std::string c) {
    cnonce = std::move(c);
    return *this;
  }
  Answer& without_qop() {
    qop = false;
    return *this;
  }
  Answer& with_realm(std::string r) {
    realm_override = std::move(r);
    return *this;
  }
};

std::string authorization(const std::string& challenge, const Answer& a) {
  const auto header = sip::parse_auth_header(challenge, sip::ParseError::kBadChallenge);
  EXPECT_TRUE(header.has_value());
  const auto c = sip::digest_challenge(*header);
  EXPECT_TRUE(c.has_value());
  const DigestAlgorithm algorithm =
      c->algorithm == "SHA-256" ? DigestAlgorithm::kSha256 : DigestAlgorithm::kMd5;
  const std::string realm = a.realm_override.empty() ? c->realm : a.realm_override;
  const std::string response = digest_response(DigestInput{
      .algorithm = algorithm,
      .username = a.user,
      .realm = realm,
      .secret = a.secret,
      .method = a.method,
      .uri = a.uri,
      .nonce = c->nonce,
      .nc = a.qop ? std::string_view(a.nc) : std::string_view(),
      .cnonce = a.qop ? std::string_view(a.cnonce) : std::string_view(),
      .qop = a.qop ? "auth" : "",
  });
  std::string v = "Digest username=\"" + a.user + "\", realm=\"" + realm + "\", nonce=\"" +
                  c->nonce + "\", uri=\"" + a.uri + "\", response=\"" + response +
                  "\", algorithm=" + c->algorithm + ", opaque=\"" + c->opaque + "\"";
  if (a.qop) v += ", qop=auth, nc=" + a.nc + ", cnonce=\"" + a.cnonce + "\"";
  return v;
}

class DigestAuthenticatorTest : public ::testing::Test {
 protected:
  DigestAuthenticatorTest() {
    users_.resize(2);
    users_[0].name = "alice";
    users_[0].secret = "s3cret-Alice";
    users_[1].name = "bob";
    users_[1].secret = "b0b-pass";
    users_[1].algorithms = {DigestAlgorithm::kSha256};
  }

  std::expected<AuthenticatedUser, AuthFailure> verify(
      const sip::Message& request, TimePoint now,
      sip::HeaderId header = sip::HeaderId::kAuthorization,
      std::span<const DigestAlgorithm> zone = kBoth) {
    return auth_.verify(
        request, header, kRealm,
        [this](std::string_view name) -> const UserConfig* {
          for (const auto& u : users_) {
            if (u.name == name) return &u;
          }
          return nullptr;
        },
        zone, now);
  }

  // The challenge value for `algorithm` from a fresh 401.
  std::string challenge(DigestAlgorithm algorithm, TimePoint now = kT0) {
    const auto values = auth_.challenges(kRealm, kBoth, false, now);
    return values.at(algorithm == DigestAlgorithm::kSha256 ? 0 : 1);
  }

  sip::Message answered(const std::string& challenge_value, const Answer& a = {}) {
    return make_request({"Authorization: " + authorization(challenge_value, a)});
  }

  DigestAuthenticator auth_{
      DigestAuthenticator::Settings{.nonce_lifetime = 300s, .max_nonces = 16}};
  std::vector<UserConfig> users_;
};

TEST(DigestResponseTest, Rfc2617Section3_5Md5WithQopAuth) {
  EXPECT_EQ(digest_response(DigestInput{
                .algorithm = DigestAlgorithm::kMd5,
                .username = "Mufasa",
                .realm = "testrealm@host.com",
                .secret = "Circle Of Life",
                .method = "GET",
                .uri = "/dir/index.html",
                .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                .nc = "00000001",
                .cnonce = "0a4f113b",
                .qop = "auth",
            }),
            "6629fae49393a05397450978507c4ef1");
}

TEST(DigestResponseTest, Rfc7616Section3_9_1Sha256AndMd5) {
  DigestInput in{
      .algorithm = DigestAlgorithm::kSha256,
      .username = "Mufasa",
      .realm = "http-auth@example.org",
      .secret = "Circle of Life",
      .method = "GET",
      .uri = "/dir/index.html",
      .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
      .nc = "00000001",
      .cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
      .qop = "auth",
  };
  EXPECT_EQ(digest_response(in),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  in.algorithm = DigestAlgorithm::kMd5;
  EXPECT_EQ(digest_response(in), "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestResponseTest, Rfc2069FormWithoutQop) {
  // RFC 2069 §2.4's inputs (password CircleOfLife); response = MD5(HA1:nonce:HA2), the value
  // cross-checked with Python's hashlib.
  EXPECT_EQ(digest_response(DigestInput{
                .algorithm = DigestAlgorithm::kMd5,
                .username = "Mufasa",
                .realm = "testrealm@host.com",
                .secret = "CircleOfLife",
                .method = "GET",
                .uri = "/dir/index.html",
                .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                .nc = "",
                .cnonce = "",
                .qop = "",
            }),
            "1949323746fe6a43ef61f9606e7febea");
}

TEST(AuthFailureTest, NamesAndOffences) {
  EXPECT_EQ(to_string(AuthFailure::kNoCredentials), "no_credentials");
  EXPECT_EQ(to_string(AuthFailure::kAlgorithmRefused), "algorithm_refused");
  EXPECT_EQ(to_string(AuthFailure::kWrongResponse), "wrong_response");
  EXPECT_FALSE(is_offence(AuthFailure::kNoCredentials));
  EXPECT_FALSE(is_offence(AuthFailure::kStale));
  EXPECT_TRUE(is_offence(AuthFailure::kWrongResponse));
  EXPECT_FALSE(is_offence(AuthFailure::kBadNonce));  // e.g. a nonce from before a restart
  EXPECT_TRUE(is_offence(AuthFailure::kReplay));
}

TEST_F(DigestAuthenticatorTest, ChallengesOnePerAlgorithmMostPreferredFirst) {
  const auto values = auth_.challenges(kRealm, kBoth, false, kT0);
  ASSERT_EQ(values.size(), 2u);
  std::string nonce;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto header = sip::parse_auth_header(values[i], sip::ParseError::kBadChallenge);
    ASSERT_TRUE(header.has_value()) << values[i];
    const auto c = sip::digest_challenge(*header);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->realm, kRealm);
    EXPECT_EQ(c->algorithm, i == 0 ? "SHA-256" : "MD5");
    EXPECT_EQ(c->qop, std::vector<std::string>{"auth"});
    EXPECT_FALSE(c->opaque.empty());
    EXPECT_FALSE(c->stale);
    if (i == 0) nonce = c->nonce;
    EXPECT_EQ(c->nonce, nonce);  // one nonce: the client answers one of them
  }
  EXPECT_EQ(values[0].rfind("Digest realm=\"sbc.example\", nonce=\"", 0), 0u) << values[0];
  EXPECT_NE(values[0].find(", algorithm=SHA-256, qop=\"auth\""), std::string::npos);

  const auto stale = auth_.challenges(kRealm, kBoth, true, kT0);
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_NE(stale[0].find(", stale=true"), std::string::npos);
  EXPECT_NE(stale[0], values[0]);  // a fresh nonce each time
  EXPECT_TRUE(auth_.challenges(kRealm, {}, false, kT0).empty());
}

TEST_F(DigestAuthenticatorTest, RealmWithQuoteIsEscaped) {
  const auto values = auth_.challenges("a\"b", kBoth, false, kT0);
  const auto header = sip::parse_auth_header(values[0], sip::ParseError::kBadChallenge);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(sip::digest_challenge(*header)->realm, "a\"b");
}

class DigestRoundTripTest : public DigestAuthenticatorTest,
                            public ::testing::WithParamInterface<DigestAlgorithm> {};

TEST_P(DigestRoundTripTest, ChallengeThenVerify) {
  const auto result = verify(answered(challenge(GetParam())), kT0 + 1s);
  ASSERT_TRUE(result.has_value()) << to_string(result.error());
  EXPECT_EQ(result->user, "alice");
  EXPECT_EQ(result->algorithm, GetParam());
}

TEST_P(DigestRoundTripTest, ProxyAuthorization) {
  const std::string value = authorization(
      challenge(GetParam()), Answer().with_request("INVITE", "sip:15550001@sbc.example"));
  const auto invite =
      make_request({"Proxy-Authorization: " + value}, "sip:15550001@sbc.example", "INVITE");
  const auto result = verify(invite, kT0, sip::HeaderId::kProxyAuthorization);
  ASSERT_TRUE(result.has_value()) << to_string(result.error());
  EXPECT_EQ(result->user, "alice");
  // The same credentials in the other header are not looked at.
  EXPECT_EQ(verify(invite, kT0, sip::HeaderId::kAuthorization).error(),
            AuthFailure::kNoCredentials);
}

TEST_P(DigestRoundTripTest, WrongPassword) {
  const auto r = verify(answered(challenge(GetParam()), Answer().with_secret("guess")), kT0);
  EXPECT_EQ(r.error(), AuthFailure::kWrongResponse);
}

TEST_P(DigestRoundTripTest, UppercaseHexResponseAccepted) {
  std::string value = authorization(challenge(GetParam()), Answer());
  const size_t at = value.find("response=\"") + 10;
  for (size_t i = at; value[i] != '"'; ++i) value[i] = static_cast<char>(std::toupper(value[i]));
  EXPECT_TRUE(verify(make_request({"Authorization: " + value}), kT0).has_value());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, DigestRoundTripTest,
                         ::testing::Values(DigestAlgorithm::kMd5, DigestAlgorithm::kSha256),
                         [](const auto& info) {
                           return info.param == DigestAlgorithm::kMd5 ? "Md5" : "Sha256";
                         });

TEST_F(DigestAuthenticatorTest, NoCredentials) {
  EXPECT_EQ(verify(make_request({}), kT0).error(), AuthFailure::kNoCredentials);
  // Credentials for someone else's realm (a proxy on the path) are not ours to judge.
  EXPECT_EQ(verify(make_request({"Authorization: Digest username=\"alice\", realm=\"other\", "
                                 "nonce=\"abc\", uri=\"sip:sbc.example\", response=\"00\""}),
                   kT0)
                .error(),
            AuthFailure::kNoCredentials);
  // Another scheme is not digest.
  EXPECT_EQ(verify(make_request({"Authorization: Basic realm=\"sbc.example\""}), kT0).error(),
            AuthFailure::kNoCredentials);
}

TEST_F(DigestAuthenticatorTest, OurNonceUnderAnotherRealmIsWrongRealm) {
  const auto r = verify(answered(challenge(DigestAlgorithm::kMd5), Answer().with_realm("x")), kT0);
  EXPECT_EQ(r.error(), AuthFailure::kWrongRealm);
}

TEST_F(DigestAuthenticatorTest, SeveralAuthorizationHeadersPickOurRealm) {
  const auto request = make_request(
      {"Authorization: Digest username=\"al\", realm=\"proxy.example\", nonce=\"n1\", "
       "uri=\"sip:sbc.example\", response=\"0123\"",
       "Authorization: " + authorization(challenge(DigestAlgorithm::kSha256), Answer())});
  const auto r = verify(request, kT0);
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->algorithm, DigestAlgorithm::kSha256);
}

TEST_F(DigestAuthenticatorTest, Malformed) {
  // Missing response.
  EXPECT_EQ(verify(make_request({"Authorization: Digest username=\"alice\", realm=\"sbc.example\","
                                 " nonce=\"abc\", uri=\"sip:sbc.example\""}),
                   kT0)
                .error(),
            AuthFailure::kMalformed);
  // Does not parse at all.
  EXPECT_EQ(verify(make_request({"Authorization: Digest username=\"alice"}), kT0).error(),
            AuthFailure::kMalformed);
  // qop without nc / cnonce.
  EXPECT_EQ(verify(make_request({"Authorization: Digest username=\"alice\", realm=\"sbc.example\","
                                 " nonce=\"abc\", uri=\"sip:sbc.example\", response=\"00\", "
                                 "qop=auth"}),
                   kT0)
                .error(),
            AuthFailure::kMalformed);
  // A qop we did not offer, and a nonce-count that is not hex.
  EXPECT_EQ(verify(answered(challenge(DigestAlgorithm::kMd5)), kT0).has_value(), true);
  std::string v = authorization(challenge(DigestAlgorithm::kMd5), Answer());
  v.replace(v.find("qop=auth"), 8, "qop=auth-int");
  EXPECT_EQ(verify(make_request({"Authorization: " + v}), kT0).error(), AuthFailure::kMalformed);
  EXPECT_EQ(
      verify(answered(challenge(DigestAlgorithm::kMd5), Answer().with_nc("0000000g")), kT0).error(),
      AuthFailure::kMalformed);
}

TEST_F(DigestAuthenticatorTest, Sha256WithoutQopIsMalformed) {
  const auto r = verify(answered(challenge(DigestAlgorithm::kSha256), Answer().without_qop()), kT0);
  EXPECT_EQ(r.error(), AuthFailure::kMalformed);
}

TEST_F(DigestAuthenticatorTest, Md5WithoutQopAcceptedOncePerNonce) {
  const std::string c = challenge(DigestAlgorithm::kMd5);
  const auto first = verify(answered(c, Answer().without_qop()), kT0);
  ASSERT_TRUE(first.has_value()) << to_string(first.error());
  // Without nc a second use cannot be told from a replay: a fresh nonce, no access.
  EXPECT_EQ(verify(answered(c, Answer().without_qop()), kT0).error(), AuthFailure::kStale);
}

TEST_F(DigestAuthenticatorTest, StaleNonceOnlyForRightResponse) {
  const std::string c = challenge(DigestAlgorithm::kSha256);
  EXPECT_EQ(verify(answered(c), kT0 + 301s).error(), AuthFailure::kStale);
  // Guessing with an old nonce still counts as a failure.
  EXPECT_EQ(verify(answered(c, Answer().with_secret("guess")), kT0 + 301s).error(),
            AuthFailure::kWrongResponse);
  // Within the lifetime the same answer is fine.
  EXPECT_TRUE(verify(answered(c), kT0 + 300s).has_value());
}

TEST_F(DigestAuthenticatorTest, ForgedNonces) {
  const std::string c = challenge(DigestAlgorithm::kMd5);
  const auto header = sip::parse_auth_header(c, sip::ParseError::kBadChallenge);
  const std::string nonce = sip::digest_challenge(*header)->nonce;
  ASSERT_EQ(nonce.size(), 64u);

  const auto with_nonce = [&](const std::string& forged) {
    std::string v = c;
    v.replace(v.find(nonce), nonce.size(), forged);
    return verify(answered(v), kT0);
  };
  std::string flipped = nonce;
  flipped.back() = flipped.back() == '0' ? '1' : '0';  // MAC changed
  EXPECT_EQ(with_nonce(flipped).error(), AuthFailure::kBadNonce);
  std::string later = nonce;
  later[15] = later[15] == '0' ? '1' : '0';  // timestamp changed, MAC kept
  EXPECT_EQ(with_nonce(later).error(), AuthFailure::kBadNonce);
  EXPECT_EQ(with_nonce(std::string(64, 'a')).error(), AuthFailure::kBadNonce);
  EXPECT_EQ(with_nonce("dcd98b7102dd2f0e8b11d0f600bfb0c093").error(), AuthFailure::kBadNonce);
  EXPECT_EQ(with_nonce(std::string(64, 'z')).error(), AuthFailure::kBadNonce);

  // A nonce from another authenticator (another key) is not ours either.
  DigestAuthenticator other;
  const std::string foreign = other.challenges(kRealm, kBoth, false, kT0)[1];
  EXPECT_EQ(verify(answered(foreign), kT0).error(), AuthFailure::kBadNonce);

  // Our nonce with someone else's opaque.
  std::string v = authorization(c, Answer());
  const size_t at = v.find("opaque=\"") + 8;
  v[at] = v[at] == '0' ? '1' : '0';
  EXPECT_EQ(verify(make_request({"Authorization: " + v}), kT0).error(), AuthFailure::kBadNonce);
}

TEST_F(DigestAuthenticatorTest, ReplayedNonceCount) {
  const std::string c = challenge(DigestAlgorithm::kSha256);
  ASSERT_TRUE(verify(answered(c, Answer().with_nc("00000001")), kT0).has_value());
  EXPECT_EQ(verify(answered(c, Answer().with_nc("00000001")), kT0).error(), AuthFailure::kReplay);
  ASSERT_TRUE(verify(answered(c, Answer().with_nc("00000003")), kT0).has_value());
  EXPECT_EQ(verify(answered(c, Answer().with_nc("00000002")), kT0).error(), AuthFailure::kReplay);
  EXPECT_EQ(verify(answered(c, Answer().with_nc("00000000")), kT0).error(),
            AuthFailure::kMalformed);
  ASSERT_TRUE(verify(answered(c, Answer().with_nc("00000004").with_cnonce("x")), kT0).has_value());
}

TEST_F(DigestAuthenticatorTest, EvictedNonceReadsAsStale) {
  const std::string first = challenge(DigestAlgorithm::kMd5);
  // max_nonces is 16 here: 16 more challenges reuse the first nonce's slot.
  for (int i = 0; i < 16; ++i) (void)challenge(DigestAlgorithm::kMd5);
  EXPECT_EQ(verify(answered(first), kT0).error(), AuthFailure::kStale);
  EXPECT_EQ(auth_.nonces_issued(), 17u);
}

TEST_F(DigestAuthenticatorTest, UnknownUser) {
  const auto r =
      verify(answered(challenge(DigestAlgorithm::kMd5), Answer().with_user("mallory", "x")), kT0);
  EXPECT_EQ(r.error(), AuthFailure::kUnknownUser);
}

TEST_F(DigestAuthenticatorTest, AlgorithmPolicy) {
  // bob may use SHA-256 only (his own list beats the zone's).
  const auto md5 = verify(
      answered(challenge(DigestAlgorithm::kMd5), Answer().with_user("bob", "b0b-pass")), kT0);
  EXPECT_EQ(md5.error(), AuthFailure::kAlgorithmRefused);
  EXPECT_TRUE(
      verify(answered(challenge(DigestAlgorithm::kSha256), Answer().with_user("bob", "b0b-pass")),
             kT0)
          .has_value());
  // alice has no list: the zone's decides.
  const std::vector<DigestAlgorithm> md5_only = {DigestAlgorithm::kMd5};
  EXPECT_EQ(verify(answered(challenge(DigestAlgorithm::kSha256)), kT0,
                   sip::HeaderId::kAuthorization, md5_only)
                .error(),
            AuthFailure::kAlgorithmRefused);
  // An algorithm we never offer.
  std::string v = authorization(challenge(DigestAlgorithm::kMd5), Answer());
  v.replace(v.find("algorithm=MD5"), 13, "algorithm=MD5-sess");
  EXPECT_EQ(verify(make_request({"Authorization: " + v}), kT0).error(),
            AuthFailure::kAlgorithmRefused);
}

TEST_F(DigestAuthenticatorTest, UriMismatch) {
  const auto r = verify(
      answered(challenge(DigestAlgorithm::kSha256), Answer().with_uri("sip:other.example")), kT0);
  EXPECT_EQ(r.error(), AuthFailure::kUriMismatch);
}

}  // namespace
}  // namespace sbc::cp
