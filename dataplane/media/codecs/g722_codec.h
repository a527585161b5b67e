// G.722 at 64 kbit/s over spandsp, wideband as the peers run it: the encoder and decoder work at
// 16 kHz (both sub-bands, the QMF filters) and speexdsp's resampler converts to and from our 8 kHz
// PCM. (spandsp's 8 kHz mode, the low sub-band alone, skips the QMF: a tone near the 4 kHz band
// edge then loses energy to the dropped high band and the far side's QMF leaves aliases: about
// 8 dB SNR against 36 dB this way, measured with tools/audio's reference.) RTP clock 8000
// (RFC 3551): one byte per 16 kHz sample pair, 160 bytes per 20 ms. Lost frames: spandsp's PLC on
// the decoded 8 kHz signal.
#pragma once

#include <spandsp.h>

#include <array>
#include <memory>

#include "dataplane/media/codecs/codec.h"

struct g722_encode_state_s;
struct g722_decode_state_s;
struct SpeexResamplerState_;

namespace sbc::dp {

class G722Codec final : public Codec {
 public:
  // The longest payload decoded or encoded at once: 240 ms (TranscodeStream::kMaxInputMs).
  static constexpr size_t kMaxBytes = 1920;

  static std::expected<std::unique_ptr<Codec>, CodecError> create();
  ~G722Codec() override;

  const CodecInfo& info() const noexcept override { return codec_info(CodecId::g722); }
  std::expected<size_t, CodecError> decode(std::span<const uint8_t> payload,
                                           std::span<int16_t> pcm) noexcept override;
  void conceal(std::span<int16_t> pcm) noexcept override;
  std::expected<size_t, CodecError> encode(std::span<const int16_t> pcm,
                                           std::span<uint8_t> payload) noexcept override;

 private:
  G722Codec() { plc_init(&plc_); }
  g722_encode_state_s* encoder_ = nullptr;
  g722_decode_state_s* decoder_ = nullptr;
  SpeexResamplerState_* up_ = nullptr;         // 8 -> 16 kHz, before the encoder
  SpeexResamplerState_* down_ = nullptr;       // 16 -> 8 kHz, after the decoder
  std::array<int16_t, 2 * kMaxBytes> wide_{};  // 16 kHz samples
  plc_state_t plc_{};
};

}  // namespace sbc::dp
