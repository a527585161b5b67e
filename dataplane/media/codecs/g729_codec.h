// G.729 (bcg729, Annex A decoder compatible), 10 ms frames of 10 bytes; a payload is 10n bytes of
// speech, optionally followed by one 2-byte Annex B SID frame (RFC 3551 4.5.6), or a lone SID.
// A SID frame decodes to comfort noise (the decoder's CNG); lost frames: the decoder's erasure
// concealment. The encoder runs without VAD/DTX: it always sends speech frames.
#pragma once

#include <memory>

#include "dataplane/media/codecs/codec.h"

struct bcg729EncoderChannelContextStruct_struct;
struct bcg729DecoderChannelContextStruct_struct;

namespace sbc::dp {

class G729Codec final : public Codec {
 public:
  static constexpr size_t kFrameBytes = 10;
  static constexpr size_t kSidBytes = 2;
  static constexpr size_t kFrameSamples = 80;

  static std::expected<std::unique_ptr<Codec>, CodecError> create();
  ~G729Codec() override;

  const CodecInfo& info() const noexcept override { return codec_info(CodecId::g729); }
  std::expected<size_t, CodecError> decode(std::span<const uint8_t> payload,
                                           std::span<int16_t> pcm) noexcept override;
  void conceal(std::span<int16_t> pcm) noexcept override;
  std::expected<size_t, CodecError> encode(std::span<const int16_t> pcm,
                                           std::span<uint8_t> payload) noexcept override;

  // True when a G.729 payload of this length ends in an Annex B SID frame.
  static bool has_sid(size_t payload_size) { return payload_size % kFrameBytes == kSidBytes; }

 private:
  G729Codec() = default;
  bcg729EncoderChannelContextStruct_struct* encoder_ = nullptr;
  bcg729DecoderChannelContextStruct_struct* decoder_ = nullptr;
};

}  // namespace sbc::dp
