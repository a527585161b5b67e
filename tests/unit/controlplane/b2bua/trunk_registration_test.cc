// Outbound registration of a trunk (trunk_registration.cc) on the fake clock: the REGISTER's
// form, a 401 answered with the trunk's credentials, the binding refreshed before the expiry the
// registrar granted, failures retried with backoff, credentials refused, 423 Min-Expires.
#include "controlplane/security/digest_authenticator.h"
#include "controlplane/sip/auth.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kChallenge =
    "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"n-1\", qop=\"auth\", algorithm=MD5\r\n";

class TrunkRegistrationTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    auto parsed = parse_config(std::string(kConfig) +
                               "username = acct-42\nsecret = s3cret\nregister = yes\n"
                               "register_expires = 600\n");
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }
  // Runs the clock in 100 ms steps for at most `limit` until a REGISTER goes out; returns it.
  std::optional<sip::Message> next_register(milliseconds limit) {
    for (milliseconds ran{0}; ran <= limit; ran += milliseconds(100)) {
      while (!transport_.sent.empty()) {
        auto message = parse(next().data);
        if (message.is_request() && message.method() == sip::Method::kRegister) return message;
      }
      clock_.advance(milliseconds(100));
    }
    return std::nullopt;
  }
  const RegistrationStatus& status() const { return b2bua_->trunk_registrations().status(0); }
  double registered_gauge() {
    for (const auto& f : metrics_.registry().Collect()) {
      if (f.name != "sbc_trunk_registered") continue;
      for (const auto& m : f.metric) return m.gauge.value;
    }
    return -1;
  }
  // The first REGISTER, challenged and answered, then bound for 300 s. Returns the answered one.
  sip::Message register_once() {
    auto first = next_register(milliseconds(2000));
    EXPECT_TRUE(first);
    deliver(kCarrier, kTrunkAddr, response_to(*first, 401, "r1", {}, kChallenge));
    auto answered = next_register(milliseconds(0));
    EXPECT_TRUE(answered);
    deliver(kCarrier, kTrunkAddr,
            response_to(*answered, 200, "r1", {},
                        "Contact: <sip:acct-42@198.51.100.1:5060>;expires=300\r\n"));
    return *answered;
  }
};

TEST_F(TrunkRegistrationTest, RegistersWithTheTrunksCredentialsAndRefreshesBeforeExpiry) {
  auto first = next_register(milliseconds(2000));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->request_uri_text(), "sip:198.51.100.10");
  EXPECT_EQ(first->from()->uri.text, "sip:acct-42@carrier.example");
  EXPECT_EQ(first->to()->uri.text, "sip:acct-42@carrier.example");
  EXPECT_EQ(first->header(sip::HeaderId::kContact), "<sip:acct-42@198.51.100.1:5060>");
  EXPECT_EQ(first->header(sip::HeaderId::kExpires), "600");
  EXPECT_EQ(first->top_via()->host, "198.51.100.1");
  EXPECT_EQ(status().state, RegistrationState::kRegistering);

  deliver(kCarrier, kTrunkAddr, response_to(*first, 401, "r1", {}, kChallenge));
  auto answered = next_register(milliseconds(0));
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->call_id(), first->call_id());
  EXPECT_EQ(answered->cseq()->number, first->cseq()->number + 1);
  auto creds = sip::parse_auth_header(answered->header(sip::HeaderId::kAuthorization),
                                      sip::ParseError::kBadCredentials);
  ASSERT_TRUE(creds);
  auto digest = sip::digest_credentials(*creds);
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->username, "acct-42");
  EXPECT_EQ(digest->uri, "sip:198.51.100.10");
  EXPECT_EQ(digest->response, digest_response(DigestInput{.algorithm = DigestAlgorithm::kMd5,
                                                          .username = "acct-42",
                                                          .realm = "carrier",
                                                          .secret = "s3cret",
                                                          .method = "REGISTER",
                                                          .uri = digest->uri,
                                                          .nonce = "n-1",
                                                          .nc = digest->nc,
                                                          .cnonce = digest->cnonce,
                                                          .qop = "auth"}));

  // The registrar grants 300 s on our Contact (another device's binding is not ours).
  deliver(kCarrier, kTrunkAddr,
          response_to(*answered, 200, "r1", {},
                      "Contact: <sip:acct-42@203.0.113.9:5060>;expires=3600, "
                      "<sip:acct-42@198.51.100.1:5060>;expires=300\r\n"));
  EXPECT_EQ(status().state, RegistrationState::kRegistered);
  EXPECT_EQ(status().granted_s, 300U);
  EXPECT_EQ(registered_gauge(), 1);

  // Refreshed at 90 %: nothing before 270 s, then the same Call-ID with the next CSeq.
  EXPECT_FALSE(next_register(milliseconds(269'000)));
  auto refresh = next_register(milliseconds(2000));
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->call_id(), first->call_id());
  EXPECT_EQ(refresh->from()->tag(), first->from()->tag());
  EXPECT_EQ(refresh->cseq()->number, answered->cseq()->number + 1);
}

// A reload that leaves the trunk alone keeps its binding: no REGISTER at once, the refresh at its
// time, and an answer to a REGISTER in flight still counts. A changed trunk registers again at
// once on the same Call-ID.
TEST_F(TrunkRegistrationTest, AReloadKeepsAnUnchangedTrunksBindingAndItsRegisterInFlight) {
  auto first = next_register(milliseconds(2000));
  ASSERT_TRUE(first);
  b2bua_->reconfigure();  // while the REGISTER is in flight
  deliver(kCarrier, kTrunkAddr,
          response_to(*first, 200, "r1", {},
                      "Contact: <sip:acct-42@198.51.100.1:5060>;expires=300\r\n"));
  EXPECT_EQ(status().state, RegistrationState::kRegistered);

  clock_.advance(seconds(100));
  b2bua_->reconfigure();
  EXPECT_FALSE(next_register(milliseconds(169'000))) << "refreshed at 270 s, not at the reload";
  auto refresh = next_register(milliseconds(2000));
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->call_id(), first->call_id());
  deliver(kCarrier, kTrunkAddr,
          response_to(*refresh, 200, "r1", {},
                      "Contact: <sip:acct-42@198.51.100.1:5060>;expires=300\r\n"));

  config_.trunks[0].registration.expires = seconds(900);
  b2bua_->reconfigure();
  auto changed = next_register(milliseconds(1000));
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->call_id(), first->call_id());
  EXPECT_EQ(changed->header(sip::HeaderId::kExpires), "900");
}

TEST_F(TrunkRegistrationTest, AFailureIsRetriedWithBackoff) {
  auto answered = register_once();
  auto refresh = next_register(milliseconds(271'000));
  ASSERT_TRUE(refresh);
  deliver(kCarrier, kTrunkAddr, response_to(*refresh, 403, "r1"));
  EXPECT_EQ(status().state, RegistrationState::kFailed);
  EXPECT_EQ(status().last_failure, "403 Forbidden");
  EXPECT_EQ(registered_gauge(), 0);
  EXPECT_FALSE(next_register(milliseconds(29'000))) << "30 s after the first failure";
  auto retry = next_register(milliseconds(2000));
  ASSERT_TRUE(retry);
  deliver(kCarrier, kTrunkAddr, response_to(*retry, 500, "r1"));
  EXPECT_FALSE(next_register(milliseconds(59'000))) << "60 s after the second";
  EXPECT_TRUE(next_register(milliseconds(2000)));
}

TEST_F(TrunkRegistrationTest, RefusedCredentialsAreNotSentAgainAndAgain) {
  auto first = next_register(milliseconds(2000));
  ASSERT_TRUE(first);
  deliver(kCarrier, kTrunkAddr, response_to(*first, 401, "r1", {}, kChallenge));
  auto answered = next_register(milliseconds(0));
  ASSERT_TRUE(answered);
  deliver(kCarrier, kTrunkAddr, response_to(*answered, 401, "r1", {}, kChallenge));
  EXPECT_EQ(status().state, RegistrationState::kFailed);
  EXPECT_EQ(status().last_failure, "credentials refused (401)");
  EXPECT_FALSE(next_register(milliseconds(29'000)));
}

TEST_F(TrunkRegistrationTest, IntervalTooBriefTakesTheRegistrarsMinimum) {
  auto first = next_register(milliseconds(2000));
  ASSERT_TRUE(first);
  deliver(kCarrier, kTrunkAddr, response_to(*first, 423, "r1", {}, "Min-Expires: 1200\r\n"));
  auto again = next_register(milliseconds(0));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->header(sip::HeaderId::kExpires), "1200");
}

TEST(RegisterConfigTest, RegisteringNeedsAUsername) {
  EXPECT_FALSE(parse_config(std::string(kConfig) + "register = yes\n").has_value());
  EXPECT_FALSE(parse_config(std::string(kConfig) + "username = u\nregister = yes\n"
                                                   "register_expires = 10\n")
                   .has_value());
  EXPECT_TRUE(parse_config(std::string(kConfig) + "username = u\nsecret = s\nregister = yes\n")
                  .has_value());
}

}  // namespace
}  // namespace sbc::cp
