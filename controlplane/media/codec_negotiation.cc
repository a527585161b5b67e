#include "controlplane/media/codec_negotiation.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace sbc::cp {
namespace {

using api::MediaCodec;
using Kind = StreamFormat::Kind;

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 3551 static payload types of the codecs that have one.
std::optional<uint8_t> static_payload_type(MediaCodec codec) {
  switch (codec) {
    case MediaCodec::kPcmu: return 0;
    case MediaCodec::kPcma: return 8;
    case MediaCodec::kG722: return 9;
    case MediaCodec::kG729: return 18;
    case MediaCodec::kOpus: return std::nullopt;
  }
  return std::nullopt;
}

bool ptime_supported(uint32_t ptime) {
  return ptime == 10 || ptime == 20 || ptime == 30 || ptime == 40;
}

// A dynamic payload type (96-127) no format of `codecs` uses.
std::optional<uint8_t> free_dynamic(const StreamCodecs& codecs) {
  for (unsigned pt = 96; pt <= 127; ++pt) {
    const bool used = std::ranges::any_of(
        codecs.formats, [&](const StreamFormat& f) { return f.payload_type == pt; });
    if (!used) return static_cast<uint8_t>(pt);
  }
  return std::nullopt;
}

StreamFormat audio_format(MediaCodec codec, uint8_t payload_type) {
  return StreamFormat{.kind = Kind::kAudio,
                      .payload_type = payload_type,
                      .codec = codec,
                      .encoding = std::string(api::to_string(codec)),
                      .clock_rate = api::rtp_clock(codec)};
}

const StreamFormat* find_kind(const StreamCodecs& codecs, Kind kind) {
  auto it =
      std::ranges::find_if(codecs.formats, [&](const StreamFormat& f) { return f.kind == kind; });
  return it == codecs.formats.end() ? nullptr : &*it;
}

// The format of `answer` that stands for `offered` format (same codec, or same name for codecs
// the dataplane does not know).
const StreamFormat* match(const StreamCodecs& in, const StreamFormat& f) {
  for (const StreamFormat& g : in.formats) {
    if (g.kind != f.kind) continue;
    if (f.codec ? g.codec == f.codec : (!g.codec && same_name(g.encoding, f.encoding))) return &g;
  }
  return nullptr;
}

}  // namespace

const StreamFormat* StreamCodecs::find(MediaCodec codec) const {
  auto it = std::ranges::find_if(formats, [&](const StreamFormat& f) { return f.codec == codec; });
  return it == formats.end() ? nullptr : &*it;
}

const StreamFormat* StreamCodecs::first_audio() const {
  return find_kind(*this, Kind::kAudio);
}

std::optional<uint8_t> StreamCodecs::payload_type_of(Kind kind) const {
  const StreamFormat* f = find_kind(*this, kind);
  return f ? std::optional<uint8_t>(f->payload_type) : std::nullopt;
}

StreamCodecs read_codecs(const sip::SdpMedia& media) {
  StreamCodecs codecs;
  if (media.ptime && ptime_supported(*media.ptime)) codecs.ptime_ms = *media.ptime;
  for (uint8_t pt : media.payload_types()) {
    StreamFormat f;
    f.payload_type = pt;
    f.encoding = std::string(media.codec_name(pt));
    const sip::RtpMap* map = media.rtpmap(pt);
    if (map && map->clock_rate != 0) f.clock_rate = map->clock_rate;
    if (same_name(f.encoding, "telephone-event")) {
      f.kind = Kind::kTelephoneEvent;
    } else if (same_name(f.encoding, "CN")) {
      f.kind = Kind::kComfortNoise;
    } else if (auto codec = api::media_codec_from_name(f.encoding);
               codec && f.clock_rate == api::rtp_clock(*codec)) {
      f.kind = Kind::kAudio;
      f.codec = codec;
    } else {
      f.kind = f.encoding.empty() ? Kind::kOther : Kind::kAudio;  // audio we only relay
    }
    codecs.formats.push_back(std::move(f));
  }
  return codecs;
}

std::expected<StreamCodecs, MediaRefusal> filter_offer(const StreamCodecs& offer,
                                                       const MediaPolicy& caller) {
  if (caller.codecs.empty()) {
    if (!offer.has_audio()) return std::unexpected(MediaRefusal::kCodecNotAllowed);
    return offer;
  }
  StreamCodecs kept;
  kept.ptime_ms = offer.ptime_ms;
  for (const StreamFormat& f : offer.formats) {
    const bool drop =
        f.kind == Kind::kOther || (f.kind == Kind::kAudio && !(f.codec && caller.allows(*f.codec)));
    if (!drop) kept.formats.push_back(f);
  }
  if (!kept.has_audio()) return std::unexpected(MediaRefusal::kCodecNotAllowed);
  return kept;
}

std::expected<StreamCodecs, MediaRefusal> offer_codecs_toward(const StreamCodecs& caller,
                                                              const MediaPolicy& callee,
                                                              bool can_transcode) {
  StreamCodecs offer;
  offer.ptime_ms = caller.ptime_ms;
  for (const StreamFormat& f : caller.formats) {
    const bool audio = f.kind == Kind::kAudio || (f.kind == Kind::kOther && callee.codecs.empty());
    if (!audio) continue;
    if (callee.codecs.empty() || (f.codec && callee.allows(*f.codec))) offer.formats.push_back(f);
  }
  // Transcoding needs a caller codec the dataplane can decode.
  const bool transcodable =
      can_transcode && std::ranges::any_of(caller.formats, [](const StreamFormat& f) {
        return f.codec.has_value();
      });
  if (transcodable) {
    for (MediaCodec codec : callee.codecs) {
      if (offer.find(codec) != nullptr) continue;
      std::optional<uint8_t> pt = static_payload_type(codec);
      // Neither a caller's payload type (its numbers stay its own) nor one already offered.
      StreamCodecs used = caller;
      used.formats.insert(used.formats.end(), offer.formats.begin(), offer.formats.end());
      if (pt && std::ranges::any_of(used.formats,
                                    [&](const StreamFormat& f) { return f.payload_type == *pt; })) {
        pt.reset();
      }
      if (!pt) pt = free_dynamic(used);
      if (!pt) continue;
      offer.formats.push_back(audio_format(codec, *pt));
    }
  }
  if (!offer.has_audio()) return std::unexpected(MediaRefusal::kCodecNotAllowed);

  const StreamFormat* first = offer.first_audio();
  const uint32_t event_clock =
      first->codec == MediaCodec::kOpus && offer.formats.size() == 1 ? 48000 : 8000;
  if (const StreamFormat* te = find_kind(caller, Kind::kTelephoneEvent)) {
    if (callee.dtmf != DtmfMode::kInband) offer.formats.push_back(*te);
  } else if (callee.dtmf == DtmfMode::kRfc4733 && transcodable) {
    StreamCodecs used = caller;
    used.formats.insert(used.formats.end(), offer.formats.begin(), offer.formats.end());
    if (auto pt = free_dynamic(used)) {
      offer.formats.push_back(StreamFormat{.kind = Kind::kTelephoneEvent,
                                           .payload_type = *pt,
                                           .codec = std::nullopt,
                                           .encoding = "telephone-event",
                                           .clock_rate = event_clock});
    }
  }
  if (const StreamFormat* cn = find_kind(caller, Kind::kComfortNoise)) {
    offer.formats.push_back(*cn);
  }
  return offer;
}

std::expected<CodecChoice, MediaRefusal> choose_codecs(const StreamCodecs& caller,
                                                       const StreamCodecs& offered,
                                                       const StreamCodecs& answer) {
  const StreamFormat* chosen = answer.first_audio();
  if (chosen == nullptr) return std::unexpected(MediaRefusal::kAnswerCodecMismatch);
  const StreamFormat* in_offer = match(offered, *chosen);
  if (in_offer == nullptr) return std::unexpected(MediaRefusal::kAnswerCodecMismatch);

  CodecChoice choice;
  const StreamFormat* caller_codec = match(caller, *chosen);
  if (caller_codec == nullptr) {
    // A transcoding candidate: the caller keeps its most preferred codec the dataplane knows.
    auto it = std::ranges::find_if(caller.formats, [](const StreamFormat& f) {
      return f.kind == Kind::kAudio && f.codec.has_value();
    });
    if (it == caller.formats.end() || !chosen->codec) {
      return std::unexpected(MediaRefusal::kAnswerCodecMismatch);
    }
    caller_codec = &*it;
    choice.transcoded = true;
  }

  const StreamFormat* caller_te = find_kind(caller, Kind::kTelephoneEvent);
  const StreamFormat* caller_cn = find_kind(caller, Kind::kComfortNoise);
  const StreamFormat* answer_te = find_kind(answer, Kind::kTelephoneEvent);
  const StreamFormat* answer_cn = find_kind(answer, Kind::kComfortNoise);
  // Events and CN toward the caller as it offered them: relayed when the callee has them too,
  // made by the dataplane when it transcodes.
  choice.caller_answer.ptime_ms = caller.ptime_ms;
  choice.caller_answer.formats.push_back(*caller_codec);
  if (caller_te && (answer_te || choice.transcoded)) {
    choice.caller_answer.formats.push_back(*caller_te);
  }
  if (caller_cn && (answer_cn || choice.transcoded)) {
    choice.caller_answer.formats.push_back(*caller_cn);
  }

  const auto te_of = [](const StreamCodecs& s) { return s.payload_type_of(Kind::kTelephoneEvent); };
  const auto cn_of = [](const StreamCodecs& s) { return s.payload_type_of(Kind::kComfortNoise); };
  const bool identical = !choice.transcoded && caller_codec->payload_type == chosen->payload_type &&
                         te_of(choice.caller_answer) == te_of(answer) &&
                         cn_of(choice.caller_answer) == cn_of(answer);
  // A codec the dataplane does not know can only be relayed as is.
  if (identical || !chosen->codec || !caller_codec->codec) return choice;

  choice.caller_leg = api::LegCodec{.codec = *caller_codec->codec,
                                    .payload_type = caller_codec->payload_type,
                                    .ptime_ms = caller.ptime_ms,
                                    .cn_payload_type = cn_of(choice.caller_answer),
                                    .telephone_event_payload_type = te_of(choice.caller_answer)};
  choice.callee_leg = api::LegCodec{.codec = *chosen->codec,
                                    .payload_type = chosen->payload_type,
                                    .ptime_ms = answer.ptime_ms,
                                    .cn_payload_type = cn_of(answer),
                                    .telephone_event_payload_type = te_of(answer)};
  return choice;
}

bool negotiates_codecs(const MediaPolicy& caller, const MediaPolicy& callee) {
  return !caller.codecs.empty() || !callee.codecs.empty() || caller.dtmf != DtmfMode::kAsOffered ||
         callee.dtmf != DtmfMode::kAsOffered;
}

std::expected<CodecOffer, MediaRefusal> negotiate_codecs(const sip::SdpMedia& offer,
                                                         const MediaPolicy& caller,
                                                         const MediaPolicy& callee,
                                                         bool can_transcode) {
  auto allowed = filter_offer(read_codecs(offer), caller);
  if (!allowed) return std::unexpected(allowed.error());
  auto ours = offer_codecs_toward(*allowed, callee, can_transcode);
  if (!ours) return std::unexpected(ours.error());
  return CodecOffer{std::move(*allowed), std::move(*ours)};
}

std::vector<std::string> format_list(const StreamCodecs& codecs) {
  std::vector<std::string> list;
  for (const StreamFormat& f : codecs.formats) list.push_back(std::to_string(f.payload_type));
  return list;
}

std::vector<std::string> format_attributes(const StreamCodecs& codecs,
                                           const sip::SdpMedia* source) {
  std::vector<std::string> values;
  for (const StreamFormat& f : codecs.formats) {
    if (f.encoding.empty()) continue;
    // A format the description already carried keeps its own lines (its fmtp parameters are
    // the peer's: opus useinbandfec, telephone-event ranges, annexb...).
    const sip::RtpMap* own = source ? source->rtpmap(f.payload_type) : nullptr;
    if (own != nullptr && same_name(own->encoding, f.encoding) && own->clock_rate == f.clock_rate) {
      values.push_back(fmt::format("rtpmap:{} {}/{}{}{}", f.payload_type, own->encoding,
                                   own->clock_rate, own->parameters.empty() ? "" : "/",
                                   own->parameters));
      for (const sip::Fmtp& fmtp : source->fmtps) {
        if (fmtp.payload_type == f.payload_type) {
          values.push_back(fmt::format("fmtp:{} {}", f.payload_type, fmtp.parameters));
        }
      }
      continue;
    }
    const bool stereo = f.codec == MediaCodec::kOpus;
    values.push_back(fmt::format("rtpmap:{} {}/{}{}", f.payload_type, f.encoding, f.clock_rate,
                                 stereo ? "/2" : ""));
    if (f.codec == MediaCodec::kG729)
      values.push_back(fmt::format("fmtp:{} annexb=no", f.payload_type));
    if (f.kind == Kind::kTelephoneEvent)
      values.push_back(fmt::format("fmtp:{} 0-16", f.payload_type));
  }
  return values;
}

}  // namespace sbc::cp
