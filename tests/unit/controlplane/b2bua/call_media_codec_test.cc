// Codec negotiation through the B2BUA (call_media.cc, media_session.cc with
// media/codec_negotiation): the sides' codec lists filter and extend what the callee is offered,
// the callee's answer decides relay or transcoding, the SessionAdd carries both legs' codecs, the
// caller's answer names its own codec, and what cannot be served is refused, never answered
// without media.
#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace testing;

std::string audio_sdp(const std::string& address, int port, std::string_view formats,
                      std::string_view attributes) {
  return fmt::format(
      "v=0\r\no=user 1 1 IN IP4 {0}\r\ns=-\r\nc=IN IP4 {0}\r\nt=0 0\r\n"
      "m=audio {1} RTP/AVP {2}\r\n{3}",
      address, port, formats, attributes);
}

std::string_view m_line(std::string_view body) {
  const size_t at = body.find("m=audio");
  return at == std::string_view::npos ? std::string_view{}
                                      : body.substr(at, body.find("\r\n", at) - at);
}

class B2buaCodecTest : public B2buaTest {
 protected:
  void with_codecs(std::vector<api::MediaCodec> access, std::vector<api::MediaCodec> carrier,
                   uint32_t transcoding = 0) {
    config_.zones[kAccess].media.codecs = std::move(access);
    config_.zones[kCarrier].media.codecs = std::move(carrier);
    dataplane_.max_transcoded_sessions_reported = transcoding;
    make_b2bua();
  }
  // A caller offering `formats` (with their rtpmaps) and telephone-event 101.
  std::string invite_offering(std::string_view formats, std::string_view attributes) {
    InviteParts parts;
    parts.body = audio_sdp("192.0.2.10", 6000, formats, attributes);
    return caller_invite(parts);
  }
  // The callee's INVITE, after the caller's 100.
  sip::Message offer_to_callee() {
    EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 100);
    return next_to(kCarrier, kTrunkAddr);
  }
};

constexpr std::string_view kPcmuPcmaTe =
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

TEST_F(B2buaCodecTest, WithoutCodecListsTheOfferPassesAsOfferedAndNothingIsConverted) {
  with_codecs({}, {});
  deliver(kAccess, kCallerAddr, invite_offering("0 8 101", kPcmuPcmaTe));
  auto invite = offer_to_callee();
  EXPECT_EQ(m_line(invite.body()).substr(m_line(invite.body()).find("RTP")), "RTP/AVP 0 8 101");
  EXPECT_NE(invite.body().find("a=fmtp:101 0-15"), std::string_view::npos) << invite.body();
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 200, "btag",
                      audio_sdp("198.51.100.10", 7000, "8", "a=rtpmap:8 PCMA/8000\r\n")));
  dataplane_.flush();
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 200);
  const api::SessionAdd& add = dataplane_.sessions.begin()->second;
  EXPECT_FALSE(add.legs[0].codec || add.legs[1].codec);
}

TEST_F(B2buaCodecTest, TheTrunksListFiltersTheOfferAndTheCallIsRelayed) {
  with_codecs({}, {api::MediaCodec::kPcma});
  deliver(kAccess, kCallerAddr, invite_offering("0 8 101", kPcmuPcmaTe));
  auto invite = offer_to_callee();
  EXPECT_EQ(m_line(invite.body()), "m=audio 20000 RTP/AVP 8 101") << invite.body();
  EXPECT_EQ(invite.body().find("PCMU"), std::string_view::npos) << invite.body();
  // The caller's own telephone-event line is kept (its event range).
  EXPECT_NE(invite.body().find("a=fmtp:101 0-15"), std::string_view::npos) << invite.body();
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 200, "btag",
                      audio_sdp("198.51.100.10", 7000, "8 101",
                                "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n")));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(ok.status_code(), 200);
  EXPECT_NE(m_line(ok.body()).find("RTP/AVP 8 101"), std::string_view::npos) << ok.body();
  // Same codec and payload types on both sides: relayed as is.
  const api::SessionAdd& add = dataplane_.sessions.begin()->second;
  EXPECT_FALSE(add.legs[0].codec || add.legs[1].codec);
}

TEST_F(B2buaCodecTest, NoCommonCodecWithoutTranscodingIs488WithAWarning) {
  with_codecs({}, {api::MediaCodec::kG729});
  deliver(kAccess, kCallerAddr, invite_offering("0 8 101", kPcmuPcmaTe));
  auto refusal = next_to(kAccess, kCallerAddr);
  EXPECT_EQ(refusal.status_code(), 488);
  EXPECT_EQ(refusal.header("Warning").substr(0, 8), "305 sbc ");
  EXPECT_EQ(b2bua_->active_calls(), 0U);
  EXPECT_TRUE(dataplane_.sessions.empty());
}

TEST_F(B2buaCodecTest, ACallerCodecItsZoneForbidsIsRemovedAndNothingLeftIs488) {
  with_codecs({api::MediaCodec::kPcma}, {});
  deliver(kAccess, kCallerAddr, invite_offering("0 101", kPcmuPcmaTe));
  EXPECT_EQ(next_to(kAccess, kCallerAddr).status_code(), 488);
}

TEST_F(B2buaCodecTest, TranscodingCandidatesAreOfferedAndTheAnswerIsTranscoded) {
  with_codecs({}, {api::MediaCodec::kPcma, api::MediaCodec::kG729}, /*transcoding=*/100);
  deliver(kAccess, kCallerAddr,
          invite_offering("0 101",
                          "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                          "a=ptime:20\r\n"));
  auto invite = offer_to_callee();
  EXPECT_EQ(m_line(invite.body()), "m=audio 20000 RTP/AVP 8 18 101") << invite.body();
  EXPECT_NE(invite.body().find("a=rtpmap:8 PCMA/8000"), std::string_view::npos);
  EXPECT_NE(invite.body().find("a=fmtp:18 annexb=no"), std::string_view::npos);
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 200, "btag",
                      audio_sdp("198.51.100.10", 7000, "18",
                                "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=ptime:40\r\n")));
  dataplane_.flush();
  auto ok = next_to(kAccess, kCallerAddr);
  ASSERT_EQ(ok.status_code(), 200);
  // The caller hears its own codec; its events are made by the dataplane.
  EXPECT_NE(m_line(ok.body()).find("RTP/AVP 0 101"), std::string_view::npos) << ok.body();
  EXPECT_EQ(ok.body().find("G729"), std::string_view::npos) << ok.body();
  const api::SessionAdd& add = dataplane_.sessions.begin()->second;
  ASSERT_TRUE(add.legs[0].codec && add.legs[1].codec);
  EXPECT_EQ(*add.legs[0].codec, (api::LegCodec{api::MediaCodec::kPcmu, 0, 20, std::nullopt, 101}));
  EXPECT_EQ(*add.legs[1].codec,
            (api::LegCodec{api::MediaCodec::kG729, 18, 40, std::nullopt, std::nullopt}));
}

// The caller's 2xx waits for the dataplane: a full transcoder means 503 to the caller (never a
// 200 without media) and ACK + BYE to the callee.
TEST_F(B2buaCodecTest, AFullTranscoderRefusesTheNewCallWith503) {
  with_codecs({}, {api::MediaCodec::kPcma}, /*transcoding=*/1);
  deliver(kAccess, kCallerAddr, invite_offering("0", "a=rtpmap:0 PCMU/8000\r\n"));
  auto invite = offer_to_callee();
  dataplane_.add_status = api::Status::kNoResources;
  deliver(kCarrier, kTrunkAddr,
          response_to(invite, 200, "btag",
                      audio_sdp("198.51.100.10", 7000, "8", "a=rtpmap:8 PCMA/8000\r\n")));
  dataplane_.flush();
  std::vector<int> to_caller;
  for (const SentDatagram& d : transport_.sent) {
    if (d.zone == kAccess && d.to == kCallerAddr) to_caller.push_back(parse(d.data).status_code());
  }
  EXPECT_EQ(to_caller, std::vector<int>{503});
  const auto records = cdrs();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().value("media_refusal", ""), "transcoding_capacity");
  EXPECT_EQ(b2bua_->active_calls(), 0U);
}

}  // namespace
}  // namespace sbc::cp
