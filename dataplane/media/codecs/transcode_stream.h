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
//   - DTMF: RFC 4733 telephone-events (in_telephone_event_pt) cross the transcoding. An event is
//     identified by its RTP timestamp (long events: by their segments), so duplicates and the
//     sender's end retransmissions never make a second digit. When the output side negotiated
//     telephone-event (out_telephone_event_pt) each input event packet that tells something new
//     (a longer duration, an end) becomes one output event packet: PT mapped, the event's start
//     mapped to the output timestamps like the audio (so they line up), the duration scaled by
//     the clock ratio (segmented per RFC 4733 2.5.1.3 past 0xffff), our sequence numbers, the
//     marker on the event's first packet, the volume kept, and the sender's end packet and its
//     retransmissions carried one for one (at most kEventEndPackets per event). The audio keeps
//     flowing meanwhile, transcoded as it comes, as rtpengine does.
//     Without out_telephone_event_pt the digit becomes an in-band DTMF tone (ITU-T Q.23 pairs)
//     in the output PCM, replacing the audio from the start of the event (or the first sample
//     not yet sent) for at least the event's duration: it ends on the E bit, after
//     kEventTimeoutMs of audio without an update, or at kMaxEventMs. If the sender sends no
//     audio during the event, the event packets themselves drive the tone's frames. Events other
//     than 0-15 cannot be generated and are counted (dtmf_unsupported).
//     The reverse (detect_inband_dtmf): DTMF tones detected in the decoded input become RFC 4733
//     events (an update per input packet, the end sent kEventEndPackets times, one per packet).
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
#include "dataplane/media/codecs/telephone_event.h"

struct noise_state_s;
struct tone_gen_descriptor_s;
struct tone_gen_state_s;
struct dtmf_rx_state_s;

namespace sbc::dp {

struct TranscodeParams {
  CodecId in_codec = CodecId::pcmu;
  uint8_t in_pt = 0;
  CodecId out_codec = CodecId::pcma;
  uint8_t out_pt = 8;
  uint16_t out_ptime_ms = 20;                    // 10, 20, 30 or 40 (Opus: not 30)
  std::optional<uint8_t> in_cn_pt = 13;          // RFC 3389 CN accepted on the input side
  std::optional<uint8_t> out_cn_pt;              // the output side negotiated CN
  std::optional<uint8_t> in_telephone_event_pt;  // RFC 4733 on the input side (codec A's clock)
  // RFC 4733 on the output side (codec B's clock); without it, input events become in-band tones.
  std::optional<uint8_t> out_telephone_event_pt;
  uint32_t out_ssrc = 0;
  uint16_t out_first_seq = 0;
  uint32_t out_first_ts = 0;
  // In-band DTMF in the input audio becomes RFC 4733 events on the output (spandsp's detector);
  // only with out_telephone_event_pt and without in_telephone_event_pt. The detected tone is
  // muted in the output audio from its detection on, so the far side gets each digit once.
  bool detect_inband_dtmf = false;
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
  bad_telephone_event,   // an RFC 4733 payload not whole 4-byte blocks, or an end of duration 0
};

std::string_view to_string(TranscodeError error);
std::string_view to_string(TranscodeSetupError error);

// What the input packet was. Its output is whatever push() wrote: for a telephone_event, RFC 4733
// packets or (in-band DTMF) audio frames carrying the tone; the caller forwards them all alike.
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
  uint64_t malformed = 0;  // truncated, bad_version, too_long, bad_telephone_event
  uint64_t unknown_payload_type = 0;
  uint64_t late = 0;
  uint64_t decode_errors = 0;
  uint64_t encode_errors = 0;
  uint64_t concealed_samples = 0;
  uint64_t talkspurts = 0;  // discontinuities carried over as timestamp gaps
  uint64_t cn_in = 0;
  uint64_t cn_out = 0;                // CN packets sent (out_cn_pt)
  uint64_t telephone_events = 0;      // RFC 4733 packets received
  uint64_t bad_telephone_events = 0;  // of which malformed (also in malformed)
  uint64_t dtmf_events = 0;           // distinct events (digits) received
  uint64_t dtmf_duplicates = 0;       // event packets that told nothing new (retransmissions)
  uint64_t dtmf_packets_out = 0;      // RFC 4733 packets sent (out_telephone_event_pt)
  uint64_t dtmf_tone_samples = 0;     // in-band DTMF samples generated
  uint64_t dtmf_unsupported = 0;      // events with no in-band tone (not a DTMF digit)
  uint64_t dtmf_timeouts = 0;         // in-band tones ended without an E bit
  uint64_t dtmf_absorbed = 0;         // audio packets fully inside a generated tone
  uint64_t dtmf_detected = 0;         // in-band digits detected (detect_inband_dtmf)
  uint64_t resyncs = 0;               // input SSRC changes or timestamp jumps backwards
};

class TranscodeStream {
 public:
  static constexpr uint32_t kMaxInputMs = 240;
  static constexpr uint32_t kMaxConcealMs = 60;
  // With detect_inband_dtmf, this much decoded audio is held back before it is encoded, so a
  // digit detected late (the detector needs ~25 ms) is muted from its very start: the far side
  // must not hear enough of the tone to detect the digit a second time.
  static constexpr uint32_t kDetectHoldbackMs = 30;
  // Worst case: a 10 ms output ptime, a partial frame and the holdback flushed, a concealed gap
  // and a full packet.
  static constexpr size_t kMaxOutPackets =
      (40 + kDetectHoldbackMs + kMaxConcealMs + kMaxInputMs) / 10 + 1;
  // RFC 4733 2.5.1.4: the final packet of an event is sent 3 times.
  static constexpr uint8_t kEventEndPackets = 3;
  // In-band tones: the longest tone, the longest wait for an update while audio flows, and the
  // pause kept between two tones so a detector sees two digits.
  static constexpr uint32_t kMaxEventMs = 5000;
  static constexpr uint32_t kEventTimeoutMs = 500;
  static constexpr uint32_t kToneGapMs = 50;

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
  static constexpr size_t kPendingCap =
      (40 + kDetectHoldbackMs + kMaxConcealMs + kMaxInputMs) * kPcmRateMs;

  explicit TranscodeStream(const TranscodeParams& params);

  // Encodes pending_[0, frame_) into out[*written]; advances pending_time_.
  bool emit_frame(std::span<RtpOut> out, size_t& written) noexcept;
  // Pads a partial frame with concealment and sends it; empties pending_.
  bool flush(std::span<RtpOut> out, size_t& written) noexcept;
  void write_header(RtpOut& packet, uint8_t pt, bool marker, uint32_t ts) noexcept;
  uint32_t out_ts(int64_t time) const noexcept;
  void discontinuity(int64_t t) noexcept;
  // Counts codec A's refusal of a payload and names it (too_long is malformed input).
  TranscodeError decode_error(CodecError error) noexcept;
  // The input timeline: sample time of input timestamp ts (starts the timeline, or re-anchors it
  // on a new SSRC).
  int64_t input_time(uint32_t ssrc, uint32_t ts) noexcept;
  std::expected<Pushed, TranscodeError> audio(std::span<const uint8_t> payload, bool marker,
                                              int64_t t, int64_t absorb, std::span<RtpOut> out,
                                              size_t written) noexcept;

  // DTMF (RFC 4733 in; RFC 4733 or in-band tone out).
  std::expected<Pushed, TranscodeError> telephone_event(uint32_t ssrc, uint32_t ts,
                                                        std::span<const uint8_t> payload,
                                                        std::span<RtpOut> out) noexcept;
  void event_block(uint32_t ts, const TelephoneEvent& block, int64_t& budget, std::span<RtpOut> out,
                   size_t& written) noexcept;
  void send_event(bool end, std::span<RtpOut> out, size_t& written) noexcept;
  void start_tone() noexcept;
  void end_tone() noexcept;
  void apply_tone() noexcept;
  void extend_tone(int64_t target, int64_t& budget, std::span<RtpOut> out,
                   size_t& written) noexcept;
  int64_t event_samples() const noexcept;
  // In-band detection over pending_[from, pending_count_) (just decoded or concealed).
  void detect(size_t from, std::span<RtpOut> out, size_t& written) noexcept;
  static void on_detected(void* user, int code, int level, int delay) noexcept;
  std::expected<Pushed, TranscodeError> comfort_noise(uint8_t level, int64_t t,
                                                      std::span<RtpOut> out,
                                                      size_t written) noexcept;

  TranscodeParams params_;
  std::unique_ptr<Codec> decoder_;  // codec A (its decode side)
  std::unique_ptr<Codec> encoder_;  // codec B (its encode side)
  noise_state_s* noise_ = nullptr;  // comfort noise toward a side without CN
  size_t frame_ = 160;              // output samples per packet
  size_t holdback_ = 0;             // samples kept back from encoding (kDetectHoldbackMs)
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

  // The input event last seen (RFC 4733 identifies an event by its timestamp).
  struct Event {
    bool known = false;
    bool ended = false;
    uint8_t code = 0;
    uint8_t volume = 0;
    uint32_t in_ts = 0;      // input timestamp of its first segment
    uint32_t segment = 0;    // input units from in_ts to the segment being reported
    uint64_t reported = 0;   // input units from in_ts to the end reported so far
    int64_t start_time = 0;  // input sample time of in_ts
    // Out of band (out_telephone_event_pt).
    uint32_t out_ts = 0;  // output timestamp of its start
    bool sent = false;    // its first packet (with the marker) went out
    uint8_t ends_sent = 0;
    // In-band: the tone covers input sample times [tone_begin, tone_stop); written up to tone_pos.
    bool toned = false;
    int64_t tone_begin = 0;
    int64_t tone_pos = 0;
    int64_t tone_stop = 0;
  };
  Event event_;
  bool any_tone_ = false;   // a tone was generated: tone_floor_ holds
  int64_t tone_floor_ = 0;  // the last tone's start: audio behind the output past it is tone
  int64_t prev_tone_stop_ = 0;
  tone_gen_descriptor_s* tone_desc_ = nullptr;
  tone_gen_state_s* tone_ = nullptr;
  // In-band detection: the detector, the input sample time of the next sample it sees, and the
  // state changes its callback reported during the last call (code: ASCII digit, 0 for off).
  dtmf_rx_state_s* rx_ = nullptr;
  int64_t rx_pos_ = 0;
  std::array<int, 4> rx_changes_{};
  size_t rx_change_count_ = 0;

  TranscodeCounters counters_;
  std::optional<CodecError> last_codec_error_;
};

}  // namespace sbc::dp
