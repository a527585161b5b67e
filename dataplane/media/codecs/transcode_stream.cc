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
  return stream;
}

void TranscodeStream::write_header(RtpOut& packet, uint8_t pt, bool marker, int64_t time) noexcept {
  uint8_t* b = packet.bytes.data();
  b[0] = 0x80;
  b[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (pt & 0x7f));
  store16(b + 2, out_seq_++);
  store32(b + 4,
          params_.out_first_ts + static_cast<uint32_t>(static_cast<uint64_t>(time) * out_units_));
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
    write_header(packet, params_.out_pt, marker_pending_, pending_time_ + shift_);
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
  if (pending_count_ == 0) return true;
  decoder_->conceal(std::span(pending_).subspan(pending_count_, frame_ - pending_count_));
  counters_.concealed_samples += frame_ - pending_count_;
  pending_count_ = frame_;
  return emit_frame(out, written);
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
    write_header(packet, *params_.out_cn_pt, false, t + shift_);
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
    // RFC 4733 events: the DTMF path across transcoding takes them from here.
    ++counters_.telephone_events;
    return Pushed{0, PacketKind::telephone_event};
  }
  if (!is_audio && !is_cn) {
    ++counters_.unknown_payload_type;
    return std::unexpected(TranscodeError::unknown_payload_type);
  }

  // Input timing: the packet's sample time on our timeline.
  if (!started_) {
    started_ = true;
    in_ssrc_ = p.ssrc;
    in_anchor_ts_ = p.ts;
    in_anchor_time_ = 0;
    in_next_time_ = 0;
    last_was_audio_ = false;
  } else if (p.ssrc != in_ssrc_) {
    ++counters_.resyncs;
    in_ssrc_ = p.ssrc;
    in_anchor_ts_ = p.ts;
    in_anchor_time_ = in_next_time_;
    last_was_audio_ = false;
  }
  int64_t t = in_anchor_time_ + static_cast<int32_t>(p.ts - in_anchor_ts_) / int64_t{in_units_};
  if (t < in_next_time_) {
    if (in_next_time_ - t <= kResyncSamples) {
      ++counters_.late;
      return std::unexpected(TranscodeError::late);
    }
    ++counters_.resyncs;  // the sender restarted its clock
    t = in_next_time_;
    last_was_audio_ = false;
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
    // A lone G.729 Annex B SID: the decoder's comfort noise, at its level.
    auto noise = decoder_->decode(p.payload, scratch_);
    if (!noise) {
      ++counters_.decode_errors;
      last_codec_error_ = noise.error();
      return std::unexpected(TranscodeError::decode_failed);
    }
    return comfort_noise(level_of(std::span(scratch_).first(*noise)), t, out, written);
  }

  const int64_t gap = t - in_next_time_;
  const int64_t max_conceal = int64_t{kMaxConcealMs} * kPcmRateMs;
  if (!last_was_audio_ || gap > max_conceal) {
    flush(out, written);
    discontinuity(t);
  } else if (gap > 0) {
    // Lost packets: the input codec's concealment keeps the output continuous.
    decoder_->conceal(std::span(pending_).subspan(pending_count_, static_cast<size_t>(gap)));
    pending_count_ += static_cast<size_t>(gap);
    counters_.concealed_samples += static_cast<uint64_t>(gap);
  }
  marker_pending_ = marker_pending_ || p.marker;
  const size_t room = std::min(kPendingCap - pending_count_, size_t{kMaxInputMs} * kPcmRateMs);
  auto samples = decoder_->decode(p.payload, std::span(pending_).subspan(pending_count_, room));
  in_next_time_ = pending_time_ + static_cast<int64_t>(pending_count_);
  if (!samples) {
    last_codec_error_ = samples.error();
    if (samples.error() == CodecError::too_long) {
      ++counters_.malformed;
      return std::unexpected(TranscodeError::too_long);
    }
    ++counters_.decode_errors;
    return std::unexpected(TranscodeError::decode_failed);
  }
  pending_count_ += *samples;
  in_next_time_ = t + static_cast<int64_t>(*samples);
  last_was_audio_ = true;
  while (pending_count_ >= frame_) emit_frame(out, written);
  return Pushed{written, PacketKind::audio};
}

}  // namespace sbc::dp
