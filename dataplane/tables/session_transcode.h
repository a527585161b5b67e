// SessionTranscode: what a session with negotiated codecs (LegSpec.codec on both legs) does to
// its RTP, the cold per-session object a worker reaches through SessionConfig::transcode (null
// when the session relays packets as they are: no cost there).
//
// Per direction, indexed by the sending leg i (toward j = 1 - i), as api::LegCodec defines:
//   - transcoded: `stream[i]` is the TranscodeStream; the relay worker hands every RTP packet of
//     the direction (after SRTP unprotect, latch, policer and quality) to the session's
//     transcoding lcore (`transcoder`) through its ring, and only that lcore touches the stream;
//   - converted in place, PCMU <-> PCMA with nothing else to convert (the receiver has
//     telephone-event if the sender has): `law[i]` is G.711's byte-for-byte conversion table,
//     applied by the relay worker to packets of the sender's audio payload type (a lookup per
//     byte is no heavy codec: no transcoding lcore, no cost). The sender's SSRC, sequence numbers
//     and timestamps stay, so its RTCP stays true for the converted stream;
//   - relayed with payload types rewritten: `pt_map[i]` maps the sender's numbers (audio, CN,
//     telephone-event) to leg j's (converted directions too); `rewrite_pt[i]` is false when every
//     number is the same.
// RTCP is relayed as it is in every case.
//
// Threads. Built on the control thread (SessionTable upsert), immutable once published, retired
// with its SessionConfig. The streams are owned through shared_ptr so an upsert that keeps both
// legs' codecs keeps the streams (their sequence numbers and timestamps continue).
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <memory>

#include "api/control_protocol.h"
#include "dataplane/media/codecs/transcode_stream.h"

namespace sbc::dp {

// What a transcoded direction costs a transcoding lcore, in units where one PCMU<->PCMA call
// (two directions) is 4: each direction costs the weight of the codec it decodes plus the weight
// of the codec it encodes. The weights are sbc-codec-bench's calls per core relative to
// PCMU<->PCMA on the lab VM (G.722 10x in its 8 kHz mode, Opus 42x, G.729 60x).
inline constexpr uint32_t kCostPerG711Call = 4;
uint32_t codec_weight(api::MediaCodec codec);
// The codecs library's id of a control-protocol codec.
CodecId codec_id(api::MediaCodec codec);

struct SessionTranscode {
  // Workers: per sending leg.
  std::array<TranscodeStream*, 2> stream{};
  std::array<const std::array<uint8_t, 256>*, 2> law{};
  std::array<uint8_t, 2> audio_pt{};  // the sender's audio payload type (for `law`)
  std::array<bool, 2> rewrite_pt{};
  std::array<std::array<uint8_t, 128>, 2> pt_map{};  // identity where nothing is rewritten
  // Control thread.
  uint32_t cost = 0;  // sum over the transcoded directions
  std::array<std::shared_ptr<TranscodeStream>, 2> owner;

  // Some direction goes through a transcoding lcore; some direction changes codec at all.
  [[nodiscard]] bool transcodes() const { return stream[0] != nullptr || stream[1] != nullptr; }
  [[nodiscard]] bool converts() const {
    return transcodes() || law[0] != nullptr || law[1] != nullptr;
  }
};

// The transcoding state for `add` (null: no codecs, or both directions relayed with the same
// payload types). `previous_spec` / `previous` are the session's current spec and object (null
// for a new session): a direction whose two LegCodecs are unchanged keeps its stream. A codec
// pair or ptime the codecs library cannot set up is refused (kUnsupported, naming the leg).
// `random` gives each new stream its SSRC, first sequence number and first timestamp.
std::expected<std::unique_ptr<SessionTranscode>, api::Result> build_session_transcode(
    const api::SessionAdd& add, const api::SessionAdd* previous_spec,
    const SessionTranscode* previous, uint64_t (*random)());

}  // namespace sbc::dp
