#include "controlplane/observability/metrics.h"

#include <fmt/core.h>
#include <prometheus/exposer.h>

#include <algorithm>
#include <map>

namespace sbc::cp {
namespace {

// A counter or gauge family registered in `registry`: the labels come with each series.
prometheus::Family<prometheus::Counter>& counters(prometheus::Registry& registry, const char* name,
                                                  const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}
prometheus::Family<prometheus::Gauge>& gauges(prometheus::Registry& registry, const char* name,
                                              const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

constexpr const char* kCapacityTables[] = {"calls", "server_transactions", "client_transactions",
                                           "ended_calls"};

// Methods counted under their own label; anything else is "other" (keeps the label set bounded).
constexpr std::string_view kMethods[] = {"INVITE",   "ACK",   "BYE",     "CANCEL", "OPTIONS",
                                         "REGISTER", "INFO",  "PRACK",   "UPDATE", "SUBSCRIBE",
                                         "NOTIFY",   "REFER", "MESSAGE", "PUBLISH"};

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add_value(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
               double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

}  // namespace

void DataplaneCollector::update(bool up, const api::StatsReply* stats) {
  std::lock_guard lock(mutex_);
  up_ = up;
  if (!up) {
    stats_.reset();
  } else if (stats != nullptr) {
    stats_ = *stats;
  }
}

std::vector<prometheus::MetricFamily> DataplaneCollector::Collect() const {
  using prometheus::MetricType;
  std::lock_guard lock(mutex_);
  std::vector<prometheus::MetricFamily> out;
  auto up =
      family("sbc_dataplane_up", "1 while sbcd is connected to the dataplane", MetricType::Gauge);
  add_value(up, {}, up_ ? 1 : 0);
  out.push_back(std::move(up));
  if (!up_ || !stats_) return out;

  auto sessions = family("sbc_dataplane_sessions", "Media sessions programmed in the dataplane",
                         MetricType::Gauge);
  add_value(sessions, {}, stats_->active_sessions);
  out.push_back(std::move(sessions));
  auto transcoded = family("sbc_dataplane_transcoded_sessions",
                           "Media sessions with a transcoded direction", MetricType::Gauge);
  add_value(transcoded, {}, stats_->transcoded_sessions);
  out.push_back(std::move(transcoded));

  struct PortCounter {
    const char* name;
    const char* help;
    uint64_t api::PortStats::*field;
  };
  static constexpr PortCounter kPortCounters[] = {
      {"sbc_dataplane_rx_packets_total", "Packets received on a dataplane port",
       &api::PortStats::rx_packets},
      {"sbc_dataplane_tx_packets_total", "Packets sent on a dataplane port",
       &api::PortStats::tx_packets},
      {"sbc_dataplane_rx_bytes_total", "Bytes received on a dataplane port",
       &api::PortStats::rx_bytes},
      {"sbc_dataplane_tx_bytes_total", "Bytes sent on a dataplane port", &api::PortStats::tx_bytes},
      {"sbc_dataplane_rx_missed_total", "Packets the NIC dropped for lack of descriptors",
       &api::PortStats::rx_missed},
      {"sbc_dataplane_media_packets_total", "Media packets relayed out of a dataplane port",
       &api::PortStats::media_packets},
      {"sbc_dataplane_to_kernel_packets_total", "Packets punted to the kernel (TAP)",
       &api::PortStats::to_kernel},
      {"sbc_dataplane_from_kernel_packets_total", "Packets sent on behalf of the kernel",
       &api::PortStats::from_kernel},
  };
  for (const PortCounter& pc : kPortCounters) {
    auto f = family(pc.name, pc.help, MetricType::Counter);
    for (const api::PortStats& p : stats_->ports) {
      add_value(f, {{"port", p.name}}, static_cast<double>(p.*pc.field));
    }
    out.push_back(std::move(f));
  }
  auto drops = family("sbc_dataplane_drops_total", "Packets the dataplane dropped, by reason",
                      MetricType::Counter);
  for (const api::Counter& c : stats_->drops) {
    add_value(drops, {{"reason", c.name}}, static_cast<double>(c.value));
  }
  out.push_back(std::move(drops));
  auto events = family("sbc_dataplane_events_total",
                       "Notable dataplane events (latch learned/moved, ARP, ...), by event",
                       MetricType::Counter);
  for (const api::Counter& c : stats_->events) {
    add_value(events, {{"event", c.name}}, static_cast<double>(c.value));
  }
  out.push_back(std::move(events));
  return out;
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      collector_(std::make_shared<DataplaneCollector>()),
      calls_active_(prometheus::BuildGauge()
                        .Name("sbc_calls_active")
                        .Help("Calls in progress")
                        .Register(*registry_)
                        .Add({})),
      calls_total_(prometheus::BuildCounter()
                       .Name("sbc_calls_total")
                       .Help("Calls ended, by result")
                       .Register(*registry_)),
      sip_requests_(prometheus::BuildCounter()
                        .Name("sbc_sip_requests_total")
                        .Help("SIP requests received, by method")
                        .Register(*registry_)),
      sip_responses_(prometheus::BuildCounter()
                         .Name("sbc_sip_responses_total")
                         .Help("SIP responses received, by status class")
                         .Register(*registry_)),
      sip_dropped_(prometheus::BuildCounter()
                       .Name("sbc_sip_dropped_total")
                       .Help("SIP datagrams dropped without a response, by reason")
                       .Register(*registry_)),
      callee_auth_challenges_(prometheus::BuildCounter()
                                  .Name("sbc_callee_auth_challenges_total")
                                  .Help("401/407 from a callee, answered to the caller as 503")
                                  .Register(*registry_)
                                  .Add({})),
      call_mos_(prometheus::BuildHistogram()
                    .Name("sbc_call_mos")
                    .Help("Estimated MOS (E-model, G.107) of a call direction at call end")
                    .Register(*registry_)),
      call_jitter_(prometheus::BuildHistogram()
                       .Name("sbc_call_jitter_ms")
                       .Help("Interarrival jitter (RFC 3550) of a call direction at call end, ms")
                       .Register(*registry_)),
      call_loss_(prometheus::BuildHistogram()
                     .Name("sbc_call_loss_percent")
                     .Help("Packets lost of a call direction at call end, % of expected")
                     .Register(*registry_)),
      capacity_used_(prometheus::BuildGauge()
                         .Name("sbc_capacity_used")
                         .Help("Entries in use in sbcd's tables, by table")
                         .Register(*registry_)),
      capacity_limit_(prometheus::BuildGauge()
                          .Name("sbc_capacity_limit")
                          .Help("Size of sbcd's tables ([sbcd] *_capacity or derived), by table")
                          .Register(*registry_)),
      capacity_exceeded_(prometheus::BuildCounter()
                             .Name("sbc_capacity_exceeded_total")
                             .Help("Entries refused by a full table (calls, transactions: 503) "
                                   "or forgotten early (ended_calls), by table")
                             .Register(*registry_)),
      media_refused_(prometheus::BuildCounter()
                         .Name("sbc_media_refused_total")
                         .Help("Offers and answers refused for their media (488 with a Warning): "
                               "profile not allowed by the zone or trunk, unusable a=crypto, an "
                               "answer that matches nothing offered, by reason")
                         .Register(*registry_)),
      trunk_up_(gauges(*registry_, "sbc_trunk_up",
                       "1 while routing may send calls to the trunk (up, not yet judged, or not "
                       "qualified), 0 while its qualify pings mark it down")),
      trunk_latency_(gauges(*registry_, "sbc_trunk_qualify_latency_seconds",
                            "Round trip of the trunk's last answered OPTIONS ping")),
      trunk_pings_(counters(*registry_, "sbc_trunk_qualify_pings_total",
                            "OPTIONS pings to the trunk by result (answered, failed: timeout, "
                            "transport error, 408 or 5xx)")),
      trunk_failovers_(counters(*registry_, "sbc_trunk_failovers_total",
                                "Calls the trunk failed that went on to the next trunk, by reason "
                                "(no_response within failover_timeout_ms, timeout, "
                                "transport_error, response: 408, 5xx or a failover_codes code)")),
      trunk_registered_(gauges(*registry_, "sbc_trunk_registered",
                               "1 while the trunk's outbound registration is bound at its "
                               "registrar, 0 otherwise (failed, in progress, or register off)")),
      trunk_targets_(gauges(*registry_, "sbc_trunk_targets",
                            "Addresses the trunk is reached at now: 1 for an address, those its "
                            "DNS name resolved to (NAPTR/SRV/A); 0: not resolved, no calls")),
      trunk_dns_failures_(counters(*registry_, "sbc_trunk_dns_failures_total",
                                   "Failed lookups of a trunk's DNS name (its last targets stay "
                                   "in use for up to an hour)")),
      register_relay_(counters(*registry_, "sbc_register_relay_total",
                               "REGISTERs of relaying zones, by outcome (cached: answered from "
                               "the upstream binding; accepted, challenged, refused: the "
                               "upstream's answer relayed; failed: no answer or unreachable)")),
      nat_keepalives_(counters(*registry_, "sbc_nat_keepalives_total",
                               "Keep-alives sent to NATed clients (sent), and OPTIONS ones never "
                               "answered, whose binding was then dropped (unanswered)")) {
  declare_series();
}

// Every bounded label value exists from the start, so rates work from the first scrape.
void Metrics::declare_series() {
  for (CallResult r : kAllCallResults) calls_total_.Add({{"result", std::string(to_string(r))}});
  for (int c = 1; c <= 6; ++c) sip_responses_.Add({{"class", fmt::format("{}xx", c)}});
  for (size_t r = 0; r < sip_drops_.size(); ++r) {
    sip_drops_[r] = &sip_dropped_.Add({{"reason", std::string(kSipDropReasonNames[r])}});
  }
  for (size_t e = 0; e < parse_drops_.size(); ++e) {
    const std::string_view name = sip::to_string(static_cast<sip::ParseError>(e));
    parse_drops_[e] = &sip_dropped_.Add({{"reason", std::string(name)}});
  }
  for (const char* table : kCapacityTables) {
    capacity_used_.Add({{"table", table}});
    capacity_limit_.Add({{"table", table}});
  }
  for (const char* table : {"calls", "transactions", "ended_calls"}) {
    capacity_exceeded_.Add({{"table", table}});
  }
  for (const char* outcome : kRegisterRelayOutcomes) register_relay_.Add({{"outcome", outcome}});
  for (const char* result : {"sent", "unanswered"}) nat_keepalives_.Add({{"result", result}});
  for (size_t d = 0; d < quality_.size(); ++d) {
    const std::map<std::string, std::string> labels{
        {"direction", d == 0 ? "caller_to_callee" : "callee_to_caller"}};
    quality_[d] = {
        &call_mos_.Add(labels, prometheus::Histogram::BucketBoundaries{1.0, 2.0, 2.5, 3.0, 3.5, 3.8,
                                                                       4.0, 4.2, 4.4}),
        &call_jitter_.Add(
            labels, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 30, 50, 100, 200}),
        &call_loss_.Add(labels,
                        prometheus::Histogram::BucketBoundaries{0, 0.1, 0.5, 1, 2, 5, 10, 20, 50})};
  }
}

void Metrics::call_quality(size_t direction, const DirectionQuality& q) {
  if (direction >= quality_.size() || q.expected == 0) return;
  quality_[direction][0]->Observe(q.mos);
  quality_[direction][1]->Observe(q.jitter_ms);
  quality_[direction][2]->Observe(q.loss_percent);
}

void Metrics::declare_media_refusals(std::span<const std::string_view> reasons) {
  for (std::string_view r : reasons) media_refused_.Add({{"reason", std::string(r)}});
}

void Metrics::media_refused(std::string_view reason) {
  media_refused_.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::capacity(std::string_view table, size_t used, size_t limit) {
  const std::map<std::string, std::string> labels{{"table", std::string(table)}};
  capacity_used_.Add(labels).Set(static_cast<double>(used));
  capacity_limit_.Add(labels).Set(static_cast<double>(limit));
}

void Metrics::capacity_exceeded(std::string_view table, uint64_t count) {
  if (count == 0) return;
  capacity_exceeded_.Add({{"table", std::string(table)}}).Increment(static_cast<double>(count));
}

void Metrics::trunks_configured(std::span<const std::string> names) {
  for (auto it = trunks_.begin(); it != trunks_.end();) {
    if (std::ranges::find(names, it->first) != names.end()) {
      ++it;
      continue;
    }
    trunk_up_.Remove(it->second.up);
    trunk_latency_.Remove(it->second.latency);
    trunk_pings_.Remove(it->second.answered);
    trunk_pings_.Remove(it->second.failed);
    for (prometheus::Counter* failovers : it->second.failovers) trunk_failovers_.Remove(failovers);
    trunk_registered_.Remove(it->second.registered);
    trunk_targets_.Remove(it->second.targets);
    trunk_dns_failures_.Remove(it->second.dns_failures);
    it = trunks_.erase(it);
  }
  for (const std::string& name : names) {
    if (trunks_.contains(name)) continue;
    TrunkSeries series{&trunk_up_.Add({{"trunk", name}}),
                       &trunk_latency_.Add({{"trunk", name}}),
                       &trunk_pings_.Add({{"trunk", name}, {"result", "answered"}}),
                       &trunk_pings_.Add({{"trunk", name}, {"result", "failed"}}),
                       {},
                       &trunk_registered_.Add({{"trunk", name}}),
                       &trunk_targets_.Add({{"trunk", name}}),
                       &trunk_dns_failures_.Add({{"trunk", name}})};
    for (size_t r = 0; r < kTrunkFailoverReasonCount; ++r) {
      series.failovers[r] = &trunk_failovers_.Add(
          {{"trunk", name}, {"reason", std::string(kTrunkFailoverReasonNames[r])}});
    }
    series.up->Set(1);
    trunks_.emplace(name, series);
  }
}

void Metrics::trunk_qualified(const std::string& name, bool up, std::optional<double> latency_s) {
  auto it = trunks_.find(name);
  if (it == trunks_.end()) return;
  it->second.up->Set(up ? 1 : 0);
  if (latency_s) {
    it->second.latency->Set(*latency_s);
    it->second.answered->Increment();
  } else {
    it->second.failed->Increment();
  }
}

void Metrics::trunk_available(const std::string& name, bool up) {
  if (auto it = trunks_.find(name); it != trunks_.end()) it->second.up->Set(up ? 1 : 0);
}

void Metrics::trunk_registered(const std::string& name, bool registered) {
  if (auto it = trunks_.find(name); it != trunks_.end()) it->second.registered->Set(registered);
}

void Metrics::trunk_failover(const std::string& name, TrunkFailoverReason reason) {
  if (auto it = trunks_.find(name); it != trunks_.end()) {
    it->second.failovers[static_cast<size_t>(reason)]->Increment();
  }
}

void Metrics::trunk_targets(const std::string& name, size_t count) {
  if (auto it = trunks_.find(name); it != trunks_.end()) {
    it->second.targets->Set(static_cast<double>(count));
  }
}

void Metrics::trunk_dns_failed(const std::string& name) {
  if (auto it = trunks_.find(name); it != trunks_.end()) it->second.dns_failures->Increment();
}

Metrics::~Metrics() = default;

std::expected<void, std::string> Metrics::expose(const HostPort& listen) {
  const std::string address = fmt::format("{}:{}", listen.host.to_string(), listen.port);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return std::unexpected(
        fmt::format("metrics.listen: cannot listen on {}: {}", address, e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(collector_);
  return {};
}

void Metrics::call_started() {
  calls_active_.Increment();
}

void Metrics::call_ended(CallResult result) {
  calls_active_.Decrement();
  calls_total_.Add({{"result", std::string(to_string(result))}}).Increment();
}

void Metrics::sip_request_received(std::string_view method) {
  std::string label = "other";
  for (std::string_view m : kMethods) {
    if (m == method) label = std::string(m);
  }
  sip_requests_.Add({{"method", label}}).Increment();
}

void Metrics::sip_response_received(int status) {
  if (status < 100 || status > 699) return;
  sip_responses_.Add({{"class", fmt::format("{}xx", status / 100)}}).Increment();
}

void Metrics::sip_dropped(SipDropReason reason) {
  sip_drops_[static_cast<size_t>(reason)]->Increment();
}

void Metrics::sip_dropped(sip::ParseError error) {
  parse_drops_[static_cast<size_t>(error)]->Increment();
}

void Metrics::register_relayed(std::string_view outcome) {
  register_relay_.Add({{"outcome", std::string(outcome)}}).Increment();
}

void Metrics::nat_keepalive(std::string_view result) {
  nat_keepalives_.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::callee_auth_challenge() {
  callee_auth_challenges_.Increment();
}

}  // namespace sbc::cp
