// SDES offer/answer per side (srtp_negotiation.cc): what a caller's offer may be under each
// policy, what we offer the callee (our keys, never the caller's), which answers we accept, and
// the profile and a=crypto lines each side sees.
#include "controlplane/media/srtp_negotiation.h"

#include <gtest/gtest.h>

#include <string>

#include "controlplane/sip/sdp.h"

namespace sbc::cp {
namespace {

using sip::SdesSuite;

// A base64 key||salt of 30 bytes (AES-CM) and of 28 (AES-GCM-128).
constexpr std::string_view kCmKey = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
constexpr std::string_view kGcmKey = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3OA==";

// The audio m= section of an SDP with `proto` and these a= lines, parsed (text kept alive).
struct Stream {
  std::string text;
  sip::SessionDescription sdp;
  explicit Stream(const std::string& proto, const std::string& attributes = "") {
    text =
        "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
        "m=audio 4000 " +
        proto + " 0\r\n" + attributes;
    sdp = *sip::parse_sdp(text);
  }
  const sip::SdpMedia& media() const { return sdp.media[0]; }
};

std::string crypto(int tag, std::string_view suite, std::string_view key,
                   std::string_view extra = "") {
  return "a=crypto:" + std::to_string(tag) + " " + std::string(suite) +
         " inline:" + std::string(key) + std::string(extra) + "\r\n";
}

MediaPolicy policy(MediaProfile profile) {
  MediaPolicy p;
  p.profile = profile;
  return p;
}

TEST(SrtpNegotiation, ProfilesAreClassified) {
  EXPECT_EQ(profile_kind("RTP/AVP"), RtpProfileKind::kRtp);
  EXPECT_EQ(profile_kind("RTP/AVPF"), RtpProfileKind::kRtp);
  EXPECT_EQ(profile_kind("RTP/SAVP"), RtpProfileKind::kSdes);
  EXPECT_EQ(profile_kind("RTP/SAVPF"), RtpProfileKind::kSdes);
  EXPECT_EQ(profile_kind("UDP/TLS/RTP/SAVP"), RtpProfileKind::kOther);
}

TEST(SrtpNegotiation, SrtpOfferTakesTheFirstUsableLineAndAnswersWithOurOwnKey) {
  const Stream offer("RTP/SAVP", crypto(1, "F8_128_HMAC_SHA1_80", kCmKey) +
                                     crypto(2, "AES_CM_128_HMAC_SHA1_80", kCmKey, "|2^20|1:4") +
                                     crypto(3, "AES_CM_128_HMAC_SHA1_32", kCmKey, " WSH=128") +
                                     crypto(4, "AES_CM_128_HMAC_SHA1_80", kCmKey));
  auto caller = accept_offer(offer.media(), policy(MediaProfile::kAsOffered));
  ASSERT_TRUE(caller.has_value()) << to_string(caller.error());
  EXPECT_EQ(caller->kind, RtpProfileKind::kSdes);
  ASSERT_TRUE(caller->srtp.has_value());
  // Tag 1: unknown suite; tag 2: an MKI; tag 3 is the first we run.
  EXPECT_EQ(caller->srtp->tag, 3U);
  EXPECT_EQ(caller->srtp->suite, SdesSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(caller->srtp->replay_window, 128U);
  EXPECT_EQ(caller->srtp->peer_key.bytes().size(), 30U);
  EXPECT_EQ(caller->srtp->our_key.bytes().size(), 30U);
  EXPECT_NE(caller->srtp->peer_key, caller->srtp->our_key);
  // Toward the caller: its profile, one line with its tag and suite and our key.
  const StreamProfile toward = caller_answer_profile(*caller);
  EXPECT_EQ(toward.proto, "RTP/SAVP");
  ASSERT_TRUE(toward.crypto.has_value());
  ASSERT_EQ(toward.crypto->size(), 1U);
  auto line = sip::parse_crypto((*toward.crypto)[0]);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->tag, 3U);
  EXPECT_EQ(line->suite, SdesSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(line->keys[0].key, caller->srtp->our_key);
}

TEST(SrtpNegotiation, TheCallerSidePolicyDecidesWhichProfilesItMayOffer) {
  const Stream rtp("RTP/AVP");
  const Stream srtp("RTP/SAVP", crypto(1, "AES_CM_128_HMAC_SHA1_80", kCmKey));
  EXPECT_EQ(accept_offer(rtp.media(), policy(MediaProfile::kSrtp)).error(),
            MediaRefusal::kProfileNotAllowed);
  EXPECT_EQ(accept_offer(srtp.media(), policy(MediaProfile::kRtp)).error(),
            MediaRefusal::kProfileNotAllowed);
  EXPECT_TRUE(accept_offer(rtp.media(), policy(MediaProfile::kRtp)).has_value());
  EXPECT_TRUE(accept_offer(srtp.media(), policy(MediaProfile::kSrtp)).has_value());
  // A suite the side's policy leaves out is not usable there.
  MediaPolicy gcm_only = policy(MediaProfile::kSrtp);
  gcm_only.srtp_suites = {SdesSuite::kAeadAes128Gcm};
  EXPECT_EQ(accept_offer(srtp.media(), gcm_only).error(), MediaRefusal::kCryptoUnsupported);
  const Stream gcm("RTP/SAVP", crypto(7, "AEAD_AES_128_GCM", kGcmKey));
  EXPECT_EQ(accept_offer(gcm.media(), gcm_only)->srtp->tag, 7U);
}

TEST(SrtpNegotiation, UnusableCryptoIsRefusedWithItsReason) {
  const MediaPolicy any = policy(MediaProfile::kAsOffered);
  EXPECT_EQ(accept_offer(Stream("RTP/SAVP").media(), any).error(), MediaRefusal::kCryptoMissing);
  EXPECT_EQ(
      accept_offer(Stream("RTP/SAVP", crypto(1, "AES_CM_128_HMAC_SHA1_80", "short")).media(), any)
          .error(),
      MediaRefusal::kCryptoMalformed);
  EXPECT_EQ(accept_offer(Stream("RTP/SAVP",
                                crypto(1, "AES_CM_128_HMAC_SHA1_80", kCmKey, " UNENCRYPTED_SRTP"))
                             .media(),
                         any)
                .error(),
            MediaRefusal::kCryptoUnsupported);
  EXPECT_EQ(response_code(MediaRefusal::kCryptoMalformed), 488);
  EXPECT_EQ(warning_code(MediaRefusal::kCryptoMalformed), 305);
  EXPECT_EQ(warning_code(MediaRefusal::kProfileNotAllowed), 302);
  EXPECT_EQ(warning_text(MediaRefusal::kCryptoMissing),
            "Incompatible media format (crypto_missing)");
}

TEST(SrtpNegotiation, TowardTheCalleeEachPolicyMakesItsOwnOffer) {
  const Stream srtp("RTP/SAVP", crypto(1, "AES_CM_128_HMAC_SHA1_80", kCmKey));
  const Stream rtp("RTP/AVPF");
  const CallerMedia from_srtp = *accept_offer(srtp.media(), policy(MediaProfile::kAsOffered));
  const CallerMedia from_rtp = *accept_offer(rtp.media(), policy(MediaProfile::kAsOffered));

  // SRTP caller, RTP callee: plain, no lines.
  auto plain = offer_toward(from_srtp, policy(MediaProfile::kRtp));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->proto, "RTP/AVP");
  EXPECT_TRUE(plain->crypto.empty());
  const StreamProfile plain_profile = callee_offer_profile(*plain);
  EXPECT_EQ(plain_profile.proto, "RTP/AVP");
  EXPECT_EQ(plain_profile.crypto, std::vector<std::string>{});

  // RTP caller (with feedback), SRTP callee: one line per allowed suite, tags 1.., our keys.
  auto secured = offer_toward(from_rtp, policy(MediaProfile::kSrtp));
  ASSERT_TRUE(secured.has_value());
  EXPECT_EQ(secured->proto, "RTP/SAVPF");
  ASSERT_EQ(secured->crypto.size(), 4U);
  EXPECT_EQ(secured->crypto[0].tag, 1U);
  EXPECT_EQ(secured->crypto[3].suite, SdesSuite::kAeadAes256Gcm);
  EXPECT_EQ(secured->crypto[3].keys[0].key.bytes().size(), 44U);

  // SRTP on both sides: never the caller's key toward the callee.
  auto both = offer_toward(from_srtp, policy(MediaProfile::kAsOffered));
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->proto, "RTP/SAVP");
  for (const sip::CryptoAttribute& line : both->crypto) {
    EXPECT_NE(line.keys[0].key, from_srtp.srtp->peer_key);
    EXPECT_NE(line.keys[0].key, from_srtp.srtp->our_key);
  }
  // DTLS-SRTP passes untouched only between as-offered sides.
  const Stream dtls("UDP/TLS/RTP/SAVP");
  const CallerMedia from_dtls = *accept_offer(dtls.media(), policy(MediaProfile::kAsOffered));
  EXPECT_TRUE(offer_toward(from_dtls, policy(MediaProfile::kAsOffered)).has_value());
  EXPECT_EQ(offer_toward(from_dtls, policy(MediaProfile::kSrtp)).error(),
            MediaRefusal::kProfileNotAllowed);
}

TEST(SrtpNegotiation, TheCalleesAnswerMustPickOneOfOurLines) {
  const Stream rtp("RTP/AVP");
  const CallerMedia caller = *accept_offer(rtp.media(), policy(MediaProfile::kAsOffered));
  MediaPolicy callee = policy(MediaProfile::kSrtp);
  callee.srtp_suites = {SdesSuite::kAesCm128HmacSha1_80, SdesSuite::kAeadAes128Gcm};
  const CalleeOffer offer = *offer_toward(caller, callee);

  auto good =
      accept_answer(Stream("RTP/SAVP", crypto(2, "AEAD_AES_128_GCM", kGcmKey)).media(), offer);
  ASSERT_TRUE(good.has_value()) << to_string(good.error());
  ASSERT_TRUE(good->has_value());
  EXPECT_EQ((*good)->tag, 2U);
  EXPECT_EQ((*good)->suite, SdesSuite::kAeadAes128Gcm);
  EXPECT_EQ((*good)->our_key, offer.crypto[1].keys[0].key);  // what we offered under tag 2
  EXPECT_EQ((*good)->peer_key.bytes().size(), 28U);

  const auto refused = [&offer](const Stream& answer) {
    auto r = accept_answer(answer.media(), offer);
    return r ? std::optional<MediaRefusal>{} : r.error();
  };
  // A plain answer to an SRTP offer; a tag we never offered; a tag with another suite; no
  // line; two lines.
  EXPECT_EQ(refused(Stream("RTP/AVP")), MediaRefusal::kAnswerProfileMismatch);
  EXPECT_EQ(refused(Stream("RTP/SAVP", crypto(3, "AEAD_AES_128_GCM", kGcmKey))),
            MediaRefusal::kAnswerCryptoMismatch);
  EXPECT_EQ(refused(Stream("RTP/SAVP", crypto(1, "AEAD_AES_128_GCM", kGcmKey))),
            MediaRefusal::kAnswerCryptoMismatch);
  EXPECT_EQ(refused(Stream("RTP/SAVP")), MediaRefusal::kAnswerCryptoMismatch);
  EXPECT_EQ(refused(Stream("RTP/SAVP", crypto(1, "AES_CM_128_HMAC_SHA1_80", kCmKey) +
                                           crypto(2, "AEAD_AES_128_GCM", kGcmKey))),
            MediaRefusal::kAnswerCryptoMismatch);

  // An RTP offer takes a plain answer only.
  const CalleeOffer plain = *offer_toward(caller, policy(MediaProfile::kRtp));
  EXPECT_FALSE(accept_answer(Stream("RTP/AVP").media(), plain)->has_value());
  EXPECT_EQ(
      accept_answer(Stream("RTP/SAVP", crypto(1, "AES_CM_128_HMAC_SHA1_80", kCmKey)).media(), plain)
          .error(),
      MediaRefusal::kAnswerProfileMismatch);
}

}  // namespace
}  // namespace sbc::cp
