#include "controlplane/b2bua/call_cdr.h"

#include <fmt/core.h>

#include <cmath>

#include "controlplane/observability/cdr_writer.h"

namespace sbc::cp {

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
