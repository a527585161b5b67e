#include "dataplane/media/codecs/codec.h"

#include <array>
#include <cctype>

#include "dataplane/media/codecs/g711_codec.h"
#include "dataplane/media/codecs/g722_codec.h"
#include "dataplane/media/codecs/g729_codec.h"
#include "dataplane/media/codecs/opus_codec.h"

namespace sbc::dp {

namespace {

// One row per CodecId, in enum order. frame_samples: G.711 and G.722 are sample codecs (any
// count); Opus takes 2.5/5/10/20/40/60 ms, of which we use whole 10 ms multiples; G.729 10 ms.
constexpr std::array<CodecInfo, 5> kInfos{{
    {CodecId::pcmu, "PCMU", 8000, 0, 1},
    {CodecId::pcma, "PCMA", 8000, 8, 1},
    {CodecId::g722, "G722", 8000, 9, 1},
    {CodecId::opus, "opus", 48000, std::nullopt, 80},
    {CodecId::g729, "G729", 8000, 18, 80},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(CodecError error) {
  switch (error) {
    case CodecError::empty_payload: return "empty_payload";
    case CodecError::bad_length: return "bad_length";
    case CodecError::corrupt: return "corrupt";
    case CodecError::too_long: return "too_long";
    case CodecError::output_too_small: return "output_too_small";
    case CodecError::bad_frame_size: return "bad_frame_size";
    case CodecError::no_memory: return "no_memory";
  }
  return "unknown";
}

std::string_view to_string(CodecId id) {
  return codec_info(id).encoding_name;
}

std::optional<CodecId> codec_from_name(std::string_view encoding_name) {
  for (const CodecInfo& info : kInfos) {
    if (iequals(info.encoding_name, encoding_name)) return info.id;
  }
  return std::nullopt;
}

const CodecInfo& codec_info(CodecId id) {
  return kInfos.at(static_cast<size_t>(id));
}

std::expected<std::unique_ptr<Codec>, CodecError> make_codec(CodecId id) {
  switch (id) {
    case CodecId::pcmu:
    case CodecId::pcma: return G711Codec::create(id);
    case CodecId::g722: return G722Codec::create();
    case CodecId::opus: return OpusCodec::create();
    case CodecId::g729: return G729Codec::create();
  }
  return std::unexpected(CodecError::corrupt);
}

}  // namespace sbc::dp
