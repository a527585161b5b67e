// Audio codec offer/answer for the one anchored stream, per side (media_policy.h codecs, dtmf):
// which of the caller's codecs pass its side, what we offer the callee (the caller's allowed
// codecs to relay, then the callee side's other codecs as transcoding candidates when the
// dataplane can transcode), and, from the callee's answer, relay or transcode with each leg's
// api::LegCodec for the SessionAdd and the codecs the caller's answer carries. Pure functions
// over parsed SDP, like srtp_negotiation.h.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "api/control_protocol.h"
#include "controlplane/media/media_policy.h"
#include "controlplane/media/srtp_negotiation.h"
#include "controlplane/sip/sdp.h"

namespace sbc::cp {

// One payload type of an m= line.
struct StreamFormat {
  enum class Kind : uint8_t { kAudio, kTelephoneEvent, kComfortNoise, kOther };
  Kind kind = Kind::kOther;
  uint8_t payload_type = 0;
  std::optional<api::MediaCodec> codec;  // kAudio of a codec the dataplane knows
  std::string encoding;                  // "PCMU", "telephone-event", "GSM" (as written)
  uint32_t clock_rate = 8000;
  bool operator==(const StreamFormat&) const = default;
};

// The formats of one side's m= line, in its order, and its packetisation.
struct StreamCodecs {
  std::vector<StreamFormat> formats;
  uint8_t ptime_ms = 20;  // a=ptime, 20 when absent or not one of 10, 20, 30, 40

  [[nodiscard]] const StreamFormat* find(api::MediaCodec codec) const;
  [[nodiscard]] const StreamFormat* first_audio() const;
  [[nodiscard]] std::optional<uint8_t> payload_type_of(StreamFormat::Kind kind) const;
  [[nodiscard]] bool has_audio() const { return first_audio() != nullptr; }
};

// The formats and ptime of an m= line (rtpmap names, RFC 3551 static names otherwise).
[[nodiscard]] StreamCodecs read_codecs(const sip::SdpMedia& media);

// The caller's offer against its side: codecs the side does not list are removed (with a list,
// formats of unknown codecs too); nothing audio left: kCodecNotAllowed.
[[nodiscard]] std::expected<StreamCodecs, MediaRefusal> filter_offer(const StreamCodecs& offer,
                                                                     const MediaPolicy& caller);

// Our offer toward the callee from the caller's filtered offer: its codecs the callee side
// allows (its payload types kept), then, when `can_transcode`, the callee side's listed codecs
// the caller lacks (static payload types, opus on a dynamic one free in the offer);
// telephone-event as the caller offered it unless the callee side is dtmf=inband, or added when
// it is dtmf=rfc4733; CN kept. No audio codec left: kCodecNotAllowed.
[[nodiscard]] std::expected<StreamCodecs, MediaRefusal> offer_codecs_toward(
    const StreamCodecs& caller, const MediaPolicy& callee, bool can_transcode);

// The codec half of an offer: the caller's formats as its side allows them, and ours toward
// the callee.
struct CodecOffer {
  StreamCodecs caller;
  StreamCodecs callee;
};

// Whether codecs are negotiated between these sides at all: only when one of them lists codecs
// or sets a dtmf mode. Otherwise the stream's formats pass exactly as offered and answered
// (nothing rewritten, relayed as is), as before codec lists existed.
[[nodiscard]] bool negotiates_codecs(const MediaPolicy& caller, const MediaPolicy& callee);

// read_codecs, filter_offer and offer_codecs_toward of the caller's offered stream.
[[nodiscard]] std::expected<CodecOffer, MediaRefusal> negotiate_codecs(const sip::SdpMedia& offer,
                                                                       const MediaPolicy& caller,
                                                                       const MediaPolicy& callee,
                                                                       bool can_transcode);

// What the callee's answer decides.
struct CodecChoice {
  bool transcoded = false;
  // Each leg's codec for the SessionAdd (legs[0] the caller's); unset on both when both sides
  // use the same codec, payload types, CN and telephone-event (relayed as is).
  std::optional<api::LegCodec> caller_leg;
  std::optional<api::LegCodec> callee_leg;
  // What the answer toward the caller carries: the chosen codec with the caller's payload type,
  // telephone-event and CN as the caller offered them and we can serve.
  StreamCodecs caller_answer;
};

// The callee's answer to `offered` (offer_codecs_toward of `caller`): its first audio format
// decides. One the caller offered is relayed; a transcoding candidate is transcoded to the
// caller's first codec; anything else: kAnswerCodecMismatch.
[[nodiscard]] std::expected<CodecChoice, MediaRefusal> choose_codecs(const StreamCodecs& caller,
                                                                     const StreamCodecs& offered,
                                                                     const StreamCodecs& answer);

// The m= format list of a stream's formats.
[[nodiscard]] std::vector<std::string> format_list(const StreamCodecs& codecs);
// Their a=rtpmap / a=fmtp values ("rtpmap:0 PCMU/8000"): a format `source` (the description
// being rewritten) already carried with the same name and clock keeps its own lines; others get
// ours (G.729 with "fmtp:18 annexb=no", telephone-event with "fmtp:N 0-16").
[[nodiscard]] std::vector<std::string> format_attributes(const StreamCodecs& codecs,
                                                         const sip::SdpMedia* source = nullptr);

}  // namespace sbc::cp
