// Sources a zone no longer (or never) takes (b2bua_reload.cc): refused, counted.
#include <prometheus/text_serializer.h>

#include "tests/unit/controlplane/b2bua/b2bua_fixture.h"

namespace sbc::cp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST_F(B2buaTest, UnknownSourceOnTrunkZoneIsRefused) {
  const Endpoint stranger(boost::asio::ip::make_address("198.51.100.66"), 5060);
  deliver(kCarrier, stranger, caller_invite());
  auto refused = next_to(kCarrier, stranger);
  EXPECT_EQ(refused.status_code(), 403);
  EXPECT_TRUE(transport_.sent.empty());
  // Counted (logged at debug only: anyone can send these as fast as they like).
  const std::string text = prometheus::TextSerializer().Serialize(metrics_.registry().Collect());
  EXPECT_NE(text.find("sbc_sip_dropped_total{reason=\"unknown_trunk_source\"} 1"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace sbc::cp
