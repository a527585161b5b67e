#include "dataplane/fastpath/transcoder.h"

#include <fmt/core.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_pause.h>

#include "dataplane/fastpath/relay.h"

namespace sbc::dp {
namespace {

// A job's input RTP (in the clear) through its direction's stream; every packet that comes out
// is a new frame with the input's Ethernet/IP/UDP headers, forwarded like a relayed packet.
void transcode_job(Transcoder& t, const TranscodeJob& job, uint64_t now_tsc) {
  using namespace relay_detail;
  if (job.m == nullptr) {
    t.barrier_passed->store(job.barrier, std::memory_order_release);
    return;
  }
  Worker& w = *t.tx;
  rte_mbuf* m = job.m;
  const StreamState& s = *job.stream;
  const SessionConfig& cfg = *job.config;
  t.packets_in.add(1);
  TranscodeStream& stream = *cfg.transcode->stream[s.leg];
  const rte_ipv4_hdr* ip = ipv4_of(m);
  const uint32_t headers = kEthLen + ihl_of(ip) + sizeof(rte_udp_hdr);
  const auto* udp = reinterpret_cast<const rte_udp_hdr*>(
      rte_pktmbuf_mtod_offset(m, const uint8_t*, headers - sizeof(rte_udp_hdr)));
  const size_t rtp_len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(rte_udp_hdr);
  const auto pushed =
      stream.push({rte_pktmbuf_mtod_offset(m, const uint8_t*, headers), rtp_len}, t.out);
  if (!pushed) {
    drop(w, m, Drop::kTranscodeFailed);
    return;
  }
  for (size_t k = 0; k < pushed->packets; ++k) {
    const RtpOut& packet = t.out[k];
    rte_mbuf* c = rte_pktmbuf_alloc(w.dp->pool);
    if (c == nullptr) {
      w.counters.drop(Drop::kNoMbuf);
      continue;
    }
    auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(c, headers + packet.size));
    if (frame == nullptr) {  // a data room smaller than a frame: a pool misconfiguration
      drop(w, c, Drop::kNoMbuf);
      continue;
    }
    std::memcpy(frame, rte_pktmbuf_mtod(m, const uint8_t*), headers);
    std::memcpy(frame + headers, packet.bytes.data(), packet.size);
    auto* out_ip = ipv4_of(c);
    auto* out_udp = reinterpret_cast<rte_udp_hdr*>(frame + headers - sizeof(rte_udp_hdr));
    if (forward_media(w, nullptr, s, cfg, c, out_ip, out_udp, frame + headers, packet.size,
                      /*payload_changed=*/true, now_tsc)) {
      t.packets_out.add(1);
    }
  }
  rte_pktmbuf_free(m);
}

}  // namespace

Transcoder::~Transcoder() {
  if (tx && tx->tx_ring) {
    rte_mbuf* m = nullptr;
    while (rte_ring_sc_dequeue(tx->tx_ring, reinterpret_cast<void**>(&m)) == 0) {
      rte_pktmbuf_free(m);
    }
    rte_ring_free(tx->tx_ring);
  }
}

std::expected<std::unique_ptr<Transcoder>, std::string> make_transcoder(
    uint16_t id, const Datapath& dp, rte_ring* ring, std::atomic<uint64_t>* barrier_passed,
    int socket_id, uint32_t tx_ring_size) {
  auto tx = make_worker(id, dp, nullptr, {}, socket_id);
  if (!tx) return std::unexpected(tx.error());
  auto t = std::make_unique<Transcoder>();
  t->tx = std::move(*tx);
  t->tx->tx_ring = rte_ring_create(fmt::format("sbc_tx{}", id).c_str(), tx_ring_size, socket_id,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (t->tx->tx_ring == nullptr) {
    return std::unexpected(fmt::format("transcoding lcore {}: cannot create its TX ring: {}", id,
                                       rte_strerror(rte_errno)));
  }
  t->ring = ring;
  t->barrier_passed = barrier_passed;
  return t;
}

uint32_t transcode_once(Transcoder& t, uint64_t now_tsc) {
  TranscodeJob jobs[kBurstSize];
  const unsigned n =
      rte_ring_sc_dequeue_burst_elem(t.ring, jobs, sizeof(TranscodeJob), kBurstSize, nullptr);
  for (unsigned i = 0; i < n; ++i) transcode_job(t, jobs[i], now_tsc);
  return n;
}

int transcoder_main(void* arg) {
  Transcoder& t = *static_cast<Transcoder*>(arg);
  const Datapath& dp = *t.tx->dp;
  IdleBackoff backoff;
  while (dp.running.load(std::memory_order_relaxed)) {
    const uint32_t n = transcode_once(t, rte_rdtsc());
    if (dp.idle_policy == IdlePolicy::kPoll) continue;
    if (const uint32_t us = backoff.after_poll(n); us != 0) rte_delay_us_sleep(us);
  }
  return 0;
}

}  // namespace sbc::dp
