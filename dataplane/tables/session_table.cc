#include "dataplane/tables/session_table.h"

#include <fmt/core.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include <cstring>

namespace sbc::dp {
namespace {

api::Result fail(api::Status status, std::string detail) {
  return {status, std::move(detail)};
}

rte_rcu_qsbr* make_qsbr(const std::string& name, uint32_t threads, int socket_id) {
  const size_t size = rte_rcu_qsbr_get_memsize(threads);
  auto* qsbr = static_cast<rte_rcu_qsbr*>(
      rte_zmalloc_socket(name.c_str(), size, RTE_CACHE_LINE_SIZE, socket_id));
  if (qsbr != nullptr && rte_rcu_qsbr_init(qsbr, threads) != 0) {
    rte_free(qsbr);
    return nullptr;
  }
  return qsbr;
}

uint32_t cost_of(const SessionConfig* config) {
  return config != nullptr && config->transcode ? config->transcode->cost : 0;
}

bool converts(const SessionConfig* config) {
  return config != nullptr && config->transcode && config->transcode->converts();
}

uint32_t ip_be_of(const api::Address& address) {
  uint32_t ip = 0;
  std::memcpy(&ip, address.bytes.data(), 4);
  return ip;
}

uint16_t resolved_rtcp_port(const api::LegSpec& leg) {
  if (leg.remote_rtcp_port != 0) return leg.remote_rtcp_port;
  if (leg.remote_rtp_port == 0 || leg.remote_rtp_port == 0xffff) return 0;
  return static_cast<uint16_t>(leg.remote_rtp_port + 1);
}

}  // namespace

std::expected<std::unique_ptr<SessionTable>, std::string> SessionTable::create(
    const std::string& name, uint32_t max_sessions, uint32_t workers,
    std::span<const PortAddress> ports, uint64_t tsc_hz, int socket_id, const SrtpLibrary* srtp,
    TranscodingLimits transcoding) {
  std::unique_ptr<SessionTable> table(new SessionTable());
  table->transcoding_ = transcoding;
  table->transcoder_load_.assign(transcoding.lcores, 0);
  table->srtp_ = srtp;
  table->max_sessions_ = max_sessions;
  table->tsc_hz_ = tsc_hz;
  table->socket_id_ = socket_id;
  table->ports_.assign(ports.begin(), ports.end());

  table->qsbr_ = make_qsbr(name + "_qsbr", std::max<uint32_t>(workers, 1), socket_id);
  if (!table->qsbr_) {
    return std::unexpected(
        fmt::format("session table: cannot create RCU state: {}", rte_strerror(rte_errno)));
  }
  for (uint32_t t = 0; t < transcoding.lcores; ++t) {
    TranscoderLink link;
    link.ring = rte_ring_create_elem(fmt::format("{}_tq{}", name, t).c_str(), sizeof(TranscodeJob),
                                     transcoding.ring_size, socket_id, RING_F_SC_DEQ);
    if (!link.ring) {
      return std::unexpected(fmt::format("transcoding lcore {}: cannot create its ring: {}", t,
                                         rte_strerror(rte_errno)));
    }
    link.passed = std::make_unique<std::atomic<uint64_t>>(0);
    table->transcoders_.push_back(std::move(link));
  }

  auto index = StreamIndex::create(index_keys(max_sessions), socket_id);
  if (!index) return std::unexpected("session table: " + index.error());
  table->index_ = std::move(*index);
  return table;
}

uint32_t SessionTable::index_keys(uint32_t max_sessions) {
  // A deleted session's 4 key slots are reusable only after a grace period:
  // room for max(256, max_sessions / 8) sessions deleted and re-added within one grace period.
  const uint32_t spare = std::max<uint32_t>(256, max_sessions / 8);
  return (max_sessions + spare) * 4;
}

SessionTable::~SessionTable() {
  rte_free(qsbr_);
  for (const TranscoderLink& link : transcoders_) rte_ring_free(link.ring);
}

StreamKey SessionTable::key_of(const LegConfig& leg, StreamKind kind) {
  StreamKey key;
  key.ip_be = leg.local_ip_be;
  key.udp_port_be =
      rte_cpu_to_be_16(static_cast<uint16_t>(leg.local_rtp_port + static_cast<uint16_t>(kind)));
  key.port_index = leg.port;
  return key;
}

api::Result SessionTable::validate(const api::SessionAdd& add) const {
  if (add.session_id == 0) return fail(api::Status::kInvalid, "session_id 0 is reserved");
  for (size_t i = 0; i < 2; ++i) {
    const api::LegSpec& leg = add.legs[i];
    const std::string where = fmt::format("leg {}", i);
    for (const api::Address* a : {&leg.local, &leg.remote, &leg.signalling_source}) {
      if (a->family == api::AddressFamily::kIpv6) {
        return fail(api::Status::kUnsupported, where + ": IPv6 media is not supported");
      }
    }
    if (leg.port >= ports_.size()) {
      return fail(api::Status::kInvalid, fmt::format("{}: port index {} out of range (0..{})",
                                                     where, leg.port, ports_.size() - 1));
    }
    const PortAddress& port = ports_[leg.port];
    const uint32_t local_be = leg.local.is_set() ? ip_be_of(leg.local) : 0;
    if (local_be == 0 ||
        (local_be != port.ip_be && !port.media.contains(rte_be_to_cpu_32(local_be)))) {
      return fail(api::Status::kInvalid,
                  fmt::format("{}: local address {} is not one of port {}'s addresses", where,
                              leg.local.to_string(), leg.port));
    }
    if (leg.local_rtp_port == 0 || leg.local_rtp_port % 2 != 0) {
      return fail(api::Status::kInvalid,
                  fmt::format("{}: local RTP port {} must be even and non-zero", where,
                              leg.local_rtp_port));
    }
    if (leg.remote_rtp_port != 0 && !leg.remote.is_set()) {
      return fail(api::Status::kInvalid, where + ": remote port without remote address");
    }
    if (leg.remote_rtcp_port != 0 && leg.remote_rtp_port == 0) {
      return fail(api::Status::kInvalid, where + ": remote RTCP port without remote RTP port");
    }
  }
  if (add.legs[0].port == add.legs[1].port &&
      add.legs[0].local_rtp_port == add.legs[1].local_rtp_port) {
    return fail(api::Status::kInvalid, "both legs use the same local port");
  }
  return {};
}

RtePtr<SessionConfig> SessionTable::make_config(const api::SessionAdd& add,
                                                const SessionConfig* previous) const {
  auto config = make_rte<SessionConfig>("sbc_session_config", socket_id_);
  if (!config) return config;
  config->latch_window_tsc = uint64_t{add.latch_window_ms} * tsc_hz_ / 1000;
  if (add.max_packet_rate != 0) {
    // The depth is ours to choose: 200 ms worth of packets absorbs jitter bursts after a stall.
    const uint64_t burst = std::max<uint64_t>(add.max_packet_rate / 5, kMinStreamPolicerBurst);
    config->packet_interval_tsc = std::max<uint64_t>(tsc_hz_ / add.max_packet_rate, 1);
    config->policer_tolerance_tsc = (burst - 1) * config->packet_interval_tsc;
  }
  for (size_t i = 0; i < 2; ++i) {
    const api::LegSpec& spec = add.legs[i];
    LegConfig& leg = config->legs[i];
    leg.port = spec.port;
    leg.local_ip_be = ip_be_of(spec.local);
    leg.local_rtp_port = spec.local_rtp_port;
    leg.remote_ip_be = spec.remote.is_set() ? ip_be_of(spec.remote) : 0;
    leg.remote_rtp_port = spec.remote_rtp_port;
    leg.remote_rtcp_port = resolved_rtcp_port(spec);
    leg.signalling_ip_be = spec.signalling_source.is_set() ? ip_be_of(spec.signalling_source) : 0;
    leg.forward_rtp = spec.forward_rtp;
    if (previous) {
      const LegConfig& old = previous->legs[i];
      const bool peer_changed = old.remote_ip_be != leg.remote_ip_be ||
                                old.remote_rtp_port != leg.remote_rtp_port ||
                                old.remote_rtcp_port != leg.remote_rtcp_port ||
                                old.signalling_ip_be != leg.signalling_ip_be;
      // A new generation makes every latch taken under the old one lapse (0 is "never latched").
      leg.generation = old.generation;
      if (peer_changed && ++leg.generation == 0) leg.generation = 1;
    }
  }
  return config;
}

api::Result SessionTable::attach_srtp(SessionConfig& config, api::SessionAdd& add,
                                      const Session* session) const {
  const SessionConfig* previous =
      session ? session->config.load(std::memory_order_relaxed) : nullptr;
  auto srtp = build_session_srtp(srtp_, add, session ? &session->spec : nullptr,
                                 previous ? previous->srtp.get() : nullptr);
  if (!srtp) return srtp.error();
  config.srtp = std::move(*srtp);
  return {};
}

api::Result SessionTable::attach_transcode(SessionConfig& config, const api::SessionAdd& add,
                                           const Session* session, uint8_t& transcoder) const {
  const SessionConfig* previous =
      session ? session->config.load(std::memory_order_relaxed) : nullptr;
  auto transcode =
      build_session_transcode(add, session ? &session->spec : nullptr,
                              previous ? previous->transcode.get() : nullptr, &rte_rand);
  if (!transcode) return transcode.error();
  const uint32_t cost = *transcode ? (*transcode)->cost : 0;
  if (cost != 0) {
    if (transcoding_.lcores == 0) {
      return fail(api::Status::kUnsupported, "transcoding needed and no transcoding lcore");
    }
    // A session keeps its lcore (its streams' state lives there); a new one goes where there is
    // the most room.
    const uint32_t own = cost_of(previous);
    if (session == nullptr || own == 0) {
      transcoder = 0;
      for (uint8_t t = 1; t < transcoding_.lcores; ++t) {
        if (transcoder_load_[t] < transcoder_load_[transcoder]) transcoder = t;
      }
    } else {
      transcoder = session->transcoder;
    }
    const uint32_t load = transcoder_load_[transcoder] - (session ? own : 0);
    if (load + cost > transcoding_.capacity) {
      return fail(api::Status::kNoResources,
                  fmt::format("transcoding lcore {} is full ({} of {} units, {} needed)",
                              transcoder, load, transcoding_.capacity, cost));
    }
  }
  config.transcode = std::move(*transcode);
  return {};
}

void SessionTable::account(const SessionConfig* before, const SessionConfig* after,
                           uint8_t transcoder) {
  const uint32_t was = cost_of(before);
  const uint32_t now = cost_of(after);
  if (was != now) transcoder_load_[transcoder] = transcoder_load_[transcoder] - was + now;
  if (!converts(before) && converts(after)) ++transcoded_sessions_;
  if (converts(before) && !converts(after)) --transcoded_sessions_;
}

api::Result SessionTable::upsert(const api::SessionAdd& add, uint64_t now_tsc) {
  if (auto invalid = validate(add); invalid.status != api::Status::kOk) return invalid;
  if (auto it = sessions_.find(add.session_id); it != sessions_.end()) {
    return update(*it->second, add, now_tsc);
  }
  return insert(add, now_tsc);
}

api::Result SessionTable::update(Session& session, const api::SessionAdd& add, uint64_t now_tsc) {
  for (size_t i = 0; i < 2; ++i) {
    const api::LegSpec& old = session.spec.legs[i];
    const api::LegSpec& now = add.legs[i];
    if (old.port != now.port || old.local != now.local ||
        old.local_rtp_port != now.local_rtp_port) {
      return fail(api::Status::kConflict,
                  fmt::format("leg {}: the local address of an existing session cannot change", i));
    }
  }
  const SessionConfig* previous = session.config.load(std::memory_order_relaxed);
  RtePtr<SessionConfig> replacement = make_config(add, previous);
  if (!replacement) return fail(api::Status::kNoResources, "out of memory for a session");
  api::SessionAdd stored = add;
  uint8_t transcoder = session.transcoder;
  if (auto refused = attach_srtp(*replacement, stored, &session);
      refused.status != api::Status::kOk) {
    return refused;  // nothing changed: the session keeps its config and contexts
  }
  if (auto refused = attach_transcode(*replacement, add, &session, transcoder);
      refused.status != api::Status::kOk) {
    return refused;
  }
  account(previous, replacement.get(), transcoder);
  // A session that starts transcoding takes its lcore before a worker can see the config.
  session.transcoder = transcoder;
  session.set_config(replacement.release(), std::memory_order_release);
  session.spec = std::move(stored);
  // A re-INVITE or resync re-arms the media timeout from now.
  session.created_tsc = now_tsc;
  session.timeout_reported = false;
  retire(nullptr, RtePtr<const SessionConfig>(previous));
  return {};
}

api::Result SessionTable::insert(const api::SessionAdd& add, uint64_t now_tsc) {
  if (sessions_.size() >= max_sessions_) {
    return fail(api::Status::kNoResources,
                fmt::format("session table full ({} sessions)", max_sessions_));
  }
  RtePtr<Session> session = make_rte<Session>("sbc_session", socket_id_);
  RtePtr<SessionConfig> config = make_config(add, nullptr);
  if (!session || !config) return fail(api::Status::kNoResources, "out of memory for a session");
  api::SessionAdd stored = add;
  if (auto refused = attach_srtp(*config, stored, nullptr); refused.status != api::Status::kOk) {
    return refused;
  }
  if (auto refused = attach_transcode(*config, add, nullptr, session->transcoder);
      refused.status != api::Status::kOk) {
    return refused;
  }
  session->id = add.session_id;
  session->spec = std::move(stored);
  session->created_tsc = now_tsc;
  StreamKeys keys;
  if (auto taken = bind_streams(*session, *config, keys); taken.status != api::Status::kOk) {
    return taken;
  }
  session->set_config(config.release(), std::memory_order_relaxed);
  return publish(std::move(session), keys);
}

api::Result SessionTable::bind_streams(Session& session, const SessionConfig& config,
                                       StreamKeys& keys) const {
  for (uint8_t leg = 0; leg < 2; ++leg) {
    for (uint8_t kind = 0; kind < 2; ++kind) {
      StreamState& stream = session.streams[leg][kind];
      stream.session = &session;
      stream.leg = leg;
      stream.kind = static_cast<StreamKind>(kind);
      keys[leg * 2 + kind] = key_of(config.legs[leg], stream.kind);
      if (index_.find(keys[leg * 2 + kind]) != nullptr) {
        return fail(api::Status::kConflict,
                    fmt::format("leg {}: local port {} is in use by another session", leg,
                                config.legs[leg].local_rtp_port + kind));
      }
    }
  }
  return {};
}

api::Result SessionTable::publish(RtePtr<Session> session, const StreamKeys& keys) {
  for (size_t k = 0; k < keys.size(); ++k) {
    // The index publishes the record with release semantics: the session is fully built before
    // any worker can find it.
    StreamState* stream = &session->streams[k / 2][k % 2];
    if (!index_.insert(keys[k], stream)) {
      for (size_t undo = 0; undo < k; ++undo) index_.remove(keys[undo], qsbr_);
      retire(std::move(session), nullptr);
      return fail(api::Status::kNoResources, "session table: its index has no free slot");
    }
  }
  account(nullptr, session->config.load(std::memory_order_relaxed), session->transcoder);
  const uint64_t id = session->id;
  sessions_.emplace(id, std::move(session));
  return {};
}

api::Status SessionTable::remove(uint64_t session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return api::Status::kNotFound;
  RtePtr<Session> session = std::move(it->second);
  sessions_.erase(it);
  const SessionConfig* config = session->config.load(std::memory_order_relaxed);
  account(config, nullptr, session->transcoder);
  for (uint8_t leg = 0; leg < 2; ++leg) {
    for (uint8_t kind = 0; kind < 2; ++kind) {
      const StreamKey key = key_of(config->legs[leg], static_cast<StreamKind>(kind));
      index_.remove(key, qsbr_);
    }
  }
  retire(std::move(session), nullptr);
  return api::Status::kOk;
}

void SessionTable::retire(RtePtr<Session> session, RtePtr<const SessionConfig> config) {
  retired_.push_back({rte_rcu_qsbr_start(qsbr_), 0, std::move(session), std::move(config)});
}

size_t SessionTable::reclaim() {
  // Tokens grow monotonically, so the queue is in grace-period order: the records past the
  // workers' grace period are a prefix. Those that got there since the last call share one new
  // barrier (issued after all of them passed).
  // The index's retired slots wait for the workers only (a transcoder holds records, not slots).
  index_.reclaim(qsbr_);
  uint64_t fresh = 0;
  for (; retired_past_workers_ < retired_.size(); ++retired_past_workers_) {
    Retired& r = retired_[retired_past_workers_];
    if (rte_rcu_qsbr_check(qsbr_, r.token, false) != 1) break;
    if (fresh == 0) fresh = ++barriers_issued_;
    r.barrier = fresh;
  }
  send_barriers();
  while (retired_past_workers_ != 0) {
    const uint64_t barrier = retired_.front().barrier;
    for (const TranscoderLink& link : transcoders_) {
      if (link.passed->load(std::memory_order_acquire) < barrier) return retired_.size();
    }
    retired_.pop_front();
    --retired_past_workers_;
  }
  return retired_.size();
}

void SessionTable::send_barriers() {
  for (TranscoderLink& link : transcoders_) {
    if (link.sent == barriers_issued_) continue;
    // A barrier job: no frame, its number in `barrier`. A full ring: tried again next time.
    TranscodeJob job{nullptr, nullptr, nullptr, barriers_issued_};
    if (rte_ring_mp_enqueue_elem(link.ring, &job, sizeof(job)) == 0) link.sent = barriers_issued_;
  }
}

Session* SessionTable::find(uint64_t session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

}  // namespace sbc::dp
