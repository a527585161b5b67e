// The sessions of ended calls the dataplane may still hold. A retired session keeps its port
// leases until a SessionDelete succeeds (a reused port would collide with a session still
// relaying on it): its delete is sent when it is retired and again on every dataplane
// (re)connect until one succeeds or finds it gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>

#include "api/control_protocol.h"
#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/media/media_session.h"

namespace sbc::cp {

class RetiredSessions {
 public:
  // The session's last counters; nullopt when the dataplane could not give them.
  using StatsHandler = std::function<void(std::optional<api::StatsReply>)>;

  explicit RetiredSessions(DataplaneClient& dataplane) : dataplane_(dataplane) {}

  // Takes what an ended call's session holds (MediaSession::retire). Never programmed: its ports
  // go back at once. Otherwise its counters are read first (they die with the session), given to
  // `on_stats`, then it is deleted; with the dataplane down, `on_stats` gets nullopt at once and
  // the delete waits for the reconnect. `on_stats` runs exactly once.
  void retire(MediaSession& session, const StatsHandler& on_stats);
  // Queues on `resync` (paced) the delete of every session still waiting for one.
  void resync(DataplaneResync& resync);

  [[nodiscard]] bool contains(uint64_t id) const { return sessions_.contains(id); }
  [[nodiscard]] size_t size() const { return sessions_.size(); }

 private:
  void send_delete(uint64_t id);
  void on_deleted(uint64_t id, const DataplaneClient::Reply& reply);

  DataplaneClient& dataplane_;
  std::unordered_map<uint64_t, MediaSession::Leases> sessions_;  // id -> the ports it holds
};

}  // namespace sbc::cp
