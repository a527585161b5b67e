#include "controlplane/b2bua/call_cdr.h"

#include <fmt/core.h>

#include <cmath>

#include "controlplane/observability/cdr_writer.h"
#include "controlplane/observability/mos.h"

namespace sbc::cp {

namespace {

nlohmann::json stream_json(const api::StreamStats& s) {
  nlohmann::json j = {{"packets", s.packets}, {"bytes", s.bytes}, {"dropped", s.dropped}};
  j["latched"] = s.latched.is_set()
                     ? nlohmann::json(fmt::format("{}:{}", s.latched.to_string(), s.latched_port))
                     : nlohmann::json(nullptr);
  return j;
}

double rounded(double v, double scale) {
  return std::round(v * scale) / scale;
}

nlohmann::json quality_json(const DirectionQuality& q) {
  if (q.expected == 0) return nullptr;  // no RTP seen in that direction
  nlohmann::json j = {{"expected", q.expected},
                      {"lost", q.lost},
                      {"loss_percent", rounded(q.loss_percent, 100)},
                      {"jitter_ms", rounded(q.jitter_ms, 10)},
                      {"mos", rounded(q.mos, 100)}};
  j["rtt_ms"] = q.rtt_ms > 0 ? nlohmann::json(rounded(q.rtt_ms, 10)) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

nlohmann::json make_cdr(const Call& call) {
  nlohmann::json j;
  j["call_id"] = call.id;
  j["caller"] = call.legs[kCaller].user;
  j["callee"] = call.legs[kCallee].user;
  // Which of the callee's dialogs (forks) answered, and how many early dialogs it opened.
  const Leg& b = call.legs[kCallee];
  j["callee_dialog"] = call.callee_answered
                           ? nlohmann::json{{"tag", b.remote_tag}, {"contact", b.remote_target}}
                           : nlohmann::json(nullptr);
  j["early_dialogs"] = call.early_dialogs.size();
  // The trunk the call went to last (routing/router.h); null off trunks. Before it, the trunks
  // that failed the call, each with its final status (b2bua/trunk_failover.h).
  j["callee_trunk"] =
      call.callee_trunk.empty() ? nlohmann::json(nullptr) : nlohmann::json(call.callee_trunk);
  j["route"] = call.route.empty() ? nlohmann::json(nullptr) : nlohmann::json(call.route);
  j["trunk_attempts"] = nlohmann::json::array();
  for (const TrunkAttempt& attempt : call.trunk_attempts) {
    j["trunk_attempts"].push_back({{"trunk", attempt.trunk},
                                   {"address", attempt.address},
                                   {"code", attempt.code},
                                   {"reason", attempt.reason}});
  }
  j["start_time"] = iso8601(call.start_time);
  j["answer_time"] = call.answer_time ? nlohmann::json(iso8601(*call.answer_time)) : nullptr;
  j["end_time"] = call.end_time ? nlohmann::json(iso8601(*call.end_time)) : nullptr;
  j["result_code"] = call.result_code;
  j["disposition"] = call.result ? to_string(*call.result) : "failed";
  j["media_refusal"] = call.media_refusal
                           ? nlohmann::json(std::string(to_string(*call.media_refusal)))
                           : nlohmann::json(nullptr);
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
    // Call quality per direction (loss, jitter, RTT, estimated MOS): RFC 3550 + E-model.
    j["quality"] = {
        {"caller_to_callee", quality_json(direction_quality(legs[kCaller], legs[kCallee]))},
        {"callee_to_caller", quality_json(direction_quality(legs[kCallee], legs[kCaller]))},
    };
  } else {
    j["media"] = nullptr;
    j["quality"] = nullptr;
  }
  return j;
}

Call refused_offer_record(uint64_t id, const sip::Message& invite, MediaRefusal refusal,
                          std::chrono::system_clock::time_point at) {
  Call call;
  call.id = id;
  if (auto from = invite.from()) call.legs[kCaller].user = std::string(from->uri.user);
  if (auto uri = invite.request_uri()) call.legs[kCallee].user = std::string(uri->user);
  call.start_time = at;
  call.end_time = at;
  call.result = CallResult::kFailed;
  call.result_code = response_code(refusal);
  call.media_refusal = refusal;
  return call;
}

void observe_call_quality(Metrics& metrics, const Call& call) {
  if (!call.media_stats || call.media_stats->legs.size() != 2) return;
  const auto& legs = call.media_stats->legs;
  metrics.call_quality(0, direction_quality(legs[kCaller], legs[kCallee]));
  metrics.call_quality(1, direction_quality(legs[kCallee], legs[kCaller]));
}

}  // namespace sbc::cp
