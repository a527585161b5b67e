// Call detail records: one JSON object per line, appended and flushed as each call ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>

namespace sbc::cp {

class CdrWriter {
 public:
  // Opens `path` for appending (creates it); the error names the file.
  [[nodiscard]] std::expected<void, std::string> open(const std::string& path);
  // Appends one line; failures are logged (a full disk must not stop call handling).
  void write(const nlohmann::json& record);
  // The call_id of every record in the last `tail_bytes` of the file: what was written just
  // before a restart, so it is not written again.
  [[nodiscard]] std::unordered_set<uint64_t> written_call_ids(size_t tail_bytes = 8 << 20) const;

 private:
  std::string path_;
  std::ofstream out_;
};

// ISO 8601 UTC with milliseconds: 2024-05-01T12:00:00.123Z
[[nodiscard]] std::string iso8601(std::chrono::system_clock::time_point time);

}  // namespace sbc::cp
