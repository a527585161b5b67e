// One direction of a transcoded call: RTP in (codec A, payload type A) -> decode -> 8 kHz PCM ->
// encode -> RTP out (codec B, payload type B, its own ptime), with the output side's SSRC,
// sequence numbers and timestamps our own:
//   - output sequence numbers are continuous (one per packet we send), whatever the input lost;
//   - output timestamps follow the input's media time, in the output codec's clock: a sample's
//     output timestamp is out_first_ts + (its input time since the first packet) * clock ratio, so
//     input loss or reordering never shifts output timing. A gap of up to kMaxConcealMs is filled
//     with the input codec's concealment (the output stays continuous); a longer gap (silence
//     suppression, DTX) is carried over as a timestamp gap with the marker bit on the packet that
//     starts the next talkspurt, as is an input marker;
//   - comfort noise: an RFC 3389 CN packet (or a G.729 Annex B SID) becomes a CN packet at the same
//     level when the output side has CN (out_cn_pt), otherwise one output frame of noise at that
//     level, encoded in codec B. Never garbage: a CN payload is never fed to the decoder of A.
//   - telephone-event (RFC 4733) packets are recognised and handed back to the caller
//     (PacketKind::telephone_event, no output): the DTMF path across transcoding plugs in there.
// A packet arriving behind the output (late, duplicate) is dropped and counted; there is no
// jitter buffer.
//
// create() allocates everything (codec state, buffers) on the control thread; push() runs on a
// transcoding worker and never allocates, locks, throws or logs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "dataplane/media/codecs/codec.h"

struct noise_state_s;

namespace sbc::dp {

struct TranscodeParams {
  CodecId in_codec = CodecId::pcmu;
  uint8_t in_pt = 0;
  CodecId out_codec = CodecId::pcma;
  uint8_t out_pt = 8;
  uint16_t out_ptime_ms = 20;                    // 10, 20, 30 or 40 (Opus: not 30)
  std::optional<uint8_t> in_cn_pt = 13;          // RFC 3389 CN accepted on the input side
  std::optional<uint8_t> out_cn_pt;              // the output side negotiated CN
  std::optional<uint8_t> in_telephone_event_pt;  // RFC 4733 on the input side
  uint32_t out_ssrc = 0;
  uint16_t out_first_seq = 0;
  uint32_t out_first_ts = 0;
};

enum class TranscodeSetupError : uint8_t { bad_ptime, codec_unavailable };

enum class TranscodeError : uint8_t {
  truncated,             // shorter than its RTP header, CSRCs, extension or padding say
  bad_version,           // RTP version is not 2
  unknown_payload_type,  // neither codec A, CN nor telephone-event
  late,                  // behind what was already sent (late, duplicate or reordered)
  decode_failed,         // codec A refused the payload (last_codec_error() says why)
  encode_failed,         // codec B refused (a programming error: counted, never expected)
  too_long,              // more than kMaxInputMs of audio in one packet
  output_too_small,      // the caller's output span holds fewer than kMaxOutPackets
};

std::string_view to_string(TranscodeError error);
std::string_view to_string(TranscodeSetupError error);

enum class PacketKind : uint8_t { audio, comfort_noise, telephone_event };

// An output RTP packet (header and payload), in a buffer the caller owns.
struct RtpOut {
  static constexpr size_t kMaxSize = 12 + 512;
  std::array<uint8_t, kMaxSize> bytes;
  uint16_t size = 0;
};

struct Pushed {
  size_t packets = 0;  // output packets written to the caller's span
  PacketKind kind = PacketKind::audio;
};

struct TranscodeCounters {
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  uint64_t malformed = 0;  // truncated, bad_version, too_long
  uint64_t unknown_payload_type = 0;
  uint64_t late = 0;
  uint64_t decode_errors = 0;
  uint64_t encode_errors = 0;
  uint64_t concealed_samples = 0;
  uint64_t talkspurts = 0;  // discontinuities carried over as timestamp gaps
  uint64_t cn_in = 0;
  uint64_t cn_out = 0;  // CN packets sent (out_cn_pt)
  uint64_t telephone_events = 0;
  uint64_t resyncs = 0;  // input SSRC changes or timestamp jumps backwards
};

class TranscodeStream {
 public:
  static constexpr uint32_t kMaxInputMs = 240;
  static constexpr uint32_t kMaxConcealMs = 60;
  // Worst case: a 10 ms output ptime, a partial frame flushed, a concealed gap and a full packet.
  static constexpr size_t kMaxOutPackets = (40 + kMaxConcealMs + kMaxInputMs) / 10 + 1;

  static std::expected<std::unique_ptr<TranscodeStream>, TranscodeSetupError> create(
      const TranscodeParams& params);
  ~TranscodeStream();
  TranscodeStream(const TranscodeStream&) = delete;
  TranscodeStream& operator=(const TranscodeStream&) = delete;

  // One input RTP packet; writes 0..kMaxOutPackets packets to out (which must hold
  // kMaxOutPackets).
  std::expected<Pushed, TranscodeError> push(std::span<const uint8_t> rtp,
                                             std::span<RtpOut> out) noexcept;

  const TranscodeCounters& counters() const noexcept { return counters_; }
  std::optional<CodecError> last_codec_error() const noexcept { return last_codec_error_; }
  const TranscodeParams& params() const noexcept { return params_; }

 private:
  static constexpr size_t kPcmRateMs = kPcmRate / 1000;
  static constexpr size_t kPendingCap = (40 + kMaxConcealMs + kMaxInputMs) * kPcmRateMs;

  explicit TranscodeStream(const TranscodeParams& params);

  // Encodes pending_[0, frame_) into out[*written]; advances pending_time_.
  bool emit_frame(std::span<RtpOut> out, size_t& written) noexcept;
  // Pads a partial frame with concealment and sends it; empties pending_.
  bool flush(std::span<RtpOut> out, size_t& written) noexcept;
  void write_header(RtpOut& packet, uint8_t pt, bool marker, int64_t time) noexcept;
  void discontinuity(int64_t t) noexcept;
  std::expected<Pushed, TranscodeError> comfort_noise(uint8_t level, int64_t t,
                                                      std::span<RtpOut> out,
                                                      size_t written) noexcept;

  TranscodeParams params_;
  std::unique_ptr<Codec> decoder_;  // codec A (its decode side)
  std::unique_ptr<Codec> encoder_;  // codec B (its encode side)
  noise_state_s* noise_ = nullptr;  // comfort noise toward a side without CN
  size_t frame_ = 160;              // output samples per packet
  uint32_t in_units_ = 1;           // RTP timestamp units per PCM sample, input side
  uint32_t out_units_ = 1;

  // Input timing: sample time (8 kHz samples since the first packet) of the input timestamp
  // in_anchor_ts_ is in_anchor_time_; in_next_time_ is where the audio received so far ends.
  bool started_ = false;
  bool last_was_audio_ = false;
  uint32_t in_ssrc_ = 0;
  uint32_t in_anchor_ts_ = 0;
  int64_t in_anchor_time_ = 0;
  int64_t in_next_time_ = 0;

  // Output: decoded audio not yet sent, starting at sample time pending_time_.
  std::array<int16_t, kPendingCap> pending_{};
  size_t pending_count_ = 0;
  int64_t pending_time_ = 0;
  std::array<int16_t, kMaxInputMs * kPcmRateMs> scratch_{};  // a decoded G.729 SID
  int64_t shift_ = 0;         // output sample time - input sample time (>= 0, see discontinuity)
  int64_t out_end_time_ = 0;  // output sample time where the last packet sent ends
  uint16_t out_seq_ = 0;
  bool marker_pending_ = false;

  TranscodeCounters counters_;
  std::optional<CodecError> last_codec_error_;
};

}  // namespace sbc::dp
