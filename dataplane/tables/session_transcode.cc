#include "dataplane/tables/session_transcode.h"

#include <fmt/core.h>

#include <numeric>

#include "dataplane/media/codecs/g711_codec.h"

namespace sbc::dp {
CodecId codec_id(api::MediaCodec codec) {
  switch (codec) {
    case api::MediaCodec::kPcmu: return CodecId::pcmu;
    case api::MediaCodec::kPcma: return CodecId::pcma;
    case api::MediaCodec::kG722: return CodecId::g722;
    case api::MediaCodec::kOpus: return CodecId::opus;
    case api::MediaCodec::kG729: return CodecId::g729;
  }
  return CodecId::pcmu;
}

namespace {

// api::LegCodec's rule: from `in` to `out` is transcoded when the codecs differ, or when the
// sender has telephone-event and the receiver has none (the events become in-band tones).
bool transcoded(const api::LegCodec& in, const api::LegCodec& out) {
  return in.codec != out.codec ||
         (in.telephone_event_payload_type && !out.telephone_event_payload_type);
}

TranscodeParams params_of(const api::LegCodec& in, const api::LegCodec& out, uint64_t (*random)()) {
  TranscodeParams p;
  p.in_codec = codec_id(in.codec);
  p.in_pt = in.payload_type;
  p.out_codec = codec_id(out.codec);
  p.out_pt = out.payload_type;
  p.out_ptime_ms = out.ptime_ms;
  p.in_cn_pt = in.cn_payload_type;
  p.out_cn_pt = out.cn_payload_type;
  p.in_telephone_event_pt = in.telephone_event_payload_type;
  p.out_telephone_event_pt = out.telephone_event_payload_type;
  // A sender without telephone-event toward a side that has it: its in-band digits become events
  // (the audio is decoded anyway; lossy codecs such as G.729 would blur the tones).
  p.detect_inband_dtmf = !in.telephone_event_payload_type && out.telephone_event_payload_type;
  const uint64_t r = random();
  p.out_ssrc = static_cast<uint32_t>(r);
  p.out_first_seq = static_cast<uint16_t>(r >> 32);
  p.out_first_ts = static_cast<uint32_t>(random());
  return p;
}

bool g711(api::MediaCodec codec) {
  return codec == api::MediaCodec::kPcmu || codec == api::MediaCodec::kPcma;
}

// A transcoded direction that G.711's byte conversion serves: PCMU <-> PCMA, the sender's
// telephone-event mapped (not played as tones). Comfort noise is relayed as it is (RFC 3389 CN is
// codec independent) and the sender's packetisation kept.
bool law_conversion(const api::LegCodec& in, const api::LegCodec& out) {
  return g711(in.codec) && g711(out.codec) && in.codec != out.codec &&
         (!in.telephone_event_payload_type || out.telephone_event_payload_type);
}

// The payload-type map of a relayed direction; true when some number changes.
bool fill_pt_map(const api::LegCodec& in, const api::LegCodec& out, std::array<uint8_t, 128>& map) {
  std::iota(map.begin(), map.end(), uint8_t{0});
  map[in.payload_type] = out.payload_type;
  if (in.cn_payload_type && out.cn_payload_type) map[*in.cn_payload_type] = *out.cn_payload_type;
  if (in.telephone_event_payload_type && out.telephone_event_payload_type) {
    map[*in.telephone_event_payload_type] = *out.telephone_event_payload_type;
  }
  for (size_t pt = 0; pt < map.size(); ++pt) {
    if (map[pt] != pt) return true;
  }
  return false;
}

}  // namespace

uint32_t codec_weight(api::MediaCodec codec) {
  // (1 + w) * 2 directions = 4 * (calls per core of PCMU<->PCMA / calls per core of PCMU<->X).
  switch (codec) {
    case api::MediaCodec::kPcmu:
    case api::MediaCodec::kPcma: return 1;
    case api::MediaCodec::kG722: return 19;
    case api::MediaCodec::kOpus: return 84;
    case api::MediaCodec::kG729: return 119;
  }
  return 1;
}

std::expected<std::unique_ptr<SessionTranscode>, api::Result> build_session_transcode(
    const api::SessionAdd& add, const api::SessionAdd* previous_spec,
    const SessionTranscode* previous, uint64_t (*random)()) {
  if (!add.legs[0].codec || !add.legs[1].codec) return nullptr;
  auto t = std::make_unique<SessionTranscode>();
  bool needed = false;
  for (size_t i = 0; i < 2; ++i) {
    const api::LegCodec& in = *add.legs[i].codec;
    const api::LegCodec& out = *add.legs[i ^ 1].codec;
    if (!transcoded(in, out) || law_conversion(in, out)) {
      t->rewrite_pt[i] = fill_pt_map(in, out, t->pt_map[i]);
      needed |= t->rewrite_pt[i];
      if (transcoded(in, out)) {
        t->law[i] =
            &g711_conversion(in.codec == api::MediaCodec::kPcmu ? CodecId::pcmu : CodecId::pcma);
        t->audio_pt[i] = in.payload_type;
        needed = true;
      }
      continue;
    }
    needed = true;
    t->cost += codec_weight(in.codec) + codec_weight(out.codec);
    const bool unchanged = previous != nullptr && previous->owner[i] != nullptr &&
                           previous_spec->legs[i].codec == add.legs[i].codec &&
                           previous_spec->legs[i ^ 1].codec == add.legs[i ^ 1].codec;
    if (unchanged) {
      t->owner[i] = previous->owner[i];
    } else {
      auto stream = TranscodeStream::create(params_of(in, out, random));
      if (!stream) {
        return std::unexpected(api::Result{
            api::Status::kUnsupported,
            fmt::format("leg {} -> leg {}: cannot transcode {} ({} ms) to {} ({} ms): {}", i, i ^ 1,
                        api::to_string(in.codec), in.ptime_ms, api::to_string(out.codec),
                        out.ptime_ms, to_string(stream.error()))});
      }
      t->owner[i] = std::move(*stream);
    }
    t->stream[i] = t->owner[i].get();
  }
  if (!needed) return nullptr;
  return t;
}

}  // namespace sbc::dp
