// Prometheus metrics of sbcd (one scrape target): call and SIP counters owned here, dataplane
// counters mirrored from the last StatsQuery(0) snapshot.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config.h"
#include "controlplane/security_metrics.h"
#include "sbc/api/control_protocol.h"

namespace prometheus {
class Exposer;
}

namespace sbc::cp {

// How a call ended, as counted in sbc_calls_total{result} and written in CDRs.
enum class CallResult : uint8_t {
  kAnswered,
  kCancelled,
  kBusy,
  kFailed,
  kMediaTimeout,
  kMaxDuration,  // answered, cut at [sbcd] max_call_duration
};
std::string_view to_string(CallResult result);

// The dataplane's absolute counters are exposed as they are (not re-counted), through a collector
// that renders the latest snapshot at scrape time. Collect() runs on the exposer's thread.
class DataplaneCollector final : public prometheus::Collectable {
 public:
  // stats == nullptr: only the link state changed. While down only sbc_dataplane_up (0) is
  // exported: stale gauges would look live.
  void update(bool up, const api::StatsReply* stats);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mutex_;
  bool up_ = false;
  std::optional<api::StatsReply> stats_;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();

  // Starts the HTTP endpoint (/metrics) on a thread of its own; error names the address.
  std::expected<void, std::string> expose(const HostPort& listen);

  void call_started();
  void call_ended(CallResult result);
  void sip_request_received(std::string_view method);
  void sip_response_received(int status);
  void sip_dropped(std::string_view reason);
  // A callee's 401/407 answered to the caller as 503 (sbcd holds no trunk credentials).
  void callee_auth_challenge();
  void dataplane(bool up, const api::StatsReply* stats) { collector_->update(up, stats); }
  // sbcd's tables (calls, server_transactions, client_transactions, ended_calls): entries in
  // use and the limit in force.
  void capacity(std::string_view table, size_t used, size_t limit);
  // A full table refused an entry (calls, transactions: 503) or forgot one early (ended_calls).
  void capacity_exceeded(std::string_view table, uint64_t count);

  // SIP transports. A TCP/TLS connection was accepted (inbound) or is being opened (outbound).
  void sip_connection_opened(Transport transport, bool inbound);
  void sip_connection_closed(Transport transport, std::string_view reason);
  // A connection not accepted / not opened because a limit was hit (reason: the limit's option).
  void sip_connection_refused(Transport transport, std::string_view reason);
  void sip_tls_handshake_failed(bool inbound);
  void sip_keepalive(Transport transport);  // a CRLF keep-alive received
  // A message that could not be handed to the kernel (no listener, limit, socket error).
  void sip_send_failed(Transport transport, std::string_view reason);

  [[nodiscard]] SecurityMetrics& security() { return *security_; }
  [[nodiscard]] prometheus::Registry& registry() { return *registry_; }
  [[nodiscard]] const std::shared_ptr<DataplaneCollector>& collector() const { return collector_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<DataplaneCollector> collector_;
  std::unique_ptr<SecurityMetrics> security_;
  prometheus::Gauge& calls_active_;
  prometheus::Family<prometheus::Counter>& calls_total_;
  prometheus::Family<prometheus::Counter>& sip_requests_;
  prometheus::Family<prometheus::Counter>& sip_responses_;
  prometheus::Family<prometheus::Counter>& sip_dropped_;
  prometheus::Counter& callee_auth_challenges_;
  prometheus::Family<prometheus::Gauge>& capacity_used_;
  prometheus::Family<prometheus::Gauge>& capacity_limit_;
  prometheus::Family<prometheus::Counter>& capacity_exceeded_;
  prometheus::Family<prometheus::Gauge>& sip_connections_;
  prometheus::Family<prometheus::Counter>& sip_connections_accepted_;
  prometheus::Family<prometheus::Counter>& sip_connections_initiated_;
  prometheus::Family<prometheus::Counter>& sip_connections_refused_;
  prometheus::Family<prometheus::Counter>& sip_connections_closed_;
  prometheus::Family<prometheus::Counter>& sip_tls_handshake_failures_;
  prometheus::Family<prometheus::Counter>& sip_keepalives_;
  prometheus::Family<prometheus::Counter>& sip_send_failures_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace sbc::cp
