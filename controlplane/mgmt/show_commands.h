// `show calls`, `show capacity`, `show trunks` and `show dataplane` for the management socket. The
// data comes from the B2BUA and the dataplane client; these handlers only format it (text and
// JSON).
#pragma once

#include <optional>

#include "controlplane/b2bua/b2bua.h"
#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/mgmt/command_table.h"
#include "controlplane/runtime/scheduler.h"

namespace sbc::cp {

// `stats` is the latest StatsQuery(0) reply, refreshed by sbcd; references must outlive `table`.
// `resync`, when given, adds the progress of the dataplane resync to `show dataplane`.
void register_show_commands(CommandTable& table, const B2bua& b2bua,
                            const DataplaneClient& dataplane,
                            const std::optional<api::StatsReply>& stats, const Scheduler& clock,
                            const DataplaneResync* resync = nullptr);

[[nodiscard]] CommandOutput show_calls(const B2bua& b2bua, const Scheduler& clock);
// sbcd's tables: entries in use against their limits, and what a full table refused.
[[nodiscard]] CommandOutput show_capacity(const B2bua& b2bua);
// Every trunk with its address, qualify state (routing/trunk_health.h), last latency and failure.
[[nodiscard]] CommandOutput show_trunks(const B2bua& b2bua, const Scheduler& clock);
[[nodiscard]] CommandOutput show_routes(const B2bua& b2bua);
// The DID table (routing/did_table.h): each entry's numbers, trunks, target and extension.
[[nodiscard]] CommandOutput show_dids(const B2bua& b2bua);
[[nodiscard]] CommandOutput show_dataplane(const DataplaneClient& dataplane,
                                           const std::optional<api::StatsReply>& stats,
                                           const DataplaneResync* resync = nullptr);

// Call quality per direction ("a_to_b", "b_to_a": loss, jitter, RTT, MOS; null without RTP) from
// a call's last media stats, and its one-line text form in `line` (empty when nothing measured).
nlohmann::json call_quality_view(const std::optional<api::StatsReply>& stats, std::string& line);

}  // namespace sbc::cp
