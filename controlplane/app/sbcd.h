// The sbcd daemon: wires config, event loop, dataplane client, SIP transports, B2BUA, metrics,
// CDRs and the management socket together.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/app/apply_reload.h"
#include "controlplane/b2bua/b2bua.h"
#include "controlplane/b2bua/call_store.h"
#include "controlplane/config/config.h"
#include "controlplane/config/config_reload.h"
#include "controlplane/ingress/sip_ingress.h"
#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/media/media_ports.h"
#include "controlplane/mgmt/command_table.h"
#include "controlplane/mgmt/mgmt_server.h"
#include "controlplane/net/ares_dns_client.h"
#include "controlplane/observability/cdr_writer.h"
#include "controlplane/observability/metrics.h"
#include "controlplane/registrar/registrar.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/security/edge_security.h"
#include "controlplane/security/security_metrics.h"
#include "controlplane/transport/transport_manager.h"
#include "controlplane/transport/transport_metrics.h"

namespace sbc::cp {

class Sbcd {
 public:
  static constexpr std::chrono::seconds kStatsInterval{2};
  // State database writes are committed in batches this long (group commit).
  static constexpr std::chrono::milliseconds kStateCommitDelay{10};

  explicit Sbcd(Config config);
  ~Sbcd();

  // Opens the CDR file, binds SIP and /metrics, starts the management socket and the dataplane
  // client. The error says what failed.
  std::expected<void, std::string> start();
  // Runs the event loop until SIGINT/SIGTERM. Stopping ends no call: the established ones are in
  // the state database and the dataplane keeps relaying their media for the next sbcd.
  void run();
  // The file reload() reads again (the one the configuration came from).
  void set_config_path(std::string path) { config_path_ = std::move(path); }
  // SIGHUP and `reload` (sbcd_reload.cc): re-reads the file through check_config_file() and
  // applies it to every component; live calls are kept. An invalid file changes nothing and the
  // error names the option.
  std::expected<ReloadSummary, std::string> reload();

 private:
  // The outcome of the last reload, for `show config` and /metrics.
  struct ReloadStatus {
    std::chrono::system_clock::time_point loaded;               // when the running config was read
    std::optional<std::chrono::system_clock::time_point> last;  // last reload attempt
    bool ok = true;
    std::string error;
    ReloadSummary summary;
  };
  // --- start(), in order ---
  // Opens the state database (its group commit on the event loop) and restores the bans kept
  // in it: how many are in force.
  std::expected<size_t, std::string> open_state();
  // The SIP transports: received messages go to the ingress, inbound connections are screened
  // at their accept, TLS set up, transport failures reported to the B2BUA.
  std::expected<void, std::string> make_transport();
  // The B2BUA and the ingress stage in front of its transaction layer; adopts the calls kept in
  // the state database (logged with the `restored_bans`).
  std::expected<void, std::string> make_call_handling(size_t restored_bans);
  // Listeners with a configured address bind now; the others once the dataplane names its
  // ports (bind_zones()).
  std::expected<void, std::string> bind_configured_listeners();
  // The command table and the management socket.
  std::expected<void, std::string> start_management();
  // The dataplane client, the periodic stats refresh and the signal handler.
  void start_dataplane();

  void register_reload_commands();
  // `show config`: the file, the last reload and its result, the zones and their state.
  CommandOutput show_config() const;
  // Closes the listeners of retired zones no call uses any more; forgets kept peers whose calls
  // have ended.
  void retire_zones();
  void wait_for_signal();
  // Binds zone `zone`'s listener `index` on `address`; false (logged by the caller) on failure.
  std::expected<void, std::string> bind_listener(size_t zone, size_t index,
                                                 const boost::asio::ip::address& address);
  // Binds the listeners whose address is the dataplane port's (known after Hello).
  void bind_zones();
  void on_dataplane(bool up);
  void refresh_stats();

  Config config_;
  std::string config_path_;
  ReloadStatus reload_status_;
  prometheus::Family<prometheus::Counter>* reloads_ = nullptr;  // sbc_config_reloads_total
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer stats_timer_;
  boost::asio::steady_timer commit_timer_;
  AsioScheduler scheduler_;
  Metrics metrics_;
  SecurityMetrics security_metrics_{metrics_.registry()};
  TransportMetrics transport_metrics_{metrics_.registry()};
  CdrWriter cdr_;
  std::unique_ptr<CallStore> store_;  // outlives the B2BUA and EdgeSecurity that write to it
  MediaPortAllocator ports_;
  UnixDataplaneClient dataplane_;
  DataplaneResync resync_;
  EdgeSecurity security_;
  Registrar registrar_;
  std::unique_ptr<TransportManager> transport_;
  std::vector<std::vector<bool>> bound_;  // [zone][listener]: bound yet
  std::unique_ptr<AresDnsClient> dns_;    // outlives the B2BUA that asks it
  std::unique_ptr<B2bua> b2bua_;
  std::unique_ptr<SipIngress> ingress_;  // in front of b2bua_'s transaction layer
  std::optional<api::StatsReply> dataplane_stats_;
  CommandTable commands_;
  std::unique_ptr<MgmtServer> mgmt_;
};

}  // namespace sbc::cp
