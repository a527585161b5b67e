#include "controlplane/media/retired_sessions.h"

#include <spdlog/spdlog.h>

#include <string_view>
#include <utility>
#include <vector>

namespace sbc::cp {

void RetiredSessions::retire(MediaSession& session, const StatsHandler& on_stats) {
  MediaSession::Retired retired = session.retire();
  const uint64_t id = retired.id;
  if (!retired.programmed) {
    retired.leases = {};  // the dataplane never had it: the ports are free now
    on_stats(std::nullopt);
    return;
  }
  sessions_.insert_or_assign(id, std::move(retired.leases));
  if (!dataplane_.connected()) {
    spdlog::warn("call {}: dataplane down; session deleted (and media ports freed) on reconnect",
                 id);
    on_stats(std::nullopt);
    return;
  }
  dataplane_.request(api::StatsQuery{id}, [this, id, on_stats](DataplaneClient::Reply reply) {
    std::optional<api::StatsReply> stats;
    if (reply) {
      if (auto* s = std::get_if<api::StatsReply>(&*reply)) stats = std::move(*s);
    }
    on_stats(std::move(stats));
    send_delete(id);
  });
}

void RetiredSessions::send_delete(uint64_t id) {
  dataplane_.request(api::SessionDelete{id},
                     [this, id](DataplaneClient::Reply reply) { on_deleted(id, reply); });
}

void RetiredSessions::on_deleted(uint64_t id, const DataplaneClient::Reply& reply) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;  // an earlier attempt succeeded
  const auto* result = reply ? std::get_if<api::Result>(&*reply) : nullptr;
  if (result != nullptr &&
      (result->status == api::Status::kOk || result->status == api::Status::kNotFound)) {
    sessions_.erase(it);  // its leases go with it
    return;
  }
  spdlog::warn("session {}: delete failed ({}); its media ports stay reserved until a retry", id,
               !reply              ? to_string(reply.error())
               : result != nullptr ? api::to_string(result->status)
                                   : std::string_view("unexpected reply"));
}

void RetiredSessions::resync(DataplaneResync& resync) {
  std::vector<uint64_t> ids;
  ids.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) ids.push_back(id);
  const size_t count = ids.size();
  resync.add(DataplaneResync::Lane::kCleanup, "ended session", count,
             [this, ids = std::move(ids)](size_t i) -> std::optional<DataplaneResync::Request> {
               const uint64_t id = ids[i];
               if (!sessions_.contains(id)) return std::nullopt;
               return DataplaneResync::Request{
                   api::SessionDelete{id},
                   [this, id](DataplaneClient::Reply reply) { on_deleted(id, reply); }};
             });
}

}  // namespace sbc::cp
