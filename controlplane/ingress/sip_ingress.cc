#include "controlplane/ingress/sip_ingress.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "controlplane/sip/keepalive.h"

namespace sbc::cp {

SipIngress::SipIngress(TransactionLayer& layer, sip::RequestPolicy policy, Metrics& metrics,
                       EdgeSecurity& security)
    : layer_(layer),
      policy_(std::move(policy)),
      metrics_(metrics),
      security_(security),
      responder_(layer) {}

void SipIngress::on_message(const SipPeer& from, std::string data) {
  // ACLs, bans and the per-source rate come before any parsing work (dropped and counted there).
  if (!security_.screen(from)) return;
  on_screened(from, std::move(data));
}

void SipIngress::on_screened(const SipPeer& from, std::string data) {
  if (sip::is_keepalive(data)) return;  // the transports count them
  const auto framing = is_stream(from.transport) ? sip::Framing::kStream : sip::Framing::kDatagram;
  auto msg = sip::Message::parse(std::move(data), {}, framing);
  if (!msg) {
    metrics_.sip_dropped(msg.error());
    security_.malformed(from);
    spdlog::debug("sip: dropped unparsable message from {} {}: {}", to_string(from.transport),
                  from.remote.address().to_string(), sip::to_string(msg.error()));
    return;
  }
  spdlog::debug("sip: zone {} from {} {}:{}: {}", from.zone, to_string(from.transport),
                from.remote.address().to_string(), from.remote.port(), msg->start_line());
  if (msg->is_request()) {
    if (!admit_request(from, *msg)) return;
  } else {
    metrics_.sip_response_received(msg->status_code());
  }
  layer_.on_message(from, *msg);
}

bool SipIngress::admit_request(const SipPeer& from, const sip::Message& request) {
  metrics_.sip_request_received(request.method_text());
  // A scanner gets no answer at all (svmap reports what answers) and its source is banned.
  if (security_.scanner(from, request)) return false;
  // A request no response could reach or be matched by is dropped before any state is made:
  // the transaction layer needs its top Via and CSeq (an ACK's too).
  const bool ack = request.method() == sip::Method::kAck;
  if (ack ? !(request.top_via() && request.cseq()) : !sip::answerable(request)) {
    auto valid = request.validate();
    if (valid) {
      metrics_.sip_dropped(SipDropReason::kUnanswerable);
    } else {
      metrics_.sip_dropped(valid.error());
    }
    return false;
  }
  auto rejection = sip::check_request(request, policy_);
  if (!rejection) return true;
  if (ack) {
    metrics_.sip_dropped(SipDropReason::kMalformedAck);  // nothing may answer an ACK
    security_.malformed(from);
    return false;
  }
  if (rejection->code == 400) security_.malformed(from);
  auto response = responder_.response(request, rejection->code, rejection->reason);
  for (auto& [id, value] : rejection->headers) response.add(id, value);
  responder_.send(from, request, std::move(response));
  return false;
}

}  // namespace sbc::cp
