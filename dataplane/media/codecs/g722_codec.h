// G.722 at 64 kbit/s over spandsp in its 8 kHz mode: the encoder takes our 8 kHz PCM as G.722's
// lower sub-band and sends the upper one as silence; the decoder returns the lower sub-band at
// 8 kHz. Both skip the QMF filter banks and a resampler, which would only carry audio above 4 kHz
// that the G.711 side has never had (a transcoded call is as narrow as its narrowest leg), at
// about a third of the wideband cost (measured with sbc-codec-bench). A wideband peer decodes our
// stream with its own QMF, which leaves the audio a fraction of a sample late: faithful, and
// measured so by tools/audio's sub-sample alignment (about 38 dB SNR with baresip at 16 kHz).
// RTP clock 8000 (RFC 3551): one byte per 8 kHz sample, 160 bytes per 20 ms. Lost frames:
// spandsp's PLC on the decoded signal.
#pragma once

#include <spandsp.h>

#include <memory>

#include "dataplane/media/codecs/codec.h"

struct g722_encode_state_s;
struct g722_decode_state_s;

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
  plc_state_t plc_{};
};

}  // namespace sbc::dp
