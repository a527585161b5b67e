// The B2BUA across a reload (b2bua_reload.cc): sources a zone no longer (or never) takes are
// refused and counted; the peers and zones its calls hold.
#include <prometheus/text_serializer.h>

#include <algorithm>

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

// What a reload asks of the calls: the peers they hold (kept reachable within their dialogs) and
// the zones they use (not reused while a call has a leg there).
TEST_F(B2buaTest, CallPeersAndZonesInUseAreThoseOfTheCalls) {
  EXPECT_TRUE(b2bua_->call_peers().empty());
  EXPECT_FALSE(b2bua_->zone_in_use(kAccess));
  start_call();
  const auto peers = b2bua_->call_peers();
  const auto has = [&peers](size_t zone, const Endpoint& peer) {
    return std::ranges::find(peers, std::pair{zone, peer.address()}) != peers.end();
  };
  EXPECT_TRUE(has(kAccess, kCallerAddr));
  EXPECT_TRUE(has(kCarrier, kTrunkAddr));
  EXPECT_TRUE(b2bua_->zone_in_use(kAccess));
  EXPECT_TRUE(b2bua_->zone_in_use(kCarrier));
  EXPECT_FALSE(b2bua_->zone_in_use(2));
}

}  // namespace
}  // namespace sbc::cp
