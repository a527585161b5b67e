// Prometheus metrics of sbcd (one scrape target): call and SIP counters owned here, dataplane
// counters mirrored from the last StatsQuery(0) snapshot.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/control_protocol.h"
#include "controlplane/net/host_port.h"
#include "controlplane/observability/call_result.h"
#include "controlplane/observability/mos.h"
#include "controlplane/observability/sip_drop_reason.h"
#include "controlplane/sip/parse_error.h"

namespace prometheus {
class Exposer;
}

namespace sbc::cp {

// Why a trunk's call went on to the next trunk (sbc_trunk_failovers_total's reason label).
enum class TrunkFailoverReason : uint8_t {
  kNoResponse,      // nothing at all within the trunk's failover_timeout_ms
  kTimeout,         // Timer B: no final response
  kTransportError,  // the trunk is unreachable
  kResponse,        // a final response that fails over (408, 5xx, failover_codes)
};
inline constexpr size_t kTrunkFailoverReasonCount = 4;
inline constexpr std::array<std::string_view, kTrunkFailoverReasonCount> kTrunkFailoverReasonNames =
    {"no_response", "timeout", "transport_error", "response"};

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

// sbc_register_relay_total's outcomes.
inline constexpr const char* kRegisterRelayOutcomes[] = {"cached", "accepted", "challenged",
                                                         "refused", "failed"};

class Metrics {
 public:
  Metrics();
  ~Metrics();

  // Starts the HTTP endpoint (/metrics) on a thread of its own; error names the address.
  std::expected<void, std::string> expose(const HostPort& listen);

  void call_started();
  void call_ended(CallResult result);
  // Call quality at the end of a call, one direction: 0 "caller_to_callee", 1 "callee_to_caller"
  // (the only label: bounded). A direction without RTP is not observed.
  void call_quality(size_t direction, const DirectionQuality& q);
  void sip_request_received(std::string_view method);
  void sip_response_received(int status);
  // A SIP message dropped (or refused before any transaction), by reason: sbcd's own reasons and
  // every parse error each have a series from the first scrape.
  void sip_dropped(SipDropReason reason);
  void sip_dropped(sip::ParseError error);
  // A callee's 401/407 answered to the caller as 503 (sbcd holds no trunk credentials).
  void callee_auth_challenge();
  void dataplane(bool up, const api::StatsReply* stats) { collector_->update(up, stats); }
  // sbcd's tables (calls, server_transactions, client_transactions, ended_calls): entries in
  // use and the limit in force.
  void capacity(std::string_view table, size_t used, size_t limit);
  // A full table refused an entry (calls, transactions: 503) or forgot one early (ended_calls).
  void capacity_exceeded(std::string_view table, uint64_t count);
  // An offer or answer the media policy or SRTP negotiation refused (488), by reason: the
  // reasons (a bounded set, media/srtp_negotiation.h) are declared once so each has a series
  // from the first scrape.
  // Trunks (labels: the configured names, so bounded): the series of every trunk in `names` exist,
  // those of a trunk a reload removed are dropped.
  void trunks_configured(std::span<const std::string> names);
  // A trunk's health after a qualify verdict: up (1: routing may use it) and, for an answered
  // ping, its latency; the ping counted as answered or failed.
  void trunk_qualified(const std::string& name, bool up, std::optional<double> latency_s);
  void trunk_available(const std::string& name, bool up);
  // The trunk's outbound registration is bound (1) or not (0: failed, in progress, or off).
  void trunk_registered(const std::string& name, bool registered);
  // A REGISTER of a relaying zone (b2bua/register_relay.h): one of kRegisterRelayOutcomes.
  void register_relayed(std::string_view outcome);
  // A keep-alive to a NATed client (b2bua/nat_keepalive.h): "sent" or "unanswered".
  void nat_keepalive(std::string_view result);
  // A call that trunk `name` failed went on to the next trunk (b2bua/trunk_failover.h).
  void trunk_failover(const std::string& name, TrunkFailoverReason reason);
  // Where trunk `name` is (b2bua/trunk_dns.h): how many addresses it has now (0: a name not
  // resolved, so no calls), and a failed lookup of its name.
  void trunk_targets(const std::string& name, size_t count);
  void trunk_dns_failed(const std::string& name);

  void declare_media_refusals(std::span<const std::string_view> reasons);
  void media_refused(std::string_view reason);

  [[nodiscard]] prometheus::Registry& registry() { return *registry_; }
  [[nodiscard]] const std::shared_ptr<DataplaneCollector>& collector() const { return collector_; }

 private:
  void declare_series();  // the series of every bounded label value, made once

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<DataplaneCollector> collector_;
  prometheus::Gauge& calls_active_;
  prometheus::Family<prometheus::Counter>& calls_total_;
  prometheus::Family<prometheus::Counter>& sip_requests_;
  prometheus::Family<prometheus::Counter>& sip_responses_;
  prometheus::Family<prometheus::Counter>& sip_dropped_;
  // The series of sip_dropped_, made once: a flood of bad messages costs no label lookup.
  std::array<prometheus::Counter*, kSipDropReasonCount> sip_drops_{};
  std::array<prometheus::Counter*, static_cast<size_t>(sip::ParseError::kLast) + 1> parse_drops_{};
  prometheus::Counter& callee_auth_challenges_;
  prometheus::Family<prometheus::Histogram>& call_mos_;
  prometheus::Family<prometheus::Histogram>& call_jitter_;
  prometheus::Family<prometheus::Histogram>& call_loss_;
  std::array<std::array<prometheus::Histogram*, 3>, 2>
      quality_{};  // [direction][mos, jitter, loss]
  prometheus::Family<prometheus::Gauge>& capacity_used_;
  prometheus::Family<prometheus::Gauge>& capacity_limit_;
  prometheus::Family<prometheus::Counter>& capacity_exceeded_;
  prometheus::Family<prometheus::Counter>& media_refused_;
  prometheus::Family<prometheus::Gauge>& trunk_up_;
  prometheus::Family<prometheus::Gauge>& trunk_latency_;
  prometheus::Family<prometheus::Counter>& trunk_pings_;
  prometheus::Family<prometheus::Counter>& trunk_failovers_;
  prometheus::Family<prometheus::Gauge>& trunk_registered_;
  prometheus::Family<prometheus::Gauge>& trunk_targets_;
  prometheus::Family<prometheus::Counter>& trunk_dns_failures_;
  prometheus::Family<prometheus::Counter>& register_relay_;
  prometheus::Family<prometheus::Counter>& nat_keepalives_;
  struct TrunkSeries {
    prometheus::Gauge* up;
    prometheus::Gauge* latency;
    prometheus::Counter* answered;
    prometheus::Counter* failed;
    std::array<prometheus::Counter*, kTrunkFailoverReasonCount> failovers;
    prometheus::Gauge* registered;
    prometheus::Gauge* targets;
    prometheus::Counter* dns_failures;
  };
  std::map<std::string, TrunkSeries, std::less<>> trunks_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace sbc::cp
