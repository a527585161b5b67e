#include "dataplane/fastpath/worker.h"

#include <fmt/core.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "dataplane/fastpath/relay.h"

namespace sbc::dp {
namespace {

void count_unsent(rte_mbuf** pkts, uint16_t unsent, void* userdata) {
  static_cast<Counter64*>(userdata)->add(unsent);
  rte_pktmbuf_free_bulk(pkts, unsent);
}

std::expected<rte_eth_dev_tx_buffer*, std::string> make_tx_buffer(Counter64* on_full, int socket) {
  auto* buffer = static_cast<rte_eth_dev_tx_buffer*>(
      rte_zmalloc_socket("sbc_tx_buffer", RTE_ETH_TX_BUFFER_SIZE(kBurstSize), 0, socket));
  if (!buffer) return std::unexpected(std::string("cannot allocate a TX buffer"));
  rte_eth_tx_buffer_init(buffer, kBurstSize);
  rte_eth_tx_buffer_set_err_callback(buffer, count_unsent, on_full);
  return buffer;
}

int run_poll_loop(Worker& w) {
  while (w.dp->running.load(std::memory_order_relaxed)) poll_once(w, rte_rdtsc());
  return 0;
}

int run_backoff_loop(Worker& w) {
  while (w.dp->running.load(std::memory_order_relaxed)) {
    const uint32_t us = w.backoff.after_poll(poll_once(w, rte_rdtsc()));
    if (us == 0) continue;
    // Offline while asleep: the control thread's grace periods need not wait for us.
    rte_rcu_qsbr_thread_offline(w.qsbr, w.id);
    rte_delay_us_sleep(us);
    rte_rcu_qsbr_thread_online(w.qsbr, w.id);
  }
  return 0;
}

}  // namespace

Worker::~Worker() {
  for (auto* b : phys_tx) rte_free(b);
  for (auto* b : tap_tx) rte_free(b);
}

std::expected<std::unique_ptr<Worker>, std::string> make_worker(uint16_t id, const Datapath& dp,
                                                                rte_rcu_qsbr* qsbr,
                                                                std::span<const uint8_t> rx_ports,
                                                                int socket_id) {
  auto w = std::make_unique<Worker>();
  w->id = id;
  w->dp = &dp;
  w->qsbr = qsbr;
  if (rx_ports.size() > kMaxPorts) return std::unexpected(std::string("too many ports"));
  for (uint8_t p = 0; p < dp.port_count; ++p) {
    auto phys = make_tx_buffer(&w->counters.drops[static_cast<size_t>(Drop::kTxFull)], socket_id);
    if (!phys) return std::unexpected(phys.error());
    w->phys_tx[p] = *phys;
  }
  for (uint8_t p : rx_ports) {
    if (p >= dp.port_count) return std::unexpected(fmt::format("port index {} out of range", p));
    w->rx_ports[w->rx_port_count++] = p;
    auto tap = make_tx_buffer(&w->counters.drops[static_cast<size_t>(Drop::kTapFull)], socket_id);
    if (!tap) return std::unexpected(tap.error());
    w->tap_tx[p] = *tap;
    w->punt_bucket[p].init(dp.punt_rate, dp.punt_burst, dp.tsc_hz);
    w->untrusted_bucket[p].init(dp.untrusted_punt_rate, dp.untrusted_punt_burst, dp.tsc_hz);
    w->arp_bucket[p].init(kArpPuntRate, kArpPuntBurst, dp.tsc_hz);
  }
  return w;
}

uint32_t poll_once(Worker& w, uint64_t now_tsc) {
  const Datapath& dp = *w.dp;
  rte_mbuf* pkts[kBurstSize];
  uint32_t received = 0;
  for (uint8_t i = 0; i < w.rx_port_count; ++i) {
    const uint8_t p = w.rx_ports[i];
    uint16_t n = rte_eth_rx_burst(dp.ports[p].phys, 0, pkts, kBurstSize);
    if (n != 0) process_wire_burst(w, p, pkts, n, now_tsc);
    received += n;
    n = rte_eth_rx_burst(dp.ports[p].tap, kTapQueue, pkts, kBurstSize);
    if (n != 0) process_tap_burst(w, p, pkts, n);
    received += n;
  }
  // What the transcoding lcores made, sent on our TX queues (they have none).
  for (uint8_t r = 0; r < w.transcoded_ring_count; ++r) {
    const unsigned n = rte_ring_sc_dequeue_burst(
        w.transcoded_rings[r], reinterpret_cast<void**>(pkts), kBurstSize, nullptr);
    for (unsigned i = 0; i < n; ++i) {
      const uint16_t p = pkts[i]->port;
      rte_eth_tx_buffer(dp.ports[p].phys, w.id, w.phys_tx[p], pkts[i]);
    }
    received += n;
  }
  for (uint8_t p = 0; p < dp.port_count; ++p)
    rte_eth_tx_buffer_flush(dp.ports[p].phys, w.id, w.phys_tx[p]);
  for (uint8_t i = 0; i < w.rx_port_count; ++i) {
    const uint8_t p = w.rx_ports[i];
    rte_eth_tx_buffer_flush(dp.ports[p].tap, kTapQueue, w.tap_tx[p]);
  }
  rte_rcu_qsbr_quiescent(w.qsbr, w.id);
  return received;
}

int worker_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  rte_rcu_qsbr_thread_register(w.qsbr, w.id);
  rte_rcu_qsbr_thread_online(w.qsbr, w.id);
  // The loop variant is chosen once here, never per packet.
  using Loop = int (*)(Worker&);
  const Loop loop = w.dp->idle_policy == IdlePolicy::kPoll ? run_poll_loop : run_backoff_loop;
  const int rc = loop(w);
  rte_rcu_qsbr_thread_offline(w.qsbr, w.id);
  rte_rcu_qsbr_thread_unregister(w.qsbr, w.id);
  return rc;
}

}  // namespace sbc::dp
