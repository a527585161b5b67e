// The running dataplane: mbuf pool, ports, session table, workers on their lcores, and the control
// server on the main lcore. Built after rte_eal_init; torn down in reverse order.
#pragma once

#include <rte_mempool.h>

#include <array>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/config/dp_config.h"
#include "dataplane/control/control_server.h"
#include "dataplane/control/control_service.h"
#include "dataplane/fastpath/datapath.h"
#include "dataplane/fastpath/port.h"
#include "dataplane/fastpath/transcoder.h"
#include "dataplane/fastpath/worker.h"
#include "dataplane/media/srtp_library.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/source_table.h"

namespace sbc::dp {

class Dataplane {
 public:
  static std::expected<std::unique_ptr<Dataplane>, std::string> start(const Config& config);
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Serves the control socket until `stop_fd` (a signalfd) becomes readable.
  void run(int stop_fd);

 private:
  Dataplane() = default;
  // The steps of start(), in order; each keeps what it built in the members below.
  [[nodiscard]] uint16_t worker_count() const;
  // The mbuf pool, sized for every ring of every port and the per-lcore caches.
  std::expected<void, std::string> create_pool(const Config& config);
  // The ports (wire + TAP) and the Datapath the workers read.
  std::expected<void, std::string> open_ports(const Config& config);
  // The session and source tables, on the workers' NUMA socket.
  std::expected<void, std::string> create_tables(const Config& config);
  // One Worker per relay lcore, each owning its share of the ports; one Transcoder per
  // transcoding lcore, each sending through one relay worker.
  std::expected<void, std::string> create_workers();
  // The control service and its socket.
  std::expected<void, std::string> open_control(const std::string& socket_path);
  // Runs the workers on their lcores.
  std::expected<void, std::string> launch_workers();
  void stop_workers();

  rte_mempool* pool_ = nullptr;
  // libsrtp's process-wide state: outlives the session table (and with it every SRTP context).
  std::optional<SrtpLibrary> srtp_;
  std::vector<Port> ports_;
  std::unique_ptr<std::array<NeighbourTable, kMaxPorts>> neighbours_;
  std::unique_ptr<Datapath> datapath_;
  std::unique_ptr<SessionTable> table_;
  std::unique_ptr<SourceTable> sources_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<unsigned> worker_lcores_;
  std::vector<std::unique_ptr<Transcoder>> transcoders_;
  std::vector<unsigned> transcoder_lcores_;
  uint32_t transcode_capacity_ = 0;  // per transcoding lcore, PCMU<->PCMA calls
  bool workers_running_ = false;
  std::unique_ptr<ControlService> service_;
  std::unique_ptr<ControlServer> server_;
};

}  // namespace sbc::dp
