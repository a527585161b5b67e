#include "api/control_protocol.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

namespace sbc::api {
namespace {

// Little-endian writer. Sizes are checked once, at the end, against kMaxMessageSize; strings and
// vectors are checked as they are written because their length prefixes are 16 bits.
class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(std::span<const uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void string(const std::string& s) {
    if (s.size() > kMaxStringLength) {
      ok_ = false;
      return;
    }
    u16(static_cast<uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void count(size_t n) {
    if (n > std::numeric_limits<uint16_t>::max()) {
      ok_ = false;
      return;
    }
    u16(static_cast<uint16_t>(n));
  }
  void address(const Address& a) {
    u8(static_cast<uint8_t>(a.family));
    bytes(a.bytes);
  }
  // A value the decoder would refuse: encoding it is the caller's bug, reported as kBadField.
  void fail() { ok_ = false; }
  void patch_u32(size_t offset, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) out_[offset + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] size_t size() const { return out_.size(); }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  void put(uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
  bool ok_ = true;
};

// Little-endian reader over an untrusted packet. After the first failure every read returns zero
// and error() tells why; callers check once per message instead of after every field.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  uint8_t u8() { return static_cast<uint8_t>(get(1)); }
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  bool boolean() {
    const uint8_t v = u8();
    if (v > 1) fail(DecodeError::kBadField);
    return v == 1;
  }
  std::string string() {
    const uint16_t n = u16();
    if (n > kMaxStringLength) {
      fail(DecodeError::kBadField);
      return {};
    }
    if (!need(n)) return {};
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  // Element count of a vector whose elements take at least `min_element_size` bytes each: a count
  // the rest of the packet cannot hold is rejected before anything is reserved.
  size_t count(size_t min_element_size) {
    const uint16_t n = u16();
    if (failed()) return 0;
    if (static_cast<size_t>(n) * min_element_size > remaining()) {
      fail(DecodeError::kTruncated);
      return 0;
    }
    return n;
  }
  Address address() {
    Address a;
    const uint8_t family = u8();
    if (family != 0 && family != 4 && family != 6) fail(DecodeError::kBadField);
    a.family = static_cast<AddressFamily>(family);
    if (need(a.bytes.size())) {
      std::memcpy(a.bytes.data(), data_.data() + pos_, a.bytes.size());
      pos_ += a.bytes.size();
    }
    return a;
  }
  void fail(DecodeError e) {
    if (!error_) error_ = e;
  }
  [[nodiscard]] bool failed() const { return error_.has_value(); }
  [[nodiscard]] std::optional<DecodeError> error() const { return error_; }
  [[nodiscard]] size_t remaining() const { return data_.size() - pos_; }

 private:
  bool need(size_t n) {
    if (failed()) return false;
    if (remaining() < n) {
      fail(DecodeError::kTruncated);
      return false;
    }
    return true;
  }
  uint64_t get(size_t n) {
    if (!need(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  std::optional<DecodeError> error_;
};

constexpr size_t kAddressSize = 17;

// --- per-type bodies: one write and one read function each, kept next to each other ---

void write(Writer& w, const Hello& m) {
  w.u16(m.version);
  w.u32(m.max_message_size);
  w.string(m.peer_name);
}
void read(Reader& r, Hello& m) {
  m.version = r.u16();
  m.max_message_size = r.u32();
  m.peer_name = r.string();
}

void write(Writer& w, const PortInfo& p) {
  w.u8(p.index);
  w.string(p.name);
  w.address(p.address);
  w.u8(p.prefix_length);
  w.bytes(p.mac);
  w.boolean(p.link_up);
}
void read(Reader& r, PortInfo& p) {
  p.index = r.u8();
  p.name = r.string();
  p.address = r.address();
  p.prefix_length = r.u8();
  for (auto& b : p.mac) b = r.u8();
  p.link_up = r.boolean();
  if (p.prefix_length > 128) r.fail(DecodeError::kBadField);
}

void write(Writer& w, const HelloReply& m) {
  w.u16(m.version);
  w.u32(m.max_message_size);
  w.string(m.peer_name);
  w.count(m.ports.size());
  for (const auto& p : m.ports) write(w, p);
  w.u32(m.max_sessions);
  w.u32(m.max_transcoded_sessions);
}
void read(Reader& r, HelloReply& m) {
  m.version = r.u16();
  m.max_message_size = r.u32();
  m.peer_name = r.string();
  m.ports.resize(r.count(1 + 2 + kAddressSize + 1 + 6 + 1));
  for (auto& p : m.ports) read(r, p);
  m.max_sessions = r.u32();
  m.max_transcoded_sessions = r.u32();
}

void write(Writer& w, const Result& m) {
  w.u16(static_cast<uint16_t>(m.status));
  w.string(m.detail);
}
void read(Reader& r, Result& m) {
  const uint16_t status = r.u16();
  if (status > static_cast<uint16_t>(Status::kConflict)) r.fail(DecodeError::kBadField);
  m.status = static_cast<Status>(status);
  m.detail = r.string();
}

// Whether SRTP master keys go on the wire: in a SessionAdd (to the dataplane) yes; in a DumpReply
// (out of it) never, only the suite and the other parameters.
enum class Keys : bool { kOmit, kCarry };

bool valid_suite(uint8_t suite) {
  return suite >= static_cast<uint8_t>(SrtpSuite::kAesCm128HmacSha1_80) &&
         suite <= static_cast<uint8_t>(SrtpSuite::kAeadAes256Gcm);
}
bool valid_replay_window(uint32_t window) {
  return window == 0 || (window >= kMinSrtpReplayWindow && window <= kMaxSrtpReplayWindow);
}

void write(Writer& w, const SrtpParams& p, Keys keys) {
  // An empty key in a SessionAdd keeps the key the session has (see SrtpParams).
  const bool key_ok =
      keys == Keys::kOmit || p.key.empty() || p.key.size() == srtp_key_salt_length(p.suite);
  if (!valid_suite(static_cast<uint8_t>(p.suite)) || !key_ok ||
      !valid_replay_window(p.replay_window) || p.ssrc_count > kMaxSrtpSsrcs) {
    w.fail();
    return;
  }
  w.u8(static_cast<uint8_t>(p.suite));
  if (keys == Keys::kCarry) {
    w.u8(static_cast<uint8_t>(p.key.size()));
    w.bytes(p.key.bytes());
  } else {
    w.u8(0);
  }
  w.u32(p.replay_window);
  w.u8(p.ssrc_count);
  for (size_t i = 0; i < p.ssrc_count; ++i) w.u32(p.ssrcs[i]);
}
void read(Reader& r, SrtpParams& p, Keys keys) {
  const uint8_t suite = r.u8();
  const uint8_t key_length = r.u8();
  if (r.failed()) return;
  if (!valid_suite(suite)) {
    r.fail(DecodeError::kBadField);
    return;
  }
  p.suite = static_cast<SrtpSuite>(suite);
  const size_t expected = keys == Keys::kCarry ? srtp_key_salt_length(p.suite) : 0;
  if (key_length != expected && key_length != 0) {
    r.fail(DecodeError::kBadField);
    return;
  }
  std::array<uint8_t, kMaxSrtpKeySaltLength> key{};
  for (size_t i = 0; i < key_length; ++i) key[i] = r.u8();
  if (!r.failed()) p.key = SrtpKey::from_bytes(std::span(key.data(), key_length));
  OPENSSL_cleanse(key.data(), key.size());
  p.replay_window = r.u32();
  p.ssrc_count = r.u8();
  if (r.failed()) return;
  if (!valid_replay_window(p.replay_window) || p.ssrc_count > kMaxSrtpSsrcs) {
    r.fail(DecodeError::kBadField);
    return;
  }
  for (size_t i = 0; i < p.ssrc_count; ++i) p.ssrcs[i] = r.u32();
}

void write(Writer& w, const std::optional<SrtpParams>& p, Keys keys) {
  w.boolean(p.has_value());
  if (p) write(w, *p, keys);
}
void read(Reader& r, std::optional<SrtpParams>& p, Keys keys) {
  if (!r.boolean() || r.failed()) return;
  read(r, p.emplace(), keys);
}

bool valid_codec(uint8_t codec) {
  return codec >= static_cast<uint8_t>(MediaCodec::kPcmu) &&
         codec <= static_cast<uint8_t>(MediaCodec::kG729);
}
bool valid_ptime(uint8_t ptime_ms) {
  return ptime_ms == 10 || ptime_ms == 20 || ptime_ms == 30 || ptime_ms == 40;
}
bool valid_payload_type(std::optional<uint8_t> pt) {
  return !pt || *pt <= 127;
}

void write(Writer& w, std::optional<uint8_t> pt) {
  w.u8(pt.value_or(kNoPayloadType));
}
void read(Reader& r, std::optional<uint8_t>& pt) {
  const uint8_t value = r.u8();
  if (value != kNoPayloadType) pt = value;
}

void write(Writer& w, const std::optional<LegCodec>& c) {
  w.boolean(c.has_value());
  if (!c) return;
  if (!valid_codec(static_cast<uint8_t>(c->codec)) || !valid_payload_type(c->payload_type) ||
      !valid_ptime(c->ptime_ms) || !valid_payload_type(c->cn_payload_type) ||
      !valid_payload_type(c->telephone_event_payload_type)) {
    w.fail();
    return;
  }
  w.u8(static_cast<uint8_t>(c->codec));
  w.u8(c->payload_type);
  w.u8(c->ptime_ms);
  write(w, c->cn_payload_type);
  write(w, c->telephone_event_payload_type);
}
void read(Reader& r, std::optional<LegCodec>& c) {
  if (!r.boolean() || r.failed()) return;
  LegCodec& codec = c.emplace();
  const uint8_t id = r.u8();
  codec.payload_type = r.u8();
  codec.ptime_ms = r.u8();
  read(r, codec.cn_payload_type);
  read(r, codec.telephone_event_payload_type);
  if (r.failed()) return;
  codec.codec = static_cast<MediaCodec>(id);
  if (!valid_codec(id) || !valid_payload_type(codec.payload_type) || !valid_ptime(codec.ptime_ms) ||
      !valid_payload_type(codec.cn_payload_type) ||
      !valid_payload_type(codec.telephone_event_payload_type)) {
    r.fail(DecodeError::kBadField);
  }
}

void write(Writer& w, const LegSpec& l, Keys keys) {
  w.u8(l.port);
  w.address(l.local);
  w.u16(l.local_rtp_port);
  w.address(l.remote);
  w.u16(l.remote_rtp_port);
  w.u16(l.remote_rtcp_port);
  w.address(l.signalling_source);
  write(w, l.srtp_in, keys);
  write(w, l.srtp_out, keys);
  write(w, l.codec);
  w.u8(l.forward_rtp ? 1 : 0);
}
void read(Reader& r, LegSpec& l, Keys keys) {
  l.port = r.u8();
  l.local = r.address();
  l.local_rtp_port = r.u16();
  l.remote = r.address();
  l.remote_rtp_port = r.u16();
  l.remote_rtcp_port = r.u16();
  l.signalling_source = r.address();
  read(r, l.srtp_in, keys);
  read(r, l.srtp_out, keys);
  read(r, l.codec);
  const uint8_t forward = r.u8();
  if (forward > 1) r.fail(DecodeError::kBadField);
  l.forward_rtp = forward == 1;
}

void write(Writer& w, const SessionAdd& m, Keys keys = Keys::kCarry) {
  w.u64(m.session_id);
  w.u32(m.media_timeout_ms);
  w.u32(m.latch_window_ms);
  for (const auto& l : m.legs) write(w, l, keys);
  w.u32(m.max_packet_rate);
}
void read(Reader& r, SessionAdd& m, Keys keys = Keys::kCarry) {
  m.session_id = r.u64();
  m.media_timeout_ms = r.u32();
  m.latch_window_ms = r.u32();
  for (auto& l : m.legs) read(r, l, keys);
  m.max_packet_rate = r.u32();
}

void write(Writer& w, const SessionDelete& m) {
  w.u64(m.session_id);
}
void read(Reader& r, SessionDelete& m) {
  m.session_id = r.u64();
}

void write(Writer& w, const StatsQuery& m) {
  w.u64(m.session_id);
}
void read(Reader& r, StatsQuery& m) {
  m.session_id = r.u64();
}

void write(Writer& w, const MediaQuality& q) {
  w.u64(q.expected);
  w.u64(static_cast<uint64_t>(q.lost));
  w.u32(q.jitter);
  w.u32(q.clock_hz);
  w.u32(q.reports);
  w.u8(q.peer_fraction_lost);
  w.u32(static_cast<uint32_t>(q.peer_lost));
  w.u32(q.peer_jitter);
  w.u32(q.rtt_us);
  w.u32(q.rtcp_malformed);
}
void read(Reader& r, MediaQuality& q) {
  q.expected = r.u64();
  q.lost = static_cast<int64_t>(r.u64());
  q.jitter = r.u32();
  q.clock_hz = r.u32();
  q.reports = r.u32();
  q.peer_fraction_lost = r.u8();
  q.peer_lost = static_cast<int32_t>(r.u32());
  q.peer_jitter = r.u32();
  q.rtt_us = r.u32();
  q.rtcp_malformed = r.u32();
}
constexpr size_t kMediaQualitySize = 8 * 2 + 4 * 3 + 1 + 4 * 4;

void write(Writer& w, const StreamStats& s) {
  w.u64(s.packets);
  w.u64(s.bytes);
  w.u64(s.dropped);
  w.u32(s.idle_ms);
  w.address(s.latched);
  w.u16(s.latched_port);
  w.u64(s.srtp_auth_failed);
  w.u64(s.srtp_replayed);
  w.u64(s.srtp_malformed);
  w.u64(s.srtp_ssrc_limit);
  w.u64(s.srtp_failed);
  write(w, s.quality);
}
void read(Reader& r, StreamStats& s) {
  s.packets = r.u64();
  s.bytes = r.u64();
  s.dropped = r.u64();
  s.idle_ms = r.u32();
  s.latched = r.address();
  s.latched_port = r.u16();
  s.srtp_auth_failed = r.u64();
  s.srtp_replayed = r.u64();
  s.srtp_malformed = r.u64();
  s.srtp_ssrc_limit = r.u64();
  s.srtp_failed = r.u64();
  read(r, s.quality);
}
constexpr size_t kStreamStatsSize = 8 * 3 + 4 + kAddressSize + 2 + 8 * 5 + kMediaQualitySize;

void write(Writer& w, const LegStats& l) {
  write(w, l.rtp);
  write(w, l.rtcp);
}
void read(Reader& r, LegStats& l) {
  read(r, l.rtp);
  read(r, l.rtcp);
}

void write(Writer& w, const PortStats& p) {
  w.u8(p.index);
  w.string(p.name);
  for (uint64_t v : {p.rx_packets, p.rx_bytes, p.tx_packets, p.tx_bytes, p.rx_missed,
                     p.media_packets, p.to_kernel, p.from_kernel}) {
    w.u64(v);
  }
}
void read(Reader& r, PortStats& p) {
  p.index = r.u8();
  p.name = r.string();
  for (uint64_t* v : {&p.rx_packets, &p.rx_bytes, &p.tx_packets, &p.tx_bytes, &p.rx_missed,
                      &p.media_packets, &p.to_kernel, &p.from_kernel}) {
    *v = r.u64();
  }
}

void write(Writer& w, const Counter& c) {
  w.string(c.name);
  w.u64(c.value);
}
void read(Reader& r, Counter& c) {
  c.name = r.string();
  c.value = r.u64();
}

void write(Writer& w, const StatsReply& m) {
  w.u64(m.session_id);
  w.u32(m.active_sessions);
  w.count(m.ports.size());
  for (const auto& p : m.ports) write(w, p);
  w.count(m.drops.size());
  for (const auto& c : m.drops) write(w, c);
  w.count(m.events.size());
  for (const auto& c : m.events) write(w, c);
  w.count(m.legs.size());
  for (const auto& l : m.legs) write(w, l);
  w.u32(m.banned_sources);
  w.u32(m.trusted_sources);
  w.u32(m.transcoded_sessions);
}
void read(Reader& r, StatsReply& m) {
  m.session_id = r.u64();
  m.active_sessions = r.u32();
  m.ports.resize(r.count(1 + 2 + 8 * 8));
  for (auto& p : m.ports) read(r, p);
  m.drops.resize(r.count(2 + 8));
  for (auto& c : m.drops) read(r, c);
  m.events.resize(r.count(2 + 8));
  for (auto& c : m.events) read(r, c);
  m.legs.resize(r.count(2 * kStreamStatsSize));
  for (auto& l : m.legs) read(r, l);
  m.banned_sources = r.u32();
  m.trusted_sources = r.u32();
  m.transcoded_sessions = r.u32();
}

void write(Writer& w, const DumpQuery& m) {
  w.u64(m.cursor);
  w.u32(m.max_entries);
}
void read(Reader& r, DumpQuery& m) {
  m.cursor = r.u64();
  m.max_entries = r.u32();
  if (m.max_entries == 0 || m.max_entries > kMaxDumpEntries) r.fail(DecodeError::kBadField);
}

void write(Writer& w, const DumpReply& m) {
  w.count(m.sessions.size());
  for (const auto& s : m.sessions) {
    write(w, s.spec, Keys::kOmit);
    for (const auto& l : s.stats) write(w, l);
  }
  w.u64(m.next_cursor);
}
void read(Reader& r, DumpReply& m) {
  constexpr size_t kLegSpecSize = 1 + kAddressSize * 3 + 2 * 3 + 3 + 1;
  m.sessions.resize(r.count(8 + 4 + 4 + 2 * kLegSpecSize + 4 + 4 * kStreamStatsSize));
  for (auto& s : m.sessions) {
    read(r, s.spec, Keys::kOmit);
    for (auto& l : s.stats) read(r, l);
  }
  m.next_cursor = r.u64();
}

void write(Writer& w, const MediaTimeoutEvent& m) {
  w.u64(m.session_id);
  w.u32(m.idle_ms);
}
void read(Reader& r, MediaTimeoutEvent& m) {
  m.session_id = r.u64();
  m.idle_ms = r.u32();
}

// Source addresses name one host: an unset address is refused both ways.
bool valid_source(const Address& a) {
  return a.family == AddressFamily::kIpv4 || a.family == AddressFamily::kIpv6;
}
bool valid_class(uint8_t cls) {
  return cls == static_cast<uint8_t>(SourceClass::kBanned) ||
         cls == static_cast<uint8_t>(SourceClass::kTrusted);
}
bool valid_range(uint16_t port_min, uint16_t port_max) {
  return port_min == 0 || port_min <= port_max;
}

void write(Writer& w, const SourceAdd& m) {
  if (!valid_source(m.address) || !valid_class(static_cast<uint8_t>(m.cls))) w.fail();
  w.address(m.address);
  w.u8(static_cast<uint8_t>(m.cls));
  w.u32(m.duration_ms);
}
void read(Reader& r, SourceAdd& m) {
  m.address = r.address();
  const uint8_t cls = r.u8();
  m.duration_ms = r.u32();
  if (r.failed()) return;
  if (!valid_source(m.address) || !valid_class(cls)) r.fail(DecodeError::kBadField);
  m.cls = static_cast<SourceClass>(cls);
}

void write(Writer& w, const SourceDelete& m) {
  if (!valid_source(m.address)) w.fail();
  w.address(m.address);
}
void read(Reader& r, SourceDelete& m) {
  m.address = r.address();
  if (!r.failed() && !valid_source(m.address)) r.fail(DecodeError::kBadField);
}

void write(Writer&, const SourceFlush&) {}
void read(Reader&, SourceFlush&) {}

void write(Writer& w, const MediaPortsSet& m) {
  if (!valid_range(m.port_min, m.port_max)) w.fail();
  w.u16(m.port_min);
  w.u16(m.port_max);
}
void read(Reader& r, MediaPortsSet& m) {
  m.port_min = r.u16();
  m.port_max = r.u16();
  if (!r.failed() && !valid_range(m.port_min, m.port_max)) r.fail(DecodeError::kBadField);
}

// Message type <-> variant alternative, in one place.
template <typename T>
constexpr MessageType type_for();
template <>
constexpr MessageType type_for<Hello>() {
  return MessageType::kHello;
}
template <>
constexpr MessageType type_for<HelloReply>() {
  return MessageType::kHelloReply;
}
template <>
constexpr MessageType type_for<Result>() {
  return MessageType::kResult;
}
template <>
constexpr MessageType type_for<SessionAdd>() {
  return MessageType::kSessionAdd;
}
template <>
constexpr MessageType type_for<SessionDelete>() {
  return MessageType::kSessionDelete;
}
template <>
constexpr MessageType type_for<StatsQuery>() {
  return MessageType::kStatsQuery;
}
template <>
constexpr MessageType type_for<StatsReply>() {
  return MessageType::kStatsReply;
}
template <>
constexpr MessageType type_for<DumpQuery>() {
  return MessageType::kDumpQuery;
}
template <>
constexpr MessageType type_for<DumpReply>() {
  return MessageType::kDumpReply;
}
template <>
constexpr MessageType type_for<MediaTimeoutEvent>() {
  return MessageType::kMediaTimeoutEvent;
}

template <>
constexpr MessageType type_for<SourceAdd>() {
  return MessageType::kSourceAdd;
}
template <>
constexpr MessageType type_for<SourceDelete>() {
  return MessageType::kSourceDelete;
}
template <>
constexpr MessageType type_for<SourceFlush>() {
  return MessageType::kSourceFlush;
}
template <>
constexpr MessageType type_for<MediaPortsSet>() {
  return MessageType::kMediaPortsSet;
}

template <>
constexpr MessageType type_for<Batch>() {
  return MessageType::kBatch;
}
template <>
constexpr MessageType type_for<BatchReply>() {
  return MessageType::kBatchReply;
}

// Batch items: u16 type + body; the types are the four single-item requests a Batch may carry.
void write(Writer& w, const BatchItem& item) {
  std::visit(
      [&w](const auto& m) {
        w.u16(static_cast<uint16_t>(type_for<std::decay_t<decltype(m)>>()));
        write(w, m);
      },
      item);
}
void read(Reader& r, BatchItem& item) {
  switch (static_cast<MessageType>(r.u16())) {
    case MessageType::kSessionAdd: item.emplace<SessionAdd>(); break;
    case MessageType::kSessionDelete: item.emplace<SessionDelete>(); break;
    case MessageType::kSourceAdd: item.emplace<SourceAdd>(); break;
    case MessageType::kSourceDelete: item.emplace<SourceDelete>(); break;
    default: r.fail(DecodeError::kBadField); return;
  }
  std::visit([&r](auto& m) { read(r, m); }, item);
}
constexpr size_t kMinBatchItemSize = 2 + 8;  // type + SessionDelete
constexpr size_t kMinResultSize = 2 + 2;     // status + empty detail

bool valid_batch_count(size_t n) {
  return n >= 1 && n <= kMaxBatchItems;
}

void write(Writer& w, const Batch& m) {
  if (!valid_batch_count(m.items.size())) w.fail();
  w.count(m.items.size());
  for (const auto& item : m.items) write(w, item);
}
void read(Reader& r, Batch& m) {
  const size_t n = r.count(kMinBatchItemSize);
  if (r.failed()) return;
  if (!valid_batch_count(n)) {
    r.fail(DecodeError::kBadField);
    return;
  }
  m.items.resize(n);
  for (auto& item : m.items) {
    read(r, item);
    if (r.failed()) return;
  }
}

void write(Writer& w, const BatchReply& m) {
  if (!valid_batch_count(m.results.size())) w.fail();
  w.count(m.results.size());
  for (const auto& result : m.results) write(w, result);
}
void read(Reader& r, BatchReply& m) {
  const size_t n = r.count(kMinResultSize);
  if (r.failed()) return;
  if (!valid_batch_count(n)) {
    r.fail(DecodeError::kBadField);
    return;
  }
  m.results.resize(n);
  for (auto& result : m.results) {
    read(r, result);
    if (r.failed()) return;
  }
}

template <size_t I = 0>
std::optional<Message> empty_message_of(uint16_t type) {
  if constexpr (I < std::variant_size_v<Message>) {
    using T = std::variant_alternative_t<I, Message>;
    if (static_cast<uint16_t>(type_for<T>()) == type) return Message{std::in_place_index<I>};
    return empty_message_of<I + 1>(type);
  } else {
    return std::nullopt;
  }
}

}  // namespace

Address Address::ipv4(uint32_t host_order) {
  Address a;
  a.family = AddressFamily::kIpv4;
  const uint32_t net = htonl(host_order);
  std::memcpy(a.bytes.data(), &net, 4);
  return a;
}

Address Address::parse(std::string_view text) {
  const std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AddressFamily::kIpv4;
  } else if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AddressFamily::kIpv6;
  } else {
    a = Address{};
  }
  return a;
}

uint32_t Address::ipv4_host_order() const {
  uint32_t net = 0;
  std::memcpy(&net, bytes.data(), 4);
  return ntohl(net);
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (family) {
    case AddressFamily::kIpv4: inet_ntop(AF_INET, bytes.data(), buf, sizeof buf); return buf;
    case AddressFamily::kIpv6: inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf); return buf;
    case AddressFamily::kNone: break;
  }
  return "-";
}

std::string_view to_string(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kNotFound: return "not found";
    case Status::kInvalid: return "invalid";
    case Status::kUnsupported: return "unsupported";
    case Status::kNoResources: return "no resources";
    case Status::kVersionMismatch: return "version mismatch";
    case Status::kConflict: return "conflict";
  }
  return "unknown status";
}

std::string_view to_string(MediaCodec codec) {
  switch (codec) {
    case MediaCodec::kPcmu: return "PCMU";
    case MediaCodec::kPcma: return "PCMA";
    case MediaCodec::kG722: return "G722";
    case MediaCodec::kOpus: return "opus";
    case MediaCodec::kG729: return "G729";
  }
  return "unknown";
}

std::optional<MediaCodec> media_codec_from_name(std::string_view name) {
  constexpr std::array kCodecs = {MediaCodec::kPcmu, MediaCodec::kPcma, MediaCodec::kG722,
                                  MediaCodec::kOpus, MediaCodec::kG729};
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (MediaCodec codec : kCodecs) {
    if (same(name, to_string(codec))) return codec;
  }
  return std::nullopt;
}

uint32_t rtp_clock(MediaCodec codec) {
  return codec == MediaCodec::kOpus ? 48000 : 8000;
}

std::string_view to_string(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80: return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::kAesCm128HmacSha1_32: return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::kAeadAes128Gcm: return "AEAD_AES_128_GCM";
    case SrtpSuite::kAeadAes256Gcm: return "AEAD_AES_256_GCM";
  }
  return "unknown suite";
}

size_t srtp_key_salt_length(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80: return 16 + 14;
    case SrtpSuite::kAesCm128HmacSha1_32: return 16 + 14;
    case SrtpSuite::kAeadAes128Gcm: return 16 + 12;
    case SrtpSuite::kAeadAes256Gcm: return 32 + 12;
  }
  return 0;
}

SrtpKey SrtpKey::from_bytes(std::span<const uint8_t> bytes) {
  SrtpKey key;
  if (bytes.size() > kMaxSrtpKeySaltLength) return key;
  std::memcpy(key.bytes_.data(), bytes.data(), bytes.size());
  key.size_ = static_cast<uint8_t>(bytes.size());
  return key;
}

SrtpKey::SrtpKey(const SrtpKey& other) : bytes_(other.bytes_), size_(other.size_) {}

SrtpKey& SrtpKey::operator=(const SrtpKey& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
    size_ = other.size_;
  }
  return *this;
}

SrtpKey::~SrtpKey() {
  wipe();
}

void SrtpKey::wipe() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  size_ = 0;
}

bool operator==(const SrtpKey& a, const SrtpKey& b) {
  return a.size_ == b.size_ && CRYPTO_memcmp(a.bytes_.data(), b.bytes_.data(), a.size_) == 0;
}

std::string_view to_string(SourceClass cls) {
  switch (cls) {
    case SourceClass::kBanned: return "banned";
    case SourceClass::kTrusted: return "trusted";
  }
  return "unknown class";
}

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::kHello: return "Hello";
    case MessageType::kHelloReply: return "HelloReply";
    case MessageType::kResult: return "Result";
    case MessageType::kSessionAdd: return "SessionAdd";
    case MessageType::kSessionDelete: return "SessionDelete";
    case MessageType::kStatsQuery: return "StatsQuery";
    case MessageType::kStatsReply: return "StatsReply";
    case MessageType::kDumpQuery: return "DumpQuery";
    case MessageType::kDumpReply: return "DumpReply";
    case MessageType::kMediaTimeoutEvent: return "MediaTimeoutEvent";
    case MessageType::kSourceAdd: return "SourceAdd";
    case MessageType::kSourceDelete: return "SourceDelete";
    case MessageType::kSourceFlush: return "SourceFlush";
    case MessageType::kMediaPortsSet: return "MediaPortsSet";
    case MessageType::kBatch: return "Batch";
    case MessageType::kBatchReply: return "BatchReply";
  }
  return "unknown type";
}

std::string_view to_string(DecodeError error) {
  switch (error) {
    case DecodeError::kTruncated: return "truncated";
    case DecodeError::kBadLength: return "length field does not match packet";
    case DecodeError::kTooLarge: return "message too large";
    case DecodeError::kWrongVersion: return "wrong protocol version";
    case DecodeError::kUnknownType: return "unknown message type";
    case DecodeError::kBadField: return "field out of range";
    case DecodeError::kTrailingBytes: return "trailing bytes after message";
  }
  return "unknown decode error";
}

std::string_view to_string(EncodeError error) {
  switch (error) {
    case EncodeError::kTooLarge: return "message too large";
    case EncodeError::kBadField: return "string or list too long, or a field out of range";
  }
  return "unknown encode error";
}

size_t batch_item_size(const BatchItem& item) {
  Writer w;
  write(w, item);
  return w.size();
}

std::optional<BatchItem> to_batch_item(const Message& message) {
  if (const auto* m = std::get_if<SessionAdd>(&message)) return BatchItem{*m};
  if (const auto* m = std::get_if<SessionDelete>(&message)) return BatchItem{*m};
  if (const auto* m = std::get_if<SourceAdd>(&message)) return BatchItem{*m};
  if (const auto* m = std::get_if<SourceDelete>(&message)) return BatchItem{*m};
  return std::nullopt;
}

Message to_message(const BatchItem& item) {
  return std::visit([](const auto& m) { return Message{m}; }, item);
}

MessageType type_of(const Message& message) {
  return std::visit([](const auto& m) { return type_for<std::decay_t<decltype(m)>>(); }, message);
}

std::expected<std::vector<uint8_t>, EncodeError> encode(uint32_t request_id,
                                                        const Message& message) {
  Writer w;
  w.u16(kProtocolVersion);
  w.u16(static_cast<uint16_t>(type_of(message)));
  w.u32(request_id);
  w.u32(0);  // length, patched below
  w.u32(0);  // reserved
  std::visit([&w](const auto& m) { write(w, m); }, message);
  if (!w.ok()) return std::unexpected(EncodeError::kBadField);
  if (w.size() > kMaxMessageSize) return std::unexpected(EncodeError::kTooLarge);
  w.patch_u32(8, static_cast<uint32_t>(w.size()));
  return w.take();
}

std::expected<Envelope, DecodeError> decode(std::span<const uint8_t> packet) {
  if (packet.size() > kMaxMessageSize) return std::unexpected(DecodeError::kTooLarge);
  Reader r(packet);
  const uint16_t version = r.u16();
  const uint16_t type = r.u16();
  const uint32_t request_id = r.u32();
  const uint32_t length = r.u32();
  const uint32_t reserved = r.u32();
  if (r.failed()) return std::unexpected(DecodeError::kTruncated);
  if (version != kProtocolVersion) return std::unexpected(DecodeError::kWrongVersion);
  if (length != packet.size()) return std::unexpected(DecodeError::kBadLength);
  if (reserved != 0) return std::unexpected(DecodeError::kBadField);

  std::optional<Message> message = empty_message_of(type);
  if (!message) return std::unexpected(DecodeError::kUnknownType);
  std::visit([&r](auto& m) { read(r, m); }, *message);
  if (r.failed()) return std::unexpected(*r.error());
  if (r.remaining() != 0) return std::unexpected(DecodeError::kTrailingBytes);
  return Envelope{request_id, std::move(*message)};
}

}  // namespace sbc::api
