#include "dataplane/media/codecs/transcode_stream.h"

#include <spandsp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dataplane/media/codecs/g729_codec.h"

namespace sbc::dp {

namespace {

constexpr size_t kRtpHeader = 12;
constexpr int64_t kResyncSamples = 8000;  // a timestamp more than 1 s backwards: a new timeline
// An event packet up to 10 s behind the last event's start is a stale retransmission; further
// back, the sender restarted its clock and it is a new event.
constexpr int64_t kStaleEventSamples = 10 * 8000;
// RFC 4733 2.5.1.3: a duration field holds at most 0xffff; a longer event goes on in segments.
constexpr uint64_t kSegmentUnits = 0xffff;
// In-band tone level: the event's volume (-dBm0) kept within what Q.24 receivers accept, both
// tones at that level (no twist, as spandsp's dtmf_tx: G.729 carries a tilted pair poorly).
constexpr int kLoudestDbm0 = -6;
constexpr int kQuietestDbm0 = -20;
constexpr int kTwistDb = 0;

constexpr int64_t samples_of_ms(uint32_t ms) {
  return int64_t{ms} * (kPcmRate / 1000);
}

struct RtpView {
  bool marker;
  uint8_t pt;
  uint32_t ts;
  uint32_t ssrc;
  std::span<const uint8_t> payload;
};

uint32_t load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

std::expected<RtpView, TranscodeError> parse_rtp(std::span<const uint8_t> rtp) {
  if (rtp.size() < kRtpHeader) return std::unexpected(TranscodeError::truncated);
  const uint8_t* b = rtp.data();
  if ((b[0] >> 6) != 2) return std::unexpected(TranscodeError::bad_version);
  size_t offset = kRtpHeader + 4 * size_t{static_cast<uint8_t>(b[0] & 0x0f)};
  if ((b[0] & 0x10) != 0) {
    if (offset + 4 > rtp.size()) return std::unexpected(TranscodeError::truncated);
    offset += 4 + 4 * ((size_t{b[offset + 2]} << 8) | b[offset + 3]);
  }
  if (offset > rtp.size()) return std::unexpected(TranscodeError::truncated);
  size_t end = rtp.size();
  if ((b[0] & 0x20) != 0) {
    const size_t padding = b[rtp.size() - 1];
    if (padding == 0 || padding > end - offset) return std::unexpected(TranscodeError::truncated);
    end -= padding;
  }
  return RtpView{(b[1] & 0x80) != 0, static_cast<uint8_t>(b[1] & 0x7f), load32(b + 4),
                 load32(b + 8), rtp.subspan(offset, end - offset)};
}

// RFC 3389 level (-dBov, 0..127) of a decoded comfort noise frame.
uint8_t level_of(std::span<const int16_t> pcm) {
  double energy = 0;
  for (int16_t s : pcm) energy += double(s) * s;
  if (pcm.empty() || energy == 0) return 127;
  const double dbov =
      10.0 * std::log10(energy / static_cast<double>(pcm.size()) / 32768.0 / 32768.0);
  return static_cast<uint8_t>(std::clamp(-std::lround(dbov), 0L, 127L));
}

}  // namespace

std::string_view to_string(TranscodeError error) {
  switch (error) {
    case TranscodeError::truncated: return "truncated";
    case TranscodeError::bad_version: return "bad_version";
    case TranscodeError::unknown_payload_type: return "unknown_payload_type";
    case TranscodeError::late: return "late";
    case TranscodeError::decode_failed: return "decode_failed";
    case TranscodeError::encode_failed: return "encode_failed";
    case TranscodeError::too_long: return "too_long";
    case TranscodeError::output_too_small: return "output_too_small";
    case TranscodeError::bad_telephone_event: return "bad_telephone_event";
  }
  return "unknown";
}

std::string_view to_string(TranscodeSetupError error) {
  switch (error) {
    case TranscodeSetupError::bad_ptime: return "bad_ptime";
    case TranscodeSetupError::codec_unavailable: return "codec_unavailable";
  }
  return "unknown";
}

TranscodeStream::TranscodeStream(const TranscodeParams& params)
    : params_(params),
      frame_(size_t{params.out_ptime_ms} * kPcmRateMs),
      in_units_(rtp_units_per_sample(codec_info(params.in_codec))),
      out_units_(rtp_units_per_sample(codec_info(params.out_codec))),
      out_seq_(params.out_first_seq) {}

TranscodeStream::~TranscodeStream() {
  if (noise_ != nullptr) noise_free(noise_);
  if (tone_ != nullptr) tone_gen_free(tone_);
  if (tone_desc_ != nullptr) tone_gen_descriptor_free(tone_desc_);
  if (rx_ != nullptr) dtmf_rx_free(rx_);
}

std::expected<std::unique_ptr<TranscodeStream>, TranscodeSetupError> TranscodeStream::create(
    const TranscodeParams& params) {
  const uint16_t ptime = params.out_ptime_ms;
  if (ptime != 10 && ptime != 20 && ptime != 30 && ptime != 40) {
    return std::unexpected(TranscodeSetupError::bad_ptime);
  }
  // An Opus packet of one frame is 10, 20, 40 or 60 ms.
  if (params.out_codec == CodecId::opus && ptime == 30) {
    return std::unexpected(TranscodeSetupError::bad_ptime);
  }
  std::unique_ptr<TranscodeStream> stream(new TranscodeStream(params));
  auto decoder = make_codec(params.in_codec);
  auto encoder = make_codec(params.out_codec);
  if (!decoder || !encoder) return std::unexpected(TranscodeSetupError::codec_unavailable);
  stream->decoder_ = std::move(*decoder);
  stream->encoder_ = std::move(*encoder);
  stream->noise_ =
      noise_init_dbov(nullptr, static_cast<int>(params.out_ssrc | 1), -127.0f, NOISE_CLASS_AWGN, 0);
  if (stream->noise_ == nullptr) return std::unexpected(TranscodeSetupError::codec_unavailable);
  if (params.in_telephone_event_pt && !params.out_telephone_event_pt) {
    // In-band DTMF: push() re-initialises these in place for each digit.
    stream->tone_desc_ = tone_gen_descriptor_init(nullptr, 697, -10, 1209, -8, 100, 0, 0, 0, 0);
    if (stream->tone_desc_ == nullptr) {
      return std::unexpected(TranscodeSetupError::codec_unavailable);
    }
    stream->tone_ = tone_gen_init(nullptr, stream->tone_desc_);
    if (stream->tone_ == nullptr) return std::unexpected(TranscodeSetupError::codec_unavailable);
  }
  if (params.detect_inband_dtmf && params.out_telephone_event_pt && !params.in_telephone_event_pt) {
    stream->rx_ = dtmf_rx_init(nullptr, nullptr, nullptr);
    stream->holdback_ = size_t{kDetectHoldbackMs} * kPcmRateMs;
    if (stream->rx_ == nullptr) return std::unexpected(TranscodeSetupError::codec_unavailable);
    dtmf_rx_set_realtime_callback(stream->rx_, &TranscodeStream::on_detected, stream.get());
  }
  return stream;
}

uint32_t TranscodeStream::out_ts(int64_t time) const noexcept {
  return params_.out_first_ts + static_cast<uint32_t>(static_cast<uint64_t>(time) * out_units_);
}

void TranscodeStream::write_header(RtpOut& packet, uint8_t pt, bool marker, uint32_t ts) noexcept {
  uint8_t* b = packet.bytes.data();
  b[0] = 0x80;
  b[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (pt & 0x7f));
  store16(b + 2, out_seq_++);
  store32(b + 4, ts);
  store32(b + 8, params_.out_ssrc);
}

bool TranscodeStream::emit_frame(std::span<RtpOut> out, size_t& written) noexcept {
  RtpOut& packet = out[written];
  auto bytes = encoder_->encode(std::span<const int16_t>(pending_.data(), frame_),
                                std::span(packet.bytes).subspan(kRtpHeader));
  if (!bytes) {
    ++counters_.encode_errors;
    last_codec_error_ = bytes.error();
  } else {
    write_header(packet, params_.out_pt, marker_pending_, out_ts(pending_time_ + shift_));
    packet.size = static_cast<uint16_t>(kRtpHeader + *bytes);
    marker_pending_ = false;
    ++written;
    ++counters_.packets_out;
  }
  out_end_time_ = pending_time_ + shift_ + static_cast<int64_t>(frame_);
  pending_count_ -= frame_;
  std::memmove(pending_.data(), pending_.data() + frame_, pending_count_ * sizeof(int16_t));
  pending_time_ += static_cast<int64_t>(frame_);
  return bytes.has_value();
}

bool TranscodeStream::flush(std::span<RtpOut> out, size_t& written) noexcept {
  bool ok = true;
  while (pending_count_ >= frame_) ok = emit_frame(out, written) && ok;  // the holdback
  if (pending_count_ == 0) return ok;
  decoder_->conceal(std::span(pending_).subspan(pending_count_, frame_ - pending_count_));
  counters_.concealed_samples += frame_ - pending_count_;
  pending_count_ = frame_;
  return emit_frame(out, written) && ok;
}

// Starts a new output timeline at input time t: never behind what was already sent.
void TranscodeStream::discontinuity(int64_t t) noexcept {
  pending_time_ = t;
  shift_ = std::max<int64_t>(0, out_end_time_ - t);
  marker_pending_ = true;
  ++counters_.talkspurts;
}

std::expected<Pushed, TranscodeError> TranscodeStream::comfort_noise(uint8_t level, int64_t t,
                                                                     std::span<RtpOut> out,
                                                                     size_t written) noexcept {
  ++counters_.cn_in;
  flush(out, written);
  if (params_.out_cn_pt) {
    RtpOut& packet = out[written];
    discontinuity(t);
    marker_pending_ = false;
    write_header(packet, *params_.out_cn_pt, false, out_ts(t + shift_));
    packet.bytes[kRtpHeader] = level;
    packet.size = kRtpHeader + 1;
    out_end_time_ = t + shift_;
    ++written;
    ++counters_.cn_out;
    ++counters_.packets_out;
  } else {
    // One output frame of noise at the CN level, encoded in codec B.
    noise_init_dbov(noise_, static_cast<int>(params_.out_ssrc | 1), -static_cast<float>(level),
                    NOISE_CLASS_AWGN, 0);
    discontinuity(t);
    marker_pending_ = false;
    for (size_t i = 0; i < frame_; ++i) pending_[i] = noise(noise_);
    pending_count_ = frame_;
    emit_frame(out, written);
  }
  last_was_audio_ = false;
  in_next_time_ = t;
  // The speech that follows starts a talkspurt.
  marker_pending_ = true;
  return Pushed{written, PacketKind::comfort_noise};
}

int64_t TranscodeStream::input_time(uint32_t ssrc, uint32_t ts) noexcept {
  if (!started_) {
    started_ = true;
    in_ssrc_ = ssrc;
    in_anchor_ts_ = ts;
    in_anchor_time_ = 0;
    in_next_time_ = 0;
    last_was_audio_ = false;
  } else if (ssrc != in_ssrc_) {
    ++counters_.resyncs;
    in_ssrc_ = ssrc;
    in_anchor_ts_ = ts;
    in_anchor_time_ = in_next_time_;
    last_was_audio_ = false;
    // A new source: its events are new, a tone in progress stops where it is.
    if (event_.toned && !event_.ended) {
      event_.ended = true;
      event_.tone_stop = std::max(event_.tone_pos, event_.tone_begin);
      prev_tone_stop_ = event_.tone_stop;
    }
    event_.known = false;
  }
  return in_anchor_time_ + static_cast<int32_t>(ts - in_anchor_ts_) / int64_t{in_units_};
}

TranscodeError TranscodeStream::decode_error(CodecError error) noexcept {
  last_codec_error_ = error;
  if (error == CodecError::too_long) {
    ++counters_.malformed;
    return TranscodeError::too_long;
  }
  ++counters_.decode_errors;
  return TranscodeError::decode_failed;
}

std::expected<Pushed, TranscodeError> TranscodeStream::push(std::span<const uint8_t> rtp,
                                                            std::span<RtpOut> out) noexcept {
  if (out.size() < kMaxOutPackets) return std::unexpected(TranscodeError::output_too_small);
  ++counters_.packets_in;
  auto parsed = parse_rtp(rtp);
  if (!parsed) {
    ++counters_.malformed;
    return std::unexpected(parsed.error());
  }
  const RtpView& p = *parsed;
  const bool is_audio = p.pt == params_.in_pt;
  const bool is_cn = params_.in_cn_pt && p.pt == *params_.in_cn_pt;
  if (params_.in_telephone_event_pt && p.pt == *params_.in_telephone_event_pt) {
    return telephone_event(p.ssrc, p.ts, p.payload, out);
  }
  if (!is_audio && !is_cn) {
    ++counters_.unknown_payload_type;
    return std::unexpected(TranscodeError::unknown_payload_type);
  }

  // Input timing: the packet's sample time on our timeline.
  int64_t t = input_time(p.ssrc, p.ts);
  int64_t absorb = 0;  // leading samples already covered by a generated DTMF tone
  if (t < in_next_time_) {
    if (in_next_time_ - t <= kResyncSamples) {
      // Behind the output: late, unless an in-band tone (driven by the event packets) ran ahead
      // of this audio, which it replaces anyway.
      if (!is_audio || !any_tone_ || !last_was_audio_ || t < tone_floor_) {
        ++counters_.late;
        return std::unexpected(TranscodeError::late);
      }
      absorb = in_next_time_ - t;
    } else {
      ++counters_.resyncs;  // the sender restarted its clock
      t = in_next_time_;
      last_was_audio_ = false;
    }
  }
  in_anchor_ts_ = p.ts;
  in_anchor_time_ = t;

  size_t written = 0;
  if (is_cn) {
    if (p.payload.empty()) {
      ++counters_.malformed;
      return std::unexpected(TranscodeError::truncated);
    }
    return comfort_noise(static_cast<uint8_t>(p.payload[0] & 0x7f), t, out, written);
  }
  if (params_.in_codec == CodecId::g729 && p.payload.size() == G729Codec::kSidBytes) {
    if (absorb > 0) {
      ++counters_.dtmf_absorbed;
      return Pushed{0, PacketKind::comfort_noise};
    }
    // A lone G.729 Annex B SID: the decoder's comfort noise, at its level.
    auto noise = decoder_->decode(p.payload, scratch_);
    if (!noise) {
      ++counters_.decode_errors;
      last_codec_error_ = noise.error();
      return std::unexpected(TranscodeError::decode_failed);
    }
    return comfort_noise(level_of(std::span(scratch_).first(*noise)), t, out, written);
  }
  return audio(p.payload, p.marker, t, absorb, out, written);
}

std::expected<Pushed, TranscodeError> TranscodeStream::audio(std::span<const uint8_t> payload,
                                                             bool marker, int64_t t, int64_t absorb,
                                                             std::span<RtpOut> out,
                                                             size_t written) noexcept {
  if (absorb > 0) {
    // Decoded all the same, so a stateful decoder stays in step; only the part past the tone's
    // end is new.
    auto samples = decoder_->decode(payload, scratch_);
    if (!samples) {
      return std::unexpected(decode_error(samples.error()));
    }
    if (static_cast<int64_t>(*samples) <= absorb) {
      ++counters_.dtmf_absorbed;
      return Pushed{written, PacketKind::audio};
    }
    const size_t take =
        std::min(*samples - static_cast<size_t>(absorb), kPendingCap - pending_count_);
    std::memcpy(pending_.data() + pending_count_, scratch_.data() + absorb, take * sizeof(int16_t));
    pending_count_ += take;
    in_next_time_ = pending_time_ + static_cast<int64_t>(pending_count_);
  } else {
    const int64_t gap = t - in_next_time_;
    const int64_t max_conceal = int64_t{kMaxConcealMs} * kPcmRateMs;
    int64_t new_from = t;  // input time of the first sample this packet adds to pending_
    if (!last_was_audio_ || gap > max_conceal) {
      flush(out, written);
      discontinuity(t);
    } else if (gap > 0) {
      // Lost packets: the input codec's concealment keeps the output continuous.
      new_from = in_next_time_;
      decoder_->conceal(std::span(pending_).subspan(pending_count_, static_cast<size_t>(gap)));
      pending_count_ += static_cast<size_t>(gap);
      counters_.concealed_samples += static_cast<uint64_t>(gap);
    }
    marker_pending_ = marker_pending_ || marker;
    const size_t room = std::min(kPendingCap - pending_count_, size_t{kMaxInputMs} * kPcmRateMs);
    auto samples = decoder_->decode(payload, std::span(pending_).subspan(pending_count_, room));
    in_next_time_ = pending_time_ + static_cast<int64_t>(pending_count_);
    if (!samples) {
      return std::unexpected(decode_error(samples.error()));
    }
    pending_count_ += *samples;
    in_next_time_ = t + static_cast<int64_t>(*samples);
    if (rx_ != nullptr) detect(static_cast<size_t>(new_from - pending_time_), out, written);
  }
  last_was_audio_ = true;
  apply_tone();
  while (pending_count_ >= frame_ + holdback_) emit_frame(out, written);
  return Pushed{written, PacketKind::audio};
}

// ---- DTMF ----

int64_t TranscodeStream::event_samples() const noexcept {
  return static_cast<int64_t>(event_.reported / in_units_);
}

std::expected<Pushed, TranscodeError> TranscodeStream::telephone_event(
    uint32_t ssrc, uint32_t ts, std::span<const uint8_t> payload, std::span<RtpOut> out) noexcept {
  ++counters_.telephone_events;
  // RFC 4733: one or more 4-byte blocks; an end of no duration says nothing that can be played.
  bool valid = !payload.empty() && payload.size() % kTelephoneEventBytes == 0;
  for (size_t i = 0; valid && i < payload.size(); i += kTelephoneEventBytes) {
    const TelephoneEvent block =
        read_telephone_event(payload.subspan(i).first<kTelephoneEventBytes>());
    valid = !(block.end && block.duration == 0);
  }
  if (!valid) {
    ++counters_.malformed;
    ++counters_.bad_telephone_events;
    return std::unexpected(TranscodeError::bad_telephone_event);
  }
  input_time(ssrc, ts);  // starts the timeline, or follows a new SSRC
  size_t written = 0;
  // In-band tones: at most kMaxInputMs of tone per event packet, like an audio packet.
  int64_t budget = samples_of_ms(kMaxInputMs);
  // RFC 4733 2.5.1.5: blocks packed in one packet are consecutive events, each starting where
  // the one before ends.
  uint32_t block_ts = ts;
  for (size_t i = 0; i < payload.size() && written + 2 < out.size(); i += kTelephoneEventBytes) {
    const TelephoneEvent block =
        read_telephone_event(payload.subspan(i).first<kTelephoneEventBytes>());
    event_block(block_ts, block, budget, out, written);
    block_ts += block.duration;
  }
  return Pushed{written, PacketKind::telephone_event};
}

void TranscodeStream::event_block(uint32_t ts, const TelephoneEvent& block, int64_t& budget,
                                  std::span<RtpOut> out, size_t& written) noexcept {
  const bool out_of_band = params_.out_telephone_event_pt.has_value();
  const int64_t t = in_anchor_time_ + static_cast<int32_t>(ts - in_anchor_ts_) / int64_t{in_units_};
  const uint32_t offset = ts - event_.in_ts;
  bool fresh = !event_.known;
  if (event_.known) {
    if (offset == event_.segment) {
      // An update or a retransmission of the segment being reported.
    } else if (!event_.ended && block.code == event_.code && offset > event_.segment &&
               offset - event_.segment <= kSegmentUnits &&
               event_.reported - event_.segment >= kSegmentUnits / 2) {
      event_.segment = offset;  // RFC 4733 2.5.1.3: the next segment of a long event
    } else if (static_cast<int32_t>(offset) >= 0 ? offset < event_.segment
                                                 : event_.start_time - t <= kStaleEventSamples) {
      ++counters_.dtmf_duplicates;  // an earlier segment or an earlier event: already carried
      return;
    } else {
      fresh = true;
    }
  }
  if (fresh) {
    if (event_.known && !event_.ended) {
      // The previous event never saw its end (lost): close it before the next one.
      event_.ended = true;
      if (out_of_band) {
        send_event(true, out, written);
      } else if (event_.toned) {
        ++counters_.dtmf_timeouts;
        end_tone();
        extend_tone(event_.tone_stop, budget, out, written);
      }
    }
    event_ = Event{};
    event_.known = true;
    event_.code = block.code;
    event_.volume = block.volume;
    event_.in_ts = ts;
    event_.start_time = t;
    ++counters_.dtmf_events;
    if (out_of_band) {
      event_.out_ts = out_ts(t + shift_);
    } else {
      start_tone();
    }
  }

  const uint64_t reported = uint64_t{event_.segment} + block.duration;
  bool news = fresh;
  if (reported > event_.reported && (!event_.ended || block.end)) {
    event_.reported = reported;
    news = true;
  }
  const bool ends = block.end && !event_.ended;
  if (ends) event_.ended = true;

  if (out_of_band) {
    if (block.end) {
      // The end and its retransmissions, one for one, at most kEventEndPackets.
      if (event_.ends_sent < kEventEndPackets) {
        send_event(true, out, written);
      } else {
        ++counters_.dtmf_duplicates;
      }
    } else if (news && !event_.ended) {
      send_event(false, out, written);
    } else {
      ++counters_.dtmf_duplicates;
    }
    return;
  }

  if (!news && !ends) ++counters_.dtmf_duplicates;
  if (!event_.toned) return;
  if (event_.ended) {
    if (ends) end_tone();
    extend_tone(event_.tone_stop, budget, out, written);
    // The tone's last partial frame goes out now, padded with silence, not when audio returns.
    if (pending_count_ > 0 &&
        pending_time_ + static_cast<int64_t>(pending_count_) == event_.tone_stop && budget > 0) {
      std::fill_n(pending_.begin() + static_cast<ptrdiff_t>(pending_count_),
                  frame_ - pending_count_, int16_t{0});
      pending_count_ = frame_;
      in_next_time_ = pending_time_ + static_cast<int64_t>(frame_);
      emit_frame(out, written);
    }
  } else {
    extend_tone(event_.tone_begin + event_samples(), budget, out, written);
  }
}

void TranscodeStream::send_event(bool end, std::span<RtpOut> out, size_t& written) noexcept {
  if (!params_.out_telephone_event_pt || written >= out.size()) return;
  const uint64_t total = event_.reported * out_units_ / in_units_;
  const uint64_t segment = total == 0 ? 0 : (total - 1) / kSegmentUnits;
  RtpOut& packet = out[written];
  write_header(packet, *params_.out_telephone_event_pt, !event_.sent,
               event_.out_ts + static_cast<uint32_t>(segment * kSegmentUnits));
  write_telephone_event(TelephoneEvent{event_.code, end, event_.volume,
                                       static_cast<uint16_t>(total - segment * kSegmentUnits)},
                        std::span(packet.bytes).subspan<kRtpHeader, kTelephoneEventBytes>());
  packet.size = kRtpHeader + kTelephoneEventBytes;
  event_.sent = true;
  if (end) ++event_.ends_sent;
  ++written;
  ++counters_.packets_out;
  ++counters_.dtmf_packets_out;
}

void TranscodeStream::start_tone() noexcept {
  const auto tones = dtmf_tones(event_.code);
  if (!tones || tone_ == nullptr) {
    ++counters_.dtmf_unsupported;
    return;
  }
  const int level = std::clamp(-int{event_.volume}, kQuietestDbm0, kLoudestDbm0);
  tone_gen_descriptor_init(tone_desc_, tones->low_hz, level, tones->high_hz, level + kTwistDb,
                           static_cast<int>(kMaxEventMs + 1000), 0, 0, 0, 0);
  tone_gen_init(tone_, tone_desc_);
  // From the event's start, or the first sample not yet sent, and a pause after the last tone.
  int64_t begin = event_.start_time;
  if (last_was_audio_) begin = std::max(begin, pending_time_);
  if (any_tone_) begin = std::max(begin, prev_tone_stop_ + samples_of_ms(kToneGapMs));
  event_.toned = true;
  event_.tone_begin = begin;
  event_.tone_pos = begin;
  event_.tone_stop = begin + samples_of_ms(kMaxEventMs);
  any_tone_ = true;
  tone_floor_ = begin;
  prev_tone_stop_ = event_.tone_stop;
}

// The tone's end once known: its reported duration from where it began, or what was already
// written if that is more.
void TranscodeStream::end_tone() noexcept {
  event_.tone_stop =
      std::max(event_.tone_pos, std::min(event_.tone_stop, event_.tone_begin + event_samples()));
  prev_tone_stop_ = event_.tone_stop;
}

// Writes the tone over pending_ where it covers it; ends a tone whose updates stopped.
void TranscodeStream::apply_tone() noexcept {
  if (!event_.toned) return;
  const int64_t end = pending_time_ + static_cast<int64_t>(pending_count_);
  if (!event_.ended) {
    const int64_t deadline = std::min(
        event_.tone_stop, event_.tone_begin + event_samples() + samples_of_ms(kEventTimeoutMs));
    if (end > deadline) {
      // No end and no update for kEventTimeoutMs of audio, or kMaxEventMs reached.
      event_.ended = true;
      event_.tone_stop = std::max(event_.tone_pos, deadline);
      prev_tone_stop_ = event_.tone_stop;
      ++counters_.dtmf_timeouts;
    }
  }
  const int64_t from = std::max(event_.tone_pos, pending_time_);
  const int64_t to = std::min(end, event_.tone_stop);
  if (to <= from) return;
  tone_gen(tone_, pending_.data() + (from - pending_time_), static_cast<int>(to - from));
  event_.tone_pos = to;
  counters_.dtmf_tone_samples += static_cast<uint64_t>(to - from);
}

// Makes the output reach input sample time target (within the tone) when the sender sends no audio
// during the event: the event packets drive the tone's frames.
void TranscodeStream::extend_tone(int64_t target, int64_t& budget, std::span<RtpOut> out,
                                  size_t& written) noexcept {
  apply_tone();
  while (pending_count_ >= frame_) emit_frame(out, written);
  target = std::min(target, event_.tone_stop);
  if (!event_.toned || (last_was_audio_ && in_next_time_ >= target) || budget <= 0) return;
  // Where the tone goes on: its start, or where it was left (after comfort noise, say).
  const int64_t begin = event_.tone_pos;
  const int64_t max_conceal = samples_of_ms(kMaxConcealMs);
  if (!last_was_audio_ || begin - in_next_time_ > max_conceal) {
    // The output (re)starts with the tone: a talkspurt.
    flush(out, written);
    discontinuity(begin);
    in_next_time_ = begin;
  } else if (begin > in_next_time_) {
    const auto gap = static_cast<size_t>(begin - in_next_time_);
    decoder_->conceal(std::span(pending_).subspan(pending_count_, gap));
    pending_count_ += gap;
    counters_.concealed_samples += gap;
    in_next_time_ = begin;
  }
  last_was_audio_ = true;
  while (in_next_time_ < target && budget > 0 && written + 2 < out.size()) {
    const auto n = static_cast<size_t>(std::min(
        {target - in_next_time_, budget, static_cast<int64_t>(kPendingCap - pending_count_)}));
    std::fill_n(pending_.begin() + static_cast<ptrdiff_t>(pending_count_), n, int16_t{0});
    pending_count_ += n;
    in_next_time_ += static_cast<int64_t>(n);
    budget -= static_cast<int64_t>(n);
    apply_tone();
    while (pending_count_ >= frame_) emit_frame(out, written);
  }
}

// ---- In-band DTMF detection (detect_inband_dtmf) ----

void TranscodeStream::on_detected(void* user, int code, int /*level*/, int /*delay*/) noexcept {
  auto* self = static_cast<TranscodeStream*>(user);
  if (self->rx_change_count_ < self->rx_changes_.size()) {
    self->rx_changes_[self->rx_change_count_++] = code;
  }
}

void TranscodeStream::detect(size_t from, std::span<RtpOut> out, size_t& written) noexcept {
  // The detector confirms a digit, and its end, about two of its 102-sample blocks late.
  constexpr int64_t kLatency = 204;
  constexpr size_t kChunk = 40;  // 5 ms: where a change is reported, to that precision
  const int64_t from_time = pending_time_ + static_cast<int64_t>(from);
  bool updated = false;
  // The end of the last digit goes out kEventEndPackets times, one per input packet.
  if (event_.known && event_.ended && event_.ends_sent < kEventEndPackets && written < out.size()) {
    send_event(true, out, written);
    updated = true;
  }
  if (event_.known && !event_.ended && from_time != rx_pos_) {
    // A gap in the input (a talkspurt): the digit ended with the audio before it.
    event_.ended = true;
    send_event(true, out, written);
    updated = true;
  }
  for (size_t i = from; i < pending_count_; i += kChunk) {
    const size_t n = std::min(kChunk, pending_count_ - i);
    const int64_t chunk_time = pending_time_ + static_cast<int64_t>(i);
    rx_change_count_ = 0;
    dtmf_rx(rx_, pending_.data() + i, static_cast<int>(n));
    rx_pos_ = chunk_time + static_cast<int64_t>(n);
    for (size_t c = 0; c < rx_change_count_; ++c) {
      const int code = rx_changes_[c];
      if (event_.known && !event_.ended) {
        // Off (or straight to another digit): the end.
        event_.ended = true;
        event_.reported =
            static_cast<uint64_t>(std::max<int64_t>(rx_pos_ - kLatency - event_.start_time, 1)) *
            in_units_;
        if (written < out.size()) send_event(true, out, written);
        updated = true;
      }
      if (code == 0) continue;
      const auto digit = dtmf_code(static_cast<char>(code));
      if (!digit) continue;
      // The previous digit's end repeats are owed first.
      while (event_.known && event_.ended && event_.ends_sent < kEventEndPackets &&
             written < out.size()) {
        send_event(true, out, written);
      }
      const int64_t previous_end =
          event_.known ? event_.start_time + static_cast<int64_t>(event_.reported / in_units_) : 0;
      event_ = Event{};
      event_.known = true;
      event_.code = *digit;
      event_.volume = 10;
      event_.start_time = std::max(rx_pos_ - kLatency, previous_end);
      event_.out_ts = out_ts(event_.start_time + shift_);
      event_.reported = static_cast<uint64_t>(rx_pos_ - event_.start_time) * in_units_;
      ++counters_.dtmf_events;
      ++counters_.dtmf_detected;
      // The tone's start, where not sent yet, leaves the audio too.
      const int64_t mute_from = std::max(event_.start_time, pending_time_);
      if (mute_from < chunk_time) {
        std::fill_n(pending_.begin() + (mute_from - pending_time_), chunk_time - mute_from,
                    int16_t{0});
      }
      if (written < out.size()) send_event(false, out, written);
      updated = true;
    }
    // From its detection on, the tone leaves the audio: the far side gets the digit once.
    if (event_.known && !event_.ended) {
      std::fill_n(pending_.begin() + static_cast<ptrdiff_t>(i), n, int16_t{0});
    }
  }
  if (event_.known && !event_.ended && !updated && written < out.size()) {
    event_.reported = static_cast<uint64_t>(rx_pos_ - event_.start_time) * in_units_;
    send_event(false, out, written);
  }
}

}  // namespace sbc::dp
