#include "controlplane/sip/sdp.h"

#include <array>

#include "controlplane/sip/params.h"
#include "controlplane/sip/sdp_lines.h"

namespace sbc::cp::sip {
namespace {

using sdp_detail::next_field;
using sdp_detail::next_line;
using sdp_detail::SdpLine;

bool valid_line(const SdpLine& line) {
  if (line.type < 'a' || line.type > 'z') return false;
  for (char c : line.content) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::optional<uint16_t> to_port(std::string_view text) {
  const auto v = parse_decimal(text, 5);
  if (!v || *v > 65535) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::optional<uint8_t> to_payload_type(std::string_view text) {
  const auto v = parse_decimal(text, 3);
  if (!v || *v > 127) return std::nullopt;
  return static_cast<uint8_t>(*v);
}

std::expected<SdpConnection, SdpError> parse_connection(std::string_view value) {
  SdpConnection c;
  c.net_type = next_field(value);
  c.addr_type = next_field(value);
  std::string_view address = next_field(value);
  if (c.net_type.empty() || c.addr_type.empty() || address.empty() || !next_field(value).empty()) {
    return std::unexpected(SdpError::kBadConnection);
  }
  c.address = address.substr(0, address.find('/'));  // drop multicast "/ttl[/count]"
  if (c.address.empty()) return std::unexpected(SdpError::kBadConnection);
  return c;
}

std::expected<SdpOrigin, SdpError> parse_origin(std::string_view value) {
  SdpOrigin o;
  o.username = next_field(value);
  o.session_id = next_field(value);
  const std::string_view version = next_field(value);
  o.net_type = next_field(value);
  o.addr_type = next_field(value);
  o.address = next_field(value);
  const auto v = parse_decimal(version, 19);
  if (o.address.empty() || !v || !next_field(value).empty()) {
    return std::unexpected(SdpError::kBadOrigin);
  }
  o.session_version = *v;
  return o;
}

std::expected<SdpMedia, SdpError> parse_media(std::string_view value) {
  SdpMedia m;
  m.type = next_field(value);
  const std::string_view port = next_field(value);
  m.proto = next_field(value);
  if (m.type.empty() || m.proto.empty()) return std::unexpected(SdpError::kBadMedia);
  const size_t slash = port.find('/');
  const auto p = to_port(port.substr(0, slash));
  if (!p) return std::unexpected(SdpError::kBadMedia);
  m.port = *p;
  if (slash != std::string_view::npos) {
    m.port_count = to_port(port.substr(slash + 1));
    if (!m.port_count) return std::unexpected(SdpError::kBadMedia);
  }
  for (std::string_view f = next_field(value); !f.empty(); f = next_field(value)) {
    m.formats.push_back(f);
  }
  if (m.formats.empty()) return std::unexpected(SdpError::kBadMedia);
  return m;
}

std::optional<MediaDirection> direction_of(std::string_view name) {
  if (name == "sendrecv") return MediaDirection::kSendRecv;
  if (name == "sendonly") return MediaDirection::kSendOnly;
  if (name == "recvonly") return MediaDirection::kRecvOnly;
  if (name == "inactive") return MediaDirection::kInactive;
  return std::nullopt;
}

// Interprets the media attributes this layer understands; others are only kept.
std::expected<void, SdpError> apply_media_attribute(SdpMedia& m, const SdpAttribute& a) {
  if (a.name == "rtpmap") {
    std::string_view v = a.value;
    const auto pt = to_payload_type(next_field(v));
    const std::string_view enc = next_field(v);
    const size_t s1 = enc.find('/');
    if (!pt || s1 == 0 || s1 == std::string_view::npos)
      return std::unexpected(SdpError::kBadRtpmap);
    const std::string_view rest = enc.substr(s1 + 1);
    const size_t s2 = rest.find('/');
    const auto rate = parse_decimal(rest.substr(0, s2), 9);
    if (!rate) return std::unexpected(SdpError::kBadRtpmap);
    RtpMap map{*pt, enc.substr(0, s1), static_cast<uint32_t>(*rate),
               s2 == std::string_view::npos ? std::string_view{} : rest.substr(s2 + 1)};
    m.rtpmaps.push_back(map);
  } else if (a.name == "fmtp") {
    const size_t sp = a.value.find(' ');
    const auto pt = to_payload_type(a.value.substr(0, sp));
    if (!pt) return std::unexpected(SdpError::kBadAttribute);
    m.fmtps.push_back({*pt, sp == std::string_view::npos ? std::string_view{}
                                                         : trim_lws(a.value.substr(sp + 1))});
  } else if (a.name == "ptime") {
    // Some agents write "20.0"; the integral part is what matters for packetisation.
    const std::string_view v = a.value.substr(0, a.value.find('.'));
    const auto ptime = parse_decimal(v, 5);
    if (!ptime) return std::unexpected(SdpError::kBadAttribute);
    m.ptime = static_cast<uint32_t>(*ptime);
  } else if (a.name == "rtcp") {
    std::string_view v = a.value;
    m.rtcp_port = to_port(next_field(v));
    if (!m.rtcp_port) return std::unexpected(SdpError::kBadAttribute);
  } else if (a.name == "rtcp-mux") {
    m.rtcp_mux = true;
  } else if (auto d = direction_of(a.name); d && !a.has_value) {
    m.direction = d;
  }
  return {};
}

SdpAttribute parse_attribute(std::string_view value) {
  const size_t colon = value.find(':');
  if (colon == std::string_view::npos) return {value, {}, false};
  return {value.substr(0, colon), value.substr(colon + 1), true};
}

struct StaticPayload {
  uint8_t pt;
  std::string_view name;
};

// RFC 3551 §6 static audio/video payload types.
constexpr std::array<StaticPayload, 23> kStaticPayloads{{
    {0, "PCMU"},  {3, "GSM"},   {4, "G723"},  {5, "DVI4"},  {6, "DVI4"},   {7, "LPC"},
    {8, "PCMA"},  {9, "G722"},  {10, "L16"},  {11, "L16"},  {12, "QCELP"}, {13, "CN"},
    {14, "MPA"},  {15, "G728"}, {16, "DVI4"}, {17, "DVI4"}, {18, "G729"},  {25, "CelB"},
    {26, "JPEG"}, {28, "nv"},   {31, "H261"}, {32, "MPV"},  {34, "H263"},
}};

// The session description being read, and which mandatory lines have been seen.
struct SdpReader {
  SessionDescription sdp;
  bool seen_version = false;
  bool seen_origin = false;
  bool seen_name = false;
  bool seen_time = false;

  // One well-formed line: "v=0" must come first; the others apply to the session or to the
  // last m= section.
  std::expected<void, SdpError> read_line(const SdpLine& line) {
    if (!seen_version) return read_version(line);
    SdpMedia* media = sdp.media.empty() ? nullptr : &sdp.media.back();
    switch (line.type) {
      case 'v': return std::unexpected(SdpError::kBadVersion);
      case 'o': return read_origin(line.value, media);
      case 's':
        if (media == nullptr) {
          sdp.session_name = line.value;
          seen_name = true;
        }
        return {};
      case 't': seen_time = true; return {};
      case 'c': return read_connection(line.value, media);
      case 'm': return read_media(line.value);
      case 'a': return read_attribute(line.value, media);
      default: return {};  // i= u= e= p= b= r= z= k= and unknown types are kept untouched
    }
  }

  std::expected<void, SdpError> read_version(const SdpLine& line) {
    if (line.type != 'v') return std::unexpected(SdpError::kMissingVersion);
    if (line.value != "0") return std::unexpected(SdpError::kBadVersion);
    seen_version = true;
    return {};
  }

  std::expected<void, SdpError> read_origin(std::string_view value, const SdpMedia* media) {
    if (seen_origin || media != nullptr) return std::unexpected(SdpError::kBadOrigin);
    auto o = parse_origin(value);
    if (!o) return std::unexpected(o.error());
    sdp.origin = *o;
    seen_origin = true;
    return {};
  }

  std::expected<void, SdpError> read_connection(std::string_view value, SdpMedia* media) {
    auto c = parse_connection(value);
    if (!c) return std::unexpected(c.error());
    (media != nullptr ? media->connection : sdp.connection) = *c;
    return {};
  }

  std::expected<void, SdpError> read_media(std::string_view value) {
    if (sdp.media.size() >= kMaxSdpMedia) return std::unexpected(SdpError::kTooManyMedia);
    auto m = parse_media(value);
    if (!m) return std::unexpected(m.error());
    sdp.media.push_back(std::move(*m));
    return {};
  }

  std::expected<void, SdpError> read_attribute(std::string_view value, SdpMedia* media) {
    const SdpAttribute a = parse_attribute(value);
    if (a.name.empty()) return std::unexpected(SdpError::kBadAttribute);
    if (media != nullptr) {
      media->attributes.push_back(a);
      return apply_media_attribute(*media, a);
    }
    sdp.attributes.push_back(a);
    if (auto d = direction_of(a.name); d && !a.has_value) sdp.direction = d;
    return {};
  }

  // After the last line: the mandatory lines, and a connection for every active stream.
  std::expected<void, SdpError> check_complete() const {
    if (!seen_version) return std::unexpected(SdpError::kEmpty);
    if (!seen_origin) return std::unexpected(SdpError::kMissingOrigin);
    if (!seen_name) return std::unexpected(SdpError::kMissingSessionName);
    if (!seen_time) return std::unexpected(SdpError::kMissingTime);
    for (size_t i = 0; i < sdp.media.size(); ++i) {
      if (sdp.media[i].port != 0 && sdp.media_connection(i) == nullptr) {
        return std::unexpected(SdpError::kMissingConnection);
      }
    }
    return {};
  }
};

}  // namespace

std::string_view to_string(SdpError error) {
  switch (error) {
    case SdpError::kEmpty: return "empty";
    case SdpError::kTooLarge: return "too_large";
    case SdpError::kTooManyLines: return "too_many_lines";
    case SdpError::kTooManyMedia: return "too_many_media";
    case SdpError::kBadLine: return "bad_line";
    case SdpError::kMissingVersion: return "missing_version";
    case SdpError::kBadVersion: return "bad_version";
    case SdpError::kMissingOrigin: return "missing_origin";
    case SdpError::kBadOrigin: return "bad_origin";
    case SdpError::kMissingSessionName: return "missing_session_name";
    case SdpError::kBadConnection: return "bad_connection";
    case SdpError::kMissingConnection: return "missing_connection";
    case SdpError::kBadMedia: return "bad_media";
    case SdpError::kBadRtpmap: return "bad_rtpmap";
    case SdpError::kBadAttribute: return "bad_attribute";
    case SdpError::kMissingTime: return "missing_time";
    case SdpError::kRewriteMismatch: return "rewrite_mismatch";
  }
  return "unknown";
}

std::vector<uint8_t> SdpMedia::payload_types() const {
  std::vector<uint8_t> out;
  for (std::string_view f : formats) {
    if (auto pt = to_payload_type(f); pt) out.push_back(*pt);
  }
  return out;
}

const RtpMap* SdpMedia::rtpmap(uint8_t payload_type) const {
  for (const auto& m : rtpmaps) {
    if (m.payload_type == payload_type) return &m;
  }
  return nullptr;
}

std::string_view SdpMedia::codec_name(uint8_t payload_type) const {
  if (const RtpMap* m = rtpmap(payload_type); m != nullptr) return m->encoding;
  for (const auto& s : kStaticPayloads) {
    if (s.pt == payload_type) return s.name;
  }
  return {};
}

const SdpConnection* SessionDescription::media_connection(size_t index) const {
  if (index >= media.size()) return nullptr;
  if (media[index].connection) return &*media[index].connection;
  return connection ? &*connection : nullptr;
}

MediaDirection SessionDescription::media_direction(size_t index) const {
  if (index < media.size() && media[index].direction) return *media[index].direction;
  return direction.value_or(MediaDirection::kSendRecv);
}

std::expected<SessionDescription, SdpError> parse_sdp(std::string_view text) {
  if (text.empty()) return std::unexpected(SdpError::kEmpty);
  if (text.size() > kMaxSdpSize) return std::unexpected(SdpError::kTooLarge);
  SdpReader reader;
  size_t lines = 0;
  size_t pos = 0;
  SdpLine line;
  while (next_line(text, pos, line)) {
    if (line.content.empty()) continue;  // tolerate blank lines (e.g. a trailing CRLF)
    if (++lines > kMaxSdpLines) return std::unexpected(SdpError::kTooManyLines);
    if (!valid_line(line)) return std::unexpected(SdpError::kBadLine);
    if (auto ok = reader.read_line(line); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = reader.check_complete(); !ok) return std::unexpected(ok.error());
  return std::move(reader.sdp);
}

std::optional<MediaEndpoint> first_audio_endpoint(const SessionDescription& sdp) {
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    const SdpMedia& m = sdp.media[i];
    if (m.type != "audio" || m.port == 0) continue;
    const SdpConnection* c = sdp.media_connection(i);
    if (c == nullptr) continue;
    return MediaEndpoint{i, c->address, m.port};
  }
  return std::nullopt;
}

}  // namespace sbc::cp::sip
