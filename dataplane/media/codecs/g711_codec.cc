#include "dataplane/media/codecs/g711_codec.h"

#include <spandsp.h>

namespace sbc::dp {

std::expected<std::unique_ptr<Codec>, CodecError> G711Codec::create(CodecId id) {
  return std::unique_ptr<Codec>(new G711Codec(codec_info(id)));
}

const std::array<uint8_t, 256>& g711_conversion(CodecId from) {
  static const auto kTables = [] {
    std::array<std::array<uint8_t, 256>, 2> t{};  // [0] mu-law -> A-law, [1] A-law -> mu-law
    for (unsigned b = 0; b < 256; ++b) {
      t[0][b] = ulaw_to_alaw(static_cast<uint8_t>(b));
      t[1][b] = alaw_to_ulaw(static_cast<uint8_t>(b));
    }
    return t;
  }();
  return kTables[from == CodecId::pcmu ? 0 : 1];
}

G711Codec::~G711Codec() = default;

std::expected<size_t, CodecError> G711Codec::decode(std::span<const uint8_t> payload,
                                                    std::span<int16_t> pcm) noexcept {
  if (payload.empty()) return std::unexpected(CodecError::empty_payload);
  if (payload.size() > pcm.size()) return std::unexpected(CodecError::too_long);
  if (info_->id == CodecId::pcmu) {
    for (size_t i = 0; i < payload.size(); ++i) pcm[i] = ulaw_to_linear(payload[i]);
  } else {
    for (size_t i = 0; i < payload.size(); ++i) pcm[i] = alaw_to_linear(payload[i]);
  }
  plc_rx(&plc_, pcm.data(), static_cast<int>(payload.size()));
  return payload.size();
}

void G711Codec::conceal(std::span<int16_t> pcm) noexcept {
  plc_fillin(&plc_, pcm.data(), static_cast<int>(pcm.size()));
}

std::expected<size_t, CodecError> G711Codec::encode(std::span<const int16_t> pcm,
                                                    std::span<uint8_t> payload) noexcept {
  if (pcm.size() > payload.size()) return std::unexpected(CodecError::output_too_small);
  if (info_->id == CodecId::pcmu) {
    for (size_t i = 0; i < pcm.size(); ++i) payload[i] = linear_to_ulaw(pcm[i]);
  } else {
    for (size_t i = 0; i < pcm.size(); ++i) payload[i] = linear_to_alaw(pcm[i]);
  }
  return pcm.size();
}

}  // namespace sbc::dp
