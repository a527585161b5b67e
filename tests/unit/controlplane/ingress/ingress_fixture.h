// Shared fixture for the ingress tests: a TransactionLayer on the fake clock and transport with
// a recording transaction user, the edge security it screens with, and the SipIngress in front.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "controlplane/config/config.h"
#include "controlplane/ingress/sip_ingress.h"
#include "controlplane/security/edge_security.h"
#include "controlplane/security/security_metrics.h"
#include "tests/unit/controlplane/fakes.h"
#include "tests/unit/controlplane/registry_probe.h"
#include "tests/unit/controlplane/transaction/transaction_fixture.h"

namespace sbc::cp::testing {

inline constexpr const char* kIngressConfig = R"(
[media]
port_min = 20000
port_max = 20099
[zone.access]
dataplane_port = access
sip_address = 192.0.2.1
acl_allow = 192.0.2.0/24
[zone.carrier]
dataplane_port = trunk
sip_address = 198.51.100.1
[trunk.carrier]
zone = carrier
host = 198.51.100.10
)";

class IngressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = parse_config(kIngressConfig);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    config_ = *parsed;
    security_ = std::make_unique<EdgeSecurity>(config_.security_view(), clock_, dataplane_,
                                               security_metrics_);
    layer_ = std::make_unique<TransactionLayer>(clock_, transport_, tu_, metrics_);
    sip::RequestPolicy policy;
    policy.methods = {sip::Method::kInvite, sip::Method::kAck, sip::Method::kBye,
                      sip::Method::kCancel, sip::Method::kOptions};
    ingress_ = std::make_unique<SipIngress>(*layer_, policy, metrics_, *security_);
  }
  void TearDown() override {
    ingress_.reset();
    layer_.reset();
  }
  double dropped(const std::string& reason) {
    return sample(metrics_.registry(), "sbc_sip_dropped_total", {{"reason", reason}}).value_or(-1);
  }
  // Dropped by the source screen (EdgeSecurity::screen), by reason.
  double screened(const std::string& reason) {
    return sample(security_registry_, "sbc_security_dropped_total", {{"reason", reason}})
        .value_or(-1);
  }
  // Every SIP-level drop (sbc_sip_dropped_total, all reasons).
  double sip_drops() {
    double total = 0;
    for (const auto& family : metrics_.registry().Collect()) {
      if (family.name != "sbc_sip_dropped_total") continue;
      for (const auto& m : family.metric) total += m.counter.value;
    }
    return total;
  }
  double offences(const std::string& offence) {
    return sample(security_registry_, "sbc_security_offences_total", {{"offence", offence}})
        .value_or(-1);
  }
  // What was sent since the last call, as parsed messages.
  std::vector<sip::Message> sent() {
    std::vector<sip::Message> out;
    for (const auto& d : transport_.sent) out.push_back(parse_message(d.data));
    transport_.sent.clear();
    return out;
  }

  Config config_;
  FakeScheduler clock_;
  FakeTransport transport_;
  FakeDataplane dataplane_;
  Metrics metrics_;
  prometheus::Registry security_registry_;
  SecurityMetrics security_metrics_{security_registry_};
  std::unique_ptr<EdgeSecurity> security_;
  RecordingTu tu_;
  std::unique_ptr<TransactionLayer> layer_;
  std::unique_ptr<SipIngress> ingress_;
};

}  // namespace sbc::cp::testing
