#include "dataplane/media/codecs/g722_codec.h"

#include <spandsp.h>

namespace sbc::dp {

std::expected<std::unique_ptr<Codec>, CodecError> G722Codec::create() {
  std::unique_ptr<G722Codec> codec(new G722Codec());
  codec->encoder_ = g722_encode_init(nullptr, 64000, G722_SAMPLE_RATE_8000);
  codec->decoder_ = g722_decode_init(nullptr, 64000, G722_SAMPLE_RATE_8000);
  if (codec->encoder_ == nullptr || codec->decoder_ == nullptr) {
    return std::unexpected(CodecError::no_memory);
  }
  return std::unique_ptr<Codec>(std::move(codec));
}

G722Codec::~G722Codec() {
  if (encoder_ != nullptr) g722_encode_free(encoder_);
  if (decoder_ != nullptr) g722_decode_free(decoder_);
}

std::expected<size_t, CodecError> G722Codec::decode(std::span<const uint8_t> payload,
                                                    std::span<int16_t> pcm) noexcept {
  if (payload.empty()) return std::unexpected(CodecError::empty_payload);
  if (payload.size() > pcm.size() || payload.size() > kMaxBytes) {
    return std::unexpected(CodecError::too_long);
  }
  const int samples =
      g722_decode(decoder_, pcm.data(), payload.data(), static_cast<int>(payload.size()));
  if (samples < 0) return std::unexpected(CodecError::corrupt);
  plc_rx(&plc_, pcm.data(), samples);
  return static_cast<size_t>(samples);
}

void G722Codec::conceal(std::span<int16_t> pcm) noexcept {
  plc_fillin(&plc_, pcm.data(), static_cast<int>(pcm.size()));
}

std::expected<size_t, CodecError> G722Codec::encode(std::span<const int16_t> pcm,
                                                    std::span<uint8_t> payload) noexcept {
  if (pcm.size() > payload.size()) return std::unexpected(CodecError::output_too_small);
  if (pcm.size() > kMaxBytes) return std::unexpected(CodecError::bad_frame_size);
  const int bytes = g722_encode(encoder_, payload.data(), pcm.data(), static_cast<int>(pcm.size()));
  if (bytes < 0) return std::unexpected(CodecError::corrupt);
  return static_cast<size_t>(bytes);
}

}  // namespace sbc::dp
