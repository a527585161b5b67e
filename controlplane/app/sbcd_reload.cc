// sbcd's configuration reload: SIGHUP and the `reload` command run Sbcd::reload(), which reads the
// file through the same check_config_file() as `sbcd --check-config`, then applies it
// (apply_reload) and opens or closes listeners of added and removed zones.
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "controlplane/app/sbcd.h"

namespace sbc::cp {
namespace {

nlohmann::json to_json(const ReloadSummary& s) {
  return {{"changes", s.changes}, {"needs_restart", s.needs_restart}, {"warnings", s.warnings}};
}

std::string time_text(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", utc);
}

// sbc_config_reloads_total, its results pre-created.
prometheus::Family<prometheus::Counter>& reload_counter(prometheus::Registry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("sbc_config_reloads_total")
                     .Help("Configuration reloads (SIGHUP, sbc-cli reload) by result: ok, error")
                     .Register(registry);
  family.Add({{"result", "ok"}});
  family.Add({{"result", "error"}});
  return family;
}

// What `reload` and `check config` answer: a headline, the summary's lines, and the file.
CommandOutput summary_output(std::string_view headline, const ReloadSummary& summary,
                             const std::string& file) {
  CommandOutput out;
  out.text = fmt::format("{}\n{}", headline, to_text(summary));
  out.data = to_json(summary);
  out.data["file"] = file;
  return out;
}

}  // namespace

std::expected<ReloadSummary, std::string> Sbcd::reload() {
  reload_status_.last = std::chrono::system_clock::now();
  auto next = check_config_file(config_path_);
  if (!next) {
    reload_status_.ok = false;
    reload_status_.error = next.error();
    if (reloads_ != nullptr) reloads_->Add({{"result", "error"}}).Increment();
    spdlog::error("sbcd: reload refused, the running configuration stays: {}", next.error());
    return std::unexpected(next.error());
  }
  ReloadSummary summary = apply_reload(config_, std::move(*next), *b2bua_, security_, registrar_);
  spdlog::set_level(spdlog::level::from_str(config_.log_level));
  // New zones (and zones added back) listen now; those on a dataplane port's address once known.
  transport_->add_zones(config_.zones.size());
  bound_.resize(config_.zones.size());
  for (size_t i = 0; i < config_.zones.size(); ++i) {
    const ZoneConfig& z = config_.zones[i];
    if (z.retired) continue;
    if (bound_[i].size() != z.listeners.size()) bound_[i].assign(z.listeners.size(), false);
    for (size_t l = 0; l < z.listeners.size(); ++l) {
      // A zone's own listeners carry its sip_address; unset: the dataplane port's (after Hello).
      const auto& address = z.listeners[l].address;
      if (bound_[i][l] || !address) continue;
      if (auto bound = bind_listener(i, l, *address); !bound) {
        summary.warnings.push_back(fmt::format("zone.{}: {}", z.name, bound.error()));
      }
    }
  }
  if (dataplane_.connected()) bind_zones();
  retire_zones();
  reload_status_.ok = true;
  reload_status_.error.clear();
  reload_status_.loaded = *reload_status_.last;
  reload_status_.summary = summary;
  if (reloads_ != nullptr) reloads_->Add({{"result", "ok"}}).Increment();
  spdlog::info("sbcd: configuration reloaded from {}: {} change(s), {} option(s) need a restart",
               config_path_, summary.changes.size(), summary.needs_restart.size());
  for (const std::string& c : summary.changes) spdlog::info("sbcd: reload: {}", c);
  for (const std::string& o : summary.needs_restart) {
    spdlog::warn("sbcd: reload: {} changed; the running value stays until sbcd restarts", o);
  }
  for (const std::string& w : summary.warnings) spdlog::error("sbcd: reload: {}", w);
  return summary;
}

void Sbcd::retire_zones() {
  if (!b2bua_ || !transport_) return;
  for (size_t i = 0; i < config_.zones.size() && i < bound_.size(); ++i) {
    const ZoneConfig& z = config_.zones[i];
    if (!z.retired || std::ranges::none_of(bound_[i], [](bool b) { return b; })) continue;
    if (b2bua_->zone_in_use(i)) continue;
    transport_->close_zone(i);
    bound_[i].assign(bound_[i].size(), false);
    spdlog::info("zone {}: removed by a reload and no call uses it: listeners closed", z.name);
  }
  if (security_.has_kept_peers()) security_.prune_kept_peers(b2bua_->call_peers());
}

void Sbcd::register_reload_commands() {
  reload_status_.loaded = std::chrono::system_clock::now();
  reloads_ = &reload_counter(metrics_.registry());
  commands_.add({"reload"},
                "Re-read the config file and apply it (live calls are kept; an invalid file "
                "changes nothing)",
                [this](CommandArgs) -> CommandResult {
                  auto summary = reload();
                  if (!summary) {
                    return std::unexpected("reload refused, the running configuration stays: " +
                                           summary.error());
                  }
                  return summary_output(fmt::format("reloaded {}", config_path_), *summary,
                                        config_path_);
                });
  commands_.add({"check", "config"},
                "Validate the config file and show what a reload would change (applies nothing)",
                [this](CommandArgs) -> CommandResult {
                  auto next = check_config_file(config_path_);
                  if (!next) return std::unexpected(next.error());
                  const ReloadPlan plan = plan_reload(config_, std::move(*next));
                  return summary_output(fmt::format("{}: OK", config_path_), plan.summary,
                                        config_path_);
                });
  commands_.add({"show", "config"}, "Config file, last reload and its result, zones",
                [this](CommandArgs) -> CommandResult { return show_config(); });
}

CommandOutput Sbcd::show_config() const {
  const ReloadStatus& r = reload_status_;
  CommandOutput out;
  out.text = fmt::format("file:         {}\nloaded:       {}\n", config_path_, time_text(r.loaded));
  out.data = {{"file", config_path_},
              {"loaded", time_text(r.loaded)},
              {"last_reload", nullptr},
              {"zones", nlohmann::json::array()}};
  if (r.last) {
    out.text +=
        fmt::format("last reload:  {} {}\n", time_text(*r.last), r.ok ? "ok" : "error: " + r.error);
    out.data["last_reload"] = {
        {"time", time_text(*r.last)}, {"result", r.ok ? "ok" : "error"}, {"error", r.error}};
    if (r.ok) out.data["last_reload"]["summary"] = to_json(r.summary);
  } else {
    out.text += "last reload:  never\n";
  }
  out.text += "zones:\n";
  for (size_t i = 0; i < config_.zones.size(); ++i) {
    const ZoneConfig& z = config_.zones[i];
    const bool listening =
        i < bound_.size() && std::ranges::any_of(bound_[i], [](bool b) { return b; });
    const char* state = !z.retired ? "active" : listening ? "removed (draining)" : "removed";
    out.text += fmt::format("  {:<16} {:<8} {}\n", z.name,
                            config_.is_trunk_zone(z.name) ? "trunk" : "access", state);
    out.data["zones"].push_back({{"name", z.name}, {"state", state}});
  }
  return out;
}

}  // namespace sbc::cp
