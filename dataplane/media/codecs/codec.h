// A voice codec over 16-bit linear PCM at 8 kHz, the building block of transcoding.
//
// Every codec presents the same PCM side: mono, 8000 samples/s. G.722 runs in spandsp's 8 kHz mode
// (its low band: the wideband half is lost, as it is whenever one side is narrowband G.711) and
// Opus encodes and decodes at 8 kHz internally. What differs per codec is its RTP clock
// (CodecInfo): G.722's is 8000 (RFC 3551), Opus's 48000 (RFC 7587), so an RTP timestamp step is
// samples * rtp_clock / 8000.
//
// Life cycle, made for the dataplane: make_codec() allocates all state on the control thread; the
// worker then calls decode / conceal / encode, which never allocate, lock, throw or log, and report
// malformed input as a CodecError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace sbc::dp {

enum class CodecId : uint8_t { pcmu, pcma, g722, opus, g729 };

enum class CodecError : uint8_t {
  empty_payload,     // a payload of 0 bytes
  bad_length,        // a length the codec's framing cannot have (G.729: not 10n or 10n+2 bytes)
  corrupt,           // the codec rejects the bytes (Opus TOC or frame lengths inconsistent)
  too_long,          // more audio than the caller's buffer holds
  output_too_small,  // the encode buffer cannot hold the payload
  bad_frame_size,    // encode() of a sample count that is not a whole number of frames
  no_memory,         // make_codec(): the library could not allocate its state
};

std::string_view to_string(CodecError error);
std::string_view to_string(CodecId id);
std::optional<CodecId> codec_from_name(std::string_view encoding_name);  // "PCMU", "opus", ...

// PCM sample rate of every codec's linear side.
inline constexpr uint32_t kPcmRate = 8000;

struct CodecInfo {
  CodecId id;
  std::string_view encoding_name;  // as in SDP a=rtpmap
  uint32_t rtp_clock;              // RTP timestamp units per second
  std::optional<uint8_t> static_payload_type;
  uint16_t frame_samples;  // encode() takes multiples of this many PCM samples
};

const CodecInfo& codec_info(CodecId id);

// RTP timestamp units per PCM sample: 1, or 6 for Opus.
inline uint32_t rtp_units_per_sample(const CodecInfo& info) {
  return info.rtp_clock / kPcmRate;
}

class Codec {
 public:
  virtual ~Codec() = default;
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  virtual const CodecInfo& info() const noexcept = 0;

  // Decodes one RTP payload into pcm; returns the number of samples written.
  virtual std::expected<size_t, CodecError> decode(std::span<const uint8_t> payload,
                                                   std::span<int16_t> pcm) noexcept = 0;

  // Fills pcm with a stand-in for lost audio (the codec's packet loss concealment where it has
  // one, else a fade of the last samples into silence); pcm.size() is any count.
  virtual void conceal(std::span<int16_t> pcm) noexcept = 0;

  // Encodes pcm (a multiple of info().frame_samples) into payload; returns its length in bytes.
  virtual std::expected<size_t, CodecError> encode(std::span<const int16_t> pcm,
                                                   std::span<uint8_t> payload) noexcept = 0;

 protected:
  Codec() = default;
};

// Allocates a codec's encoder and decoder state (control thread only).
std::expected<std::unique_ptr<Codec>, CodecError> make_codec(CodecId id);

}  // namespace sbc::dp
