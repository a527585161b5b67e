// G.722 at 64 kbit/s over spandsp, in its 8 kHz mode (the low sub-band only: one byte per 8 kHz
// sample, 160 bytes per 20 ms as on the wire). RTP clock 8000 (RFC 3551). Lost frames: spandsp's
// PLC on the decoded signal.
#pragma once

#include <spandsp.h>

#include <memory>

#include "dataplane/media/codecs/codec.h"

struct g722_encode_state_s;
struct g722_decode_state_s;

namespace sbc::dp {

class G722Codec final : public Codec {
 public:
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
