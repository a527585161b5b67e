#include "controlplane/transport/transport_metrics.h"

#include <string>

namespace sbc::cp {

TransportMetrics::TransportMetrics(prometheus::Registry& registry)
    : sip_connections_(prometheus::BuildGauge()
                           .Name("sbc_sip_connections")
                           .Help("Open SIP TCP/TLS connections (connecting ones included)")
                           .Register(registry)),
      sip_connections_accepted_(prometheus::BuildCounter()
                                    .Name("sbc_sip_connections_accepted_total")
                                    .Help("Inbound SIP TCP/TLS connections accepted")
                                    .Register(registry)),
      sip_connections_initiated_(prometheus::BuildCounter()
                                     .Name("sbc_sip_connections_initiated_total")
                                     .Help("Outbound SIP TCP/TLS connections attempted")
                                     .Register(registry)),
      sip_connections_refused_(
          prometheus::BuildCounter()
              .Name("sbc_sip_connections_refused_total")
              .Help("SIP TCP/TLS connections refused or not opened, by limit hit")
              .Register(registry)),
      sip_connections_closed_(prometheus::BuildCounter()
                                  .Name("sbc_sip_connections_closed_total")
                                  .Help("SIP TCP/TLS connections closed, by reason")
                                  .Register(registry)),
      sip_tls_handshake_failures_(prometheus::BuildCounter()
                                      .Name("sbc_sip_tls_handshake_failures_total")
                                      .Help("TLS handshakes failed or timed out, by direction")
                                      .Register(registry)),
      sip_keepalives_(prometheus::BuildCounter()
                          .Name("sbc_sip_keepalives_total")
                          .Help("CRLF keep-alives received (RFC 5626), by transport")
                          .Register(registry)),
      sip_send_failures_(prometheus::BuildCounter()
                             .Name("sbc_sip_send_failures_total")
                             .Help("SIP messages that could not be sent, by transport and reason")
                             .Register(registry)) {
  // Every bounded label value exists from the start, so rates work from the first scrape.
  for (Transport t : {Transport::kTcp, Transport::kTls}) {
    const std::string label(to_string(t));
    sip_connections_.Add({{"transport", label}});
    sip_connections_accepted_.Add({{"transport", label}});
    sip_connections_initiated_.Add({{"transport", label}});
  }
  for (Transport t : {Transport::kUdp, Transport::kTcp, Transport::kTls}) {
    sip_keepalives_.Add({{"transport", std::string(to_string(t))}});
  }
  for (const char* direction : {"inbound", "outbound"}) {
    sip_tls_handshake_failures_.Add({{"direction", direction}});
  }
  for (Transport t : {Transport::kTcp, Transport::kTls}) {
    const std::string label(to_string(t));
    for (CloseReason r : kAllCloseReasons) {
      sip_connections_closed_.Add({{"transport", label}, {"reason", std::string(to_string(r))}});
    }
    for (std::string_view limit : kConnectionLimitNames) {
      sip_connections_refused_.Add({{"transport", label}, {"reason", std::string(limit)}});
    }
  }
  for (Transport t : {Transport::kUdp, Transport::kTcp, Transport::kTls}) {
    for (std::string_view reason : kSendFailureNames) {
      sip_send_failures_.Add(
          {{"transport", std::string(to_string(t))}, {"reason", std::string(reason)}});
    }
  }
}

void TransportMetrics::sip_connection_opened(Transport transport, bool inbound) {
  const std::string label(to_string(transport));
  sip_connections_.Add({{"transport", label}}).Increment();
  (inbound ? sip_connections_accepted_ : sip_connections_initiated_)
      .Add({{"transport", label}})
      .Increment();
}

void TransportMetrics::sip_connection_closed(Transport transport, CloseReason reason) {
  const std::string label(to_string(transport));
  sip_connections_.Add({{"transport", label}}).Decrement();
  sip_connections_closed_.Add({{"transport", label}, {"reason", std::string(to_string(reason))}})
      .Increment();
}

void TransportMetrics::sip_connection_refused(Transport transport, ConnectionLimit limit) {
  sip_connections_refused_
      .Add({{"transport", std::string(to_string(transport))},
            {"reason", std::string(to_string(limit))}})
      .Increment();
}

void TransportMetrics::sip_tls_handshake_failed(bool inbound) {
  sip_tls_handshake_failures_.Add({{"direction", inbound ? "inbound" : "outbound"}}).Increment();
}

void TransportMetrics::sip_keepalive(Transport transport) {
  sip_keepalives_.Add({{"transport", std::string(to_string(transport))}}).Increment();
}

void TransportMetrics::sip_send_failed(Transport transport, SendFailure reason) {
  sip_send_failures_
      .Add({{"transport", std::string(to_string(transport))},
            {"reason", std::string(to_string(reason))}})
      .Increment();
}

}  // namespace sbc::cp
