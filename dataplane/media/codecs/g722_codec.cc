#include "dataplane/media/codecs/g722_codec.h"

#include <spandsp.h>

namespace sbc::dp {

std::expected<std::unique_ptr<Codec>, CodecError> G722Codec::create() {
  return std::unique_ptr<Codec>(new G722Codec());
}

std::expected<size_t, CodecError> G722Codec::decode(std::span<const uint8_t> payload,
                                                    std::span<int16_t> pcm) noexcept {
  if (payload.empty()) return std::unexpected(CodecError::empty_payload);
  if (payload.size() > pcm.size() || payload.size() > kMaxBytes) {
    return std::unexpected(CodecError::too_long);
  }
  decoder_.decode(payload, pcm.data());
  plc_rx(&plc_, pcm.data(), static_cast<int>(payload.size()));
  return payload.size();
}

void G722Codec::conceal(std::span<int16_t> pcm) noexcept {
  plc_fillin(&plc_, pcm.data(), static_cast<int>(pcm.size()));
}

std::expected<size_t, CodecError> G722Codec::encode(std::span<const int16_t> pcm,
                                                    std::span<uint8_t> payload) noexcept {
  if (pcm.size() > payload.size()) return std::unexpected(CodecError::output_too_small);
  if (pcm.size() > kMaxBytes) return std::unexpected(CodecError::bad_frame_size);
  encoder_.encode(pcm, payload.data());
  return pcm.size();
}

}  // namespace sbc::dp
