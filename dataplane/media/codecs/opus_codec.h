// Opus (libopus), mono, encoding and decoding at 8 kHz internally; RTP clock 48000 whatever the
// internal rate (RFC 7587), so one PCM sample here is 6 RTP timestamp units. Lost frames: Opus's
// own concealment. Encoder: VoIP application, 24 kbit/s, complexity 5, in-band FEC off, DTX
// off.
#pragma once

#include <memory>

#include "dataplane/media/codecs/codec.h"

struct OpusEncoder;
struct OpusDecoder;

namespace sbc::dp {

class OpusCodec final : public Codec {
 public:
  static std::expected<std::unique_ptr<Codec>, CodecError> create();
  ~OpusCodec() override;

  const CodecInfo& info() const noexcept override { return codec_info(CodecId::opus); }
  std::expected<size_t, CodecError> decode(std::span<const uint8_t> payload,
                                           std::span<int16_t> pcm) noexcept override;
  void conceal(std::span<int16_t> pcm) noexcept override;
  std::expected<size_t, CodecError> encode(std::span<const int16_t> pcm,
                                           std::span<uint8_t> payload) noexcept override;

 private:
  OpusCodec() = default;
  OpusEncoder* encoder_ = nullptr;
  OpusDecoder* decoder_ = nullptr;
};

}  // namespace sbc::dp
