// make_cdr(): the CDR fields for every kind of call end, the media refusal of a call refused for
// its offer's or answer's media (issue 9: each refusal in the CDR) included.
#include "controlplane/b2bua/call_cdr.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using SysTime = std::chrono::system_clock::time_point;

// 2023-11-14T22:13:20Z
constexpr SysTime kStart{std::chrono::seconds(1700000000)};

Call answered_call() {
  Call call;
  call.id = 4711;
  call.legs[kCaller].user = "alice";
  call.legs[kCallee].user = "+15550001";
  call.start_time = kStart;
  call.answer_time = kStart + 2500ms;
  call.end_time = kStart + 2500ms + 61234567us;
  call.result = CallResult::kAnswered;
  call.result_code = 200;
  return call;
}

TEST(MakeCdrTest, AnsweredCallWithMedia) {
  Call call = answered_call();
  api::StatsReply stats;
  stats.legs.resize(2);
  stats.legs[kCaller].rtp = {100, 17200, 1, 0, api::Address::parse("192.0.2.10"), 6000, 0, 0,
                             0,   0,     0, {}};
  stats.legs[kCallee].rtp.packets = 90;
  stats.legs[kCallee].rtcp.packets = 3;
  call.media_stats = stats;
  const nlohmann::json j = make_cdr(call);
  EXPECT_EQ(j["call_id"], 4711u);
  EXPECT_EQ(j["caller"], "alice");
  EXPECT_EQ(j["callee"], "+15550001");
  EXPECT_EQ(j["start_time"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["answer_time"], "2023-11-14T22:13:22.500Z");
  EXPECT_EQ(j["end_time"], "2023-11-14T22:14:23.734Z");
  EXPECT_EQ(j["result_code"], 200);
  EXPECT_EQ(j["disposition"], "answered");
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 61.235);  // from the answer, to the ms
  // Leg i's streams are what the SBC received from side i.
  const auto& up = j["media"]["caller_to_callee"];
  EXPECT_EQ(up["rtp"]["packets"], 100u);
  EXPECT_EQ(up["rtp"]["bytes"], 17200u);
  EXPECT_EQ(up["rtp"]["dropped"], 1u);
  EXPECT_EQ(up["rtp"]["latched"], "192.0.2.10:6000");
  EXPECT_TRUE(up["rtcp"]["latched"].is_null());
  EXPECT_EQ(j["media"]["callee_to_caller"]["rtp"]["packets"], 90u);
  EXPECT_EQ(j["media"]["callee_to_caller"]["rtcp"]["packets"], 3u);
}

TEST(MakeCdrTest, CarriesQualityPerDirection) {
  Call call = answered_call();
  api::StatsReply stats;
  stats.legs.resize(2);
  auto& up = stats.legs[kCaller].rtp.quality;  // caller -> SBC: 2 of 200 lost, jitter 80 ticks
  up.expected = 200;
  up.lost = 2;
  up.jitter = 80;
  up.clock_hz = 8000;
  stats.legs[kCaller].rtcp.quality.rtt_us = 20'000;        // SBC <-> caller
  auto& callee_report = stats.legs[kCallee].rtcp.quality;  // the callee's RR: 6 lost end to end
  callee_report.reports = 3;
  callee_report.peer_lost = 6;
  callee_report.peer_jitter = 40;
  callee_report.rtt_us = 30'000;  // SBC <-> callee
  call.media_stats = stats;
  const nlohmann::json j = make_cdr(call);
  const auto& q = j["quality"]["caller_to_callee"];
  ASSERT_TRUE(q.is_object());
  EXPECT_EQ(q["expected"], 200u);
  EXPECT_EQ(q["lost"], 6);  // the larger of the SBC's count and the receiver's report
  EXPECT_DOUBLE_EQ(q["loss_percent"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(q["jitter_ms"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(q["rtt_ms"].get<double>(), 50.0);
  const double mos = q["mos"].get<double>();
  EXPECT_GT(mos, 3.5);
  EXPECT_LT(mos, 4.3);                                      // below a clean G.711 call (4.41)
  EXPECT_TRUE(j["quality"]["callee_to_caller"].is_null());  // no RTP seen that way
}

TEST(MakeCdrTest, UnansweredCallHasNullTimesAndZeroDuration) {
  Call call;
  call.id = 1;
  call.start_time = kStart;
  call.end_time = kStart + 5s;
  call.result = CallResult::kBusy;
  call.result_code = 486;
  nlohmann::json j = make_cdr(call);
  EXPECT_TRUE(j["answer_time"].is_null());
  EXPECT_EQ(j["disposition"], "busy");
  EXPECT_EQ(j["result_code"], 486);
  EXPECT_EQ(j["duration_s"].get<double>(), 0.0);
  EXPECT_TRUE(j["media"].is_null());
  // A call without a recorded result is a failure; without an end, it has no end time.
  call.result.reset();
  call.end_time.reset();
  j = make_cdr(call);
  EXPECT_EQ(j["disposition"], "failed");
  EXPECT_TRUE(j["end_time"].is_null());
  // Media stats of the wrong shape are left out, not half written.
  call.media_stats = api::StatsReply{};
  call.media_stats->legs.resize(1);
  EXPECT_TRUE(make_cdr(call)["media"].is_null());
}

TEST(MakeCdrTest, EveryResultHasItsDisposition) {
  Call call = answered_call();
  for (auto [result, name] : {std::pair{CallResult::kCancelled, "cancelled"},
                              {CallResult::kFailed, "failed"},
                              {CallResult::kMediaTimeout, "media_timeout"},
                              {CallResult::kMaxDuration, "max_duration"}}) {
    call.result = result;
    EXPECT_EQ(make_cdr(call)["disposition"], name);
  }
}

TEST(MakeCdrTest, NamesTheMediaRefusalOfACallThatFailedForIt) {
  Call call = answered_call();
  EXPECT_TRUE(make_cdr(call)["media_refusal"].is_null());
  call.media_refusal = MediaRefusal::kAnswerCryptoMismatch;
  EXPECT_EQ(make_cdr(call)["media_refusal"], "answer_crypto_mismatch");
}

TEST(MakeCdrTest, ARefusedOfferHasTheInvitesPartiesAndTheRefusal) {
  auto invite = sip::Message::parse(testing::caller_invite());
  ASSERT_TRUE(invite.has_value());
  const Call call = refused_offer_record(99, *invite, MediaRefusal::kCryptoUnsupported, kStart);
  const nlohmann::json j = make_cdr(call);
  EXPECT_EQ(j["call_id"], 99u);
  EXPECT_EQ(j["caller"], "alice");
  EXPECT_EQ(j["callee"], "callee");
  EXPECT_EQ(j["start_time"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["end_time"], "2023-11-14T22:13:20.000Z");
  EXPECT_TRUE(j["answer_time"].is_null());
  EXPECT_EQ(j["result_code"], 488);
  EXPECT_EQ(j["disposition"], "failed");
  EXPECT_EQ(j["media_refusal"], "crypto_unsupported");
  EXPECT_EQ(make_cdr(refused_offer_record(1, *invite, MediaRefusal::kKeyGeneration,
                                          kStart))["result_code"],
            500);
}

// Through the B2BUA: every offer or answer refused for its media leaves a CDR naming why.
class MediaRefusalCdrTest : public testing::B2buaTest {
 protected:
  void with_profiles(MediaProfile access, MediaProfile carrier) {
    config_.zones[testing::kAccess].media.profile = access;
    config_.zones[testing::kCarrier].media.profile = carrier;
    make_b2bua();
  }
  // An INVITE offering RTP/SAVP with these a=crypto lines.
  static std::string srtp_invite(std::string_view crypto_lines) {
    testing::InviteParts parts;
    parts.body = fmt::format(
        "v=0\r\no=user 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
        "m=audio 6000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n{}",
        crypto_lines);
    return testing::caller_invite(parts);
  }
  // The caller's refusal, and the one CDR written for it.
  nlohmann::json refused(const std::string& invite, std::string_view warning) {
    deliver(testing::kAccess, testing::kCallerAddr, invite);
    auto response = next_to(testing::kAccess, testing::kCallerAddr);
    EXPECT_EQ(response.status_code(), 488);
    EXPECT_EQ(response.header("Warning"), warning);
    EXPECT_TRUE(transport_.sent.empty()) << "nothing toward the callee";
    EXPECT_EQ(b2bua_->active_calls(), 0U);
    auto records = cdrs();
    EXPECT_EQ(records.size(), 1U);
    return records.empty() ? nlohmann::json() : records.back();
  }
};

TEST_F(MediaRefusalCdrTest, AnOfferThePolicyForbidsHasACdr) {
  with_profiles(MediaProfile::kSrtp, MediaProfile::kAsOffered);
  const nlohmann::json cdr =
      refused(testing::caller_invite(),
              "302 sbc \"Incompatible transport protocol (profile_not_allowed)\"");
  EXPECT_EQ(cdr["media_refusal"], "profile_not_allowed");
  EXPECT_EQ(cdr["result_code"], 488);
  EXPECT_EQ(cdr["disposition"], "failed");
  EXPECT_EQ(cdr["caller"], "alice");
  EXPECT_EQ(cdr["callee"], "callee");
}

TEST_F(MediaRefusalCdrTest, AnOfferWithOnlyAnUnsupportedSuiteHasACdr) {
  with_profiles(MediaProfile::kSrtp, MediaProfile::kAsOffered);
  const nlohmann::json cdr =
      refused(srtp_invite("a=crypto:1 F8_128_HMAC_SHA1_80 "
                          "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJDREUw\r\n"),
              "305 sbc \"Incompatible media format (crypto_unsupported)\"");
  EXPECT_EQ(cdr["media_refusal"], "crypto_unsupported");
  EXPECT_EQ(cdr.dump().find("MTIzNDU2"), std::string::npos) << "never a key in a CDR";
}

TEST_F(MediaRefusalCdrTest, AnOfferWithAMalformedKeyHasACdr) {
  with_profiles(MediaProfile::kSrtp, MediaProfile::kAsOffered);
  const nlohmann::json cdr =
      refused(srtp_invite("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n"),
              "305 sbc \"Incompatible media format (crypto_malformed)\"");
  EXPECT_EQ(cdr["media_refusal"], "crypto_malformed");
}

TEST_F(MediaRefusalCdrTest, AnAnswerMatchingNothingOfferedHasACdr) {
  with_profiles(MediaProfile::kAsOffered, MediaProfile::kSrtp);
  auto invite = start_call();
  deliver(testing::kCarrier, testing::kTrunkAddr,
          testing::response_to(invite, 200, "btag", testing::sdp("198.51.100.10", 7000)));
  dataplane_.flush();
  EXPECT_EQ(next_to(testing::kCarrier, testing::kTrunkAddr).method(), sip::Method::kAck);
  auto bye = next_to(testing::kCarrier, testing::kTrunkAddr);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(next_to(testing::kAccess, testing::kCallerAddr).status_code(), 488);
  deliver(testing::kCarrier, testing::kTrunkAddr, testing::response_to(bye, 200, ""));
  dataplane_.flush();
  auto records = cdrs();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0]["media_refusal"], "answer_profile_mismatch");
  EXPECT_EQ(records[0]["result_code"], 488);
  EXPECT_EQ(records[0]["disposition"], "failed");
}

}  // namespace
}  // namespace sbc::cp
