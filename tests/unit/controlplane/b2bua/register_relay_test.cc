// REGISTER relay (register_relay.cc) and NAT keep-alives (nat_keepalive.cc) on the fake clock:
// a NATed phone on a relaying access zone registers with the carrier's registrar through the
// SBC (its challenge and credentials passed through, the SBC's own dialog and Contact upstream),
// refreshes answered from the cache until half the upstream binding is gone, a call to the
// registered Contact reaches the phone's pinhole, refusals are offences, keep-alives go out and
// a phone that never answers them loses its binding.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The phone behind NAT: it says 10.0.0.5:5060, its packets come from the NAT's 192.0.2.50:40000.
const Endpoint kPhoneNat(boost::asio::ip::make_address("192.0.2.50"), 40000);
const std::string kPhoneContact = "sip:alice@10.0.0.5:5060";
const std::string kChallenge =
    "WWW-Authenticate: Digest realm=\"pbx.example\", nonce=\"n-1\", qop=\"auth\", "
    "algorithm=MD5\r\n";
const std::string kCredentials =
    "Authorization: Digest username=\"alice\", realm=\"pbx.example\", nonce=\"n-1\", "
    "uri=\"sip:192.0.2.1\", response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
    "nc=00000001, cnonce=\"c1\", algorithm=MD5\r\n";

std::string phone_register(uint32_t cseq, const std::string& extra = {},
                           const std::string& expires = "3600",
                           const std::string& branch_suffix = {}) {
  return fmt::format(
      "REGISTER sip:192.0.2.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-phone-{0}{3};rport\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@192.0.2.1>;tag=ptag\r\n"
      "To: <sip:alice@192.0.2.1>\r\n"
      "Call-ID: phone-reg@10.0.0.5\r\n"
      "CSeq: {0} REGISTER\r\n"
      "Contact: <sip:alice@10.0.0.5:5060>\r\n"
      "Expires: {2}\r\n"
      "User-Agent: Desk Phone 1.0\r\n"
      "{1}"
      "Content-Length: 0\r\n\r\n",
      cseq, extra, expires, branch_suffix);
}

class RegisterRelayTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    use_config("");
  }
  void use_config(const std::string& more) {
    auto parsed =
        parse_config(std::string(kConfig) + "[zone.access]\nregister_relay = carrier1\n" + more);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    make_b2bua();
  }
  // The phone registers through a challenge; the upstream grants `granted` s. Returns the
  // REGISTER the upstream accepted.
  sip::Message register_phone(uint32_t granted = 3600) {
    deliver(kAccess, kPhoneNat, phone_register(1));
    auto first = next_to(kCarrier, kTrunkAddr);
    deliver(kCarrier, kTrunkAddr, response_to(first, 401, "up", {}, kChallenge));
    auto challenged = next_to(kAccess, kPhoneNat);
    EXPECT_EQ(challenged.status_code(), 401);
    deliver(kAccess, kPhoneNat, phone_register(2, kCredentials));
    auto answered = next_to(kCarrier, kTrunkAddr);
    const std::string ours(answered.header(sip::HeaderId::kContact));
    deliver(kCarrier, kTrunkAddr,
            response_to(answered, 200, "up", {},
                        fmt::format("Contact: {};expires={}\r\n", ours, granted)));
    auto ok = next_to(kAccess, kPhoneNat);
    EXPECT_EQ(ok.status_code(), 200);
    return answered;
  }
  // The upstream calls the phone (call number `n`): an INVITE to `request_uri` with `extra`
  // headers (its Route). 100 when it reached the phone's pinhole at its Contact, checked, with
  // nothing of `token`; else the status the upstream got.
  int upstream_calls(const std::string& request_uri, const std::string& extra,
                     const std::string& token, int n) {
    InviteParts call;
    call.request_uri = request_uri;
    call.from = "<sip:15551234567@198.51.100.10>;tag=ctag";
    call.branch = fmt::format("z9hG4bK-up-{}", n);
    call.call_id = fmt::format("up-call-{}@198.51.100.10", n);
    call.extra_headers = extra;
    deliver(kCarrier, kTrunkAddr, caller_invite(call));
    auto first = next_to(kCarrier, kTrunkAddr);
    if (first.status_code() != 100) return first.status_code();
    const SentDatagram phone_sent = next();
    EXPECT_EQ(phone_sent.to, kPhoneNat);
    auto to_phone = parse(phone_sent.data);
    EXPECT_EQ(to_phone.method(), sip::Method::kInvite);
    EXPECT_EQ(to_phone.request_uri_text(), kPhoneContact);
    EXPECT_EQ(to_phone.to()->uri.user, "alice");
    EXPECT_EQ(phone_sent.data.find(token), std::string::npos) << phone_sent.data;
    return 100;
  }
  // The token our Contact at the upstream carries (its user part).
  static std::string token_of(const sip::Message& upstream_register) {
    return std::string(upstream_register.contacts()->entries.at(0).uri.user);
  }
  double counter(const std::string& name, const std::string& label, const std::string& value) {
    for (const auto& f : metrics_.registry().Collect()) {
      if (f.name != name) continue;
      for (const auto& m : f.metric) {
        for (const auto& l : m.label) {
          if (l.name == label && l.value == value) return m.counter.value;
        }
      }
    }
    return -1;
  }
};

TEST_F(RegisterRelayTest, TheUpstreamChallengesThePhoneAndGetsItsCredentialsThroughOurDialog) {
  deliver(kAccess, kPhoneNat, phone_register(1));
  const SentDatagram first_sent = next();
  EXPECT_EQ(first_sent.to, kTrunkAddr);
  auto first = parse(first_sent.data);
  EXPECT_EQ(first.method(), sip::Method::kRegister);
  EXPECT_EQ(first.request_uri_text(), "sip:198.51.100.10");
  EXPECT_EQ(first.to()->uri.text, "sip:alice@carrier.example");
  EXPECT_EQ(first.from()->uri.text, "sip:alice@carrier.example");
  EXPECT_NE(*first.call_id(), "phone-reg@10.0.0.5");  // our own dialog: no phone topology
  EXPECT_EQ(first.top_via()->host, "198.51.100.1");
  const auto contact = first.contacts()->entries.at(0);
  EXPECT_TRUE(contact.uri.user.starts_with("sbc-r-")) << contact.uri_text;
  EXPECT_EQ(contact.uri.host, "198.51.100.1");
  EXPECT_EQ(first.header(sip::HeaderId::kExpires), "3600");
  EXPECT_TRUE(first.header(sip::HeaderId::kAuthorization).empty());
  EXPECT_TRUE(first.header(sip::HeaderId::kUserAgent).empty());
  EXPECT_EQ(first_sent.data.find("10.0.0.5"), std::string::npos) << first_sent.data;

  deliver(kCarrier, kTrunkAddr, response_to(first, 401, "up", {}, kChallenge));
  auto challenged = next_to(kAccess, kPhoneNat);
  EXPECT_EQ(challenged.status_code(), 401);
  EXPECT_EQ(challenged.header(sip::HeaderId::kWwwAuthenticate),
            "Digest realm=\"pbx.example\", nonce=\"n-1\", qop=\"auth\", algorithm=MD5");
  EXPECT_EQ(registrar_->size(), 0u);

  deliver(kAccess, kPhoneNat, phone_register(2, kCredentials));
  auto answered = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(answered.call_id(), first.call_id());
  EXPECT_EQ(answered.cseq()->number, first.cseq()->number + 1);
  EXPECT_EQ(answered.header(sip::HeaderId::kContact), first.header(sip::HeaderId::kContact));
  EXPECT_EQ(std::string(answered.header(sip::HeaderId::kAuthorization)) + "\r\n",
            kCredentials.substr(std::string("Authorization: ").size()));

  deliver(kCarrier, kTrunkAddr,
          response_to(answered, 200, "up", {},
                      fmt::format("Contact: <{}>;expires=1800\r\n", contact.uri_text)));
  auto ok = next_to(kAccess, kPhoneNat);
  EXPECT_EQ(ok.status_code(), 200);
  // Toward the NATed phone: [registrar] nat_expires (60), so it refreshes its pinhole.
  EXPECT_EQ(ok.header(sip::HeaderId::kContact), "<" + kPhoneContact + ">;expires=60");
  const auto bindings = registrar_->lookup("alice", clock_.now());
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0]->relay_token, contact.uri.user);
  EXPECT_TRUE(bindings[0]->nated);
  EXPECT_EQ(bindings[0]->peer.remote, kPhoneNat);
  EXPECT_EQ(bindings[0]->upstream_expires, clock_.now() + seconds(1800));
  EXPECT_EQ(counter("sbc_register_relay_total", "outcome", "challenged"), 1);
  EXPECT_EQ(counter("sbc_register_relay_total", "outcome", "accepted"), 1);
}

TEST_F(RegisterRelayTest, RefreshesAreAnsweredFromTheCacheUntilHalfTheUpstreamBindingIsGone) {
  auto accepted = register_phone(600);
  // Every 50 s for 5 minutes: answered here; the upstream sees nothing.
  uint32_t cseq = 3;
  for (int i = 0; i < 6; ++i) {
    clock_.advance(seconds(50));
    deliver(kAccess, kPhoneNat, phone_register(cseq++, kCredentials));
    auto ok = next_to(kAccess, kPhoneNat);
    EXPECT_EQ(ok.status_code(), 200);
    EXPECT_TRUE(transport_.sent.empty());
  }
  EXPECT_EQ(counter("sbc_register_relay_total", "outcome", "cached"), 6);
  // 300 s of 600 left: this one goes upstream, on the same dialog with the next CSeq.
  clock_.advance(seconds(10));
  deliver(kAccess, kPhoneNat, phone_register(cseq++, kCredentials));
  auto refresh = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(refresh.method(), sip::Method::kRegister);
  EXPECT_EQ(refresh.call_id(), accepted.call_id());
  EXPECT_EQ(refresh.cseq()->number, accepted.cseq()->number + 1);
  EXPECT_EQ(refresh.header(sip::HeaderId::kContact), accepted.header(sip::HeaderId::kContact));
}

TEST_F(RegisterRelayTest, ARefreshFromAnotherSourceOrARemovalGoesUpstream) {
  register_phone();
  const Endpoint moved(boost::asio::ip::make_address("192.0.2.50"), 40001);  // NAT rebinding
  deliver(kAccess, moved, phone_register(3, kCredentials));
  auto relayed = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(relayed.method(), sip::Method::kRegister);
  deliver(kCarrier, kTrunkAddr, response_to(relayed, 200, "up", {}, "Expires: 3600\r\n"));
  EXPECT_EQ(next_to(kAccess, moved).status_code(), 200);
  EXPECT_EQ(registrar_->lookup("alice", clock_.now()).at(0)->peer.remote, moved);

  deliver(kAccess, moved, phone_register(4, kCredentials, "0"));
  auto removal = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(removal.header(sip::HeaderId::kExpires), "0");
  deliver(kCarrier, kTrunkAddr, response_to(removal, 200, "up"));
  auto ok = next_to(kAccess, moved);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_TRUE(ok.header(sip::HeaderId::kContact).empty());
  EXPECT_EQ(registrar_->size(), 0u);
}

TEST_F(RegisterRelayTest, ACallToTheRegisteredContactReachesThePhoneThroughItsPinhole) {
  const std::string token = token_of(register_phone());
  EXPECT_EQ(upstream_calls(fmt::format("sip:{}@198.51.100.1:5060", token), "", token, 1), 100);
  // A token no binding has (expired, or guessed): 480, not the default target.
  EXPECT_EQ(upstream_calls("sip:sbc-r-unknown@198.51.100.1", "", token, 2), 480);
}

// register_relay_mode = path (RFC 3327): upstream the phone's own Contact with a Path through
// the SBC; the registrar's call comes back by that Path (top Route) to the phone's Contact.
TEST_F(RegisterRelayTest, PathModeRegistersThePhonesContactWithAPathThroughTheSbc) {
  use_config("register_relay_mode = path\n");
  deliver(kAccess, kPhoneNat,
          phone_register(1).replace(phone_register(1).find("<sip:alice@10.0.0.5:5060>"),
                                    std::string("<sip:alice@10.0.0.5:5060>").size(),
                                    "<sip:alice@10.0.0.5:5060>;+sip.instance=\"<urn:uuid:1>\""));
  auto first = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(first.method(), sip::Method::kRegister);
  EXPECT_NE(*first.call_id(), "phone-reg@10.0.0.5");  // still our own dialog
  EXPECT_EQ(first.header(sip::HeaderId::kContact),
            "<sip:alice@10.0.0.5:5060>;+sip.instance=\"<urn:uuid:1>\"");
  const std::string path(first.header(sip::HeaderId::kPath));
  EXPECT_TRUE(path.starts_with("<sip:sbc-r-")) << path;
  EXPECT_TRUE(path.ends_with("@198.51.100.1:5060;lr>")) << path;
  EXPECT_EQ(first.header(sip::HeaderId::kSupported), "path");
  const std::string token = path.substr(5, path.find('@') - 5);

  deliver(kCarrier, kTrunkAddr, response_to(first, 401, "up", {}, kChallenge));
  EXPECT_EQ(next_to(kAccess, kPhoneNat).status_code(), 401);
  deliver(kAccess, kPhoneNat, phone_register(2, kCredentials));
  auto answered = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(std::string(answered.header(sip::HeaderId::kPath)), path);  // the same token
  EXPECT_EQ(answered.header(sip::HeaderId::kContact), "<sip:alice@10.0.0.5:5060>");
  // The registrar grants the phone's Contact (matched by its URI, not a token) 1800 s.
  deliver(kCarrier, kTrunkAddr,
          response_to(answered, 200, "up", {},
                      "Contact: <sip:alice@10.0.0.5:5060>;expires=1800\r\n"
                      "Contact: <sip:alice@10.0.0.9:5060>;expires=900\r\n"
                      "Path: " +
                          path + "\r\n"));
  auto ok = next_to(kAccess, kPhoneNat);
  EXPECT_EQ(ok.status_code(), 200);
  const auto bindings = registrar_->lookup("alice", clock_.now());
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0]->relay_token, token);
  EXPECT_EQ(bindings[0]->upstream_expires, clock_.now() + seconds(1800));

  // The registrar's call: to the phone's Contact, routed by our Path.
  EXPECT_EQ(upstream_calls(kPhoneContact, "Route: " + path + "\r\n", token, 1), 100);
  // A Path token no binding has: 480, not the default target.
  EXPECT_EQ(upstream_calls(kPhoneContact, "Route: <sip:sbc-r-unknown@198.51.100.1:5060;lr>\r\n",
                           token, 2),
            480);
}

TEST_F(RegisterRelayTest, RefusedCredentialsAndUnknownUsersAreOffencesOfThePhone) {
  deliver(kAccess, kPhoneNat, phone_register(1, kCredentials));
  auto first = next_to(kCarrier, kTrunkAddr);
  deliver(kCarrier, kTrunkAddr, response_to(first, 401, "up", {}, kChallenge));
  EXPECT_EQ(next_to(kAccess, kPhoneNat).status_code(), 401);
  EXPECT_EQ(counter("sbc_auth_failures_total", "reason", "upstream_refused"), 1);

  // A stale nonce is no offence: the password was right.
  deliver(kAccess, kPhoneNat, phone_register(2, kCredentials));
  auto second = next_to(kCarrier, kTrunkAddr);
  deliver(kCarrier, kTrunkAddr,
          response_to(second, 401, "up", {},
                      "WWW-Authenticate: Digest realm=\"pbx.example\", nonce=\"n-2\", "
                      "stale=TRUE\r\n"));
  EXPECT_EQ(next_to(kAccess, kPhoneNat).status_code(), 401);
  EXPECT_EQ(counter("sbc_auth_failures_total", "reason", "upstream_refused"), 1);

  deliver(kAccess, kPhoneNat, phone_register(3));
  auto third = next_to(kCarrier, kTrunkAddr);
  deliver(kCarrier, kTrunkAddr, response_to(third, 404, "up"));
  auto not_found = next_to(kAccess, kPhoneNat);
  EXPECT_EQ(not_found.status_code(), 404);
  EXPECT_EQ(counter("sbc_auth_failures_total", "reason", "upstream_refused"), 2);
  EXPECT_EQ(counter("sbc_register_relay_total", "outcome", "refused"), 1);
  EXPECT_EQ(registrar_->size(), 0u);
}

TEST_F(RegisterRelayTest, AFloodOfContactsIsRefusedBeforeItHoldsTokens) {
  // [registrar] max_contacts is 5: a REGISTER may name at most 10, each holding a token.
  std::string many;
  for (int i = 0; i < 11; ++i) many += fmt::format("Contact: <sip:alice@10.0.0.{}:5060>\r\n", i);
  deliver(kAccess, kPhoneNat, phone_register(1, many));
  auto refused = next_to(kAccess, kPhoneNat);
  EXPECT_EQ(refused.status_code(), 403);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(b2bua_->register_relay().size(), 0u);
}

TEST_F(RegisterRelayTest, AnUpstreamThatNeverAnswersGets408AndASecondRegisterWaits) {
  deliver(kAccess, kPhoneNat, phone_register(1));
  auto first = next_to(kCarrier, kTrunkAddr);
  // Another REGISTER of the same address-of-record while the first is upstream: 500 Retry-After.
  deliver(kAccess, kPhoneNat, phone_register(2, {}, "3600", "-b"));
  auto busy = next_to(kAccess, kPhoneNat);
  EXPECT_EQ(busy.status_code(), 500);
  EXPECT_EQ(busy.header(sip::HeaderId::kRetryAfter), "1");
  clock_.advance(seconds(17));  // RegisterRelay::kUpstreamTimeout, before the phone's Timer F
  transport_.sent.erase(
      std::remove_if(transport_.sent.begin(), transport_.sent.end(),
                     [](const SentDatagram& d) { return d.zone == kCarrier; }),  // retransmissions
      transport_.sent.end());
  auto timeout = next_to(kAccess, kPhoneNat);
  EXPECT_EQ(timeout.status_code(), 408);
  EXPECT_EQ(counter("sbc_register_relay_total", "outcome", "failed"), 1);
}

TEST_F(RegisterRelayTest, NatedPhonesGetOptionsKeepalivesAndLoseTheirBindingWhenSilent) {
  use_config("nat_keepalive = options\nnat_keepalive_interval = 10\n");
  register_phone();
  // Within one interval the phone gets an OPTIONS at its NAT address, to its Contact.
  std::optional<sip::Message> ping;
  for (int i = 0; i < 20 && !ping; ++i) {
    clock_.advance(milliseconds(500));
    while (!transport_.sent.empty() && !ping) {
      auto d = next();
      auto m = parse(d.data);
      if (m.is_request() && m.method() == sip::Method::kOptions) {
        EXPECT_EQ(d.to, kPhoneNat);
        ping = m;
      }
    }
  }
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->request_uri_text(), kPhoneContact);
  deliver(kAccess, kPhoneNat, response_to(*ping, 200, "ph"));
  EXPECT_EQ(registrar_->size(), 1u);
  // From now on the phone is silent: the next OPTIONS times out and the binding goes.
  clock_.advance(seconds(45));
  EXPECT_EQ(registrar_->size(), 0u);
  EXPECT_EQ(counter("sbc_nat_keepalives_total", "result", "unanswered"), 1);
  EXPECT_GE(counter("sbc_nat_keepalives_total", "result", "sent"), 2);
}

TEST_F(RegisterRelayTest, CrlfKeepalivesAreBarePings) {
  use_config("nat_keepalive = crlf\nnat_keepalive_interval = 5\n");
  register_phone();
  clock_.advance(seconds(6));
  ASSERT_FALSE(transport_.sent.empty());
  EXPECT_EQ(transport_.sent.front().data, "\r\n\r\n");
  EXPECT_EQ(transport_.sent.front().to, kPhoneNat);
}

TEST_F(RegisterRelayTest, APhoneCallingThroughItsRegistrarAnswersTheChallengeItself) {
  deliver(kAccess, kCallerAddr, caller_invite());
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  EXPECT_TRUE(invite.header(sip::HeaderId::kProxyAuthorization).empty());
  const std::string challenge =
      "Proxy-Authenticate: Digest realm=\"pbx.example\", nonce=\"i-1\", qop=\"auth\"\r\n";
  deliver(kCarrier, kTrunkAddr, response_to(invite, 407, "up", {}, challenge));
  // The carrier's ACK of the 407, then the 407 itself, with its challenge, to the phone.
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  auto relayed = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(relayed.status_code(), 407);
  EXPECT_EQ(std::string(relayed.header(sip::HeaderId::kProxyAuthenticate)) + "\r\n",
            challenge.substr(std::string("Proxy-Authenticate: ").size()));
  deliver(kAccess, kCallerAddr, non2xx_ack(relayed));

  InviteParts again;
  again.branch = "z9hG4bK-a-2";
  again.cseq = 2;
  const std::string credentials =
      "Digest username=\"alice\", realm=\"pbx.example\", nonce=\"i-1\", "
      "uri=\"sip:callee@192.0.2.1\", response=\"00112233445566778899aabbccddeeff\", qop=auth, "
      "nc=00000001, cnonce=\"c2\"";
  again.extra_headers = "Proxy-Authorization: " + credentials + "\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(again));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto answered = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(answered.method(), sip::Method::kInvite);
  EXPECT_EQ(answered.header(sip::HeaderId::kProxyAuthorization), credentials);
  // On our first INVITE's dialog toward the trunk, as the phone retries on its own.
  EXPECT_EQ(answered.call_id(), invite.call_id());
  EXPECT_EQ(answered.from()->tag(), invite.from()->tag());
  EXPECT_EQ(answered.cseq()->number, invite.cseq()->number + 1);
}

TEST_F(RegisterRelayTest, ATrunkWithItsOwnCredentialsNeverGetsTheCallersOrPassesItsChallenge) {
  auto parsed = parse_config(std::string(kConfig) + "username = acct-42\nsecret = s3cret\n" +
                             "[zone.access]\nregister_relay = carrier1\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  config_ = *parsed;
  make_b2bua();
  InviteParts call;
  call.extra_headers =
      "Proxy-Authorization: Digest username=\"alice\", realm=\"x\", "
      "nonce=\"n\", uri=\"sip:callee@192.0.2.1\", response=\"0\"\r\n";
  deliver(kAccess, kCallerAddr, caller_invite(call));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  EXPECT_TRUE(invite.header(sip::HeaderId::kProxyAuthorization).empty());
}

TEST(RegisterRelayConfigTest, RefusesWhatCannotWork) {
  const std::string base = kConfig;
  auto unknown = parse_config(base + "[zone.access]\nregister_relay = nosuch\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("zone.access.register_relay: no [trunk.nosuch]"),
            std::string::npos)
      << unknown.error();
  auto trunk_zone = parse_config(base + "[zone.carrier]\nregister_relay = carrier1\n");
  ASSERT_FALSE(trunk_zone);
  EXPECT_NE(trunk_zone.error().find("faces carriers"), std::string::npos) << trunk_zone.error();
  auto both =
      parse_config(base + "[zone.access]\nregister_relay = carrier1\nauthenticate = register\n");
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().find("the upstream registrar authenticates REGISTER"), std::string::npos)
      << both.error();
  auto keepalive = parse_config(base + "[zone.access]\nnat_keepalive = stun\n");
  ASSERT_FALSE(keepalive);
  EXPECT_NE(keepalive.error().find("nat_keepalive: 'stun' is not one of options, crlf, none"),
            std::string::npos)
      << keepalive.error();
  auto interval = parse_config(base + "[zone.access]\nnat_keepalive_interval = 2\n");
  ASSERT_FALSE(interval);
  auto mode = parse_config(base +
                           "[zone.access]\nregister_relay = carrier1\n"
                           "register_relay_mode = proxy\n");
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().find("register_relay_mode: 'proxy' is not one of contact, path"),
            std::string::npos)
      << mode.error();
  auto alone = parse_config(base + "[zone.access]\nregister_relay_mode = path\n");
  ASSERT_FALSE(alone);
  EXPECT_NE(alone.error().find("register_relay_mode: needs register_relay"), std::string::npos)
      << alone.error();
  auto ok = parse_config(base +
                         "[zone.access]\nregister_relay = carrier1\nnat_keepalive = "
                         "Options\nnat_keepalive_interval = 20\n");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->zones[0].registration.relay_trunk, "carrier1");
  EXPECT_EQ(ok->zones[0].registration.keepalive, NatKeepaliveMode::kOptions);
  EXPECT_EQ(ok->zones[0].registration.keepalive_interval, seconds(20));
  EXPECT_EQ(ok->zones[0].registration.relay_mode, RegisterRelayMode::kContact);
  auto path = parse_config(base +
                           "[zone.access]\nregister_relay = carrier1\n"
                           "register_relay_mode = Path\n");
  ASSERT_TRUE(path) << path.error();
  EXPECT_EQ(path->zones[0].registration.relay_mode, RegisterRelayMode::kPath);
}

}  // namespace
}  // namespace sbc::cp
