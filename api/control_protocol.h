// The control protocol between sbcd (client) and sbc-dataplane (server).
//
// One contract for both sides: this header includes no DPDK header and is the only definition of
// the messages. Transport is an AF_UNIX SOCK_SEQPACKET socket, one message per packet.
//
// Wire format: every message starts with a 16-byte header
//     u16 version | u16 type | u32 request_id | u32 length (whole message) | u32 reserved (0)
// followed by the message body. All integers are little endian; strings are u16 length + bytes;
// vectors are u16 count + elements. A request's reply carries the same request_id; events carry 0.
//
// Requests are idempotent by content: SessionAdd with an id that already exists updates that
// session (an "upsert"), SessionDelete of an unknown id answers kNotFound and changes nothing;
// SourceAdd / SourceDelete / SourceFlush / MediaPortsSet likewise. The first message on a
// connection is Hello; the server answers HelloReply (or Result kVersionMismatch and closes).
//
// Bulk programming (a resync after a dataplane restart) goes in Batch messages: up to
// kMaxBatchItems SessionAdd / SessionDelete / SourceAdd / SourceDelete items per message, applied
// in order, answered by one BatchReply holding one Result per item, so one bad item fails only
// itself. Single-item requests stay as they are (call setup sends those).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sbc::api {

// 2: source table (SourceAdd/Delete/Flush), MediaPortsSet, SessionAdd.max_packet_rate,
// StatsReply.banned_sources/trusted_sources. 3: HelloReply.max_sessions. 4: Batch/BatchReply.
// 5: LegSpec.srtp_in / srtp_out (SRTP suite, master key||salt, replay window, SSRCs).
// 6: LegSpec.codec (transcoding), HelloReply.max_transcoded_sessions,
// StatsReply.transcoded_sessions.
inline constexpr uint16_t kProtocolVersion = 7;
inline constexpr size_t kHeaderSize = 16;
// Upper bound of one message, header included. Both sides announce theirs in Hello and use the
// smaller one; nothing may encode a message larger than this.
inline constexpr size_t kMaxMessageSize = 64 * 1024;
inline constexpr size_t kMaxStringLength = 256;
inline constexpr uint32_t kMaxDumpEntries = 128;
// Items of one Batch. A BatchReply of that many status-only Results (4 bytes each) fits in the
// smallest message size a client may announce (4096), whatever the batch held.
inline constexpr size_t kMaxBatchItems = 512;

enum class MessageType : uint16_t {
  kHello = 1,
  kHelloReply = 2,
  kResult = 3,
  kSessionAdd = 4,
  kSessionDelete = 5,
  kStatsQuery = 6,
  kStatsReply = 7,
  kDumpQuery = 8,
  kDumpReply = 9,
  kMediaTimeoutEvent = 10,
  kSourceAdd = 11,
  kSourceDelete = 12,
  kSourceFlush = 13,
  kMediaPortsSet = 14,
  kBatch = 15,
  kBatchReply = 16,
};

enum class AddressFamily : uint8_t { kNone = 0, kIpv4 = 4, kIpv6 = 6 };

// An IP address; IPv4 in the first four bytes, network byte order (as on the wire of a packet).
struct Address {
  AddressFamily family = AddressFamily::kNone;
  std::array<uint8_t, 16> bytes{};

  static Address ipv4(uint32_t host_order);
  // Parses dotted-quad IPv4 or RFC 4291 IPv6 text; kNone on failure.
  static Address parse(std::string_view text);
  [[nodiscard]] uint32_t ipv4_host_order() const;
  [[nodiscard]] bool is_set() const { return family != AddressFamily::kNone; }
  [[nodiscard]] std::string to_string() const;
  bool operator==(const Address&) const = default;
};

enum class Status : uint16_t {
  kOk = 0,
  kNotFound = 1,
  kInvalid = 2,
  kUnsupported = 3,
  kNoResources = 4,
  kVersionMismatch = 5,
  kConflict = 6,
};
std::string_view to_string(Status status);

struct Hello {
  uint16_t version = kProtocolVersion;
  uint32_t max_message_size = kMaxMessageSize;
  std::string peer_name;
  bool operator==(const Hello&) const = default;
};

struct PortInfo {
  uint8_t index = 0;
  std::string name;
  Address address;
  uint8_t prefix_length = 0;
  std::array<uint8_t, 6> mac{};
  bool link_up = false;
  bool operator==(const PortInfo&) const = default;
};

struct HelloReply {
  uint16_t version = kProtocolVersion;
  uint32_t max_message_size = kMaxMessageSize;
  std::string peer_name;
  std::vector<PortInfo> ports;
  // Capacity of the session table ([dataplane] max_sessions): sbcd sizes its call table from it.
  uint32_t max_sessions = 0;
  // Sessions the transcoding lcores can carry at once (0: no transcoding lcore). A SessionAdd
  // that needs transcoding beyond it is refused kNoResources (sbcd answers 503); without any,
  // kUnsupported.
  uint32_t max_transcoded_sessions = 0;
  bool operator==(const HelloReply&) const = default;
};

struct Result {
  Status status = Status::kOk;
  std::string detail;
  bool operator==(const Result&) const = default;
};

// The SRTP crypto suites (RFC 4568 SDES names; RFC 7714 for GCM). These values are the wire
// encoding. dataplane/media/srtp_suite.h (dp::SrtpSuite) and controlplane/sip/sdp_crypto.h
// (sip::SdesSuite) map to and from it by SDES name: dp::srtp_suite_from_name(to_string(suite)),
// sip::sdes_suite_from_name(...); tests/unit/api/srtp_suite_mapping_test.cc checks the mapping.
enum class SrtpSuite : uint8_t {
  kAesCm128HmacSha1_80 = 1,  // AES_CM_128_HMAC_SHA1_80
  kAesCm128HmacSha1_32 = 2,  // AES_CM_128_HMAC_SHA1_32
  kAeadAes128Gcm = 3,        // AEAD_AES_128_GCM
  kAeadAes256Gcm = 4,        // AEAD_AES_256_GCM
};
std::string_view to_string(SrtpSuite suite);  // the SDES name
// Master key || master salt length in bytes: 30, 30, 28, 44; 0 for a value outside the enum.
size_t srtp_key_salt_length(SrtpSuite suite);
inline constexpr size_t kMaxSrtpKeySaltLength = 44;
// SSRCs an SDP may announce for one stream (a=ssrc); more are not carried.
inline constexpr size_t kMaxSrtpSsrcs = 8;
// RFC 4568 WSH: replay window in packets. 0 means the libsrtp default (kMinSrtpReplayWindow).
inline constexpr uint32_t kMinSrtpReplayWindow = 64;
inline constexpr uint32_t kMaxSrtpReplayWindow = 0x8000;

// One master key || salt. A fixed array that wipes itself (OPENSSL_cleanse) when destroyed or
// overwritten, with neither operator<< nor a fmt formatter: key bytes are never logged, shown or
// exported. Nothing outside the SessionAdd encoding and the dataplane's SRTP setup reads them.
class SrtpKey {
 public:
  SrtpKey() = default;
  // At most kMaxSrtpKeySaltLength bytes; more are refused by returning an empty key.
  static SrtpKey from_bytes(std::span<const uint8_t> bytes);
  SrtpKey(const SrtpKey& other);
  SrtpKey& operator=(const SrtpKey& other);
  ~SrtpKey();

  [[nodiscard]] std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  friend bool operator==(const SrtpKey& a, const SrtpKey& b);

 private:
  void wipe();
  std::array<uint8_t, kMaxSrtpKeySaltLength> bytes_{};
  uint8_t size_ = 0;
};

// What the dataplane needs to create one SRTP context (dataplane/media SrtpInbound for packets
// arriving on a leg, SrtpOutbound for packets sent on it).
//
// Wire: u8 suite | u8 key length | key bytes | u32 replay_window | u8 ssrc count | u32 ssrcs.
// Decode refuses (kBadField) an unknown suite, a key whose length is not the suite's, a replay
// window outside {0} or [kMinSrtpReplayWindow, kMaxSrtpReplayWindow] and more than kMaxSrtpSsrcs
// SSRCs. In a DumpReply the key is never sent: its length is 0 there (only the suite is exported).
//
// An empty key in a SessionAdd means "keep": the leg keeps the SRTP context (key, rollover counter,
// replay window) the dataplane already has for that direction. sbcd sends it for a call it adopted
// across its own restart (keys are never stored, so it no longer holds them); the dataplane refuses
// it (kBadRequest) for a direction that has no SRTP context yet.
struct SrtpParams {
  SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  SrtpKey key;
  uint32_t replay_window = 0;  // RFC 4568 WSH; 0: the default
  uint8_t ssrc_count = 0;      // SSRCs announced in SDP (a=ssrc), if any
  std::array<uint32_t, kMaxSrtpSsrcs> ssrcs{};
  bool operator==(const SrtpParams&) const = default;
};

// The audio codecs the dataplane can transcode between. The values are the wire encoding.
enum class MediaCodec : uint8_t { kPcmu = 1, kPcma = 2, kG722 = 3, kOpus = 4, kG729 = 5 };
// The SDP encoding name: "PCMU", "PCMA", "G722", "opus", "G729".
std::string_view to_string(MediaCodec codec);
// By SDP encoding name, case-insensitive (RFC 4566 6: rtpmap names are case-insensitive).
std::optional<MediaCodec> media_codec_from_name(std::string_view name);
// RTP clock of the codec in SDP and on the wire: 8000 (G.722 too, RFC 3551), 48000 for Opus.
uint32_t rtp_clock(MediaCodec codec);

// What one leg's peer sends and expects, as negotiated in SDP: its audio codec and payload type,
// the packetisation it asked for (a=ptime; 20 when absent) and the payload types of comfort noise
// (RFC 3389 CN at 8000 Hz) and telephone-event (RFC 4733, at the codec's RTP clock), if
// negotiated.
//
// Set on BOTH legs (or on neither) of a session. With neither, the dataplane relays packets as
// they are. With both, per direction (from leg i, the sender, to leg j = 1 - i):
//   - transcoded on a transcoding lcore when the codecs differ, or when leg i has
//     telephone-event and leg j has none: decoded, re-encoded in leg j's codec at leg j's ptime,
//     SSRC/sequence/timestamps our own; telephone-events mapped to leg j's payload type and clock,
//     or played as in-band tones toward leg j when it has no telephone-event;
//     PCMU <-> PCMA where leg j has telephone-event whenever leg i has is the exception: the
//     relay worker converts the payload byte for byte (G.711's tables), keeping leg i's ptime,
//     SSRC, sequence numbers and timestamps (no transcoding lcore needed);
//   - otherwise relayed, payload types rewritten where the two legs' numbers differ (audio, CN,
//     telephone-event).
// Wire: u8 present | u8 codec | u8 payload_type | u8 ptime_ms | u8 cn (0xFF: none) | u8 te (0xFF:
// none). Decode refuses (kBadField) an unknown codec, a payload type above 127 and a ptime other
// than 10, 20, 30 or 40.
struct LegCodec {
  MediaCodec codec = MediaCodec::kPcmu;
  uint8_t payload_type = 0;
  uint8_t ptime_ms = 20;
  std::optional<uint8_t> cn_payload_type;
  std::optional<uint8_t> telephone_event_payload_type;
  bool operator==(const LegCodec&) const = default;
};
inline constexpr uint8_t kNoPayloadType = 0xFF;  // wire value of an unset optional payload type

// One side of a media session: where the SBC receives it and where the peer is.
// RTCP uses local_rtp_port + 1. A remote_rtp_port of 0 means "not known yet" (offer without
// answer): nothing is sent toward this leg until it is signalled or latched.
struct LegSpec {
  uint8_t port = 0;             // dataplane port index (from HelloReply)
  Address local;                // SBC media address on that port
  uint16_t local_rtp_port = 0;  // even
  Address remote;               // from the peer's SDP (c=)
  uint16_t remote_rtp_port = 0;
  uint16_t remote_rtcp_port = 0;  // 0: remote_rtp_port + 1
  Address signalling_source;      // where the peer's SIP came from (may latch too)
  // SRTP toward this leg's peer: srtp_in unprotects what arrives on the leg (the peer's key),
  // srtp_out protects what is sent on it (our key). Unset: plain RTP in that direction.
  std::optional<SrtpParams> srtp_in;
  std::optional<SrtpParams> srtp_out;
  // The leg's negotiated codec (see LegCodec): set on both legs or neither.
  std::optional<LegCodec> codec;
  // RTP arriving on this leg is relayed to the other one. False while the descriptions say media
  // does not flow that way (this side's is recvonly or inactive, or the other side's sendonly or
  // inactive, RFC 3264 §6.1): such RTP is dropped ("direction") once it has latched. RTCP flows
  // either way (§5.1: an inactive stream still sends RTCP).
  bool forward_rtp = true;
  bool operator==(const LegSpec&) const = default;
};

struct SessionAdd {
  uint64_t session_id = 0;
  uint32_t media_timeout_ms = 0;  // 0: no inactivity event
  uint32_t latch_window_ms = 0;   // how long after the first packet the latch may still move
  std::array<LegSpec, 2> legs{};
  // Packets/s each stream (RTP or RTCP, per direction) may receive; above it the dataplane drops
  // ("stream_policed"). 0: no ceiling.
  uint32_t max_packet_rate = 0;
  bool operator==(const SessionAdd&) const = default;
};

struct SessionDelete {
  uint64_t session_id = 0;
  bool operator==(const SessionDelete&) const = default;
};

// session_id 0: dataplane totals (ports, drops); otherwise one session's streams.
struct StatsQuery {
  uint64_t session_id = 0;
  bool operator==(const StatsQuery&) const = default;
};

// Call quality of one stream (RFC 3550), measured by the dataplane.
// - RTP stream: what arrived from the leg's peer (A.1 sequence tracking, A.3 expected/lost, A.8
//   interarrival jitter).
// - RTCP stream: the leg peer's own last report block (on the stream the SBC sends it, i.e. the
//   whole path from the other leg's peer) and the round trip SBC <-> this leg's peer (6.4.1,
//   from an SR the SBC relayed from the other leg and this peer's report echoing it).
struct MediaQuality {
  uint64_t expected = 0;           // RTP: packets expected
  int64_t lost = 0;                // RTP: expected - received; negative with duplicates
  uint32_t jitter = 0;             // RTP: interarrival jitter, RTP clock units
  uint32_t clock_hz = 0;           // RTP: the clock of `jitter`
  uint32_t reports = 0;            // RTCP: report blocks received from the peer
  uint8_t peer_fraction_lost = 0;  // RTCP: the peer's last report, /256
  int32_t peer_lost = 0;           // RTCP: the peer's last report, cumulative
  uint32_t peer_jitter = 0;        // RTCP: the peer's last report, RTP clock units
  uint32_t rtt_us = 0;             // RTCP: last round trip SBC <-> peer; 0: none measured
  uint32_t rtcp_malformed = 0;     // RTCP packets that did not parse (relayed all the same)
  bool operator==(const MediaQuality&) const = default;
};

struct StreamStats {
  uint64_t packets = 0;  // received and relayed
  uint64_t bytes = 0;
  // Received on this stream and dropped (source mismatch, no destination, ...).
  uint64_t dropped = 0;
  uint32_t idle_ms = 0;  // since the last packet received; UINT32_MAX if none yet
  Address latched;       // unset until latched
  uint16_t latched_port = 0;
  // SRTP/SRTCP drops on this stream (each also in `dropped` and in a named drop reason): tag not
  // verified, replayed or too old, malformed, one SSRC too many, and any other failure (no room
  // for the trailer, key usage limit) when protecting toward the other leg.
  uint64_t srtp_auth_failed = 0;
  uint64_t srtp_replayed = 0;
  uint64_t srtp_malformed = 0;
  uint64_t srtp_ssrc_limit = 0;
  uint64_t srtp_failed = 0;
  MediaQuality quality;
  bool operator==(const StreamStats&) const = default;
};

struct LegStats {
  StreamStats rtp;
  StreamStats rtcp;
  bool operator==(const LegStats&) const = default;
};

struct PortStats {
  uint8_t index = 0;
  std::string name;
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_missed = 0;      // dropped by the NIC (no descriptors)
  uint64_t media_packets = 0;  // relayed out of this port
  uint64_t to_kernel = 0;      // punted to the TAP
  uint64_t from_kernel = 0;    // sent on behalf of the kernel
  bool operator==(const PortStats&) const = default;
};

struct Counter {
  std::string name;
  uint64_t value = 0;
  bool operator==(const Counter&) const = default;
};

struct StatsReply {
  uint64_t session_id = 0;
  uint32_t active_sessions = 0;
  std::vector<PortStats> ports;  // totals only
  std::vector<Counter> drops;    // totals only: named drop reasons
  std::vector<Counter> events;   // totals only: named events (latch learned/moved, ARP, ...)
  std::vector<LegStats> legs;    // session only: two entries
  uint32_t banned_sources = 0;   // totals only: live entries of the source table, per class
  uint32_t trusted_sources = 0;
  uint32_t transcoded_sessions = 0;  // totals only: sessions with a transcoded direction
  bool operator==(const StatsReply&) const = default;
};

// Paged listing of sessions; start with cursor 0, continue with next_cursor until it is 0.
struct DumpQuery {
  uint64_t cursor = 0;
  uint32_t max_entries = kMaxDumpEntries;
  bool operator==(const DumpQuery&) const = default;
};

// spec's SRTP params carry suite, replay window and SSRCs only: the key is empty (never dumped).
struct SessionInfo {
  SessionAdd spec;
  std::array<LegStats, 2> stats{};
  bool operator==(const SessionInfo&) const = default;
};

struct DumpReply {
  std::vector<SessionInfo> sessions;
  uint64_t next_cursor = 0;
  bool operator==(const DumpReply&) const = default;
};

// Pushed once per session when no media arrived on any stream for media_timeout_ms.
struct MediaTimeoutEvent {
  uint64_t session_id = 0;
  uint32_t idle_ms = 0;
  bool operator==(const MediaTimeoutEvent&) const = default;
};

enum class SourceClass : uint8_t { kBanned = 1, kTrusted = 2 };
std::string_view to_string(SourceClass cls);  // "banned", "trusted"

// Adds or replaces one source address (IPv4 or IPv6) in the dataplane's source table.
// kBanned: every packet from it is dropped (drop "banned_source") before anything else, including
// ARP. kTrusted: its punted packets use the trusted punt policer (dataplane punt_rate/burst);
// everyone else's use the smaller untrusted one (untrusted_punt_rate/burst), so a flood from
// unknown or spoofed sources cannot crowd out carriers, PBXs and registered phones.
// duration_ms 0: until deleted; otherwise the dataplane forgets it by itself after that long
// (sbcd also deletes it; this is the safety net if sbcd dies). A v4-mapped IPv6 address is the
// same entry as its IPv4 address.
struct SourceAdd {
  Address address;
  SourceClass cls = SourceClass::kBanned;
  uint32_t duration_ms = 0;
  bool operator==(const SourceAdd&) const = default;
};

struct SourceDelete {  // kNotFound when absent (or already expired)
  Address address;
  bool operator==(const SourceDelete&) const = default;
};

// Empties the source table (sbcd, right after Hello, before re-pushing its own view).
struct SourceFlush {
  bool operator==(const SourceFlush&) const = default;
};

// The media port range sbcd allocates from: UDP to a dataplane port's address on a port in
// [port_min, port_max] that matches no live session is dropped ("no_session"), never punted.
// Sent after Hello; port_min 0: off (port_max is then ignored).
struct MediaPortsSet {
  uint16_t port_min = 0;
  uint16_t port_max = 0;
  bool operator==(const MediaPortsSet&) const = default;
};

// One item of a Batch: the requests that bulk programming repeats.
using BatchItem = std::variant<SessionAdd, SessionDelete, SourceAdd, SourceDelete>;

// Wire: u16 count (1..kMaxBatchItems), then per item u16 MessageType + that message's body.
// Items are applied in order, each exactly as the single-item request would be.
struct Batch {
  std::vector<BatchItem> items;
  bool operator==(const Batch&) const = default;
};

// Answers a Batch: results[i] is what item i's single-item request would have answered. A
// server whose reply would not fit the negotiated message size leaves `detail` empty.
struct BatchReply {
  std::vector<Result> results;
  bool operator==(const BatchReply&) const = default;
};

using Message = std::variant<Hello, HelloReply, Result, SessionAdd, SessionDelete, StatsQuery,
                             StatsReply, DumpQuery, DumpReply, MediaTimeoutEvent, SourceAdd,
                             SourceDelete, SourceFlush, MediaPortsSet, Batch, BatchReply>;

MessageType type_of(const Message& message);
std::string_view to_string(MessageType type);

struct Envelope {
  uint32_t request_id = 0;
  Message message;
};

enum class DecodeError : uint8_t {
  kTruncated,     // shorter than its header or than a field it announces
  kBadLength,     // header length differs from the packet length
  kTooLarge,      // over kMaxMessageSize
  kWrongVersion,  // header version is not kProtocolVersion
  kUnknownType,
  kBadField,       // a field holds a value outside its domain
  kTrailingBytes,  // body longer than its fields
};
std::string_view to_string(DecodeError error);

// kBadField: a string or list too long, or a value decode() would refuse (an unset address or an
// unknown SourceClass in a Source message, a MediaPortsSet with port_min above port_max, a Batch
// or BatchReply with no item or more than kMaxBatchItems).
enum class EncodeError : uint8_t { kTooLarge, kBadField };
std::string_view to_string(EncodeError error);

// Encodes a whole message (header and body).
std::expected<std::vector<uint8_t>, EncodeError> encode(uint32_t request_id,
                                                        const Message& message);

// Bytes `item` adds to an encoded Batch (type and body); a Batch is kBatchOverhead plus the sum.
inline constexpr size_t kBatchOverhead = kHeaderSize + 2;
size_t batch_item_size(const BatchItem& item);
// The item a single-item request is as a Batch item; nullopt for messages a Batch cannot carry.
std::optional<BatchItem> to_batch_item(const Message& message);
Message to_message(const BatchItem& item);

// Decodes exactly one whole message; never reads outside `packet`.
std::expected<Envelope, DecodeError> decode(std::span<const uint8_t> packet);

}  // namespace sbc::api
