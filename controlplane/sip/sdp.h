// SDP (RFC 8866 / 4566) session descriptions: parse into views, and rewrite for media anchoring.
// The parsed structs hold views into the text given to parse_sdp(); keep that text alive.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::cp::sip {

enum class SdpError : uint8_t {
  kEmpty,
  kTooLarge,        // > kMaxSdpSize bytes
  kTooManyLines,    // > kMaxSdpLines
  kTooManyMedia,    // > kMaxSdpMedia m= lines
  kBadLine,         // not "<letter>=<value>", or a control character in it
  kMissingVersion,  // first line is not v=0
  kBadVersion,
  kMissingOrigin,
  kBadOrigin,
  kMissingSessionName,
  kBadConnection,
  kMissingConnection,  // a media stream has no c= at either level
  kBadMedia,           // malformed m= line (port, proto, formats)
  kBadRtpmap,
  kBadAttribute,  // malformed a=ptime / a=rtcp / a=fmtp
  kMissingTime,
  kRewriteMismatch,  // rewrite spec does not have one entry per m= line
};

[[nodiscard]] std::string_view to_string(SdpError error);

inline constexpr size_t kMaxSdpSize = 16 * 1024;
inline constexpr size_t kMaxSdpLines = 512;
inline constexpr size_t kMaxSdpMedia = 16;

enum class MediaDirection : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };

struct SdpConnection {
  std::string_view net_type;   // "IN"
  std::string_view addr_type;  // "IP4" / "IP6"
  std::string_view address;    // without "/ttl" or "/count"
};

struct SdpOrigin {
  std::string_view username;
  std::string_view session_id;
  uint64_t session_version = 0;
  std::string_view net_type;
  std::string_view addr_type;
  std::string_view address;
};

struct SdpAttribute {
  std::string_view name;   // "rtpmap"
  std::string_view value;  // "0 PCMU/8000"; empty for property attributes ("sendrecv")
  bool has_value = false;
};

struct RtpMap {
  uint8_t payload_type = 0;
  std::string_view encoding;  // "PCMU", "opus", "telephone-event" (as written)
  uint32_t clock_rate = 0;
  std::string_view parameters;  // channels for audio, "" if absent
};

struct Fmtp {
  uint8_t payload_type = 0;
  std::string_view parameters;  // "0-16"
};

struct SdpMedia {
  std::string_view type;  // "audio", "video", "image", ...
  uint16_t port = 0;      // 0 = rejected / disabled stream
  std::optional<uint16_t> port_count;
  std::string_view proto;  // "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", "udptl"
  std::vector<std::string_view> formats;
  std::optional<SdpConnection> connection;  // media-level c=
  std::vector<SdpAttribute> attributes;
  std::vector<RtpMap> rtpmaps;
  std::vector<Fmtp> fmtps;
  std::optional<uint32_t> ptime;
  std::optional<MediaDirection> direction;  // media-level direction attribute, if any
  std::optional<uint16_t> rtcp_port;        // a=rtcp:PORT
  bool rtcp_mux = false;

  // Numeric formats of an RTP profile (payload types), in m= order; non-numeric formats skipped.
  [[nodiscard]] std::vector<uint8_t> payload_types() const;
  // The rtpmap of a payload type; nullptr when none (static types may have none).
  [[nodiscard]] const RtpMap* rtpmap(uint8_t payload_type) const;
  // Codec name of a payload type: the rtpmap encoding, or the RFC 3551 static name (PCMU, GSM,
  // G723, PCMA, G722, G729, ...); "" when unknown.
  [[nodiscard]] std::string_view codec_name(uint8_t payload_type) const;
};

struct SessionDescription {
  SdpOrigin origin;
  std::string_view session_name;
  std::optional<SdpConnection> connection;  // session-level c=
  std::vector<SdpAttribute> attributes;     // session-level a=
  std::optional<MediaDirection> direction;  // session-level direction attribute, if any
  std::vector<SdpMedia> media;

  // Effective connection of media i (media-level c=, else session-level); nullptr when none.
  [[nodiscard]] const SdpConnection* media_connection(size_t index) const;
  // Effective direction of media i (media-level, else session-level, else sendrecv).
  [[nodiscard]] MediaDirection media_direction(size_t index) const;
};

// Connection address and port of one media stream.
struct MediaEndpoint {
  size_t media_index = 0;
  std::string_view address;
  uint16_t port = 0;
};

// Parses a session description (CRLF or bare LF line ends). Validates v=0 first, o= and s=
// present, c= for every media stream with a non-zero port, well-formed m=, c=, a=rtpmap, a=fmtp,
// a=ptime, a=rtcp. Unknown line types and attributes are accepted and kept.
[[nodiscard]] std::expected<SessionDescription, SdpError> parse_sdp(std::string_view text);

// The first audio stream with a non-zero port: its effective address and port.
[[nodiscard]] std::optional<MediaEndpoint> first_audio_endpoint(const SessionDescription& sdp);

// Media anchoring rewrite. One MediaRewrite per m= line, in order.
struct MediaRewrite {
  uint16_t port = 0;                  // new m= port (ignored when the original port is 0)
  std::optional<uint16_t> rtcp_port;  // set: a=rtcp becomes "PORT IN <type> <address>"; unset:
                                      // a=rtcp lines are removed (RTCP then implicitly port+1)
  std::optional<std::string> proto;   // set: the m= line's transport protocol ("RTP/SAVP")
  // Set: the stream's a=crypto lines (RFC 4568) are replaced by these values ("1 AES_CM_... ");
  // an empty vector removes them. They carry keys: the rewritten body goes to its peer only.
  std::optional<std::vector<std::string>> crypto;
  // Set: the m= line's formats become these ("0", "8", "101") and the stream's a=rtpmap and
  // a=fmtp lines are replaced by `format_attributes` (values such as "rtpmap:0 PCMU/8000"), at
  // the end of its section: codec negotiation (controlplane/media/codec_negotiation.h).
  std::optional<std::vector<std::string>> formats;
  std::vector<std::string> format_attributes;
};

struct SdpRewrite {
  std::string address;            // new connection address (also used in o=)
  std::string addr_type = "IP4";  // "IP4" or "IP6"
  std::vector<MediaRewrite> media;
  // o= handling: when set, replaces the username / session id / version fields (a B2BUA owns
  // its o= line per dialog and increments the version on every changed offer).
  std::optional<std::string> origin_username;
  std::optional<std::string> origin_session_id;
  std::optional<uint64_t> origin_version;
  // Drops what names the peer's software, people or organisation: s= becomes "-", and i=, u=,
  // e=, p= and a=tool lines are removed (a B2BUA's description is its own).
  bool strip_identity = false;
};

// Returns the text with: o= address (and the fields set above) replaced; every c= (session and
// media level) set to "IN <addr_type> <address>"; m= ports replaced (port 0 kept 0); a=rtcp
// replaced or removed; the m= protocol and a=crypto lines replaced where set; ICE lines
// (a=candidate, a=remote-candidates, a=ice-ufrag, a=ice-pwd, a=ice-options, a=ice-lite,
// a=ice-mismatch, a=end-of-candidates) removed; with strip_identity also s=, i=, u=, e=, p= and
// a=tool as described there. Every other byte, line endings included, is preserved. Media-level c=
// are written only where the input had one.
[[nodiscard]] std::expected<std::string, SdpError> rewrite_sdp(std::string_view text,
                                                               const SdpRewrite& rewrite);
// The same from a description already parsed: `sdp` must be parse_sdp(text) (not parsed again).
[[nodiscard]] std::expected<std::string, SdpError> rewrite_sdp(const SessionDescription& sdp,
                                                               std::string_view text,
                                                               const SdpRewrite& rewrite);

}  // namespace sbc::cp::sip
