// Prometheus families of the SIP transports: TCP/TLS connections (open, accepted, initiated,
// refused, closed), TLS handshake failures, keep-alives and send failures. Label values are
// bounded: transports, directions and fixed reason sets (enums with name tables), every one of
// them present at 0 from the first scrape.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string_view>

#include "controlplane/transport/connection_limit.h"
#include "controlplane/transport/send_failure.h"
#include "controlplane/transport/sip_transport.h"
#include "controlplane/transport/stream_connection.h"

namespace sbc::cp {

class TransportMetrics {
 public:
  explicit TransportMetrics(prometheus::Registry& registry);

  // A TCP/TLS connection was accepted (inbound) or is being opened (outbound).
  void sip_connection_opened(Transport transport, bool inbound);
  void sip_connection_closed(Transport transport, CloseReason reason);
  // A connection not accepted / not opened because a limit was hit (reason: the limit's option).
  void sip_connection_refused(Transport transport, ConnectionLimit limit);
  void sip_tls_handshake_failed(bool inbound);
  void sip_keepalive(Transport transport);  // a CRLF keep-alive received
  // A message that could not be handed to the kernel (no listener, limit, socket error).
  void sip_send_failed(Transport transport, SendFailure reason);

 private:
  prometheus::Family<prometheus::Gauge>& sip_connections_;
  prometheus::Family<prometheus::Counter>& sip_connections_accepted_;
  prometheus::Family<prometheus::Counter>& sip_connections_initiated_;
  prometheus::Family<prometheus::Counter>& sip_connections_refused_;
  prometheus::Family<prometheus::Counter>& sip_connections_closed_;
  prometheus::Family<prometheus::Counter>& sip_tls_handshake_failures_;
  prometheus::Family<prometheus::Counter>& sip_keepalives_;
  prometheus::Family<prometheus::Counter>& sip_send_failures_;
};

}  // namespace sbc::cp
