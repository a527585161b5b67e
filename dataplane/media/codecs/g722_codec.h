// G.722 at 64 kbit/s carrying our 8 kHz PCM as its lower sub-band, the upper one sent as silence:
// spandsp's 8 kHz mode, in our own G722LowBand (the same bytes and samples at less of the cost:
// g722_low_band.h). It skips the QMF filter banks and a resampler, which would only carry audio
// above 4 kHz that the G.711 side has never had (a transcoded call is as narrow as its narrowest
// leg), at about a third of the wideband cost (measured with sbc-codec-bench). A wideband peer
// decodes our stream with its own QMF, which leaves the audio a fraction of a sample late:
// faithful, and measured so by tools/audio's sub-sample alignment (about 38 dB SNR with baresip
// at 16 kHz). RTP clock 8000 (RFC 3551): one byte per 8 kHz sample, 160 bytes per 20 ms. Lost
// frames: spandsp's PLC on the decoded signal.
#pragma once

#include <spandsp.h>

#include <memory>

#include "dataplane/media/codecs/codec.h"
#include "dataplane/media/codecs/g722_low_band.h"

namespace sbc::dp {

class G722Codec final : public Codec {
 public:
  // The longest payload decoded or encoded at once: 240 ms (TranscodeStream::kMaxInputMs).
  static constexpr size_t kMaxBytes = 1920;

  static std::expected<std::unique_ptr<Codec>, CodecError> create();

  const CodecInfo& info() const noexcept override { return codec_info(CodecId::g722); }
  std::expected<size_t, CodecError> decode(std::span<const uint8_t> payload,
                                           std::span<int16_t> pcm) noexcept override;
  void conceal(std::span<int16_t> pcm) noexcept override;
  std::expected<size_t, CodecError> encode(std::span<const int16_t> pcm,
                                           std::span<uint8_t> payload) noexcept override;

 private:
  G722Codec() { plc_init(&plc_); }
  G722LowBand encoder_;
  G722LowBand decoder_;
  plc_state_t plc_{};
};

}  // namespace sbc::dp
