#include "dataplane/media/codecs/g722_codec.h"

#include <spandsp.h>
#include <speex/speex_resampler.h>

namespace sbc::dp {
namespace {

// speexdsp quality 3 (of 10): 36 dB SNR through G.722 and back with tools/audio's reference, at a
// fraction of the codec's own cost (VoIP quality, as speexdsp's documentation puts it).
constexpr int kResamplerQuality = 3;

// Converts all of `in` into exactly `out.size()` samples (a 2:1 or 1:2 ratio: speexdsp returns
// whole counts; anything short is zero-filled rather than left stale).
void resample(SpeexResamplerState* r, std::span<const int16_t> in, std::span<int16_t> out) {
  auto in_len = static_cast<spx_uint32_t>(in.size());
  auto out_len = static_cast<spx_uint32_t>(out.size());
  speex_resampler_process_int(r, 0, in.data(), &in_len, out.data(), &out_len);
  std::fill(out.begin() + out_len, out.end(), int16_t{0});
}

}  // namespace

std::expected<std::unique_ptr<Codec>, CodecError> G722Codec::create() {
  std::unique_ptr<G722Codec> codec(new G722Codec());
  codec->encoder_ = g722_encode_init(nullptr, 64000, 0);
  codec->decoder_ = g722_decode_init(nullptr, 64000, 0);
  int error = 0;
  codec->up_ = speex_resampler_init(1, kPcmRate, 2 * kPcmRate, kResamplerQuality, &error);
  codec->down_ = speex_resampler_init(1, 2 * kPcmRate, kPcmRate, kResamplerQuality, &error);
  if (codec->encoder_ == nullptr || codec->decoder_ == nullptr || codec->up_ == nullptr ||
      codec->down_ == nullptr) {
    return std::unexpected(CodecError::no_memory);
  }
  return std::unique_ptr<Codec>(std::move(codec));
}

G722Codec::~G722Codec() {
  if (encoder_ != nullptr) g722_encode_free(encoder_);
  if (decoder_ != nullptr) g722_decode_free(decoder_);
  if (up_ != nullptr) speex_resampler_destroy(up_);
  if (down_ != nullptr) speex_resampler_destroy(down_);
}

std::expected<size_t, CodecError> G722Codec::decode(std::span<const uint8_t> payload,
                                                    std::span<int16_t> pcm) noexcept {
  if (payload.empty()) return std::unexpected(CodecError::empty_payload);
  if (payload.size() > pcm.size() || payload.size() > kMaxBytes) {
    return std::unexpected(CodecError::too_long);
  }
  const int wide =
      g722_decode(decoder_, wide_.data(), payload.data(), static_cast<int>(payload.size()));
  if (wide < 0) return std::unexpected(CodecError::corrupt);
  const auto samples = static_cast<size_t>(wide) / 2;
  resample(down_, {wide_.data(), static_cast<size_t>(wide)}, pcm.first(samples));
  plc_rx(&plc_, pcm.data(), static_cast<int>(samples));
  return samples;
}

void G722Codec::conceal(std::span<int16_t> pcm) noexcept {
  plc_fillin(&plc_, pcm.data(), static_cast<int>(pcm.size()));
}

std::expected<size_t, CodecError> G722Codec::encode(std::span<const int16_t> pcm,
                                                    std::span<uint8_t> payload) noexcept {
  if (pcm.size() > payload.size()) return std::unexpected(CodecError::output_too_small);
  if (pcm.size() > kMaxBytes) return std::unexpected(CodecError::bad_frame_size);
  const std::span<int16_t> wide(wide_.data(), 2 * pcm.size());
  resample(up_, pcm, wide);
  const int bytes =
      g722_encode(encoder_, payload.data(), wide.data(), static_cast<int>(wide.size()));
  if (bytes < 0) return std::unexpected(CodecError::corrupt);
  return static_cast<size_t>(bytes);
}

}  // namespace sbc::dp
