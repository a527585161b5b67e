#include "dataplane/control/control_service.h"

#include <fmt/core.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <variant>

namespace sbc::dp {
namespace {

api::Address address_of(uint32_t host_order) {
  return api::Address::ipv4(host_order);
}

}  // namespace

ControlService::ControlService(std::vector<Port> ports, SessionTable& table, SourceTable& sources,
                               MediaPortRange& media_ports,
                               std::vector<const WorkerCounters*> workers, uint64_t tsc_hz)
    : ports_(std::move(ports)),
      table_(table),
      sources_(sources),
      media_ports_(media_ports),
      workers_(std::move(workers)),
      tsc_hz_(tsc_hz) {}

api::HelloReply ControlService::hello(const api::Hello& hello) const {
  api::HelloReply reply;
  reply.max_message_size =
      static_cast<uint32_t>(std::min<size_t>(hello.max_message_size, api::kMaxMessageSize));
  reply.peer_name = "sbc-dataplane";
  reply.max_sessions = table_.capacity();
  reply.max_transcoded_sessions = table_.max_transcoded_sessions();
  for (const Port& port : ports_) {
    api::PortInfo info;
    info.index = port.index;
    info.name = port.name;
    info.address = address_of(port.address.address);
    info.prefix_length = port.address.length;
    std::memcpy(info.mac.data(), port.mac.addr_bytes, 6);
    rte_eth_link link{};
    info.link_up =
        rte_eth_link_get_nowait(port.phys_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
    reply.ports.push_back(std::move(info));
  }
  return reply;
}

api::Result ControlService::session_add(const api::SessionAdd& add, uint64_t now_tsc) {
  return table_.upsert(add, now_tsc);
}

api::Result ControlService::session_delete(const api::SessionDelete& del) {
  const api::Status status = table_.remove(del.session_id);
  if (status == api::Status::kOk) return {};
  return {status, "no such session"};
}

api::Result ControlService::source_add(const api::SourceAdd& add, uint64_t now_tsc) {
  return sources_.add(add, now_tsc);
}

api::Result ControlService::source_delete(const api::SourceDelete& del, uint64_t now_tsc) {
  switch (sources_.remove(del.address, now_tsc)) {
    case api::Status::kOk: return {};
    case api::Status::kNotFound: return {api::Status::kNotFound, "no such source"};
    default: return {api::Status::kInvalid, "source address is unset"};
  }
}

api::Result ControlService::source_flush() {
  sources_.flush();
  return {};
}

api::Result ControlService::media_ports_set(const api::MediaPortsSet& range) {
  if (range.port_min != 0 && range.port_min > range.port_max) {
    return {api::Status::kInvalid,
            fmt::format("media port range {}..{} is inverted", range.port_min, range.port_max)};
  }
  media_ports_.set(range.port_min, range.port_max);
  return {};
}

api::BatchReply ControlService::batch(const api::Batch& batch, uint64_t now_tsc) {
  api::BatchReply reply;
  reply.results.reserve(batch.items.size());
  for (const api::BatchItem& item : batch.items) {
    reply.results.push_back(std::visit(
        [&](const auto& m) -> api::Result {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, api::SessionAdd>) {
            return session_add(m, now_tsc);
          } else if constexpr (std::is_same_v<T, api::SessionDelete>) {
            return session_delete(m);
          } else if constexpr (std::is_same_v<T, api::SourceAdd>) {
            return source_add(m, now_tsc);
          } else {
            return source_delete(m, now_tsc);
          }
        },
        item));
  }
  return reply;
}

uint32_t ControlService::idle_ms(uint64_t since_tsc, uint64_t now_tsc) const {
  if (now_tsc <= since_tsc) return 0;
  const uint64_t ms = (now_tsc - since_tsc) * 1000 / tsc_hz_;
  return static_cast<uint32_t>(std::min<uint64_t>(ms, std::numeric_limits<uint32_t>::max() - 1));
}

namespace {
void fill_quality(const StreamState& s, api::MediaQuality& out) {
  if (s.kind == StreamKind::kRtp) {
    const RtpQuality q = s.quality.rtp.snapshot();
    out.expected = q.expected;
    out.lost = q.lost;
    out.jitter = q.jitter;
    out.clock_hz = q.clock_hz;
    return;
  }
  const RtcpQuality q = s.quality.rtcp.snapshot();
  out.reports = q.reports;
  out.peer_fraction_lost = q.fraction_lost;
  out.peer_lost = q.cumulative_lost;
  out.peer_jitter = q.jitter;
  out.rtt_us = q.rtt_us;
  out.rtcp_malformed = q.malformed;
}
}  // namespace

api::LegStats ControlService::leg_stats(const Session& session, size_t leg,
                                        uint64_t now_tsc) const {
  const SessionConfig* config = session.config.load(std::memory_order_acquire);
  api::LegStats out;
  for (size_t kind = 0; kind < 2; ++kind) {
    const StreamState& s = session.streams[leg][kind];
    api::StreamStats& stats = kind == 0 ? out.rtp : out.rtcp;
    stats.packets = s.packets.get();
    stats.bytes = s.bytes.get();
    stats.dropped = s.dropped.get();
    const SrtpStreamCounters& srtp = session.srtp_counters[leg][kind];
    stats.srtp_auth_failed = srtp.auth_failed.get();
    stats.srtp_replayed = srtp.replayed.get();
    stats.srtp_malformed = srtp.malformed.get();
    stats.srtp_ssrc_limit = srtp.ssrc_limit.get();
    stats.srtp_failed = srtp.failed.get();
    const uint64_t last = s.last_rx_tsc.get();
    stats.idle_ms = last == 0 ? std::numeric_limits<uint32_t>::max() : idle_ms(last, now_tsc);
    fill_quality(s, stats.quality);
    const Latch latch = Latch::unpack(s.latch.get());
    if (latch.generation == config->legs[leg].generation) {
      stats.latched = address_of(rte_be_to_cpu_32(latch.ip_be));
      stats.latched_port = latch.port;
    }
  }
  return out;
}

std::expected<api::StatsReply, api::Result> ControlService::stats(const api::StatsQuery& query,
                                                                  uint64_t now_tsc) const {
  api::StatsReply reply;
  reply.session_id = query.session_id;
  reply.active_sessions = static_cast<uint32_t>(table_.size());
  if (query.session_id != 0) {
    const Session* session = table_.find(query.session_id);
    if (!session) return std::unexpected(api::Result{api::Status::kNotFound, "no such session"});
    reply.legs = {leg_stats(*session, 0, now_tsc), leg_stats(*session, 1, now_tsc)};
    return reply;
  }
  reply.banned_sources = sources_.count(api::SourceClass::kBanned, now_tsc);
  reply.trusted_sources = sources_.count(api::SourceClass::kTrusted, now_tsc);
  reply.transcoded_sessions = table_.transcoded_sessions();
  for (const Port& port : ports_) {
    api::PortStats ps;
    ps.index = port.index;
    ps.name = port.name;
    rte_eth_stats eth{};
    if (rte_eth_stats_get(port.phys_id, &eth) == 0) {
      ps.rx_packets = eth.ipackets;
      ps.rx_bytes = eth.ibytes;
      ps.tx_packets = eth.opackets;
      ps.tx_bytes = eth.obytes;
      ps.rx_missed = eth.imissed;
    }
    for (const WorkerCounters* w : workers_) {
      ps.media_packets += w->ports[port.index].media_tx.get();
      ps.to_kernel += w->ports[port.index].to_kernel.get();
      ps.from_kernel += w->ports[port.index].from_kernel.get();
    }
    reply.ports.push_back(std::move(ps));
  }
  for (size_t d = 0; d < kDropCount; ++d) {
    reply.drops.push_back({std::string(kDropNames[d]), drops(static_cast<Drop>(d))});
  }
  for (size_t e = 0; e < kEventCount; ++e) {
    reply.events.push_back({std::string(kEventNames[e]), events(static_cast<Event>(e))});
  }
  return reply;
}

api::DumpReply ControlService::dump(const api::DumpQuery& query, uint64_t now_tsc) const {
  api::DumpReply reply;
  // With per-stream quality and SRTP parameters a session takes up to ~700 bytes: a page of
  // kMaxDumpEntries would not fit kMaxMessageSize. The cursor pages on.
  constexpr uint32_t kEntriesThatFit = 64;
  const uint32_t limit =
      std::clamp<uint32_t>(query.max_entries, 1, std::min(api::kMaxDumpEntries, kEntriesThatFit));
  const auto& sessions = table_.sessions();
  auto it = sessions.lower_bound(query.cursor);
  for (; it != sessions.end() && reply.sessions.size() < limit; ++it) {
    const Session& session = *it->second;
    api::SessionInfo info;
    info.spec = session.spec;
    info.stats = {leg_stats(session, 0, now_tsc), leg_stats(session, 1, now_tsc)};
    reply.sessions.push_back(std::move(info));
  }
  reply.next_cursor = it == sessions.end() ? 0 : it->first;
  return reply;
}

size_t ControlService::scan_media_timeouts(uint64_t now_tsc, const Deliver& deliver) {
  size_t delivered = 0;
  for (const auto& [id, session] : table_.sessions()) {
    if (session->timeout_reported || session->spec.media_timeout_ms == 0) continue;
    uint64_t last = session->created_tsc;
    for (const auto& leg : session->streams) {
      for (const StreamState& s : leg) last = std::max(last, s.last_rx_tsc.get());
    }
    const uint32_t idle = idle_ms(last, now_tsc);
    if (idle >= session->spec.media_timeout_ms && deliver(api::MediaTimeoutEvent{id, idle})) {
      session->timeout_reported = true;
      ++delivered;
    }
  }
  return delivered;
}

uint64_t ControlService::drops(Drop reason) const {
  uint64_t sum = 0;
  for (const WorkerCounters* w : workers_) sum += w->drops_of(reason);
  return sum;
}

uint64_t ControlService::events(Event event) const {
  uint64_t sum = 0;
  for (const WorkerCounters* w : workers_) sum += w->events_of(event);
  return sum;
}

}  // namespace sbc::dp
