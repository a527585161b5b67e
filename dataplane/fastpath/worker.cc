#include "dataplane/fastpath/worker.h"

#include <fmt/core.h>
#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include <algorithm>

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
  if (handoff != nullptr) {
    void* left[kBurstSize];
    unsigned n = 0;
    while ((n = rte_ring_dequeue_burst(handoff, left, kBurstSize, nullptr)) != 0) {
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(left), n);
    }
    rte_ring_free(handoff);
  }
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
  // A transcoding lcore's Worker (no RCU id) polls nothing: it only sends.
  for (uint8_t p = 0; qsbr != nullptr && p < dp.port_count; ++p) {
    const bool owned = std::ranges::find(rx_ports, p) != rx_ports.end();
    if (dp.ports[p].rx_queues > 1) {
      if (id < dp.ports[p].rx_queues) w->wire_rx[w->wire_rx_count++] = {p, id};
    } else if (owned) {
      w->wire_rx[w->wire_rx_count++] = {p, 0};
    }
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

std::expected<std::vector<std::unique_ptr<Worker>>, std::string> make_relay_workers(
    Datapath& dp, rte_rcu_qsbr* qsbr, std::span<const int> sockets) {
  const auto count = static_cast<uint16_t>(sockets.size());
  if (count == 0 || count > kMaxWorkers) {
    return std::unexpected(fmt::format("{} relay workers (1 to {})", count, kMaxWorkers));
  }
  dp.worker_count = count;
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint16_t id = 0; id < count; ++id) {
    std::vector<uint8_t> owned;
    for (uint8_t p = 0; p < dp.port_count; ++p) {
      if (owner_of(p, count) == id) owned.push_back(p);
    }
    auto worker = make_worker(id, dp, qsbr, owned, sockets[id]);
    if (!worker) return std::unexpected(worker.error());
    // Named after the worker's address: unique while it lives, whatever else runs (tests build
    // one dataplane after another in a process).
    const std::string name = fmt::format("hoff_{}", fmt::ptr(worker->get()));
    (*worker)->handoff =
        rte_ring_create(name.c_str(), kHandoffRingSize, sockets[id], RING_F_SC_DEQ);
    if ((*worker)->handoff == nullptr) {
      return std::unexpected(fmt::format("handoff ring: {}", rte_strerror(rte_errno)));
    }
    dp.handoff_rings[id] = (*worker)->handoff;
    workers.push_back(std::move(*worker));
  }
  return workers;
}

uint32_t poll_once(Worker& w, uint64_t now_tsc) {
  const Datapath& dp = *w.dp;
  rte_mbuf* pkts[kBurstSize];
  uint32_t received = 0;
  for (uint8_t i = 0; i < w.wire_rx_count; ++i) {
    const RxQueue q = w.wire_rx[i];
    const uint16_t n = rte_eth_rx_burst(dp.ports[q.port].phys, q.queue, pkts, kBurstSize);
    if (n != 0) process_wire_burst(w, q.port, pkts, n, now_tsc, Arrival::kWire);
    received += n;
  }
  for (uint8_t i = 0; i < w.rx_port_count; ++i) {
    const uint8_t p = w.rx_ports[i];
    const uint16_t n = rte_eth_rx_burst(dp.ports[p].tap, kTapQueue, pkts, kBurstSize);
    if (n != 0) process_tap_burst(w, p, pkts, n);
    received += n;
  }
  // Frames other workers handed over: relayed in runs of one port.
  if (w.handoff != nullptr) {
    const unsigned n =
        rte_ring_sc_dequeue_burst(w.handoff, reinterpret_cast<void**>(pkts), kBurstSize, nullptr);
    for (unsigned begin = 0, end = 0; begin < n; begin = end) {
      const uint16_t p = pkts[begin]->port;
      for (end = begin + 1; end < n && pkts[end]->port == p; ++end) {
      }
      process_wire_burst(w, static_cast<uint8_t>(p), pkts + begin,
                         static_cast<uint16_t>(end - begin), now_tsc, Arrival::kHandedOver);
    }
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
