// Media anchoring of a session description: the one stream sbcd anchors (the first audio stream,
// IPv4) and the description rewritten toward a side with our address, port and o= line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/control_protocol.h"
#include "controlplane/media/sdp_body.h"
#include "controlplane/sip/sdp.h"

namespace sbc::cp {

// The stream a call's media is anchored on: where the side sends and receives it.
struct AudioEndpoint {
  size_t media_index = 0;  // its m= line
  api::Address address;
  uint16_t port = 0;
  uint16_t rtcp_port = 0;  // a=rtcp; 0 when absent
};

enum class AudioRefusal : uint8_t {
  kNoAudio,  // no audio stream with a non-zero port
  kNotIpv4,  // its connection address is not an IPv4 address
};
std::string_view to_string(AudioRefusal refusal);

// The first audio stream of `sdp`, when sbcd can anchor it (an IPv4 address).
[[nodiscard]] std::expected<AudioEndpoint, AudioRefusal> anchorable_audio(
    const sip::SessionDescription& sdp);

// The anchored stream's transport toward one side: unset fields are left as they were.
struct StreamProfile {
  std::optional<std::string> proto;                // the m= protocol ("RTP/SAVP")
  std::optional<std::vector<std::string>> crypto;  // a=crypto values (with keys!); {}: none
  // Set: the m= formats and their a=rtpmap / a=fmtp values (codec negotiation).
  std::optional<std::vector<std::string>> formats;
  std::vector<std::string> format_attributes;
};

// How a description is rewritten toward one side: that side sees us.
struct SdpAnchor {
  api::Address local;       // our media address on that side
  uint16_t local_port = 0;  // our RTP port there (RTCP = +1)
  uint64_t session_id = 0;  // o= session id (the call)
  uint64_t version = 0;     // o= version: ours toward that side
  StreamProfile profile;    // the anchored stream's protocol and keys toward that side
};

// `sdp` with only its anchored stream (`audio_index`) kept, on our address and port; every other
// stream disabled (port 0) rather than passed with the other side's addresses, and without its
// a=crypto lines (the other side's keys); the anchored stream's profile and keys as
// `anchor.profile` says; o= ours; the identity lines stripped (topology hiding covers who made
// the description, too).
[[nodiscard]] std::expected<std::string, sip::SdpError> anchor_sdp(const SdpBody& sdp,
                                                                   size_t audio_index,
                                                                   const SdpAnchor& anchor);

}  // namespace sbc::cp
