// TrunkTargets: an address is its own target; a name has none until resolved, holds them for
// the TTL (clamped), keeps them through failed refreshes until the serve-stale time, and keeps
// its state across a reload that leaves its host, port and transport alone; a held target is
// skipped until its hold ends, across re-resolutions; a target down by qualify is tried after the
// others, and not at all while held.
#include "controlplane/routing/trunk_targets.h"

#include <gtest/gtest.h>

#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

using boost::asio::ip::make_address;
using namespace std::chrono_literals;

const TrunkTargets::Clock::time_point kNow = TrunkTargets::Clock::time_point{} + 1000h;

std::vector<TrunkConfig> trunks() {
  std::vector<TrunkConfig> t(2);
  t[0].name = "by-address";
  t[0].host = "198.51.100.10";
  t[0].address = make_address("198.51.100.10");
  t[0].port = 5070;
  t[1].name = "by-name";
  t[1].host = "carrier.example";
  return t;
}

SipTargets resolved(std::chrono::seconds ttl) {
  SipTargets r;
  r.targets = {{Transport::kUdp, Endpoint(make_address("203.0.113.10"), 5080)},
               {Transport::kUdp, Endpoint(make_address("203.0.113.20"), 5080)}};
  r.ttl = ttl;
  return r;
}

TEST(TrunkTargetsTest, AnAddressIsItsOwnTargetANameWaitsForDns) {
  const auto config = trunks();
  TrunkTargets targets(config);
  EXPECT_FALSE(targets.by_name(0));
  ASSERT_EQ(targets.targets(0).size(), 1U);
  EXPECT_EQ(targets.targets(0)[0].endpoint, Endpoint(make_address("198.51.100.10"), 5070));
  EXPECT_TRUE(targets.by_name(1));
  EXPECT_TRUE(targets.targets(1).empty());
  EXPECT_TRUE(targets.addresses(1).empty());
}

TEST(TrunkTargetsTest, ResolvedForTheTtlThenStaleThroughFailures) {
  const auto config = trunks();
  TrunkTargets targets(config);
  targets.resolved(1, resolved(1s), kNow);
  EXPECT_EQ(targets.at(1).expires, kNow + TrunkTargets::kMinTtl) << "a TTL of 1 s is clamped";
  EXPECT_EQ(targets.addresses(1).size(), 2U);
  targets.resolved(1, resolved(86400s), kNow);
  EXPECT_EQ(targets.at(1).expires, kNow + TrunkTargets::kMaxTtl);

  // A refresh fails: the targets stay until the serve-stale time, then go.
  const auto expired = targets.at(1).expires;
  targets.failed(1, "A carrier.example: timeout", expired);
  EXPECT_EQ(targets.targets(1).size(), 2U);
  EXPECT_EQ(targets.at(1).error, "A carrier.example: timeout");
  EXPECT_EQ(targets.at(1).failures, 1U);
  targets.failed(1, "A carrier.example: timeout", expired + TrunkTargets::kServeStale);
  EXPECT_TRUE(targets.targets(1).empty());
  EXPECT_EQ(targets.at(1).failures, 2U);

  targets.resolved(1, resolved(60s), expired + 2h);
  EXPECT_EQ(targets.at(1).failures, 0U);
  EXPECT_TRUE(targets.at(1).error.empty());
}

TEST(TrunkTargetsTest, AReloadKeepsWhatAnUnchangedTrunkResolvedTo) {
  auto config = trunks();
  TrunkTargets targets(config);
  targets.resolved(1, resolved(60s), kNow);
  // A trunk added before it by name: indexes move, the state follows the name.
  TrunkConfig added = config[0];
  added.name = "a-first";
  config.insert(config.begin(), added);
  targets.reconfigure();
  EXPECT_EQ(targets.targets(2).size(), 2U);
  // Its port changes: located again from scratch.
  config[2].port = 5090;
  config[2].port_set = true;
  targets.reconfigure();
  EXPECT_TRUE(targets.targets(2).empty());
}

TEST(TrunkTargetsTest, AHeldTargetIsSkippedUntilItsHoldEnds) {
  const auto config = trunks();
  TrunkTargets targets(config);
  targets.resolved(1, resolved(600s), kNow);
  const SipTarget first = targets.targets(1)[0];
  const SipTarget second = targets.targets(1)[1];
  EXPECT_EQ(targets.next(1, {}, kNow), 0U);
  EXPECT_EQ(targets.next(1, std::vector{first}, kNow), 1U) << "the first tried by this call";

  targets.hold(1, first, kNow + 30s, kNow);
  EXPECT_EQ(targets.held_until(1, first, kNow), kNow + 30s);
  EXPECT_FALSE(targets.held_until(1, second, kNow));
  EXPECT_EQ(targets.next(1, {}, kNow), 1U);
  EXPECT_FALSE(targets.next(1, std::vector{second}, kNow)) << "none left for this call";
  // A shorter hold does not shorten it; the same server resolved again stays held.
  targets.hold(1, first, kNow + 10s, kNow);
  targets.resolved(1, resolved(600s), kNow + 5s);
  EXPECT_EQ(targets.held_until(1, first, kNow + 5s), kNow + 30s);

  targets.hold(1, second, kNow + 60s, kNow);
  EXPECT_FALSE(targets.next(1, {}, kNow + 29s)) << "all held";
  EXPECT_EQ(targets.next(1, {}, kNow + 30s), 0U) << "the first one's hold is over";
  // Expired holds go when another is taken: at most one per target.
  targets.hold(1, second, kNow + 120s, kNow + 61s);
  EXPECT_EQ(targets.at(1).holds.size(), 1U);
}

TEST(TrunkTargetsTest, ATargetDownByQualifyIsTriedLast) {
  const auto config = trunks();
  TrunkTargets targets(config);
  targets.resolved(1, resolved(600s), kNow);
  const SipTarget first = targets.targets(1)[0];
  const SipTarget second = targets.targets(1)[1];
  EXPECT_TRUE(targets.qualified(1, first, false)) << "down: a change";
  EXPECT_FALSE(targets.qualified(1, first, false)) << "still down";
  EXPECT_TRUE(targets.down(1, first));
  EXPECT_EQ(targets.next(1, {}, kNow), 1U) << "the one that answers first";
  EXPECT_EQ(targets.next(1, std::vector{second}, kNow), 0U) << "then the one down";
  targets.hold(1, first, kNow + 30s, kNow);
  EXPECT_FALSE(targets.next(1, std::vector{second}, kNow)) << "held: not even last";

  EXPECT_TRUE(targets.qualified(1, second, false));
  EXPECT_EQ(targets.next(1, {}, kNow + 30s), 0U) << "both down: in order";
  EXPECT_TRUE(targets.qualified(1, first, true)) << "up again: a change";
  EXPECT_FALSE(targets.down(1, first));
  // A server the name no longer resolves to is forgotten at the next verdict.
  SipTargets other;
  other.targets = {first};
  other.ttl = 600s;
  targets.resolved(1, other, kNow);
  EXPECT_FALSE(targets.qualified(1, first, true));
  EXPECT_TRUE(targets.at(1).down.empty());
}

}  // namespace
}  // namespace sbc::cp
