// G.711 mu-law (PCMU) and A-law (PCMA) over spandsp's G.711 tables, with spandsp's packet loss
// concealment (plc_*) for lost frames. One byte per sample.
#pragma once

#include <spandsp.h>

#include <array>
#include <memory>

#include "dataplane/media/codecs/codec.h"

namespace sbc::dp {

// G.711's own law conversion (ITU-T G.711 tables 1-4 via spandsp): the byte of `to` for each
// byte of `from` (pcmu -> pcma or pcma -> pcmu). No PCM in between, so a PCMU<->PCMA direction
// with nothing else to convert is a table lookup per byte in the relay worker
// (session_transcode.h). The tables are built on first use (the control thread), then read-only.
const std::array<uint8_t, 256>& g711_conversion(CodecId from);

class G711Codec final : public Codec {
 public:
  // id is CodecId::pcmu or CodecId::pcma.
  static std::expected<std::unique_ptr<Codec>, CodecError> create(CodecId id);
  ~G711Codec() override;

  const CodecInfo& info() const noexcept override { return *info_; }
  std::expected<size_t, CodecError> decode(std::span<const uint8_t> payload,
                                           std::span<int16_t> pcm) noexcept override;
  void conceal(std::span<int16_t> pcm) noexcept override;
  std::expected<size_t, CodecError> encode(std::span<const int16_t> pcm,
                                           std::span<uint8_t> payload) noexcept override;

 private:
  explicit G711Codec(const CodecInfo& info) : info_(&info) { plc_init(&plc_); }
  const CodecInfo* info_;
  plc_state_t plc_{};
};

}  // namespace sbc::dp
