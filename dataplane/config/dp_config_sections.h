// The readers of dataplane.conf, one per section or key group. parse_config (dp_config.cc) runs
// them in the order below after the strict parse; exposed here for their own tests, not for other
// users. Errors name the option and say why, as parse_config's do.
#pragma once

#include <expected>
#include <map>
#include <optional>
#include <string>

#include "dataplane/config/dp_config.h"

namespace sbc::dp::config_detail {

// The options the file gives, by full name ("dataplane.lcores", "port.access.tap"), trimmed.
class Values {
 public:
  explicit Values(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  [[nodiscard]] std::optional<std::string> get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> values_;
};

// [dataplane] control_socket, eal_args: the socket sbcd connects to, the EAL's extra arguments.
std::expected<void, std::string> read_process(const Values& v, Config& config);
// [dataplane] lcores, idle_policy: the main lcore and the workers, and how idle workers wait.
std::expected<void, std::string> read_lcores(const Values& v, Config& config);
// [dataplane] mbuf_count, max_sessions: the packet pool and the session table.
std::expected<void, std::string> read_capacity(const Values& v, Config& config);
// [dataplane] punt_rate, punt_burst, untrusted_punt_rate, untrusted_punt_burst: each port's
// policer of the kernel exception path. The untrusted budget is the smaller one.
std::expected<void, std::string> read_punt_policer(const Values& v, Config& config);
// [dataplane] max_sources: the table of trusted and banned source addresses.
std::expected<void, std::string> read_source_table(const Values& v, Config& config);

// [port.NAME]: one port, its options checked together.
std::expected<PortConfig, std::string> read_port(const Values& v, const std::string& name);
// A port against the ports read before it (config.ports) and the lcores: its own tap and device;
// net_af_packet only with one worker.
std::expected<void, std::string> check_port_fits(const PortConfig& port, const Config& config);

}  // namespace sbc::dp::config_detail
