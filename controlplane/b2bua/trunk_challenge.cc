#include "controlplane/b2bua/trunk_challenge.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controlplane/security/digest_client.h"

namespace sbc::cp {

const TrunkConfig* credentialed_trunk(const std::vector<TrunkConfig>& trunks, const Call& call) {
  if (call.callee_trunk.empty()) return nullptr;
  auto it = std::ranges::find(trunks, call.callee_trunk, &TrunkConfig::name);
  return it != trunks.end() && !it->username.empty() ? &*it : nullptr;
}

bool passes_caller_credentials(const Config& config, const Call& call) {
  const size_t zone = call.legs[kCaller].peer.zone;
  if (call.callee_trunk.empty() || zone >= config.zones.size()) return false;
  const auto trunk = std::ranges::find(config.trunks, call.callee_trunk, &TrunkConfig::name);
  return config.zones[zone].registration.relay_trunk == call.callee_trunk &&
         trunk != config.trunks.end() && trunk->username.empty();
}

void add_caller_credentials(const Config& config, const Call& call, sip::RequestSpec& spec) {
  if (!call.caller_invite || !passes_caller_credentials(config, call)) return;
  for (const auto& h : call.caller_invite->headers()) {
    if (h.id == sip::HeaderId::kAuthorization || h.id == sip::HeaderId::kProxyAuthorization) {
      spec.headers.emplace_back(h.id, std::string(h.value));
    }
  }
}

bool TrunkChallenge::answer(const CallPtr& call, const sip::Message& challenge) {
  const TrunkConfig* trunk = credentialed_trunk(ctx_.config.trunks, *call);
  if (trunk == nullptr || !call->callee_invite_spec || call->callee_auth_answers >= kMaxAnswers ||
      call->final_status != 0) {
    return false;
  }
  sip::RequestSpec spec = *call->callee_invite_spec;
  auto answer = answer_challenge(challenge, "INVITE", spec.request_uri, trunk->username,
                                 trunk->secret, ctx_.ids.tag());
  if (!answer) {
    spdlog::info("call {}: {} from trunk {} not answered: {}", call->id, challenge.status_code(),
                 trunk->name, to_string(answer.error()));
    return false;
  }
  if (call->callee_auth_answers > 0 && !answer->stale) {
    spdlog::info("call {}: trunk {} refused its credentials ({} again)", call->id, trunk->name,
                 challenge.status_code());
    return false;
  }
  std::erase_if(spec.headers, [](const auto& header) {
    return header.first == sip::HeaderId::kAuthorization ||
           header.first == sip::HeaderId::kProxyAuthorization;
  });
  spec.headers.emplace_back(answer->header, std::move(answer->value));
  spec.branch = ctx_.ids.branch();
  Leg& b = call->legs[kCallee];
  spec.cseq = ++b.local_cseq;
  ++call->callee_auth_answers;
  call->callee_invite_spec = spec;
  spdlog::info("call {}: {} from trunk {} answered with its credentials", call->id,
               challenge.status_code(), trunk->name);
  return signalling_.send_invite(call, std::move(spec));
}

}  // namespace sbc::cp
