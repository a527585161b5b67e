// What the B2BUA's components share: the B2BUA's collaborators and the state it owns, as
// references. A component takes the context and the sibling components it calls, never the
// B2bua itself.
#pragma once

#include <chrono>
#include <vector>

#include "controlplane/b2bua/call_table.h"
#include "controlplane/b2bua/ended_calls.h"
#include "controlplane/config/capacity.h"
#include "controlplane/config/config.h"
#include "controlplane/ingress/stateless_responder.h"
#include "controlplane/media/dataplane_client.h"
#include "controlplane/media/media_ports.h"
#include "controlplane/media/retired_sessions.h"
#include "controlplane/observability/metrics.h"
#include "controlplane/registrar/registrar.h"
#include "controlplane/routing/router.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/security/edge_security.h"
#include "controlplane/sip/ids.h"
#include "controlplane/transaction/transaction_layer.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp {

struct B2buaTimers {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  std::chrono::milliseconds t4{5000};
  std::chrono::seconds ring_timeout{180};  // longest a call may stay unanswered
  // How long an ended call's compact record (ended_calls.h) absorbs retransmissions once the
  // call's transactions are over. A call whose INVITE never got a final response (abandoned
  // after our CANCEL) is remembered ring_timeout instead: its 2xx may still come.
  std::chrono::seconds linger{32};
};

using CallPtr = std::shared_ptr<Call>;

struct B2buaContext {
  const Config& config;
  const B2buaTimers& timers;
  Scheduler& scheduler;
  SipTransport& transport;
  DataplaneClient& dataplane;
  MediaPortAllocator& ports;
  Metrics& metrics;
  EdgeSecurity& security;
  Registrar& registrar;
  Router& router;  // where new calls go; owns the zones' SIP addresses
  sip::IdGenerator& ids;
  CallTable& calls;  // live calls and ended ones still owed something
  EndedCalls& ended;
  RetiredSessions& retired;  // ended calls' sessions not deleted yet: they keep their ports
  TransactionLayer& layer;
  StatelessResponder& responder;  // every refusal made while no call exists
  const CapacityLimits& limits;
  // Per index of config.zones: true when the zone faces carriers. A zone a reload retired keeps
  // what it was while its calls finish.
  const std::vector<bool>& trunk_zones;
};

}  // namespace sbc::cp
