#include "controlplane/config/config_reload.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>

#include "controlplane/transport/tls_context.h"

namespace sbc::cp {
namespace {

// Keeps the running value of an option that cannot change at runtime.
template <typename T>
void keep(const T& running, T& next, std::string_view option, ReloadSummary& summary) {
  if (running == next) return;
  next = running;
  summary.needs_restart.emplace_back(option);
}

// The fields of a zone that make its listeners and its media anchor.
void keep_listeners(const ZoneConfig& running, ZoneConfig& next, ReloadSummary& summary) {
  const std::string prefix = "zone." + next.name + ".";
  keep(running.sip_address, next.sip_address, prefix + "sip_address", summary);
  keep(running.sip_port, next.sip_port, prefix + "sip_port", summary);
  keep(running.tls_port, next.tls_port, prefix + "tls_port", summary);
  keep(running.transports, next.transports, prefix + "transports", summary);
  keep(running.listeners, next.listeners, prefix + "listen", summary);
  keep(running.dataplane_port, next.dataplane_port, prefix + "dataplane_port", summary);
}

// Sections keyed by name (trunks, users): added, removed, changed.
template <typename T>
void diff_named(const std::vector<T>& running, const std::vector<T>& next, std::string_view kind,
                ReloadSummary& summary) {
  std::map<std::string_view, const T*> before;
  for (const T& t : running) before.emplace(t.name, &t);
  for (const T& t : next) {
    auto it = before.find(t.name);
    if (it == before.end()) {
      summary.changes.push_back(fmt::format("{}.{}: added", kind, t.name));
      continue;
    }
    if (!(*it->second == t)) summary.changes.push_back(fmt::format("{}.{}: changed", kind, t.name));
    before.erase(it);
  }
  for (const auto& [name, t] : before) {
    summary.changes.push_back(fmt::format("{}.{}: removed", kind, name));
  }
}

}  // namespace

std::expected<Config, std::string> check_config_file(const std::string& path) {
  auto config = load_config(path);
  if (!config) return std::unexpected(config.error());
  // Files, cipher strings and groups are only known good once OpenSSL has loaded them.
  if (config->tls) {
    if (auto tls = make_tls_contexts(*config->tls); !tls) {
      return std::unexpected(path + ": " + tls.error());
    }
  }
  return config;
}

ReloadPlan plan_reload(const Config& running, Config next) {
  ReloadPlan plan;
  ReloadSummary& s = plan.summary;
  keep(running.dataplane_socket, next.dataplane_socket, "sbcd.dataplane_socket", s);
  keep(running.mgmt_socket, next.mgmt_socket, "sbcd.mgmt_socket", s);
  keep(running.cdr_file, next.cdr_file, "sbcd.cdr_file", s);
  keep(running.metrics_listen, next.metrics_listen, "metrics.listen", s);
  keep(running.media.port_min, next.media.port_min, "media.port_min", s);
  keep(running.media.port_max, next.media.port_max, "media.port_max", s);
  keep(running.sip, next.sip, "sip", s);
  keep(running.tls, next.tls, "tls", s);
  keep(running.dns, next.dns, "sbcd.dns_servers/dns_timeout_ms", s);
  if (running.log_level != next.log_level) s.changes.emplace_back("sbcd.log_level");
  if (running.max_call_duration_s != next.max_call_duration_s) {
    s.changes.emplace_back("sbcd.max_call_duration");
  }
  if (running.session_expires_s != next.session_expires_s || running.min_se_s != next.min_se_s) {
    s.changes.emplace_back("sbcd.session_expires");
  }
  if (!(running.media == next.media)) s.changes.emplace_back("media");
  if (!(running.security == next.security)) s.changes.emplace_back("security");
  if (!(running.registrar == next.registrar)) s.changes.emplace_back("registrar");
  diff_named(running.trunks, next.trunks, "trunk", s);
  diff_named(running.users, next.users, "user", s);
  diff_named(running.routes, next.routes, "route", s);
  diff_named(running.dids, next.dids, "did", s);

  // Zones: every running index keeps its zone (or its retired place); new zones are appended.
  std::vector<ZoneConfig> zones;
  std::set<std::string> placed;
  for (const ZoneConfig& r : running.zones) {
    auto it = std::ranges::find(next.zones, r.name, &ZoneConfig::name);
    if (it == next.zones.end()) {
      ZoneConfig retired = r;
      if (!r.retired) {
        retired.retired = true;
        s.changes.push_back(fmt::format("zone.{}: removed", r.name));
        ++s.zones_retired;
      }
      zones.push_back(std::move(retired));
      continue;
    }
    ZoneConfig z = *it;
    if (r.retired) {
      s.changes.push_back(fmt::format("zone.{}: added", z.name));
    } else if (!(r == z)) {
      s.changes.push_back(fmt::format("zone.{}: changed", z.name));
    }
    keep_listeners(r, z, s);
    placed.insert(z.name);
    zones.push_back(std::move(z));
  }
  for (ZoneConfig& z : next.zones) {
    if (placed.contains(z.name)) continue;
    s.changes.push_back(fmt::format("zone.{}: added", z.name));
    ++s.zones_added;
    zones.push_back(std::move(z));
  }
  next.zones = std::move(zones);
  plan.config = std::move(next);
  return plan;
}

std::string to_text(const ReloadSummary& summary) {
  std::string text;
  if (summary.changes.empty()) text += "no change\n";
  for (const std::string& c : summary.changes) text += "changed: " + c + "\n";
  for (const std::string& o : summary.needs_restart) {
    text += "needs restart: " + o + " (the running value stays)\n";
  }
  for (const std::string& w : summary.warnings) text += "warning: " + w + "\n";
  return text;
}

}  // namespace sbc::cp
