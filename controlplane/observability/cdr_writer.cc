#include "controlplane/observability/cdr_writer.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <ctime>

namespace sbc::cp {

std::expected<void, std::string> CdrWriter::open(const std::string& path) {
  path_ = path;
  out_.open(path, std::ios::app);
  if (!out_)
    return std::unexpected(fmt::format("sbcd.cdr_file: cannot open {} for appending", path));
  return {};
}

void CdrWriter::write(const nlohmann::json& record) {
  if (!out_.is_open()) return;
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) {
    spdlog::error("cdr: write to {} failed", path_);
    out_.clear();
  }
}

std::unordered_set<uint64_t> CdrWriter::written_call_ids(size_t tail_bytes) const {
  std::unordered_set<uint64_t> ids;
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) return ids;
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > static_cast<std::streamoff>(tail_bytes)
                                  ? size - static_cast<std::streamoff>(tail_bytes)
                                  : 0;
  in.seekg(from);
  std::string line;
  if (from > 0) std::getline(in, line);  // a partial first line
  while (std::getline(in, line)) {
    const auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_object() && record.contains("call_id") &&
        record["call_id"].is_number_unsigned()) {
      ids.insert(record["call_id"].get<uint64_t>());
    }
  }
  return ids;
}

std::string iso8601(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms.count() % 1000);
}

}  // namespace sbc::cp
