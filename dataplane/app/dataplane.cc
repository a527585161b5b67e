#include "dataplane/app/dataplane.h"

#include <fmt/core.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <spdlog/spdlog.h>

namespace sbc::dp {
namespace {

constexpr unsigned kMbufCache = 256;
constexpr uint32_t kDescriptorsPerQueue = 1024;  // upper bound used by start_ethdev

}  // namespace

std::expected<std::unique_ptr<Dataplane>, std::string> Dataplane::start(const Config& config) {
  std::unique_ptr<Dataplane> dp(new Dataplane());
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) dp->worker_lcores_.push_back(lcore);
  const auto workers = static_cast<uint16_t>(dp->worker_lcores_.size());
  if (workers == 0) return std::unexpected(std::string("dataplane.lcores: no worker lcore"));

  // Each port may hold full rings: wire RX + one wire TX per worker, TAP RX + TAP TX.
  const uint64_t needed = uint64_t{config.ports.size()} * kDescriptorsPerQueue * (3 + workers) +
                          uint64_t{kMbufCache} * (workers + 1);
  if (config.mbuf_count < needed) {
    return std::unexpected(
        fmt::format("dataplane.mbuf_count: {} is too small for {} ports and {} workers (need {})",
                    config.mbuf_count, config.ports.size(), workers, needed));
  }
  dp->pool_ = rte_pktmbuf_pool_create("sbc_mbufs", config.mbuf_count, kMbufCache, 0,
                                      RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (!dp->pool_) return std::unexpected(fmt::format("mbuf pool: {}", rte_strerror(rte_errno)));

  dp->datapath_ = std::make_unique<Datapath>();
  Datapath& datapath = *dp->datapath_;
  dp->neighbours_ = std::make_unique<std::array<NeighbourTable, kMaxPorts>>();
  std::vector<PortAddress> addresses;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    auto port = open_port(config.ports[i], static_cast<uint8_t>(i), workers, dp->pool_);
    if (!port) return std::unexpected(port.error());
    spdlog::info("port {} '{}': wire port {} tap {} ({}) {}/{}", i, port->name, port->phys_id,
                 port->tap_id, port->tap_name, format_ipv4(port->address.address),
                 port->address.length);
    datapath.ports[i] = view_of(*port);
    addresses.push_back({datapath.ports[i].ip_be});
    dp->ports_.push_back(std::move(*port));
  }
  datapath.port_count = static_cast<uint8_t>(config.ports.size());
  datapath.neighbours = dp->neighbours_.get();
  datapath.pool = dp->pool_;
  datapath.tsc_hz = rte_get_tsc_hz();
  datapath.idle_policy = config.idle_policy;
  datapath.punt_rate = config.punt_rate;
  datapath.punt_burst = config.punt_burst;
  datapath.untrusted_punt_rate = config.untrusted_punt_rate;
  datapath.untrusted_punt_burst = config.untrusted_punt_burst;
  datapath.neighbour_refresh_tsc = kNeighbourRefreshSeconds * datapath.tsc_hz;

  // Session records are read by the workers on every packet: keep them on the workers' socket.
  auto table =
      SessionTable::create("sbc_sessions", config.max_sessions, workers, addresses, datapath.tsc_hz,
                           static_cast<int>(rte_lcore_to_socket_id(dp->worker_lcores_[0])));
  if (!table) return std::unexpected(table.error());
  dp->table_ = std::move(*table);
  datapath.sessions = dp->table_->hash();
  auto sources =
      SourceTable::create("sbc_sources", config.max_sources, dp->table_->qsbr(), datapath.tsc_hz,
                          static_cast<int>(rte_lcore_to_socket_id(dp->worker_lcores_[0])));
  if (!sources) return std::unexpected(sources.error());
  dp->sources_ = std::move(*sources);
  datapath.sources = dp->sources_.get();

  std::vector<const WorkerCounters*> counters;
  for (uint16_t w = 0; w < workers; ++w) {
    std::vector<uint8_t> owned;
    for (uint8_t p = 0; p < datapath.port_count; ++p) {
      if (owner_of(p, workers) == w) owned.push_back(p);
    }
    auto worker = make_worker(w, datapath, dp->table_->qsbr(), owned,
                              static_cast<int>(rte_lcore_to_socket_id(dp->worker_lcores_[w])));
    if (!worker) return std::unexpected(worker.error());
    counters.push_back(&(*worker)->counters);
    dp->workers_.push_back(std::move(*worker));
  }
  dp->service_ = std::make_unique<ControlService>(dp->ports_, *dp->table_, *dp->sources_,
                                                  datapath.media_ports, counters, datapath.tsc_hz);
  dp->server_ = std::make_unique<ControlServer>(*dp->service_, config.control_socket,
                                                datapath.tsc_hz, [] { return rte_rdtsc(); });
  if (auto ok = dp->server_->open(); !ok) return std::unexpected("control socket " + ok.error());

  for (uint16_t w = 0; w < workers; ++w) {
    if (int rc = rte_eal_remote_launch(worker_main, dp->workers_[w].get(), dp->worker_lcores_[w]);
        rc != 0) {
      dp->stop_workers();
      return std::unexpected(
          fmt::format("launch worker on lcore {}: {}", dp->worker_lcores_[w], rte_strerror(-rc)));
    }
    dp->workers_running_ = true;
    spdlog::info("worker {} on lcore {}", w, dp->worker_lcores_[w]);
  }
  spdlog::info(
      "control socket {}; {} sessions, {} sources max; idle policy {}; punt {}/s burst {} "
      "(untrusted {}/s burst {})",
      config.control_socket, config.max_sessions, config.max_sources,
      config.idle_policy == IdlePolicy::kPoll ? "poll" : "backoff", config.punt_rate,
      config.punt_burst, config.untrusted_punt_rate, config.untrusted_punt_burst);
  return dp;
}

void Dataplane::run(int stop_fd) {
  constexpr int kPollMs = 200;
  while (!server_->poll_once(kPollMs, stop_fd)) {
  }
  spdlog::info("shutting down");
}

void Dataplane::stop_workers() {
  if (datapath_) datapath_->running.store(false, std::memory_order_relaxed);
  if (workers_running_) rte_eal_mp_wait_lcore();
  workers_running_ = false;
}

Dataplane::~Dataplane() {
  stop_workers();
  server_.reset();  // removes the socket file
  if (service_) {
    for (size_t d = 0; d < kDropCount; ++d) {
      if (const uint64_t n = service_->drops(static_cast<Drop>(d)); n != 0) {
        spdlog::info("drop {}: {}", kDropNames[d], n);
      }
    }
  }
  service_.reset();
  workers_.clear();
  sources_.reset();  // before the session table: its hash uses the table's RCU variable
  table_.reset();
  for (const Port& port : ports_) close_port(port);
  if (pool_) rte_mempool_free(pool_);
}

}  // namespace sbc::dp
