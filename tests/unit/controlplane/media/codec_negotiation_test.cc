// Codec offer/answer per side (codec_negotiation.cc): what passes the caller's list, what we offer
// the callee (relay candidates, then transcoding candidates only when the dataplane transcodes),
// relay or transcode from the answer with each leg's LegCodec, telephone-event and CN.
#include "controlplane/media/codec_negotiation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "controlplane/sip/sdp.h"

namespace sbc::cp {
namespace {

using api::MediaCodec;
using Kind = StreamFormat::Kind;

// The formats of an audio m= line "m=audio 4000 RTP/AVP <formats>" with these a= lines.
StreamCodecs codecs(const std::string& formats, const std::string& attributes = "") {
  const std::string text =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP " +
      formats + "\r\n" + attributes;
  auto sdp = sip::parse_sdp(text);
  EXPECT_TRUE(sdp.has_value());
  return read_codecs(sdp->media[0]);  // copies every string out of `text`
}

MediaPolicy policy(std::vector<MediaCodec> list, DtmfMode dtmf = DtmfMode::kAsOffered) {
  MediaPolicy p;
  p.codecs = std::move(list);
  p.dtmf = dtmf;
  return p;
}

std::vector<uint8_t> pts(const StreamCodecs& c) {
  std::vector<uint8_t> out;
  for (const auto& f : c.formats) out.push_back(f.payload_type);
  return out;
}

const std::string kTe101 = "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n";

TEST(CodecNegotiationTest, ReadsStaticAndDynamicFormatsAndPtime) {
  auto c = codecs("0 8 111 101 13", "a=rtpmap:111 opus/48000/2\r\n" + kTe101 + "a=ptime:30\r\n");
  ASSERT_EQ(c.formats.size(), 5U);
  EXPECT_EQ(c.formats[0].codec, MediaCodec::kPcmu);
  EXPECT_EQ(c.formats[1].codec, MediaCodec::kPcma);
  EXPECT_EQ(c.formats[2].codec, MediaCodec::kOpus);
  EXPECT_EQ(c.formats[2].clock_rate, 48000U);
  EXPECT_EQ(c.formats[3].kind, Kind::kTelephoneEvent);
  EXPECT_EQ(c.formats[4].kind, Kind::kComfortNoise);
  EXPECT_EQ(c.ptime_ms, 30);
  EXPECT_EQ(codecs("0", "a=ptime:25\r\n").ptime_ms, 20);  // unsupported: 20
}

TEST(CodecNegotiationTest, CallerListDropsWhatItDoesNotAllow) {
  auto offer = codecs("3 0 8 101", kTe101);  // GSM, PCMU, PCMA
  auto kept = filter_offer(offer, policy({MediaCodec::kPcma}));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(pts(*kept), (std::vector<uint8_t>{8, 101}));
  EXPECT_EQ(filter_offer(offer, MediaPolicy{})->formats.size(), 4U);  // as offered
  EXPECT_EQ(filter_offer(offer, policy({MediaCodec::kG729})).error(),
            MediaRefusal::kCodecNotAllowed);
  EXPECT_EQ(response_code(MediaRefusal::kCodecNotAllowed), 488);
  EXPECT_EQ(warning_code(MediaRefusal::kCodecNotAllowed), 305);
}

TEST(CodecNegotiationTest, CalleeOfferAddsTranscodingCandidatesOnlyWhenTheDataplaneCan) {
  auto caller = codecs("0 101", kTe101);
  auto callee = policy({MediaCodec::kPcma, MediaCodec::kG729, MediaCodec::kOpus});
  auto offer = offer_codecs_toward(caller, callee, /*can_transcode=*/true);
  ASSERT_TRUE(offer.has_value());
  // No common codec: PCMA 8, G729 18, opus on a free dynamic type, then the caller's event.
  EXPECT_EQ(pts(*offer), (std::vector<uint8_t>{8, 18, 96, 101}));
  EXPECT_EQ(offer->formats[2].codec, MediaCodec::kOpus);
  const std::vector<std::string> lines = format_attributes(*offer);
  EXPECT_NE(std::ranges::find(lines, "rtpmap:96 opus/48000/2"), lines.end());
  EXPECT_NE(std::ranges::find(lines, "fmtp:18 annexb=no"), lines.end());
  EXPECT_EQ(offer_codecs_toward(caller, callee, false).error(), MediaRefusal::kCodecNotAllowed);
}

TEST(CodecNegotiationTest, RelayedFormatsKeepTheirOwnLinesAndCandidatesGetOurs) {
  const std::string text =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 111 101\r\n"
      "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1; minptime=10\r\n"
      "a=rtpmap:101 telephone-event/48000\r\na=fmtp:101 0-11\r\n";
  auto sdp = sip::parse_sdp(text);
  ASSERT_TRUE(sdp.has_value());
  const StreamCodecs caller = read_codecs(sdp->media[0]);
  auto offer = offer_codecs_toward(caller, policy({MediaCodec::kOpus, MediaCodec::kPcma}), true);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(format_list(*offer), (std::vector<std::string>{"111", "8", "101"}));
  EXPECT_EQ(format_attributes(*offer, &sdp->media[0]),
            (std::vector<std::string>{"rtpmap:111 opus/48000/2",
                                      "fmtp:111 useinbandfec=1; minptime=10", "rtpmap:8 PCMA/8000",
                                      "rtpmap:101 telephone-event/48000", "fmtp:101 0-11"}));
}

TEST(CodecNegotiationTest, CommonCodecsKeepTheCallersPayloadTypesAndComeFirst) {
  auto caller = codecs("8 0 96", "a=rtpmap:96 opus/48000/2\r\n");
  auto callee = policy({MediaCodec::kG722, MediaCodec::kOpus});
  auto offer = offer_codecs_toward(caller, callee, true);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(pts(*offer), (std::vector<uint8_t>{96, 9}));  // the caller's opus, then G722
  // A static type the caller uses for something else is not reused.
  auto odd = codecs("9", "a=rtpmap:9 PCMU/8000\r\n");
  auto offer2 = offer_codecs_toward(odd, policy({MediaCodec::kG722}), true);
  ASSERT_TRUE(offer2.has_value());
  EXPECT_EQ(pts(*offer2), (std::vector<uint8_t>{96}));
}

TEST(CodecNegotiationTest, TelephoneEventFollowsTheCalleeSidesDtmfMode) {
  auto with_te = codecs("0 101", kTe101);
  auto without = codecs("0");
  auto as_offered = offer_codecs_toward(without, policy({MediaCodec::kPcmu}), true);
  EXPECT_FALSE(as_offered->payload_type_of(Kind::kTelephoneEvent).has_value());
  auto rfc4733 =
      offer_codecs_toward(without, policy({MediaCodec::kPcmu}, DtmfMode::kRfc4733), true);
  ASSERT_TRUE(rfc4733->payload_type_of(Kind::kTelephoneEvent).has_value());
  EXPECT_EQ(rfc4733->formats.back().clock_rate, 8000U);
  // Not without transcoding: nobody could turn the callee's events into tones.
  EXPECT_FALSE(offer_codecs_toward(without, policy({MediaCodec::kPcmu}, DtmfMode::kRfc4733), false)
                   ->payload_type_of(Kind::kTelephoneEvent)
                   .has_value());
  auto inband = offer_codecs_toward(with_te, policy({MediaCodec::kPcmu}, DtmfMode::kInband), true);
  EXPECT_FALSE(inband->payload_type_of(Kind::kTelephoneEvent).has_value());
  // Opus alone: events at 48 kHz.
  auto opus = offer_codecs_toward(without, policy({MediaCodec::kOpus}, DtmfMode::kRfc4733), true);
  ASSERT_EQ(opus->formats.size(), 2U);
  EXPECT_EQ(opus->formats[1].clock_rate, 48000U);
}

TEST(CodecNegotiationTest, IdenticalSidesAreRelayedWithoutLegCodecs) {
  auto caller = codecs("0 8 101", kTe101);
  auto offered = *offer_codecs_toward(caller, MediaPolicy{}, true);
  auto choice = choose_codecs(caller, offered, codecs("8 101", kTe101));
  ASSERT_TRUE(choice.has_value());
  EXPECT_FALSE(choice->transcoded);
  EXPECT_FALSE(choice->caller_leg.has_value());
  EXPECT_FALSE(choice->callee_leg.has_value());
  EXPECT_EQ(pts(choice->caller_answer), (std::vector<uint8_t>{8, 101}));
}

TEST(CodecNegotiationTest, RelayWithDifferentEventTypesSetsBothLegs) {
  auto caller = codecs("0 101", kTe101);
  auto offered = *offer_codecs_toward(caller, MediaPolicy{}, true);
  // The callee answers without telephone-event: the caller is answered without it too.
  auto choice = choose_codecs(caller, offered, codecs("0", "a=ptime:30\r\n"));
  ASSERT_TRUE(choice.has_value());
  EXPECT_FALSE(choice->transcoded);
  EXPECT_EQ(pts(choice->caller_answer), (std::vector<uint8_t>{0}));
  EXPECT_FALSE(choice->caller_leg.has_value());  // nothing differs
  // The callee adds an event type of its own (as dtmf=rfc4733 offered): both legs set.
  auto caller2 = codecs("0");
  auto offered2 =
      *offer_codecs_toward(caller2, policy({MediaCodec::kPcmu}, DtmfMode::kRfc4733), true);
  auto te = *offered2.payload_type_of(Kind::kTelephoneEvent);
  auto choice2 = choose_codecs(caller2, offered2,
                               codecs("0 " + std::to_string(te), "a=rtpmap:" + std::to_string(te) +
                                                                     " telephone-event/8000\r\n"));
  ASSERT_TRUE(choice2.has_value());
  ASSERT_TRUE(choice2->callee_leg.has_value());
  EXPECT_EQ(choice2->callee_leg->telephone_event_payload_type, te);
  EXPECT_FALSE(choice2->caller_leg->telephone_event_payload_type.has_value());
}

TEST(CodecNegotiationTest, TranscodingCandidateAnsweredTranscodesToTheCallersFirstCodec) {
  auto caller = codecs("0 8 101 13", kTe101 + "a=ptime:20\r\n");
  auto offered = *offer_codecs_toward(caller, policy({MediaCodec::kG729}), true);
  auto choice = choose_codecs(caller, offered, codecs("18", "a=ptime:40\r\n"));
  ASSERT_TRUE(choice.has_value());
  EXPECT_TRUE(choice->transcoded);
  // The caller is answered PCMU (its first), its event and CN: the dataplane serves them.
  EXPECT_EQ(pts(choice->caller_answer), (std::vector<uint8_t>{0, 101, 13}));
  EXPECT_EQ(choice->caller_leg, (api::LegCodec{.codec = MediaCodec::kPcmu,
                                               .payload_type = 0,
                                               .ptime_ms = 20,
                                               .cn_payload_type = 13,
                                               .telephone_event_payload_type = 101}));
  EXPECT_EQ(choice->callee_leg, (api::LegCodec{.codec = MediaCodec::kG729,
                                               .payload_type = 18,
                                               .ptime_ms = 40,
                                               .cn_payload_type = std::nullopt,
                                               .telephone_event_payload_type = std::nullopt}));
}

TEST(CodecNegotiationTest, AnswerWithACodecNeverOfferedIsRefused) {
  auto caller = codecs("0");
  auto offered = *offer_codecs_toward(caller, policy({MediaCodec::kPcmu}), true);
  EXPECT_EQ(choose_codecs(caller, offered, codecs("8")).error(),
            MediaRefusal::kAnswerCodecMismatch);
  EXPECT_EQ(choose_codecs(caller, offered, codecs("101", kTe101)).error(),
            MediaRefusal::kAnswerCodecMismatch);
  EXPECT_EQ(response_code(MediaRefusal::kTranscodingCapacity), 503);
}

}  // namespace
}  // namespace sbc::cp
