// Transcoding lcores: each dequeues the jobs the relay workers hand it (packets of transcoded
// directions, see relay.h hand_to_transcoder) from its own ring, runs them through their
// direction's TranscodeStream, and prepares what comes out toward the other leg through the same
// forward_media as a relay worker (destination, neighbour, SRTP protect, rewrite). The finished
// frames go back through the transcoder's own ring to one relay worker, which sends them on its
// TX queue (so any PMD works: net_af_packet has no TX queue to spare). Heavy codecs (G.729,
// Opus) never stall a relay worker, and a transcoder that falls behind only drops what its full
// rings refuse (counted).
//
// The transcoder is the only thread that touches its sessions' TranscodeStreams, and the only
// one that protects their transcoded directions. Nothing here allocates (mbufs come from the
// pool), locks, throws or logs per packet.
#pragma once

#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "dataplane/fastpath/counters.h"
#include "dataplane/fastpath/worker.h"
#include "dataplane/media/codecs/transcode_stream.h"

namespace sbc::dp {

struct alignas(RTE_CACHE_LINE_SIZE) Transcoder {
  Transcoder() = default;
  Transcoder(const Transcoder&) = delete;
  Transcoder& operator=(const Transcoder&) = delete;
  ~Transcoder();

  // Counters and ARP of this lcore (no RX port, no TX queue); tx->tx_ring (owned) carries its
  // frames to the relay worker that sends them.
  std::unique_ptr<Worker> tx;
  rte_ring* ring = nullptr;  // its jobs (owned by the session table)
  std::atomic<uint64_t>* barrier_passed = nullptr;
  Counter64 packets_in;   // frames dequeued
  Counter64 packets_out;  // packets made and queued for TX
  std::array<RtpOut, TranscodeStream::kMaxOutPackets> out{};
};

// Transcoding lcore `id` (0-based) over the session table's `ring` and `barrier_passed`, with a
// ring of `tx_ring_size` frames toward its relay worker (whose transcoded_rings must list it).
std::expected<std::unique_ptr<Transcoder>, std::string> make_transcoder(
    uint16_t id, const Datapath& dp, rte_ring* ring, std::atomic<uint64_t>* barrier_passed,
    int socket_id, uint32_t tx_ring_size = 4096);

// One loop iteration: a burst of jobs transcoded and sent, the TX buffers flushed. Returns the
// number of jobs dequeued. Tests drive this directly with a fake `now_tsc`.
uint32_t transcode_once(Transcoder& t, uint64_t now_tsc);

// lcore entry point; arg is a Transcoder*. Runs until dp->running is false.
int transcoder_main(void* arg);

}  // namespace sbc::dp
