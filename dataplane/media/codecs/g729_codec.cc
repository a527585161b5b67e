#include "dataplane/media/codecs/g729_codec.h"

#include <algorithm>

extern "C" {
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
}

namespace sbc::dp {

std::expected<std::unique_ptr<Codec>, CodecError> G729Codec::create() {
  std::unique_ptr<G729Codec> codec(new G729Codec());
  codec->encoder_ = initBcg729EncoderChannel(0);
  codec->decoder_ = initBcg729DecoderChannel();
  if (codec->encoder_ == nullptr || codec->decoder_ == nullptr) {
    return std::unexpected(CodecError::no_memory);
  }
  return std::unique_ptr<Codec>(std::move(codec));
}

G729Codec::~G729Codec() {
  if (encoder_ != nullptr) closeBcg729EncoderChannel(encoder_);
  if (decoder_ != nullptr) closeBcg729DecoderChannel(decoder_);
}

std::expected<size_t, CodecError> G729Codec::decode(std::span<const uint8_t> payload,
                                                    std::span<int16_t> pcm) noexcept {
  if (payload.empty()) return std::unexpected(CodecError::empty_payload);
  const size_t rest = payload.size() % kFrameBytes;
  if (rest != 0 && rest != kSidBytes) return std::unexpected(CodecError::bad_length);
  const size_t speech = payload.size() / kFrameBytes;
  const size_t frames = speech + (rest == kSidBytes ? 1 : 0);
  if (frames * kFrameSamples > pcm.size()) return std::unexpected(CodecError::too_long);
  for (size_t i = 0; i < speech; ++i) {
    bcg729Decoder(decoder_, payload.data() + i * kFrameBytes, kFrameBytes, 0, 0, 0,
                  pcm.data() + i * kFrameSamples);
  }
  if (rest == kSidBytes) {
    bcg729Decoder(decoder_, payload.data() + speech * kFrameBytes, kSidBytes, 0, 1, 0,
                  pcm.data() + speech * kFrameSamples);
  }
  return frames * kFrameSamples;
}

void G729Codec::conceal(std::span<int16_t> pcm) noexcept {
  size_t done = 0;
  for (; done + kFrameSamples <= pcm.size(); done += kFrameSamples) {
    bcg729Decoder(decoder_, nullptr, 0, 1, 0, 0, pcm.data() + done);
  }
  std::fill(pcm.begin() + static_cast<ptrdiff_t>(done), pcm.end(), int16_t{0});
}

std::expected<size_t, CodecError> G729Codec::encode(std::span<const int16_t> pcm,
                                                    std::span<uint8_t> payload) noexcept {
  if (pcm.size() % kFrameSamples != 0) return std::unexpected(CodecError::bad_frame_size);
  const size_t frames = pcm.size() / kFrameSamples;
  if (frames * kFrameBytes > payload.size()) return std::unexpected(CodecError::output_too_small);
  size_t written = 0;
  for (size_t i = 0; i < frames; ++i) {
    uint8_t length = 0;
    bcg729Encoder(encoder_, pcm.data() + i * kFrameSamples, payload.data() + written, &length);
    written += length;
  }
  return written;
}

}  // namespace sbc::dp
