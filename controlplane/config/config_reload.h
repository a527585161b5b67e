// Configuration reload: the one validation path of a config file (`sbcd --check-config`, SIGHUP
// and `sbc-cli reload` alike) and the plan that turns a new file into the running configuration.
//
// The running Config lives in Sbcd for the life of the process; components keep a reference to it
// and read it when they need a value, so assigning the planned Config in place is what applies
// most options (users and secrets, routing, media timeouts, max_call_duration, registrar). State
// derived from it at start-up is rebuilt by each component's reconfigure().
//
// Zones are addressed by index (SipPeer::zone) by live calls, transactions, registrations and
// listeners, so a reload never moves one: a zone kept by the new file keeps its index, a new zone
// is appended, a removed zone stays at its index marked `retired` (no new requests; its listeners
// close once no call uses it). Trunks and users are only ever held by name.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "controlplane/config/config.h"

namespace sbc::cp {

// What a reload changed, and what it could not change without a restart.
struct ReloadSummary {
  std::vector<std::string> changes;        // e.g. "trunk.carrier2: added", "security"
  std::vector<std::string> needs_restart;  // options whose new value waits for a restart
  std::vector<std::string> warnings;       // applied, but not all of it took (a listener)
  size_t zones_added = 0;
  size_t zones_retired = 0;
};

struct ReloadPlan {
  Config config;  // the running configuration after the reload
  ReloadSummary summary;
};

// Reads and validates a config file as sbcd would run it: load_config(), then what only OpenSSL
// can judge (TLS files, ciphers, groups). The error is "PATH: option: why".
[[nodiscard]] std::expected<Config, std::string> check_config_file(const std::string& path);

// The configuration to run after a reload from `next` (a validated file) while `running` runs.
// Options that cannot change at runtime keep their running value and are listed in
// summary.needs_restart: the sockets, the CDR file, the /metrics address, the media port range,
// [sip] connection limits, [tls], and a zone's listeners and dataplane port.
[[nodiscard]] ReloadPlan plan_reload(const Config& running, Config next);

// The summary as the CLI shows it, one item a line.
[[nodiscard]] std::string to_text(const ReloadSummary& summary);

}  // namespace sbc::cp
