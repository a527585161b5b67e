// Data-path counters: the named drop reasons (defined once, VPP error-string style), event
// counters, and the per-worker counter block the control thread reads.
//
// Each counter has exactly one writer (its worker), so it is bumped with a relaxed load + store
// (no locked instruction); the control thread reads with relaxed loads and sums over workers.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "dataplane/config/dp_config.h"

namespace sbc::dp {

enum class Drop : uint8_t {
  kRunt,                // frame shorter than an Ethernet header
  kBadIpHeader,         // IPv4 version/IHL/total length inconsistent with the frame
  kBadUdp,              // media packet with a UDP length that does not fit the IP packet
  kBadArp,              // ARP frame too short for an Ethernet/IPv4 ARP body
  kTtlExceeded,         // media packet with TTL <= 1
  kSourceMismatch,      // allowed source, but the stream is latched to another one (strict phase)
  kNotAllowedSource,    // source IP neither SDP-signalled nor the SIP signalling source
  kNoDestination,       // other leg has neither a latched nor a signalled address
  kNoRoute,             // destination off-link and the out port has no gateway
  kNoNeighbour,         // next-hop MAC unknown (an ARP request is sent, rate limited)
  kNoMbuf,              // mbuf pool empty when building an ARP request
  kTxFull,              // physical port TX queue full
  kTapFull,             // TAP (kernel exception path) TX queue full
  kPuntPoliced,         // over the port's punt rate (dataplane.punt_rate / punt_burst)
  kArpPoliced,          // ARP over its own per-port rate
  kBannedSource,        // from a banned source (source table), before any other handling
  kUntrustedPoliced,    // punt candidate from a source not trusted, over untrusted_punt_rate
  kNoSession,           // UDP to our address on a media port (MediaPortsSet) with no live session
  kStreamPoliced,       // a stream above its session's max_packet_rate
  kDirection,           // RTP the SDP directions say does not flow this way (hold, inactive)
  kSrtpAuthFail,        // SRTP/SRTCP in: the tag did not verify (tampered, wrong key, not SRTP)
  kSrtpReplay,          // SRTP/SRTCP in: replayed, or older than the replay window
  kSrtpMalformed,       // SRTP/SRTCP in: too short for header and trailer, or a bad header
  kSrtpSsrcLimit,       // SRTP/SRTCP: one SSRC more than the context admits (in or out)
  kSrtpNoTailroom,      // SRTP/SRTCP out: no room in the buffer for the trailer
  kSrtpFailed,          // SRTP/SRTCP: key usage limit reached, or another libsrtp failure
  kTranscodeQueueFull,  // a transcoding lcore's ring is full (it is behind): packet dropped
  kTranscodeFailed,     // the transcoder refused the packet (malformed, unknown payload type,
                        // late or duplicate, undecodable): see TranscodeError
  kHandoffFailed,       // a frame for another worker (its stream's or its port's owner) found
                        // that worker's handoff ring full, or its stream changed owner meanwhile
  kCount,
};
inline constexpr size_t kDropCount = static_cast<size_t>(Drop::kCount);

inline constexpr std::array<std::string_view, kDropCount> kDropNames = {
    "runt",
    "bad_ip_header",
    "bad_udp",
    "bad_arp",
    "ttl_exceeded",
    "source_mismatch",
    "not_allowed_source",
    "no_destination",
    "no_route",
    "no_neighbour",
    "no_mbuf",
    "tx_full",
    "tap_full",
    "punt_policed",
    "arp_policed",
    "banned_source",
    "untrusted_policed",
    "no_session",
    "stream_policed",
    "direction",
    "srtp_auth_fail",
    "srtp_replay",
    "srtp_malformed",
    "srtp_ssrc_limit",
    "srtp_no_tailroom",
    "srtp_failed",
    "transcode_queue_full",
    "transcode_failed",
    "handoff_failed",
};
static_assert(kDropNames.back() == "handoff_failed", "kDropNames must follow enum Drop");

constexpr std::string_view to_string(Drop drop) {
  return kDropNames[static_cast<size_t>(drop)];
}

// Things that happen and are worth counting but are not drops.
enum class Event : uint8_t {
  kLatchLearned,      // a stream latched its first source
  kLatchMoved,        // the latch moved to another allowed source inside the latch window
  kNeighbourLearned,  // ARP snooped into the neighbour table (new neighbour or changed MAC)
  kArpRequestSent,    // the dataplane asked for an unknown or stale next hop
  kHandedOff,         // a frame went to the worker that owns its stream or port (RSS put it on
                      // another worker's queue: a second source, RTCP, a punt)
  kCount,
};
inline constexpr size_t kEventCount = static_cast<size_t>(Event::kCount);
inline constexpr std::array<std::string_view, kEventCount> kEventNames = {
    "latch_learned", "latch_moved", "neighbour_learned", "arp_request_sent", "handed_off"};
static_assert(kEventNames.back() == "handed_off", "kEventNames must follow enum Event");

// Single-writer counter: the owner bumps it without a locked instruction.
struct Counter64 {
  std::atomic<uint64_t> value{0};
  void add(uint64_t n) {
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(uint64_t n) { value.store(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

struct PortCounters {
  Counter64 media_tx;     // relayed media sent out of this port
  Counter64 to_kernel;    // received on this port, punted to its TAP
  Counter64 from_kernel;  // received from this port's TAP, sent on the wire
};

// One block per worker, on its own cache lines.
struct alignas(64) WorkerCounters {
  std::array<PortCounters, kMaxPorts> ports;
  std::array<Counter64, kDropCount> drops;
  std::array<Counter64, kEventCount> events;

  void drop(Drop reason, uint64_t n = 1) { drops[static_cast<size_t>(reason)].add(n); }
  void event(Event e) { events[static_cast<size_t>(e)].add(1); }
  [[nodiscard]] uint64_t drops_of(Drop reason) const {
    return drops[static_cast<size_t>(reason)].get();
  }
  [[nodiscard]] uint64_t events_of(Event e) const { return events[static_cast<size_t>(e)].get(); }
};

}  // namespace sbc::dp
