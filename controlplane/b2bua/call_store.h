// What a restarted sbcd needs to carry on: the established calls (both dialogs and the media
// anchored between them) and the bans in force, kept in an SQLite database (WAL journal,
// synchronous=NORMAL: a committed write survives an sbcd crash, the last ones may be lost with
// the machine's power).
//
// Calls are written when they are confirmed (the caller's ACK), marked ended with their CDR when
// they end and deleted once the CDR is in the CDR file. Calls still being set up are not stored:
// a crash drops them (their callers retry). Every call row holds one JSON document (dialogs,
// media legs, times, CDR fields) beside the columns a lookup needs; the schema version is the
// database's user_version.
//
// SRTP keys never reach the file: a leg's SRTP is kept as its suite and tag, and the stored SIP
// messages and SDP bodies have their a=crypto keys masked (sip::redact_crypto_keys). An adopted
// call asks the dataplane to keep the SRTP contexts it has.
//
// Group commit: with a committer set (sbcd), writes join one transaction that the committer has
// commit() close shortly after (sbcd: 10 ms), so a busy SBC pays one commit per batch, not per
// write; a crash loses at most that batch (see restore in b2bua_persist.cc for why CDRs stay
// exactly-once). Without one (tests), every write commits at once.
//
// Single-threaded (sbcd's event loop); every statement is prepared once.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "controlplane/b2bua/call.h"
#include "controlplane/security/ban_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sbc::cp {

// What load_calls() found.
struct StoredCalls {
  // Established calls to adopt; the Leg's zone indices are resolved from the stored zone names.
  std::vector<Call> live;
  // Calls that ended before their CDR was known to be written: call id and the CDR.
  std::vector<std::pair<uint64_t, nlohmann::json>> ended;
  // Rows that could not be used (unknown zone, unreadable document): call id and why. They
  // stay out of the store from then on.
  std::vector<std::pair<uint64_t, std::string>> dropped;
};

class CallStore final : public BanStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens (creating if needed) the database at `path` (":memory:" for a private one). The error
  // names the file and what failed: unreadable, not a database, another schema version.
  [[nodiscard]] static std::expected<std::unique_ptr<CallStore>, std::string> open(
      const std::string& path);
  ~CallStore();
  CallStore(const CallStore&) = delete;
  CallStore& operator=(const CallStore&) = delete;

  // --- calls --- `zones`: zone names by index (the config's order), stored by name so a
  // reordered config still finds them.
  // Inserts or replaces a confirmed call. false (logged, counted) when the write failed.
  bool save_call(const Call& call, const std::vector<std::string>& zones);
  // The call ended: its CDR is kept with it until remove_call(). No-op for a call not stored.
  bool mark_ended(uint64_t id, const nlohmann::json& cdr);
  bool remove_call(uint64_t id);
  [[nodiscard]] bool holds(uint64_t id) const { return stored_.contains(id); }
  [[nodiscard]] size_t size() const { return stored_.size(); }
  // Every stored call. Rows it cannot use are deleted and reported in `dropped`.
  [[nodiscard]] std::expected<StoredCalls, std::string> load_calls(
      const std::vector<std::string>& zones);

  // --- bans ---
  bool save_ban(const StoredBan& ban) override;
  bool remove_ban(const std::string& source) override;
  [[nodiscard]] std::expected<std::vector<StoredBan>, std::string> load_bans();

  // Called when a batch opens; it must call commit() soon (once).
  void set_committer(std::function<void()> committer) { committer_ = std::move(committer); }
  // Commits the open batch, if any (also done by the destructor and before a load).
  void commit();

  // Failed writes since open (each also logged).
  [[nodiscard]] uint64_t write_errors() const { return write_errors_; }

  // A call as the JSON document stored for it (exposed for tests).
  [[nodiscard]] static nlohmann::json to_json(const Call& call,
                                              const std::vector<std::string>& zones);
  [[nodiscard]] static std::expected<Call, std::string> from_json(
      const nlohmann::json& j, const std::vector<std::string>& zones);

 private:
  CallStore(sqlite3* db, std::string path);
  std::expected<void, std::string> prepare();
  bool step_done(sqlite3_stmt* stmt, const char* what);
  void open_batch();
  std::string error() const;

  sqlite3* db_ = nullptr;
  std::string path_;
  sqlite3_stmt* save_call_ = nullptr;
  sqlite3_stmt* mark_ended_ = nullptr;
  sqlite3_stmt* remove_call_ = nullptr;
  sqlite3_stmt* save_ban_ = nullptr;
  sqlite3_stmt* remove_ban_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  std::function<void()> committer_;
  bool in_batch_ = false;
  std::unordered_set<uint64_t> stored_;
  uint64_t write_errors_ = 0;
};

}  // namespace sbc::cp
