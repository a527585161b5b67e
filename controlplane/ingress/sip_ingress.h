// The stage between the SIP transports and the TransactionLayer: every received message passes
// here once. Its source is screened first, before any parsing work (the zone's ACL, bans, the
// per-source request rate: EdgeSecurity::screen drops and counts); keep-alives are not parsed; a
// message is parsed once (a parse failure is a counted drop and a malformed offence of its
// source); requests and responses are counted; scanners get no answer at all; requests no
// response could reach are dropped; requests this SBC refuses on their own (unsupported method
// or extension, missing fields: sip::check_request) get a stateless answer. What is left reaches
// the TransactionLayer, and through it the B2BUA.
//
// Inbound TCP/TLS connections are screened at their accept, before their first byte
// (EdgeSecurity::screen_connection, set on the TransportManager by sbcd).
// Stateless: it holds only references; single-threaded like the event loop that calls it.
#pragma once

#include <string>

#include "controlplane/ingress/stateless_responder.h"
#include "controlplane/observability/metrics.h"
#include "controlplane/security/edge_security.h"
#include "controlplane/sip/message.h"
#include "controlplane/sip/request_check.h"
#include "controlplane/transaction/transaction_layer.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

class SipIngress {
 public:
  // `policy`: what the transaction user implements (methods, option tags).
  SipIngress(TransactionLayer& layer, sip::RequestPolicy policy, Metrics& metrics,
             EdgeSecurity& security);

  // One received message: a UDP datagram, or one message framed from a TCP/TLS stream, from
  // any source (screened here first).
  void on_message(const SipPeer& from, std::string data);
  // The stage after the source screen: a message whose source already passed it (what
  // on_message() does once screen() let it through; the B2BUA test fixture enters here).
  void on_screened(const SipPeer& from, std::string data);

 private:
  // false when the request stops here (dropped or answered).
  bool admit_request(const SipPeer& from, const sip::Message& request);

  TransactionLayer& layer_;
  sip::RequestPolicy policy_;
  Metrics& metrics_;
  EdgeSecurity& security_;
  StatelessResponder responder_;
};

}  // namespace sbc::cp
