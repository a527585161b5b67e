// A reload applied (apply_reload.cc): the B2BUA and edge security after apply_reload(). Live calls
// survive (even when their trunk or zone is gone), new rules apply to the next message.
#include "controlplane/app/apply_reload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "controlplane/security/digest_authenticator.h"
#include "controlplane/sip/auth.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp::testing {
namespace {

const Endpoint kTrunk2Addr(boost::asio::ip::make_address("198.51.100.20"), 5060);
const Endpoint kOtherPhone(boost::asio::ip::make_address("192.0.2.30"), 5060);

// --- the B2BUA and its edge security across a reload ---------------------------------------------

class ReloadTest : public B2buaTest {
 protected:
  // Applies `text` as the new file.
  ReloadSummary reload(const std::string& text) {
    return apply_reload(config_, parsed(text), *b2bua_, *security_, *registrar_);
  }
  std::vector<SentDatagram> drain() {
    std::vector<SentDatagram> out(transport_.sent.begin(), transport_.sent.end());
    transport_.sent.clear();
    return out;
  }
};

// A new file's access zone: the fixture's (calls from trunks go to the PBX), default ports.
const std::string kAccessToPbx = kAccessZone + "default_target = 192.0.2.10:5060\n";

// The only trunk is replaced by another on the same zone.
const std::string kOtherTrunk =
    kAccessToPbx + kCarrierZone + "[trunk.carrier2]\nzone = carrier\nhost = 198.51.100.20\n";

TEST_F(ReloadTest, ALiveCallOutlivesItsRemovedTrunkAndEndsWithBye) {
  auto [invite, ok] = establish();
  const ReloadSummary summary = reload(kOtherTrunk);
  EXPECT_TRUE(has(summary.changes, "trunk.carrier1: removed"));

  // The old carrier still reaches its call (screened as a kept peer), and its BYE ends it.
  EXPECT_TRUE(security_->screen(udp_peer(kCarrier, kTrunkAddr)));
  deliver(kCarrier, kTrunkAddr, in_dialog("BYE", invite, true, "198.51.100.10", 2));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 200);
  EXPECT_EQ(next_to(kAccess, kCallerAddr).method(), sip::Method::kBye);
  dataplane_.flush();
  EXPECT_EQ(b2bua_->active_calls(), 0u);

  // New calls go to the new trunk.
  InviteParts p;
  p.call_id = "a-call-2@192.0.2.10";
  p.branch = "z9hG4bK-a-2";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  EXPECT_EQ(next_to(kCarrier, kTrunk2Addr).method(), sip::Method::kInvite);

  // The old carrier's new requests are refused once its call is gone.
  clock_.advance(40s);  // the first call's linger
  security_->prune_kept_peers(b2bua_->call_peers());
  EXPECT_FALSE(security_->screen(udp_peer(kCarrier, kTrunkAddr)));
  drain();
  InviteParts q;
  q.call_id = "c-call-1@198.51.100.10";
  q.branch = "z9hG4bK-c-1";
  deliver(kCarrier, kTrunkAddr, caller_invite(q));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 403);
}

TEST_F(ReloadTest, AKeptPeerGetsOnlyItsDialogNotNewCalls) {
  auto [invite, ok] = establish();
  reload(kOtherTrunk);
  InviteParts q;
  q.call_id = "c-call-1@198.51.100.10";
  q.branch = "z9hG4bK-c-1";
  deliver(kCarrier, kTrunkAddr, caller_invite(q));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 403);
  EXPECT_EQ(b2bua_->active_calls(), 1u);
}

TEST_F(ReloadTest, ACallOnARemovedZoneFinishesAndTheZoneTakesNothingNew) {
  auto [invite, ok] = establish();
  // The carrier zone and its trunk are replaced by a new zone: the live call's zone index stays.
  reload(kAccessToPbx + R"(
[zone.backbone]
dataplane_port = trunk
sip_address = 198.51.100.2
[trunk.carrier2]
zone = backbone
host = 198.51.100.20
)");
  ASSERT_EQ(config_.zones.size(), 3u);
  EXPECT_TRUE(config_.zones[kCarrier].retired);
  EXPECT_TRUE(b2bua_->zone_in_use(kCarrier));
  transport_.listen.push_back(boost::asio::ip::make_address("198.51.100.2"));

  // The caller hangs up: the BYE still leaves on the removed zone.
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  auto bye = next_to(kCarrier, kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  deliver(kCarrier, kTrunkAddr, response_to(bye, 200, ""));
  dataplane_.flush();
  EXPECT_EQ(b2bua_->active_calls(), 0u);
  clock_.advance(40s);
  EXPECT_FALSE(b2bua_->zone_in_use(kCarrier));

  // Nothing new on the removed zone; new calls use the new zone.
  drain();
  InviteParts q;
  q.call_id = "c-call-1@198.51.100.10";
  q.branch = "z9hG4bK-c-1";
  deliver(kCarrier, kTrunkAddr, caller_invite(q));
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).status_code(), 403);
  InviteParts p;
  p.call_id = "a-call-2@192.0.2.10";
  p.branch = "z9hG4bK-a-2";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  EXPECT_EQ(next_to(2, kTrunk2Addr).method(), sip::Method::kInvite);
}

TEST_F(ReloadTest, AnAclChangeAppliesToTheNextMessage) {
  EXPECT_TRUE(security_->screen(udp_peer(kAccess, kOtherPhone)));
  reload(std::string(kConfig) + "[zone.access]\nacl_deny = 192.0.2.30/32\n");
  EXPECT_FALSE(security_->screen(udp_peer(kAccess, kOtherPhone)));
  EXPECT_TRUE(security_->screen(udp_peer(kAccess, kCallerAddr)));
  reload(kConfig);
  EXPECT_TRUE(security_->screen(udp_peer(kAccess, kOtherPhone)));
}

TEST_F(ReloadTest, ACallerDeniedByAReloadKeepsItsCallButPlacesNoNewOne) {
  auto [invite, ok] = establish();
  reload(std::string(kConfig) + "[zone.access]\nacl_deny = 192.0.2.10/32\n");
  EXPECT_TRUE(security_->screen(udp_peer(kAccess, kCallerAddr)));  // its call's dialog
  InviteParts p;
  p.call_id = "a-call-2@192.0.2.10";
  p.branch = "z9hG4bK-a-2";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 403);
  deliver(kAccess, kCallerAddr, in_dialog("BYE", ok, false, "192.0.2.10", 2));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kBye);
}

TEST_F(ReloadTest, AdmissionLimitsChangeAndLiveCallsStayCounted) {
  auto [invite, ok] = establish();
  reload(std::string(kConfig) + "[trunk.carrier1]\nmax_calls = 1\n");
  InviteParts p;
  p.call_id = "a-call-2@192.0.2.10";
  p.branch = "z9hG4bK-a-2";
  deliver(kAccess, kCallerAddr, caller_invite(p));
  auto refused = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refused.status_code(), 503);
  EXPECT_NE(refused.reason_phrase().find("max_calls 1"), std::string::npos);
}

TEST_F(ReloadTest, MediaTimeoutAndMaxDurationApplyToNewCalls) {
  std::string text = std::string(kConfig) + "[sbcd]\nmax_call_duration = 2\n";
  text.replace(text.find("timeout = 30"), 12, "timeout = 7");
  reload(text);
  establish();
  dataplane_.flush();
  EXPECT_EQ(dataplane_.sent_of<api::SessionAdd>().back().media_timeout_ms, 7000u);
  drain();
  clock_.advance(2s);
  auto sent = drain();
  ASSERT_EQ(sent.size(), 2u);  // max_call_duration: BYE to both sides
  for (const auto& d : sent) EXPECT_EQ(parse(d.data).method(), sip::Method::kBye);
}

// --- users and secrets ---------------------------------------------------------------------------

const Endpoint kPhone(boost::asio::ip::make_address("192.0.2.20"), 5062);

std::string register_request(uint32_t cseq, const std::string& authorization = {}) {
  return fmt::format(
      "REGISTER sip:192.0.2.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bK-reg-{0}\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.1>;tag=rtag\r\nTo: <sip:alice@192.0.2.1>\r\n"
      "Call-ID: reg-1@192.0.2.20\r\nCSeq: {0} REGISTER\r\nContact: <sip:alice@192.0.2.20:5062>\r\n"
      "Expires: 600\r\n{1}Content-Length: 0\r\n\r\n",
      cseq, authorization);
}

// The Authorization a UA computes for the challenge in `challenge_response` with `secret`.
std::string authorization(const sip::Message& challenge_response, const std::string& secret) {
  const std::string value(challenge_response.header(sip::HeaderId::kWwwAuthenticate));
  auto header = sip::parse_auth_header(value, sip::ParseError::kBadChallenge);
  EXPECT_TRUE(header.has_value());
  auto challenge = sip::digest_challenge(*header);
  EXPECT_TRUE(challenge.has_value());
  DigestInput in;
  in.algorithm = challenge->algorithm == "MD5" ? DigestAlgorithm::kMd5 : DigestAlgorithm::kSha256;
  in.username = "alice";
  in.realm = challenge->realm;
  in.secret = secret;
  in.method = "REGISTER";
  in.uri = "sip:192.0.2.1";
  in.nonce = challenge->nonce;
  in.nc = "00000001";
  in.cnonce = "0a4f113b";
  in.qop = "auth";
  return fmt::format(
      "Authorization: Digest username=\"alice\", realm=\"{}\", nonce=\"{}\", "
      "uri=\"sip:192.0.2.1\", response=\"{}\", algorithm={}, qop=auth, nc=00000001, "
      "cnonce=\"0a4f113b\", opaque=\"{}\"\r\n",
      challenge->realm, challenge->nonce, digest_response(in), challenge->algorithm,
      challenge->opaque);
}

constexpr const char* kAlice = R"(
[zone.access]
authenticate = register, invite
[user.alice]
secret = first-Secret-1
)";

TEST_F(ReloadTest, AUsersNewSecretIsRequiredAfterAReload) {
  config_ = parsed(std::string(kConfig) + kAlice);
  make_b2bua();
  // Registers with `secret`: the final status.
  uint32_t cseq = 0;
  auto register_with = [&](const std::string& secret) {
    deliver(kAccess, kPhone, register_request(++cseq));
    auto challenge = next_to(kAccess, kPhone);
    EXPECT_EQ(challenge.status_code(), 401);
    deliver(kAccess, kPhone, register_request(++cseq, authorization(challenge, secret)));
    return next_to(kAccess, kPhone).status_code();
  };
  EXPECT_EQ(register_with("first-Secret-1"), 200);
  std::string text = std::string(kConfig) + kAlice;
  text.replace(text.find("first-Secret-1"), 14, "second-Secret-2");
  const ReloadSummary summary = reload(text);
  EXPECT_TRUE(has(summary.changes, "user.alice: changed"));
  EXPECT_NE(register_with("first-Secret-1"), 200);
  EXPECT_EQ(register_with("second-Secret-2"), 200);
  EXPECT_FALSE(registrar_->lookup("alice", clock_.now()).empty());
  // A removed user loses its registrations: nothing routes to it any more.
  reload(std::string(kConfig) + "[zone.access]\nauthenticate = register, invite\n");
  EXPECT_TRUE(registrar_->lookup("alice", clock_.now()).empty());
}

}  // namespace
}  // namespace sbc::cp::testing
