// Where bans are kept across restarts (sbcd: the state database, b2bua/call_store.h), as the
// edge security layer sees it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sbc::cp {

// A ban as stored: wall-clock times, since steady-clock ones do not survive a restart.
struct StoredBan {
  std::string source;  // address text
  std::chrono::system_clock::time_point since;
  std::optional<std::chrono::system_clock::time_point> until;  // nullopt: until removed
  std::string reason;
  uint32_t level = 1;
};

class BanStore {
 public:
  virtual ~BanStore() = default;
  // false (logged, counted by the store) when the write failed.
  virtual bool save_ban(const StoredBan& ban) = 0;
  virtual bool remove_ban(const std::string& source) = 0;
};

}  // namespace sbc::cp
