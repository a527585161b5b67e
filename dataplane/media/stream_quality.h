// The call-quality state of one relayed stream (StreamState::quality): RTP reception statistics
// for an RTP stream, RTCP reports and round trip for an RTCP stream. Two cache lines, written
// only by the stream's worker.
#pragma once

#include <cstdint>

#include "dataplane/media/rtcp_monitor.h"
#include "dataplane/media/rtp_stats.h"

namespace sbc::dp {

struct alignas(64) StreamQuality {
  RtpStats rtp;
  RtcpMonitor rtcp;

  // One relayed UDP payload of the stream. `reverse`: the same kind of stream on the other leg.
  void on_packet(bool is_rtcp, const uint8_t* data, uint32_t len, uint64_t arrival_tsc,
                 uint64_t tsc_hz, const StreamQuality& reverse) {
    if (is_rtcp) {
      rtcp.on_packet(data, len, arrival_tsc, tsc_hz, reverse.rtcp);
    } else {
      rtp.on_packet(data, len, arrival_tsc, tsc_hz);
    }
  }
};
static_assert(sizeof(StreamQuality) == 128);

}  // namespace sbc::dp
