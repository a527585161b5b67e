#include "controlplane/cdr.h"

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

namespace {

nlohmann::json stream_json(const api::StreamStats& s) {
  nlohmann::json j = {{"packets", s.packets}, {"bytes", s.bytes}, {"dropped", s.dropped}};
  j["latched"] = s.latched.is_set()
                     ? nlohmann::json(fmt::format("{}:{}", s.latched.to_string(), s.latched_port))
                     : nlohmann::json(nullptr);
  return j;
}

}  // namespace

nlohmann::json make_cdr(const Call& call) {
  nlohmann::json j;
  j["call_id"] = call.id;
  j["caller"] = call.legs[kCaller].user;
  j["callee"] = call.legs[kCallee].user;
  j["start_time"] = iso8601(call.start_time);
  j["answer_time"] = call.answer_time ? nlohmann::json(iso8601(*call.answer_time)) : nullptr;
  j["end_time"] = call.end_time ? nlohmann::json(iso8601(*call.end_time)) : nullptr;
  j["result_code"] = call.result_code;
  j["disposition"] = call.result ? to_string(*call.result) : "failed";
  double duration = 0;
  if (call.answer_time && call.end_time) {
    duration = std::chrono::duration<double>(*call.end_time - *call.answer_time).count();
  }
  j["duration_s"] = std::round(duration * 1000) / 1000;
  // Leg i's streams count what the SBC received from side i, i.e. what flowed away from it.
  if (call.media_stats && call.media_stats->legs.size() == 2) {
    const auto& legs = call.media_stats->legs;
    j["media"] = {
        {"caller_to_callee",
         {{"rtp", stream_json(legs[kCaller].rtp)}, {"rtcp", stream_json(legs[kCaller].rtcp)}}},
        {"callee_to_caller",
         {{"rtp", stream_json(legs[kCallee].rtp)}, {"rtcp", stream_json(legs[kCallee].rtcp)}}},
    };
  } else {
    j["media"] = nullptr;
  }
  return j;
}

}  // namespace sbc::cp
