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
constexpr uint32_t kTranscodeRingSize = 1024;    // jobs in, frames out: per transcoding lcore

}  // namespace

std::expected<std::unique_ptr<Dataplane>, std::string> Dataplane::start(const Config& config) {
  std::unique_ptr<Dataplane> dp(new Dataplane());
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) dp->worker_lcores_.push_back(lcore);
  // The transcoding lcores are numbered after the relay lcores (build_eal_args).
  const size_t transcoders = config.transcode_cpus.size();
  if (dp->worker_lcores_.size() <= transcoders) {
    return std::unexpected(std::string("dataplane.lcores: no worker lcore"));
  }
  dp->transcoder_lcores_.assign(dp->worker_lcores_.end() - static_cast<long>(transcoders),
                                dp->worker_lcores_.end());
  dp->worker_lcores_.resize(dp->worker_lcores_.size() - transcoders);
  dp->transcode_capacity_ = config.transcode_capacity;
  // Each step keeps what it built in `dp`: on an error the destructor releases it in reverse.
  if (auto ok = dp->create_pool(config); !ok) return std::unexpected(ok.error());
  if (auto ok = dp->open_ports(config); !ok) return std::unexpected(ok.error());
  if (auto ok = dp->create_tables(config); !ok) return std::unexpected(ok.error());
  if (auto ok = dp->create_workers(); !ok) return std::unexpected(ok.error());
  if (auto ok = dp->open_control(config.control_socket); !ok) return std::unexpected(ok.error());
  if (auto ok = dp->launch_workers(); !ok) return std::unexpected(ok.error());
  spdlog::info(
      "control socket {}; {} sessions, {} sources max; {} transcoding lcores ({} PCMU<->PCMA "
      "calls each); idle policy {}; punt {}/s burst {} (untrusted {}/s burst {})",
      config.control_socket, config.max_sessions, config.max_sources, transcoders,
      config.transcode_capacity, config.idle_policy == IdlePolicy::kPoll ? "poll" : "backoff",
      config.punt_rate, config.punt_burst, config.untrusted_punt_rate, config.untrusted_punt_burst);
  return dp;
}

uint16_t Dataplane::worker_count() const {
  return static_cast<uint16_t>(worker_lcores_.size());
}

std::expected<void, std::string> Dataplane::create_pool(const Config& config) {
  const uint16_t workers = worker_count();
  // Each port may hold full rings: a wire RX and a wire TX queue per worker, TAP RX + TAP TX;
  // and the frames in the handoff rings and on their way through the transcoders.
  const uint64_t transcoders = transcoder_lcores_.size();
  const uint64_t needed =
      uint64_t{config.ports.size()} * kDescriptorsPerQueue * (2 + 2 * uint64_t{workers}) +
      uint64_t{kMbufCache} * (workers + transcoders + 1) + uint64_t{workers} * kHandoffRingSize +
      transcoders * 2 * kTranscodeRingSize;
  if (config.mbuf_count < needed) {
    return std::unexpected(
        fmt::format("dataplane.mbuf_count: {} is too small for {} ports and {} workers (need {})",
                    config.mbuf_count, config.ports.size(), workers, needed));
  }
  pool_ = rte_pktmbuf_pool_create("sbc_mbufs", config.mbuf_count, kMbufCache, 0,
                                  RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (!pool_) return std::unexpected(fmt::format("mbuf pool: {}", rte_strerror(rte_errno)));
  return {};
}

std::expected<void, std::string> Dataplane::open_ports(const Config& config) {
  datapath_ = std::make_unique<Datapath>();
  Datapath& datapath = *datapath_;
  neighbours_ = std::make_unique<std::array<NeighbourTable, kMaxPorts>>();
  for (size_t i = 0; i < config.ports.size(); ++i) {
    auto port = open_port(config.ports[i], static_cast<uint8_t>(i), worker_count(), pool_);
    if (!port) return std::unexpected(port.error());
    spdlog::info("port {} '{}': wire port {} ({} RX queue{}) tap {} ({}) {}/{}{}", i, port->name,
                 port->phys_id, port->rx_queues, port->rx_queues == 1 ? "" : "s", port->tap_id,
                 port->tap_name, format_ipv4(port->address.address), port->address.length,
                 port->media.first == 0
                     ? std::string()
                     : fmt::format(", media {}-{}", format_ipv4(port->media.first),
                                   format_ipv4(port->media.last)));
    datapath.ports[i] = view_of(*port);
    ports_.push_back(std::move(*port));
  }
  datapath.port_count = static_cast<uint8_t>(config.ports.size());
  datapath.neighbours = neighbours_.get();
  datapath.pool = pool_;
  datapath.tsc_hz = rte_get_tsc_hz();
  datapath.idle_policy = config.idle_policy;
  datapath.punt_rate = config.punt_rate;
  datapath.punt_burst = config.punt_burst;
  datapath.untrusted_punt_rate = config.untrusted_punt_rate;
  datapath.untrusted_punt_burst = config.untrusted_punt_burst;
  datapath.neighbour_refresh_tsc = kNeighbourRefreshSeconds * datapath.tsc_hz;
  return {};
}

std::expected<void, std::string> Dataplane::create_tables(const Config& config) {
  Datapath& datapath = *datapath_;
  std::vector<PortAddress> addresses;
  for (uint8_t p = 0; p < datapath.port_count; ++p) {
    const PortView& port = datapath.ports[p];
    addresses.push_back({port.ip_be, port.media});
  }
  // Session records are read by the workers on every packet: keep them on the workers' socket.
  const int socket = static_cast<int>(rte_lcore_to_socket_id(worker_lcores_[0]));
  auto srtp = SrtpLibrary::init();
  if (!srtp) {
    return std::unexpected(srtp.error() == SrtpInitError::kInitFailed
                               ? "libsrtp: srtp_init failed"
                               : "libsrtp: the OpenSSL cipher types failed their self-test");
  }
  srtp_.emplace(std::move(*srtp));
  const TranscodingLimits transcoding{static_cast<uint32_t>(transcoder_lcores_.size()),
                                      config.transcode_capacity * kCostPerG711Call,
                                      kTranscodeRingSize};
  auto table = SessionTable::create("sbc_sessions", config.max_sessions, worker_count(), addresses,
                                    datapath.tsc_hz, socket, &*srtp_, transcoding);
  if (!table) return std::unexpected(table.error());
  table_ = std::move(*table);
  datapath.sessions = table_->index();
  for (uint32_t t = 0; t < transcoding.lcores; ++t) {
    datapath.transcode_rings[t] = table_->transcode_ring(t);
  }
  datapath.transcoder_count = static_cast<uint8_t>(transcoding.lcores);
  auto sources = SourceTable::create("sbc_sources", config.max_sources, table_->qsbr(),
                                     datapath.tsc_hz, socket);
  if (!sources) return std::unexpected(sources.error());
  sources_ = std::move(*sources);
  datapath.sources = sources_.get();
  return {};
}

std::expected<void, std::string> Dataplane::create_workers() {
  const uint16_t workers = worker_count();
  std::vector<int> sockets;
  for (unsigned lcore : worker_lcores_) {
    sockets.push_back(static_cast<int>(rte_lcore_to_socket_id(lcore)));
  }
  auto relay = make_relay_workers(*datapath_, table_->qsbr(), sockets);
  if (!relay) return std::unexpected(relay.error());
  workers_ = std::move(*relay);
  for (uint16_t t = 0; t < transcoder_lcores_.size(); ++t) {
    auto transcoder = make_transcoder(
        t, *datapath_, table_->transcode_ring(t), table_->barrier_passed(t),
        static_cast<int>(rte_lcore_to_socket_id(transcoder_lcores_[t])), kTranscodeRingSize);
    if (!transcoder) return std::unexpected(transcoder.error());
    // Relay worker t % workers sends what this transcoder makes.
    Worker& sender = *workers_[t % workers];
    sender.transcoded_rings[sender.transcoded_ring_count++] = (*transcoder)->tx->tx_ring;
    transcoders_.push_back(std::move(*transcoder));
  }
  return {};
}

std::expected<void, std::string> Dataplane::open_control(const std::string& socket_path) {
  std::vector<const WorkerCounters*> counters;
  for (const auto& worker : workers_) counters.push_back(&worker->counters);
  for (const auto& transcoder : transcoders_) counters.push_back(&transcoder->tx->counters);
  service_ = std::make_unique<ControlService>(ports_, *table_, *sources_, datapath_->media_ports,
                                              counters, datapath_->tsc_hz);
  server_ = std::make_unique<ControlServer>(*service_, socket_path, datapath_->tsc_hz,
                                            [] { return rte_rdtsc(); });
  if (auto ok = server_->open(); !ok) return std::unexpected("control socket " + ok.error());
  return {};
}

std::expected<void, std::string> Dataplane::launch_workers() {
  for (uint16_t w = 0; w < worker_count(); ++w) {
    if (int rc = rte_eal_remote_launch(worker_main, workers_[w].get(), worker_lcores_[w]);
        rc != 0) {
      stop_workers();
      return std::unexpected(
          fmt::format("launch worker on lcore {}: {}", worker_lcores_[w], rte_strerror(-rc)));
    }
    workers_running_ = true;
    spdlog::info("worker {} on lcore {}", w, worker_lcores_[w]);
  }
  for (uint16_t t = 0; t < transcoders_.size(); ++t) {
    if (int rc =
            rte_eal_remote_launch(transcoder_main, transcoders_[t].get(), transcoder_lcores_[t]);
        rc != 0) {
      stop_workers();
      return std::unexpected(fmt::format("launch transcoder on lcore {}: {}", transcoder_lcores_[t],
                                         rte_strerror(-rc)));
    }
    spdlog::info("transcoder {} on lcore {}", t, transcoder_lcores_[t]);
  }
  return {};
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
  transcoders_.clear();
  workers_.clear();
  sources_.reset();  // before the session table: its hash uses the table's RCU variable
  table_.reset();
  for (const Port& port : ports_) close_port(port);
  if (pool_) rte_mempool_free(pool_);
}

}  // namespace sbc::dp
