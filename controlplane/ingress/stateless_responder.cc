#include "controlplane/ingress/stateless_responder.h"

#include <string>
#include <utility>

namespace sbc::cp {

sip::MessageBuilder StatelessResponder::response(const sip::Message& request, int code,
                                                 std::string_view reason) const {
  auto to = request.to();
  const std::string tag =
      code > 100 && to && to->tag().empty() ? layer_.stateless_tag(request) : std::string();
  return sip::make_response(request, code, reason, tag);
}

void StatelessResponder::send(const SipPeer& from, const sip::Message& request,
                              sip::MessageBuilder response) {
  layer_.respond_stateless(from, request, std::move(response));
}

void StatelessResponder::reject(const SipPeer& from, const sip::Message& request, int code,
                                std::string_view reason) {
  send(from, request, response(request, code, reason));
}

void StatelessResponder::challenge(const SipPeer& from, const sip::Message& request,
                                   const AuthDecision& auth) {
  auto refusal = response(request, auth.code);
  for (const std::string& value : auth.challenges) refusal.add(auth.challenge_header, value);
  send(from, request, std::move(refusal));
}

}  // namespace sbc::cp
