// SDES-SRTP through the B2BUA (call_setup.cc, answer_relay.cc, call_media.cc with
// media/srtp_negotiation): each side gets its own keys, the dataplane session carries them, and
// an offer or answer that cannot be served is refused with 488 and a Warning, never answered
// without media.
#include "controlplane/sip/sdp_crypto.h"
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

constexpr std::string_view kCallerKey = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
constexpr std::string_view kCalleeKey = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw";

std::string srtp_sdp(const std::string& address, int port, std::string_view crypto_lines) {
  return fmt::format(
      "v=0\r\no=user 1 1 IN IP4 {0}\r\ns=-\r\nc=IN IP4 {0}\r\nt=0 0\r\n"
      "m=audio {1} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n{2}",
      address, port, crypto_lines);
}

// The a=crypto values of a body's audio stream.
std::vector<sip::CryptoAttribute> crypto_of(std::string_view body) {
  std::vector<sip::CryptoAttribute> lines;
  size_t pos = 0;
  while ((pos = body.find("a=crypto:", pos)) != std::string_view::npos) {
    pos += 9;
    const size_t end = body.find("\r\n", pos);
    auto c = sip::parse_crypto(body.substr(pos, end - pos));
    EXPECT_TRUE(c.has_value()) << body;
    if (c) lines.push_back(std::move(*c));
  }
  return lines;
}

sip::SdesKey key_of(std::string_view base64) {
  auto c = sip::parse_crypto(fmt::format("1 AES_CM_128_HMAC_SHA1_80 inline:{}", base64));
  return c ? c->keys[0].key : sip::SdesKey{};
}

bool same_key(const api::SrtpKey& wire, const sip::SdesKey& key) {
  const auto a = wire.bytes();
  const auto b = key.bytes();
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

class B2buaSrtpTest : public B2buaTest {
 protected:
  void with_profiles(MediaProfile access, MediaProfile carrier) {
    config_.zones[kAccess].media.profile = access;
    config_.zones[kCarrier].media.profile = carrier;
    make_b2bua();
  }
  std::string srtp_invite() {
    InviteParts parts;
    parts.body =
        srtp_sdp("192.0.2.10", 6000,
                 fmt::format("a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:{}\r\n", kCallerKey));
    return caller_invite(parts);
  }
};

TEST_F(B2buaSrtpTest, SrtpCallerToPlainTrunkGetsItsOwnKeyAndThePlainSideNone) {
  with_profiles(MediaProfile::kAsOffered, MediaProfile::kRtp);
  deliver(kAccess, kCallerAddr, srtp_invite());
  ASSERT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  EXPECT_NE(invite.body().find("m=audio"), std::string_view::npos);
  EXPECT_NE(invite.body().find(" RTP/AVP 0"), std::string_view::npos) << invite.body();
  EXPECT_EQ(invite.body().find("a=crypto"), std::string_view::npos) << invite.body();
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(ok.status_code(), 200);
  EXPECT_NE(ok.body().find(" RTP/SAVP 0"), std::string_view::npos) << ok.body();
  const auto ours = crypto_of(ok.body());
  ASSERT_EQ(ours.size(), 1U);
  EXPECT_EQ(ours[0].tag, 5U);
  EXPECT_EQ(ours[0].suite, sip::SdesSuite::kAesCm128HmacSha1_80);
  EXPECT_NE(ours[0].keys[0].key, key_of(kCallerKey));

  ASSERT_EQ(dataplane_.sessions.size(), 1U);
  const api::SessionAdd& add = dataplane_.sessions.begin()->second;
  ASSERT_TRUE(add.legs[0].srtp_in && add.legs[0].srtp_out);
  EXPECT_EQ(add.legs[0].srtp_in->suite, api::SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_TRUE(same_key(add.legs[0].srtp_in->key, key_of(kCallerKey)));
  EXPECT_TRUE(same_key(add.legs[0].srtp_out->key, ours[0].keys[0].key));
  EXPECT_FALSE(add.legs[1].srtp_in || add.legs[1].srtp_out);
}

TEST_F(B2buaSrtpTest, SrtpOnBothSidesNeverSharesAKey) {
  with_profiles(MediaProfile::kAsOffered, MediaProfile::kSrtp);
  deliver(kAccess, kCallerAddr, srtp_invite());
  ASSERT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  const auto offered = crypto_of(invite.body());
  ASSERT_EQ(offered.size(), 4U);  // every default suite, ours
  for (const auto& line : offered) EXPECT_NE(line.keys[0].key, key_of(kCallerKey));
  // The callee takes tag 1 (AES_CM_128_HMAC_SHA1_80) with its own key.
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 200, "btag",
                      srtp_sdp("198.51.100.10", 7000,
                               fmt::format("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}\r\n",
                                           kCalleeKey))));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(ok.status_code(), 200);
  const auto toward_caller = crypto_of(ok.body());
  ASSERT_EQ(toward_caller.size(), 1U);

  const api::SessionAdd& add = dataplane_.sessions.begin()->second;
  ASSERT_TRUE(add.legs[1].srtp_in && add.legs[1].srtp_out);
  EXPECT_TRUE(same_key(add.legs[1].srtp_in->key, key_of(kCalleeKey)));
  EXPECT_TRUE(same_key(add.legs[1].srtp_out->key, offered[0].keys[0].key));
  EXPECT_TRUE(same_key(add.legs[0].srtp_in->key, key_of(kCallerKey)));
  EXPECT_TRUE(same_key(add.legs[0].srtp_out->key, toward_caller[0].keys[0].key));
  EXPECT_FALSE(add.legs[0].srtp_out->key == add.legs[1].srtp_out->key);
}

TEST_F(B2buaSrtpTest, AnOfferThePolicyForbidsIs488WithAWarning) {
  with_profiles(MediaProfile::kSrtp, MediaProfile::kAsOffered);
  deliver(kAccess, kCallerAddr, caller_invite());  // plain RTP/AVP
  auto refusal = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refusal.status_code(), 488);
  EXPECT_EQ(refusal.header("Warning"),
            "302 sbc \"Incompatible transport protocol (profile_not_allowed)\"");
  EXPECT_EQ(b2bua_->active_calls(), 0U);
  EXPECT_TRUE(dataplane_.sessions.empty());
}

TEST_F(B2buaSrtpTest, AnAnswerMatchingNothingOfferedEndsBothSides) {
  with_profiles(MediaProfile::kAsOffered, MediaProfile::kSrtp);
  deliver(kAccess, kCallerAddr, caller_invite());
  ASSERT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
  auto invite = next_to(kCarrier, kTrunkAddr);
  // A plain answer to our SRTP offer.
  deliver(kCarrier, kTrunkAddr, response_to(invite, 200, "btag", sdp("198.51.100.10", 7000)));
  dataplane_.flush();
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kAck);
  EXPECT_EQ(next_to(kCarrier, kTrunkAddr).method(), sip::Method::kBye);
  auto refusal = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refusal.status_code(), 488);
  EXPECT_EQ(refusal.header("Warning"),
            "302 sbc \"Incompatible transport protocol (answer_profile_mismatch)\"");
}

}  // namespace
}  // namespace sbc::cp
