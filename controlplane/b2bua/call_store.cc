#include "controlplane/b2bua/call_store.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "controlplane/sip/sdp_crypto.h"

namespace sbc::cp {
namespace {

using nlohmann::json;
using SysTime = std::chrono::system_clock::time_point;

int64_t to_ms(SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
SysTime from_ms(int64_t ms) {
  return SysTime(std::chrono::duration_cast<SysTime::duration>(std::chrono::milliseconds(ms)));
}

json endpoint_json(const Endpoint& e) {
  return {{"address", e.address().to_string()}, {"port", e.port()}};
}

std::expected<Endpoint, std::string> endpoint_of(const json& j) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(j.at("address").get<std::string>(), ec);
  if (ec) return std::unexpected("bad address " + j.at("address").dump());
  return Endpoint(address, j.at("port").get<uint16_t>());
}

api::Address api_address_of(const json& j) {
  const auto text = j.get<std::string>();
  return text.empty() ? api::Address{} : api::Address::parse(text);
}

std::string api_text(const api::Address& a) {
  return a.is_set() ? a.to_string() : std::string();
}

// A leg's SRTP without its keys: they are never stored (nor are they in the stored messages and
// SDP, see to_json). An adopted call asks the dataplane to keep the contexts it has (an empty key
// in the SessionAdd).
json srtp_json(const std::optional<SrtpLeg>& srtp) {
  if (!srtp) return nullptr;
  return {{"suite", std::string(sip::to_string(srtp->suite))}, {"tag", srtp->tag}};
}

std::expected<std::optional<SrtpLeg>, std::string> srtp_of(const json& m) {
  auto it = m.find("srtp");
  if (it == m.end() || it->is_null()) return std::nullopt;
  const auto name = it->at("suite").get<std::string>();
  auto suite = sip::sdes_suite_from_name(name);
  if (!suite) return std::unexpected(fmt::format("SRTP suite '{}' is unknown", name));
  SrtpLeg srtp;
  srtp.suite = *suite;
  srtp.tag = it->at("tag").get<uint32_t>();
  return srtp;
}

// A leg's negotiated codec (set when the dataplane rewrites payload types or transcodes): an
// adopted call programs the same conversion again.
json codec_json(const std::optional<api::LegCodec>& codec) {
  if (!codec) return nullptr;
  const auto pt = [](std::optional<uint8_t> v) { return v ? json(*v) : json(nullptr); };
  return {{"codec", std::string(api::to_string(codec->codec))},
          {"payload_type", codec->payload_type},
          {"ptime_ms", codec->ptime_ms},
          {"cn_payload_type", pt(codec->cn_payload_type)},
          {"telephone_event_payload_type", pt(codec->telephone_event_payload_type)}};
}

std::expected<std::optional<api::LegCodec>, std::string> codec_of(const json& m) {
  auto it = m.find("codec");
  if (it == m.end() || it->is_null()) return std::nullopt;
  const auto name = it->at("codec").get<std::string>();
  auto codec = api::media_codec_from_name(name);
  if (!codec) return std::unexpected(fmt::format("codec '{}' is unknown", name));
  const auto pt = [&](const char* key) -> std::optional<uint8_t> {
    const json& v = it->at(key);
    return v.is_null() ? std::nullopt : std::optional<uint8_t>(v.get<uint8_t>());
  };
  return api::LegCodec{.codec = *codec,
                       .payload_type = it->at("payload_type").get<uint8_t>(),
                       .ptime_ms = it->at("ptime_ms").get<uint8_t>(),
                       .cn_payload_type = pt("cn_payload_type"),
                       .telephone_event_payload_type = pt("telephone_event_payload_type")};
}

// A leg's dialog policy and session timer: an adopted call keeps refreshing (or expecting
// refreshes) at the interval its leg negotiated, and keeps its zone's Min-SE and REFER policy
// even when a reload changed them since.
json dialog_json(const DialogPolicy& policy, const SessionTimer& timer) {
  return {{"session_expires_s", policy.session_expires_s},
          {"min_se_s", policy.min_se_s},
          {"100rel", std::string(to_string(policy.rel100))},
          {"refer", std::string(to_string(policy.refer))},
          {"timer_interval_s", timer.interval_s},
          {"we_refresh", timer.we_refresh}};
}

std::expected<void, std::string> dialog_of(const json& j, DialogPolicy& policy,
                                           SessionTimer& timer) {
  auto rel100 = parse_rel100(j.at("100rel").get<std::string>());
  auto refer = parse_refer_policy(j.at("refer").get<std::string>());
  if (!rel100 || !refer) return std::unexpected("dialog: unknown 100rel or refer policy");
  policy = DialogPolicy{.session_expires_s = j.at("session_expires_s").get<uint32_t>(),
                        .min_se_s = j.at("min_se_s").get<uint32_t>(),
                        .rel100 = *rel100,
                        .refer = *refer};
  timer.interval_s = j.at("timer_interval_s").get<uint32_t>();
  timer.we_refresh = j.at("we_refresh").get<bool>();
  return {};
}

// `forward_rtp`: the leg's RTP is relayed to the other (false while the SDP directions hold it
// back: an adopted held call stays held, and without a media timeout).
json leg_json(const Leg& leg, const MediaLeg& m, bool forward_rtp,
              const std::vector<std::string>& zones) {
  return {
      {"zone", leg.peer.zone < zones.size() ? zones[leg.peer.zone] : std::string()},
      {"transport", std::string(to_string(leg.peer.transport))},
      {"remote", endpoint_json(leg.peer.remote)},
      {"local", endpoint_json(leg.peer.local)},
      {"server_name", leg.peer.server_name},
      {"sips", leg.sips},
      {"call_id", leg.call_id},
      {"local_tag", leg.local_tag},
      {"remote_tag", leg.remote_tag},
      {"local_party", leg.local_party},
      {"remote_party", leg.remote_party},
      {"remote_target", leg.remote_target},
      {"route_set", leg.route_set},
      {"local_cseq", leg.local_cseq},
      {"user", leg.user},
      {"user_agent", leg.user_agent},
      {"signalling_source", endpoint_json(leg.signalling_source)},
      {"sdp_version", m.sdp_version},
      {"media",
       {{"dataplane_port", m.dataplane_port},
        {"local", api_text(m.local)},
        {"local_port", m.local_port},
        {"remote", api_text(m.remote)},
        {"remote_port", m.remote_port},
        {"remote_rtcp_port", m.remote_rtcp_port},
        {"srtp", srtp_json(m.srtp)},
        {"codec", codec_json(m.codec)},
        {"forward_rtp", forward_rtp}}},
  };
}

std::expected<Leg, std::string> leg_of(const json& j, MediaLeg& media, bool& forward_rtp,
                                       const std::vector<std::string>& zones) {
  Leg leg;
  const auto zone = j.at("zone").get<std::string>();
  auto it = std::ranges::find(zones, zone);
  if (it == zones.end()) return std::unexpected(fmt::format("zone '{}' is not configured", zone));
  leg.peer.zone = static_cast<size_t>(it - zones.begin());
  auto transport = parse_transport(j.at("transport").get<std::string>());
  if (!transport) return std::unexpected("bad transport " + j.at("transport").dump());
  leg.peer.transport = *transport;
  auto remote = endpoint_of(j.at("remote"));
  auto local = endpoint_of(j.at("local"));
  auto source = endpoint_of(j.at("signalling_source"));
  if (!remote) return std::unexpected(remote.error());
  if (!local) return std::unexpected(local.error());
  if (!source) return std::unexpected(source.error());
  leg.peer.remote = *remote;
  leg.peer.local = *local;
  // A TCP/TLS connection died with the old process: the next request opens a new one (to a
  // trunk known by name, checked against that name; absent in records of before it was kept).
  leg.peer.connection = 0;
  leg.peer.server_name = j.value("server_name", std::string());
  leg.sips = j.at("sips").get<bool>();
  leg.call_id = j.at("call_id").get<std::string>();
  leg.local_tag = j.at("local_tag").get<std::string>();
  leg.remote_tag = j.at("remote_tag").get<std::string>();
  leg.local_party = j.at("local_party").get<std::string>();
  leg.remote_party = j.at("remote_party").get<std::string>();
  leg.remote_target = j.at("remote_target").get<std::string>();
  leg.route_set = j.at("route_set").get<std::vector<std::string>>();
  leg.local_cseq = j.at("local_cseq").get<uint32_t>();
  leg.user = j.at("user").get<std::string>();
  leg.user_agent = j.value("user_agent", std::string());  // absent in records before it
  leg.signalling_source = *source;
  media.sdp_version = j.at("sdp_version").get<uint64_t>();
  const json& m = j.at("media");
  media.dataplane_port = m.at("dataplane_port").get<uint8_t>();
  media.local = api_address_of(m.at("local"));
  media.local_port = m.at("local_port").get<uint16_t>();
  media.remote = api_address_of(m.at("remote"));
  media.remote_port = m.at("remote_port").get<uint16_t>();
  media.remote_rtcp_port = m.at("remote_rtcp_port").get<uint16_t>();
  auto srtp = srtp_of(m);
  if (!srtp) return std::unexpected(srtp.error());
  media.srtp = std::move(*srtp);
  auto codec = codec_of(m);
  if (!codec) return std::unexpected(codec.error());
  media.codec = *codec;
  // (A store written before it was kept has none: the call resumes sending both ways.)
  forward_rtp = m.value("forward_rtp", true);
  return leg;
}

// Closes a statement on scope exit.
struct Finalizer {
  sqlite3_stmt* stmt;
  ~Finalizer() { sqlite3_finalize(stmt); }
};

}  // namespace

json CallStore::to_json(const Call& call, const std::vector<std::string>& zones) {
  json j = {
      {"id", call.id},
      {"account", call.account},
      {"start_ms", to_ms(call.start_time)},
      {"answer_ms", call.answer_time ? json(to_ms(*call.answer_time)) : json(nullptr)},
      {"final_status", call.final_status},
      // SDES keys are never stored: every SIP message and SDP body is kept with its a=crypto
      // keys masked (same length: the INVITE still parses, its Content-Length still holds).
      {"caller_invite",
       call.caller_invite ? sip::redact_crypto_keys(std::string(call.caller_invite->raw())) : ""},
      {"caller_invite_branch", call.caller_invite_branch},
      {"callee_invite_uri", call.callee_invite_uri},
      {"callee_invite_branch", call.callee_invite_branch},
      {"callee_invite_cseq", call.callee_invite_cseq},
      {"callee_ack", sip::redact_crypto_keys(call.callee_ack)},
      {"caller_answer_sdp", sip::redact_crypto_keys(call.caller_answer_sdp)},
      {"callee_answer_sdp",
       call.callee_answer ? sip::redact_crypto_keys(call.callee_answer->text()) : std::string()},
      {"legs",
       {leg_json(call.legs[kCaller], call.media.leg(kCaller), call.media.forward_rtp()[kCaller],
                 zones),
        leg_json(call.legs[kCallee], call.media.leg(kCallee), call.media.forward_rtp()[kCallee],
                 zones)}},
      {"dialogs",
       {dialog_json(call.dialog[kCaller], call.session_timers[kCaller]),
        dialog_json(call.dialog[kCallee], call.session_timers[kCallee])}},
  };
  if (call.admission) {
    const AdmissionTicket& ticket = call.admission->ticket();
    j["admission"] = {{"trunk", ticket.trunk}, {"user", ticket.user}};
  }
  // Relayed REFERs whose NOTIFYs may still come (refer_subscription.h).
  json refers = json::array();
  for (const auto& refer : call.refer_subscriptions.refers()) {
    refers.push_back({{"transferor", static_cast<int>(refer.transferor)},
                      {"cseq", {refer.cseq[kCaller], refer.cseq[kCallee]}}});
  }
  j["refers"] = std::move(refers);
  return j;
}

std::expected<Call, std::string> CallStore::from_json(const json& j,
                                                      const std::vector<std::string>& zones) {
  try {
    Call call;
    call.id = j.at("id").get<uint64_t>();
    call.media = MediaSession(call.id);  // its ports are leased again when the call is adopted
    call.account = j.at("account").get<std::string>();
    call.start_time = from_ms(j.at("start_ms").get<int64_t>());
    if (!j.at("answer_ms").is_null()) call.answer_time = from_ms(j.at("answer_ms").get<int64_t>());
    call.final_status = j.at("final_status").get<int>();
    if (auto raw = j.at("caller_invite").get<std::string>(); !raw.empty()) {
      auto invite = sip::Message::parse(std::move(raw));
      if (!invite) {
        return std::unexpected("stored INVITE does not parse: " +
                               std::string(sip::to_string(invite.error())));
      }
      call.caller_invite = std::move(*invite);
    }
    call.caller_invite_branch = j.at("caller_invite_branch").get<std::string>();
    call.callee_invite_uri = j.at("callee_invite_uri").get<std::string>();
    call.callee_invite_branch = j.at("callee_invite_branch").get<std::string>();
    call.callee_invite_cseq = j.at("callee_invite_cseq").get<uint32_t>();
    call.callee_ack = j.at("callee_ack").get<std::string>();
    call.caller_answer_sdp = j.at("caller_answer_sdp").get<std::string>();
    // Kept as text, parsed again once. (A store written before it was kept has none: an adopted
    // call never compares answers again.)
    if (auto answer = j.value("callee_answer_sdp", std::string()); !answer.empty()) {
      auto parsed = SdpBody::parse(answer);
      if (!parsed) {
        return std::unexpected("stored SDP answer does not parse: " +
                               std::string(sip::to_string(parsed.error())));
      }
      call.callee_answer = std::move(*parsed);
    }
    const json& legs = j.at("legs");
    if (!legs.is_array() || legs.size() != 2) return std::unexpected("legs: two expected");
    std::array<bool, 2> forward_rtp{true, true};
    for (Side side : {kCaller, kCallee}) {
      auto leg = leg_of(legs[side], call.media.leg(side), forward_rtp[side], zones);
      if (!leg)
        return std::unexpected(fmt::format("leg {}: {}", static_cast<int>(side), leg.error()));
      call.legs[side] = std::move(*leg);
    }
    call.media.set_forward_rtp(forward_rtp);
    // (A store written before they were kept has none: the call takes the default policy and
    // runs no session timer.)
    if (auto dialogs = j.find("dialogs"); dialogs != j.end()) {
      if (!dialogs->is_array() || dialogs->size() != 2)
        return std::unexpected("dialogs: two expected");
      for (Side side : {kCaller, kCallee}) {
        if (auto r = dialog_of((*dialogs)[side], call.dialog[side], call.session_timers[side]);
            !r) {
          return std::unexpected(r.error());
        }
      }
    }
    if (j.contains("admission")) {
      call.admission.emplace(AdmissionTicket{j["admission"].at("trunk").get<std::string>(),
                                             j["admission"].at("user").get<std::string>()});
    }
    // (A store written before they were kept has none: NOTIFYs go with their id unchanged.)
    if (auto refers = j.find("refers"); refers != j.end()) {
      std::vector<ReferSubscriptions::Refer> kept;
      for (const json& r : *refers) {
        const int transferor = r.at("transferor").get<int>();
        const auto cseq = r.at("cseq").get<std::array<uint32_t, 2>>();
        if (transferor != kCaller && transferor != kCallee) {
          return std::unexpected("refers: bad transferor " + r.dump());
        }
        kept.push_back({static_cast<Side>(transferor), cseq});
      }
      call.refer_subscriptions.restore(std::move(kept));
    }
    return call;
  } catch (const json::exception& e) {
    return std::unexpected(fmt::format("bad call document: {}", e.what()));
  }
}

CallStore::CallStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

CallStore::~CallStore() {
  if (db_ != nullptr && commit_ != nullptr) commit();
  for (sqlite3_stmt* s :
       {save_call_, mark_ended_, remove_call_, save_ban_, remove_ban_, begin_, commit_}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db_);
}

std::string CallStore::error() const {
  return fmt::format("{}: {}", path_, sqlite3_errmsg(db_));
}

std::expected<std::unique_ptr<CallStore>, std::string> CallStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<CallStore> store(new CallStore(db, path));
  if (rc != SQLITE_OK) {
    return std::unexpected(fmt::format("state_db: cannot open {}: {}", path,
                                       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db, 1000);
  // The journal mode pragma is the first statement that reads the file: a file that is not a
  // database fails here.
  const char* setup =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      // Deleted rows are overwritten with zeros, not left in free pages (an ended call's numbers
      // and addresses; and a stored SDP from before keys were masked).
      "PRAGMA secure_delete=ON;"
      "CREATE TABLE IF NOT EXISTS calls("
      "  id INTEGER PRIMARY KEY,"
      "  ended INTEGER NOT NULL DEFAULT 0,"
      "  document TEXT NOT NULL,"
      "  cdr TEXT);"
      "CREATE TABLE IF NOT EXISTS bans("
      "  source TEXT PRIMARY KEY,"
      "  since_ms INTEGER NOT NULL,"
      "  until_ms INTEGER,"
      "  reason TEXT NOT NULL,"
      "  level INTEGER NOT NULL);";
  char* message = nullptr;
  if (sqlite3_exec(db, setup, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return std::unexpected(fmt::format("state_db: {}: {}", path, text));
  }
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) {
      return std::unexpected("state_db: " + store->error());
    }
    Finalizer f{stmt};
    const int version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
    if (version == 0) {
      const std::string set = fmt::format("PRAGMA user_version={}", kSchemaVersion);
      if (sqlite3_exec(db, set.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return std::unexpected("state_db: " + store->error());
      }
    } else if (version != kSchemaVersion) {
      return std::unexpected(fmt::format("state_db: {}: schema version {}, this sbcd reads {}",
                                         path, version, kSchemaVersion));
    }
  }
  if (auto prepared = store->prepare(); !prepared) {
    return std::unexpected("state_db: " + prepared.error());
  }
  return store;
}

std::expected<void, std::string> CallStore::prepare() {
  const std::pair<sqlite3_stmt**, const char*> statements[] = {
      {&save_call_, "INSERT OR REPLACE INTO calls(id, ended, document, cdr) VALUES(?, 0, ?, NULL)"},
      {&mark_ended_, "UPDATE calls SET ended = 1, cdr = ? WHERE id = ?"},
      {&remove_call_, "DELETE FROM calls WHERE id = ?"},
      {&save_ban_,
       "INSERT OR REPLACE INTO bans(source, since_ms, until_ms, reason, level) "
       "VALUES(?, ?, ?, ?, ?)"},
      {&remove_ban_, "DELETE FROM bans WHERE source = ?"},
      {&begin_, "BEGIN"},
      {&commit_, "COMMIT"},
  };
  for (const auto& [stmt, sql] : statements) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
      return std::unexpected(error());
    }
  }
  return {};
}

void CallStore::open_batch() {
  if (!committer_ || in_batch_) return;
  const int rc = sqlite3_step(begin_);
  sqlite3_reset(begin_);
  if (rc != SQLITE_DONE) {
    spdlog::error("state_db: starting a batch failed: {}", error());
    return;  // the write commits on its own
  }
  in_batch_ = true;
  committer_();
}

void CallStore::commit() {
  if (!in_batch_) return;
  in_batch_ = false;
  const int rc = sqlite3_step(commit_);
  sqlite3_reset(commit_);
  if (rc == SQLITE_DONE) return;
  ++write_errors_;
  spdlog::error("state_db: commit failed: {}", error());
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

bool CallStore::step_done(sqlite3_stmt* stmt, const char* what) {
  open_batch();
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc == SQLITE_DONE) return true;
  ++write_errors_;
  spdlog::error("state_db: {} failed: {}", what, error());
  return false;
}

bool CallStore::save_call(const Call& call, const std::vector<std::string>& zones) {
  const std::string document = to_json(call, zones).dump();
  sqlite3_bind_int64(save_call_, 1, static_cast<sqlite3_int64>(call.id));
  sqlite3_bind_text(save_call_, 2, document.data(), static_cast<int>(document.size()),
                    SQLITE_STATIC);
  if (!step_done(save_call_, "saving a call")) return false;
  stored_.insert(call.id);
  return true;
}

bool CallStore::mark_ended(uint64_t id, const json& cdr) {
  if (!stored_.contains(id)) return true;
  const std::string text = cdr.dump();
  sqlite3_bind_text(mark_ended_, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  sqlite3_bind_int64(mark_ended_, 2, static_cast<sqlite3_int64>(id));
  return step_done(mark_ended_, "marking a call ended");
}

bool CallStore::remove_call(uint64_t id) {
  if (stored_.erase(id) == 0) return true;
  sqlite3_bind_int64(remove_call_, 1, static_cast<sqlite3_int64>(id));
  return step_done(remove_call_, "deleting a call");
}

std::expected<StoredCalls, std::string> CallStore::load_calls(
    const std::vector<std::string>& zones) {
  commit();
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT id, ended, document, cdr FROM calls ORDER BY id", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    return std::unexpected("state_db: " + error());
  }
  Finalizer f{stmt};
  StoredCalls out;
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto id = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
    const bool ended = sqlite3_column_int(stmt, 1) != 0;
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, ended ? 3 : 2));
    const json j = json::parse(text ? text : "", nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      out.dropped.emplace_back(id, ended ? "unreadable CDR" : "unreadable call document");
      continue;
    }
    stored_.insert(id);
    if (ended) {
      out.ended.emplace_back(id, j);
      continue;
    }
    auto call = from_json(j, zones);
    if (!call) {
      stored_.erase(id);
      out.dropped.emplace_back(id, call.error());
      continue;
    }
    out.live.push_back(std::move(*call));
  }
  if (rc != SQLITE_DONE) return std::unexpected("state_db: reading calls: " + error());
  for (const auto& [id, why] : out.dropped) {
    sqlite3_bind_int64(remove_call_, 1, static_cast<sqlite3_int64>(id));
    step_done(remove_call_, "deleting an unusable call");
  }
  return out;
}

bool CallStore::save_ban(const StoredBan& ban) {
  sqlite3_bind_text(save_ban_, 1, ban.source.data(), static_cast<int>(ban.source.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int64(save_ban_, 2, to_ms(ban.since));
  if (ban.until) {
    sqlite3_bind_int64(save_ban_, 3, to_ms(*ban.until));
  } else {
    sqlite3_bind_null(save_ban_, 3);
  }
  sqlite3_bind_text(save_ban_, 4, ban.reason.data(), static_cast<int>(ban.reason.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int64(save_ban_, 5, ban.level);
  return step_done(save_ban_, "saving a ban");
}

bool CallStore::remove_ban(const std::string& source) {
  sqlite3_bind_text(remove_ban_, 1, source.data(), static_cast<int>(source.size()), SQLITE_STATIC);
  return step_done(remove_ban_, "deleting a ban");
}

std::expected<std::vector<StoredBan>, std::string> CallStore::load_bans() {
  commit();
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT source, since_ms, until_ms, reason, level FROM bans ORDER BY "
                         "source",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return std::unexpected("state_db: " + error());
  }
  Finalizer f{stmt};
  std::vector<StoredBan> bans;
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    StoredBan b;
    const auto* source = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const auto* reason = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    b.source = source ? source : "";
    b.since = from_ms(sqlite3_column_int64(stmt, 1));
    if (sqlite3_column_type(stmt, 2) != SQLITE_NULL)
      b.until = from_ms(sqlite3_column_int64(stmt, 2));
    b.reason = reason ? reason : "";
    b.level = static_cast<uint32_t>(std::max<int64_t>(1, sqlite3_column_int64(stmt, 4)));
    bans.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) return std::unexpected("state_db: reading bans: " + error());
  return bans;
}

}  // namespace sbc::cp
