#include "controlplane/mgmt/show_commands.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "controlplane/observability/mos.h"

namespace sbc::cp {

nlohmann::json call_quality_view(const std::optional<api::StatsReply>& stats, std::string& line) {
  line.clear();
  if (!stats || stats->legs.size() != 2) return nullptr;
  const auto& legs = stats->legs;
  nlohmann::json quality = nlohmann::json::object();
  for (const auto& [name, from, to] :
       {std::tuple{"a_to_b", kCaller, kCallee}, std::tuple{"b_to_a", kCallee, kCaller}}) {
    const DirectionQuality q = direction_quality(legs[from], legs[to]);
    if (q.expected == 0) {
      quality[name] = nullptr;
      continue;
    }
    quality[name] = {
        {"expected", q.expected},   {"lost", q.lost},     {"loss_percent", q.loss_percent},
        {"jitter_ms", q.jitter_ms}, {"rtt_ms", q.rtt_ms}, {"mos", q.mos}};
    line += fmt::format("  {}: loss {:.1f}% jitter {:.1f} ms rtt {} MOS {:.2f}",
                        name[0] == 'a' ? "A->B" : "B->A", q.loss_percent, q.jitter_ms,
                        q.rtt_ms > 0 ? fmt::format("{:.0f} ms", q.rtt_ms) : "-", q.mos);
  }
  return quality;
}

namespace {

std::string endpoint(const api::Address& address, uint16_t port) {
  return address.is_set() ? fmt::format("{}:{}", address.to_string(), port) : "-";
}

// "PCMU/0 20ms te 101" for a leg's negotiated codec.
std::string codec_text(const api::LegCodec& c) {
  std::string text = fmt::format("{}/{} {}ms", api::to_string(c.codec), c.payload_type, c.ptime_ms);
  if (c.telephone_event_payload_type)
    text += fmt::format(" te {}", *c.telephone_event_payload_type);
  if (c.cn_payload_type) text += fmt::format(" cn {}", *c.cn_payload_type);
  return text;
}

nlohmann::json codec_json(const std::optional<api::LegCodec>& c) {
  if (!c) return nullptr;
  nlohmann::json j{{"codec", api::to_string(c->codec)},
                   {"payload_type", c->payload_type},
                   {"ptime_ms", c->ptime_ms}};
  j["telephone_event"] = c->telephone_event_payload_type
                             ? nlohmann::json(*c->telephone_event_payload_type)
                             : nlohmann::json(nullptr);
  j["cn"] = c->cn_payload_type ? nlohmann::json(*c->cn_payload_type) : nlohmann::json(nullptr);
  return j;
}

std::string mac_text(const std::array<uint8_t, 6>& mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3],
                     mac[4], mac[5]);
}

void append_resync(CommandOutput& out, const DataplaneResync::Progress& p) {
  out.data["resync"] = {{"running", p.running},
                        {"pending", p.pending},
                        {"in_flight", p.in_flight},
                        {"resyncs", p.resyncs},
                        {"completed", p.completed},
                        {"sent", p.sent},
                        {"batches", p.batches},
                        {"retried", p.retried},
                        {"failed", p.failed},
                        {"skipped", p.skipped},
                        {"last_duration_ms", p.last_duration.count()}};
  out.text += fmt::format(
      "resync: {}, {} pending ({} in flight); {} resync(s), last took {} ms; {} sent in {} "
      "messages, {} retried, {} failed\n",
      p.running ? "RUNNING" : "idle", p.pending, p.in_flight, p.resyncs, p.last_duration.count(),
      p.sent, p.batches, p.retried, p.failed);
}

// The statistics of port `index` (the last entry for it); nullptr when there are none.
const api::PortStats* port_stats(const std::optional<api::StatsReply>& stats, uint8_t index) {
  const api::PortStats* ps = nullptr;
  if (stats) {
    for (const auto& s : stats->ports) {
      if (s.index == index) ps = &s;
    }
  }
  return ps;
}

// One row of the port table; ps: its statistics, nullptr before the first StatsReply.
void append_port(CommandOutput& out, const api::PortInfo& p, const api::PortStats* ps) {
  const std::string address = fmt::format("{}/{}", p.address.to_string(), p.prefix_length);
  out.text +=
      fmt::format("{:<4} {:<10} {:<20} {:<18} {:<5} {:>12} {:>12} {:>12} {:>12}\n", p.index, p.name,
                  address, mac_text(p.mac), p.link_up ? "up" : "down", ps ? ps->rx_packets : 0,
                  ps ? ps->tx_packets : 0, ps ? ps->media_packets : 0, ps ? ps->to_kernel : 0);
  nlohmann::json j = {{"index", p.index},
                      {"name", p.name},
                      {"address", address},
                      {"mac", mac_text(p.mac)},
                      {"link_up", p.link_up}};
  if (ps != nullptr) {
    j["rx_packets"] = ps->rx_packets;
    j["rx_bytes"] = ps->rx_bytes;
    j["tx_packets"] = ps->tx_packets;
    j["tx_bytes"] = ps->tx_bytes;
    j["rx_missed"] = ps->rx_missed;
    j["media_packets"] = ps->media_packets;
    j["to_kernel"] = ps->to_kernel;
    j["from_kernel"] = ps->from_kernel;
  }
  out.data["ports"].push_back(std::move(j));
}

// Active sessions and the dataplane's named drop counters.
void append_drops(CommandOutput& out, const std::optional<api::StatsReply>& stats) {
  out.data["drops"] = nlohmann::json::object();
  if (!stats) {
    out.data["sessions"] = nullptr;
    out.text += "no statistics yet\n";
    return;
  }
  out.data["sessions"] = stats->active_sessions;
  out.data["transcoded_sessions"] = stats->transcoded_sessions;
  out.text += fmt::format("sessions: {} ({} transcoded)\ndrops:\n", stats->active_sessions,
                          stats->transcoded_sessions);
  for (const api::Counter& c : stats->drops) {
    out.data["drops"][c.name] = c.value;
    out.text += fmt::format("  {:<30} {:>12}\n", c.name, c.value);
  }
}

}  // namespace

CommandOutput show_calls(const B2bua& b2bua, const Scheduler& clock) {
  std::vector<const Call*> calls;
  for (const auto& [id, call] : b2bua.calls()) {
    if (call->state != CallState::kEnded) calls.push_back(call.get());
  }
  std::ranges::sort(calls, {}, &Call::id);
  CommandOutput out;
  out.data = {{"calls", nlohmann::json::array()}};
  out.text =
      fmt::format("{:<20} {:<28} {:<10} {:>6}  {:<44} {:>10} {:>10}\n", "ID", "CALLER -> CALLEE",
                  "STATE", "AGE", "MEDIA A (local/remote) | B", "A->B PKTS", "B->A PKTS");
  for (const Call* call : calls) {
    const auto age =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now() - call->started).count();
    const MediaLeg& a = call->media.leg(kCaller);
    const MediaLeg& b = call->media.leg(kCallee);
    uint64_t a_to_b = 0;
    uint64_t b_to_a = 0;
    if (call->media_stats && call->media_stats->legs.size() == 2) {
      a_to_b = call->media_stats->legs[kCaller].rtp.packets;
      b_to_a = call->media_stats->legs[kCallee].rtp.packets;
    }
    const std::string parties =
        fmt::format("{} -> {}", call->legs[kCaller].user, call->legs[kCallee].user);
    const std::string media = fmt::format(
        "{}/{} | {}/{}", endpoint(a.local, a.local_port), endpoint(a.remote, a.remote_port),
        endpoint(b.local, b.local_port), endpoint(b.remote, b.remote_port));
    out.text += fmt::format("{:<20} {:<28} {:<10} {:>5}s  {:<44} {:>10} {:>10}\n", call->id,
                            parties, to_string(call->state), age, media, a_to_b, b_to_a);
    if (a.codec && b.codec) {
      out.text +=
          fmt::format("{:<20} codecs  A {} | B {} ({})\n", "", codec_text(*a.codec),
                      codec_text(*b.codec), call->media.transcoded() ? "transcoded" : "relayed");
    }
    std::string quality_line;
    const nlohmann::json quality = call_quality_view(call->media_stats, quality_line);
    if (!quality_line.empty()) out.text += fmt::format("{:<20} quality{}\n", "", quality_line);
    auto leg_json = [](const MediaLeg& m) {
      return nlohmann::json{{"local", endpoint(m.local, m.local_port)},
                            {"remote", endpoint(m.remote, m.remote_port)}};
    };
    out.data["calls"].push_back({{"id", call->id},
                                 {"caller", call->legs[kCaller].user},
                                 {"callee", call->legs[kCallee].user},
                                 {"state", to_string(call->state)},
                                 {"age_s", age},
                                 {"media_a", leg_json(a)},
                                 {"media_b", leg_json(b)},
                                 {"packets_a_to_b", a_to_b},
                                 {"packets_b_to_a", b_to_a},
                                 {"codec_a", codec_json(a.codec)},
                                 {"codec_b", codec_json(b.codec)},
                                 {"transcoded", call->media.transcoded()},
                                 {"quality", quality}});
  }
  out.text += fmt::format("{} active call(s)\n", calls.size());
  return out;
}

CommandOutput show_capacity(const B2bua& b2bua) {
  const CapacityLimits& limits = b2bua.capacity();
  const TransactionLayer& layer = b2bua.transactions();
  const EndedCalls& ended = b2bua.ended_calls();
  struct Row {
    const char* table;
    size_t used;
    size_t limit;
    uint64_t exceeded;
    std::string_view source;
  };
  const Row rows[] = {
      {"calls", b2bua.active_calls(), limits.calls, b2bua.calls_refused_at_capacity(),
       limits.calls_source},
      {"server_transactions", layer.server_transactions(), layer.max_transactions(),
       layer.stats().over_limit, limits.transactions_source},
      {"client_transactions", layer.client_transactions(), layer.max_transactions(), 0,
       limits.transactions_source},
      {"ended_calls", ended.size(), ended.capacity(), ended.evicted(), limits.ended_calls_source},
  };
  CommandOutput out;
  out.data = {{"tables", nlohmann::json::array()}};
  out.text = fmt::format("{:<20} {:>10} {:>10} {:>6} {:>12}  {}\n", "TABLE", "USED", "LIMIT",
                         "USE%", "EXCEEDED", "LIMIT FROM");
  for (const Row& r : rows) {
    const double percent =
        r.limit == 0 ? 0.0 : 100.0 * static_cast<double>(r.used) / static_cast<double>(r.limit);
    out.text += fmt::format("{:<20} {:>10} {:>10} {:>5.1f}% {:>12}  {}\n", r.table, r.used, r.limit,
                            percent, r.exceeded, r.source);
    out.data["tables"].push_back({{"table", r.table},
                                  {"used", r.used},
                                  {"limit", r.limit},
                                  {"exceeded", r.exceeded},
                                  {"limit_from", r.source}});
  }
  out.text +=
      "exceeded: calls and transactions refused with 503 (Retry-After), ended calls forgotten "
      "before their time\n";
  return out;
}

CommandOutput show_dataplane(const DataplaneClient& dataplane,
                             const std::optional<api::StatsReply>& stats,
                             const DataplaneResync* resync) {
  CommandOutput out;
  out.data["connected"] = dataplane.connected();
  out.text = fmt::format("dataplane: {}\n", dataplane.connected() ? "connected" : "NOT connected");
  if (resync != nullptr) append_resync(out, resync->progress());
  out.data["ports"] = nlohmann::json::array();
  out.text += fmt::format("{:<4} {:<10} {:<20} {:<18} {:<5} {:>12} {:>12} {:>12} {:>12}\n", "IDX",
                          "NAME", "ADDRESS", "MAC", "LINK", "RX", "TX", "MEDIA", "TO_KERNEL");
  for (const api::PortInfo& p : dataplane.ports()) append_port(out, p, port_stats(stats, p.index));
  append_drops(out, stats);
  return out;
}

namespace {

// Where a trunk is, in show trunks' ADDRESS column: its address, or for a name where it leads
// now (the target a new call tries first: the first not held), or that it leads nowhere yet.
std::string trunk_address(const TrunkConfig& trunk, const TrunkTargets& located, size_t t,
                          Scheduler::Clock::time_point now) {
  if (trunk.address) {
    return fmt::format("{}:{}/{}", trunk.host, trunk.port, to_string(trunk.transport));
  }
  const auto& targets = located.targets(t);
  if (targets.empty()) return fmt::format("{} (unresolved)", trunk.host);
  const auto first = located.next(t, {}, now);
  if (!first) return fmt::format("{} (all held)", trunk.host);
  return fmt::format("{}={}", trunk.host, describe(targets[*first]));
}

// show trunks' JSON: the host as configured, every target in the order tried, those held after
// failing a call and those down by qualify (trunk_targets.h) and, for a name, its DNS state.
void add_location(nlohmann::json& row, const TrunkConfig& trunk, const TrunkTargets& located,
                  size_t t, Scheduler::Clock::time_point now) {
  const TrunkTargets::State& where = located.at(t);
  nlohmann::json targets = nlohmann::json::array();
  nlohmann::json held = nlohmann::json::array();
  nlohmann::json down = nlohmann::json::array();
  for (const SipTarget& target : where.targets) {
    targets.push_back(describe(target));
    if (located.down(t, target)) down.push_back(describe(target));
    if (auto until = located.held_until(t, target, now)) {
      held.push_back({{"target", describe(target)},
                      {"for_s", std::chrono::ceil<std::chrono::seconds>(*until - now).count()}});
    }
  }
  row["host"] = trunk.host;
  row["targets"] = std::move(targets);
  row["held_targets"] = std::move(held);
  row["down_targets"] = std::move(down);
  if (trunk.address) return;
  nlohmann::json expires_in;  // null until the name first resolved
  if (where.expires != TrunkTargets::Clock::time_point::min()) {
    expires_in =
        std::max<int64_t>(0, std::chrono::ceil<std::chrono::seconds>(where.expires - now).count());
  }
  row["dns"] = {
      {"expires_in_s", expires_in}, {"failures_in_row", where.failures}, {"error", where.error}};
}

}  // namespace

CommandOutput show_trunks(const B2bua& b2bua, const Scheduler& clock) {
  const TrunkHealth& health = b2bua.trunk_health();
  const auto now = clock.wall_now();
  auto ago = [&](const std::optional<std::chrono::system_clock::time_point>& at) -> int64_t {
    return at ? std::chrono::duration_cast<std::chrono::seconds>(now - *at).count() : -1;
  };
  CommandOutput out;
  out.data = {{"trunks", nlohmann::json::array()}};
  out.text = fmt::format("{:<16} {:<12} {:<40} {:<11} {:>9} {:>8}  {:<14} {}\n", "TRUNK", "INBOUND",
                         "ADDRESS", "STATE", "LATENCY", "QUALIFY", "REGISTRATION", "LAST FAILURE");
  const TrunkTargets& located = b2bua.trunk_targets();
  const auto& trunks = b2bua.trunks();
  for (size_t t = 0; t < trunks.size() && t < health.size() && t < located.size(); ++t) {
    const TrunkConfig& trunk = trunks[t];
    const TrunkStatus& s = health.status(t);
    const TrunkTargets::State& where = located.at(t);
    const std::string address = trunk_address(trunk, located, t, clock.now());
    // The last answered ping's round trip; not while down (it would read as current).
    const std::string latency =
        s.latency && s.state != TrunkState::kDown ? fmt::format("{} ms", s.latency->count()) : "-";
    const std::string qualify =
        trunk.qualify.enabled() ? fmt::format("{} s", trunk.qualify.interval.count()) : "off";
    std::string failure = s.last_failure.empty() ? "-"
                                                 : fmt::format("{} ({} s ago)", s.last_failure,
                                                               ago(s.last_failure_at));
    // Outbound registration (b2bua/trunk_registration.h): its state, and why it last failed.
    const RegistrationStatus& reg = b2bua.trunk_registrations().status(t);
    const int64_t reg_left =
        reg.expires_at ? std::max<int64_t>(0, -ago(reg.expires_at)) : int64_t{0};
    std::string registration = "-";
    if (reg.state == RegistrationState::kRegistered) {
      registration = fmt::format("up {}s", reg_left);
    } else if (reg.state != RegistrationState::kOff) {
      registration = std::string(to_string(reg.state));
    }
    if (reg.state == RegistrationState::kFailed) {
      failure = fmt::format("register: {} ({} s ago)", reg.last_failure, ago(reg.last_failure_at));
    }
    if (!where.error.empty()) failure = fmt::format("dns: {}", where.error);
    // A 503's Retry-After holds a trunk out of routing whatever its qualify state says.
    const bool held = health.held(t, clock.now());
    const int64_t held_s =
        held ? std::chrono::ceil<std::chrono::seconds>(*s.held_until - clock.now()).count() : 0;
    std::string state = held ? fmt::format("held {}s", held_s) : std::string(to_string(s.state));
    if (where.targets.empty()) state = "no address";
    const bool targets_held = !where.targets.empty() && !located.next(t, {}, clock.now());
    if (targets_held) state = "held";  // every target failed a call a moment ago
    out.text +=
        fmt::format("{:<16} {:<12} {:<40} {:<11} {:>9} {:>8}  {:<14} {}\n", trunk.name,
                    trunk.inbound_zone, address, state, latency, qualify, registration, failure);
    nlohmann::json row = {{"name", trunk.name},
                          {"zone", trunk.zone},
                          {"inbound_zone", trunk.inbound_zone},
                          {"address", address},
                          {"state", to_string(s.state)},
                          {"available", b2bua.trunk_routable(t)},
                          {"held_s", held_s},
                          {"qualify_s", trunk.qualify.interval.count()},
                          {"pings_answered", s.pings_answered},
                          {"pings_failed", s.pings_failed},
                          {"last_failure", s.last_failure}};
    row["latency_ms"] = s.latency ? nlohmann::json(s.latency->count()) : nlohmann::json();
    row["registration"] = {{"state", to_string(reg.state)},
                           {"expires_in_s", reg.expires_at ? nlohmann::json(reg_left) : nullptr},
                           {"granted_s", reg.granted_s},
                           {"failures_in_row", reg.failures_in_row},
                           {"last_failure", reg.last_failure}};
    add_location(row, trunk, located, t, clock.now());
    row["last_failure_age_s"] =
        s.last_failure_at ? nlohmann::json(ago(s.last_failure_at)) : nlohmann::json();
    row["changed_age_s"] = s.changed_at ? nlohmann::json(ago(s.changed_at)) : nlohmann::json();
    out.data["trunks"].push_back(std::move(row));
  }
  if (trunks.empty()) out.text += "(no trunks configured)\n";
  return out;
}

// Route tables: each route's zone, prefixes and trunks by level, with the trunks routing would
// skip now (down, held, or every target held) marked.
CommandOutput show_routes(const B2bua& b2bua) {
  const auto& trunks = b2bua.trunks();
  CommandOutput out;
  out.data = {{"routes", nlohmann::json::array()}};
  out.text = fmt::format("{:<16} {:<10} {:<24} {}\n", "ROUTE", "ZONE", "PREFIXES", "TRUNKS");
  for (const RouteConfig& route : b2bua.routes()) {
    std::vector<std::string> levels_text;
    nlohmann::json levels = nlohmann::json::array();
    for (const auto& level : route.levels) {
      std::vector<std::string> members_text;
      nlohmann::json members = nlohmann::json::array();
      for (const RouteTrunk& member : level) {
        auto it = std::ranges::find(trunks, member.trunk, &TrunkConfig::name);
        const bool usable =
            it != trunks.end() && b2bua.trunk_routable(static_cast<size_t>(it - trunks.begin()));
        members_text.push_back(
            fmt::format("{}{}{}", member.trunk,
                        member.weight != 1 ? fmt::format(":{}", member.weight) : std::string(),
                        usable ? "" : " (skipped)"));
        members.push_back(
            {{"trunk", member.trunk}, {"weight", member.weight}, {"available", usable}});
      }
      levels_text.push_back(fmt::format("{}", fmt::join(members_text, " ")));
      levels.push_back(std::move(members));
    }
    const std::string prefixes =
        route.prefixes.empty() ? "(default)" : fmt::format("{}", fmt::join(route.prefixes, ","));
    out.text += fmt::format("{:<16} {:<10} {:<24} {}{}\n", route.name, route.zone, prefixes,
                            fmt::join(levels_text, ", "), route.least_cost ? " (least cost)" : "");
    out.data["routes"].push_back({{"name", route.name},
                                  {"zone", route.zone},
                                  {"prefixes", route.prefixes},
                                  {"order", route.least_cost ? "cost" : "weight"},
                                  {"levels", std::move(levels)}});
  }
  if (b2bua.routes().empty()) out.text += "(no routes: calls try every trunk by name)\n";
  return out;
}

CommandOutput show_dids(const B2bua& b2bua) {
  CommandOutput out;
  out.data = {{"dids", nlohmann::json::array()}};
  out.text = fmt::format("{:<16} {:<28} {:<16} {:<26} {}\n", "DID", "NUMBERS", "TRUNKS", "TARGET",
                         "CALLED");
  for (const DidConfig& did : b2bua.dids()) {
    std::string target = "default";
    if (did.kind == DidTargetKind::kUser) target = "user " + did.user;
    if (did.kind == DidTargetKind::kAddress && did.address) {
      target = fmt::format("{}:{}{}", did.address->host.to_string(), did.address->port,
                           did.transport == Transport::kUdp
                               ? std::string()
                               : fmt::format(" ({})", to_string(did.transport)));
    }
    out.text += fmt::format(
        "{:<16} {:<28} {:<16} {:<26} {}\n", did.name,
        did.numbers.empty() ? std::string("(every other)")
                            : fmt::format("{}", fmt::join(did.numbers, ",")),
        did.trunks.empty() ? std::string("(any)") : fmt::format("{}", fmt::join(did.trunks, ",")),
        did.zone.empty() ? target : fmt::format("{} in {}", target, did.zone),
        did.called.empty() ? std::string("(as called)") : did.called);
    out.data["dids"].push_back({{"name", did.name},
                                {"numbers", did.numbers},
                                {"trunks", did.trunks},
                                {"zone", did.zone},
                                {"target", target},
                                {"called", did.called}});
  }
  if (b2bua.dids().empty()) {
    out.text +=
        "(no DID table: calls from trunks go to a registered user, else the default target)\n";
  }
  return out;
}

void register_show_commands(CommandTable& table, const B2bua& b2bua,
                            const DataplaneClient& dataplane,
                            const std::optional<api::StatsReply>& stats, const Scheduler& clock,
                            const DataplaneResync* resync) {
  table.add({"show", "calls"}, "List active calls with their media",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show calls takes no arguments");
              return show_calls(b2bua, clock);
            });
  table.add({"show", "capacity"}, "Table usage against limits (calls, transactions, ended calls)",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show capacity takes no arguments");
              return show_capacity(b2bua);
            });
  table.add({"show", "trunks"}, "Trunks: address, qualify state and latency, last failure",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show trunks takes no arguments");
              return show_trunks(b2bua, clock);
            });
  table.add({"show", "routes"}, "Route tables: zone, prefixes, trunks by priority and weight",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show routes takes no arguments");
              return show_routes(b2bua);
            });
  table.add({"show", "dids"}, "DID table: numbers, trunks, target and extension of each entry",
            [&](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show dids takes no arguments");
              return show_dids(b2bua);
            });
  table.add({"show", "dataplane"}, "Dataplane connection, ports, drops, sessions and resync",
            [&, resync](CommandArgs args) -> CommandResult {
              if (!args.empty()) return std::unexpected("show dataplane takes no arguments");
              return show_dataplane(dataplane, stats, resync);
            });
}

}  // namespace sbc::cp
